package copperx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// maxBody bounds how much of a response the client reads.
const maxBody = 8 << 20

// Client talks to the CopperX API. It is safe for concurrent use; one Client
// serves every user, whose Token is passed to each call.
type Client struct {
	cfg      Config
	base     string // APIURL without a trailing slash
	http     *http.Client
	log      *slog.Logger
	duration *prometheus.HistogramVec
	reg      prometheus.Registerer
	sleep    func(ctx context.Context, d time.Duration) error
	jitter   func(d time.Duration) time.Duration
	now      func() time.Time
}

// Option customizes a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a client without its own
// timeout, Config.Timeout bounding each attempt, that keeps
// Config.IdleConns connections alive).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLogger sets the logger for the one debug line per request (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithRegisterer registers the copperx_api_request_duration_seconds histogram.
func WithRegisterer(r prometheus.Registerer) Option { return func(c *Client) { c.reg = r } }

// WithSleep replaces the backoff sleep; it must return ctx's error when ctx
// ends first. For tests.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// WithJitter replaces the backoff jitter, which maps a backoff ceiling to the
// delay actually waited (default: uniformly random in [d/2, d]). For tests.
func WithJitter(f func(d time.Duration) time.Duration) Option {
	return func(c *Client) { c.jitter = f }
}

// WithClock replaces time.Now, used to read an HTTP-date Retry-After and to
// account for the retry budget. For tests.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// keepAlive is the default transport with idle kept-alive connections per
// host sized for the bot (net/http keeps 2, so a bot with more requests in
// flight closes and dials connections all the time).
func keepAlive(idle int) *http.Transport {
	if idle <= 0 {
		idle = DefaultIdleConns
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 2 * idle
	tr.MaxIdleConnsPerHost = idle
	return tr
}

// New validates cfg and builds a Client.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:    cfg,
		base:   strings.TrimRight(cfg.APIURL, "/"),
		log:    slog.New(slog.DiscardHandler),
		sleep:  sleepCtx,
		jitter: halfJitter,
		now:    time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: keepAlive(cfg.IdleConns)}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "copperx_api_request_duration_seconds",
		Help:    "Duration of CopperX API requests, one observation per HTTP attempt, by route template, method and status class.",
		Buckets: prometheus.DefBuckets,
	}, []string{"endpoint", "method", "status"})
	if c.reg != nil {
		if err := c.reg.Register(c.duration); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("copperx: register metrics: %w", err)
			}
			existing, ok := are.ExistingCollector.(*prometheus.HistogramVec)
			if !ok {
				return nil, fmt.Errorf("copperx: register metrics: %w", err)
			}
			c.duration = existing
		}
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// call describes one API call.
type call struct {
	method  string
	path    string // escaped path, e.g. /api/transfers/abc
	route   string // metric label, e.g. /api/transfers/{id}; required when path holds an id
	query   url.Values
	tok     *Token // nil: unauthenticated
	body    any
	out     any
	secrets []string // values that must never appear in errors (otp, sid)
}

// do runs c, retrying GETs on 5xx, 429 and network errors within
// Config.RetryBudget: an attempt is cut short when the budget runs out, and
// no retry starts (nor a backoff that would end past it) once it is spent.
// Other methods make exactly one attempt, bounded by Config.Timeout alone.
func (c *Client) do(ctx context.Context, cl call) error {
	if cl.route == "" {
		cl.route = cl.path
	}
	if cl.tok != nil {
		if cl.tok.IsZero() {
			return fmt.Errorf("copperx: %s %s: no token: %w", cl.method, cl.path, ErrUnauthorized)
		}
		cl.secrets = append(cl.secrets, cl.tok.Reveal())
	}
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return fmt.Errorf("copperx: %s %s: encode request: %w", cl.method, cl.path, err)
		}
		body = b
	}
	retried := cl.method == http.MethodGet && c.cfg.MaxRetries > 0
	deadline := c.now().Add(c.cfg.RetryBudget)
	for attempt := 1; ; attempt++ {
		timeout := c.cfg.Timeout
		if retried {
			timeout = min(timeout, deadline.Sub(c.now()))
		}
		err := c.attempt(ctx, cl, body, attempt, timeout)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err // an API answer as it is; a transport failure wraps ctx's error
		}
		if !retried || attempt > c.cfg.MaxRetries {
			return err
		}
		delay, ok := c.retryDelay(err, attempt)
		if !ok {
			return err
		}
		if left := deadline.Sub(c.now()); delay >= left {
			return err // the budget would be spent before the next attempt starts
		}
		if serr := c.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("copperx: %s %s: %w", cl.method, cl.path, serr)
		}
	}
}

// statusClass is the metric label of a status: "2xx" … "5xx", or "error"
// when no answer came.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "error"
	}
	return strconv.Itoa(status/100) + "xx"
}

// retryDelay decides whether err is worth another attempt and how long to wait.
func (c *Client) retryDelay(err error, attempt int) (time.Duration, bool) {
	var apiErr *Error
	var netErr *NetworkError
	switch {
	case errors.As(err, &apiErr):
		if apiErr.Status != http.StatusTooManyRequests && apiErr.Status < 500 {
			return 0, false
		}
		if apiErr.RetryAfter > 0 {
			if apiErr.RetryAfter > c.cfg.RetryMaxDelay {
				return 0, false // longer than we may wait: let the caller tell the user
			}
			return apiErr.RetryAfter, true
		}
	case errors.As(err, &netErr):
	default:
		return 0, false
	}
	d := c.cfg.RetryBaseDelay
	for i := 1; i < attempt && d < c.cfg.RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.cfg.RetryMaxDelay)
	return c.jitter(d), true
}

// attempt performs one HTTP request, bounded by timeout, and decodes its answer.
func (c *Client) attempt(ctx context.Context, cl call, body []byte, attempt int, timeout time.Duration) (err error) {
	start := time.Now()
	status := 0
	defer func() {
		d := time.Since(start)
		c.duration.WithLabelValues(cl.route, cl.method, statusClass(status)).Observe(d.Seconds())
		attrs := []slog.Attr{
			slog.String("method", cl.method),
			slog.String("path", cl.path),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.Int("attempt", attempt),
		}
		var ne *NetworkError
		if errors.As(err, &ne) {
			attrs = append(attrs, slog.Bool("timeout", ne.timeout))
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "copperx api request", attrs...)
	}()

	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	target := c.base + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, target, rd)
	if err != nil {
		return fmt.Errorf("copperx: %s %s: build request: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	if cl.tok != nil {
		req.Header.Set("Authorization", "Bearer "+cl.tok.Reveal())
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return c.networkError(ctx, cl, err)
	}
	defer func() { _ = resp.Body.Close() }()
	status = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.networkError(ctx, cl, err)
	}
	if status < 200 || status > 299 {
		retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		return newError(cl.method, cl.path, status, retryAfter, data, cl.secrets)
	}
	if cl.out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return fmt.Errorf("copperx: %s %s: decode response: %w", cl.method, cl.path, err)
	}
	return nil
}

// networkError wraps a transport failure without the URL (which may carry a
// search query) and marks timeouts.
func (c *Client) networkError(ctx context.Context, cl call, err error) error {
	if ctx.Err() != nil {
		// The caller gave up (cancel or its own deadline): not an outage.
		return fmt.Errorf("copperx: %s %s: %w", cl.method, cl.path, context.Cause(ctx))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	timeout := errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	return &NetworkError{Method: cl.method, Endpoint: cl.path, Err: err, timeout: timeout}
}

// errEmptyID reports a call made without the id it needs.
func errEmptyID(op string) error { return fmt.Errorf("copperx: %s: empty id", op) }

// escape returns a path segment safe to append to a path.
func escape(s string) string { return url.PathEscape(s) }
