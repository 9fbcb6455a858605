package kernel

import (
	"slices"

	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readiness is what /readyz reports: the store answers, Telegram accepted
// the token (getMe), the webhook is registered (in webhook mode), and the
// bot is not draining for a shutdown.
type readiness struct {
	mu      sync.Mutex
	reasons map[string]string // component → why it is not ready
}

func newReadiness() *readiness { return &readiness{reasons: map[string]string{}} }

// set records that component is not ready, for reason ("" clears it).
func (r *readiness) set(component, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if reason == "" {
		delete(r.reasons, component)
		return
	}
	r.reasons[component] = reason
}

// problems lists "component: reason", sorted.
func (r *readiness) problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.reasons))
	for c, why := range r.reasons {
		out = append(out, c+": "+why)
	}
	sort.Strings(out)
	return out
}

// HTTPHandler is the public listener's handler: /healthz (the process
// answers), /readyz (ready to handle updates) and, unless an admin
// listener is configured, /metrics.
func (k *Kernel) HTTPHandler() *http.ServeMux {
	mux := http.NewServeMux()
	k.health(mux)
	if k.cfg.HTTP.AdminAddr == "" {
		mux.Handle("GET /metrics", k.metricsHandler())
	}
	return mux
}

// AdminHandler is the admin listener's handler (http.admin_addr, keep it
// private): health, metrics and net/http/pprof.
func (k *Kernel) AdminHandler() *http.ServeMux {
	mux := http.NewServeMux()
	k.health(mux)
	mux.Handle("GET /metrics", k.metricsHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func (k *Kernel) metricsHandler() http.Handler {
	return promhttp.HandlerFor(k.registry, promhttp.HandlerOpts{ErrorLog: nil})
}

func (k *Kernel) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		problems := k.ready.problems()
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := k.store.Ping(ctx); err != nil {
			k.metrics.storeErrors.WithLabelValues("ping").Inc()
			problems = append(problems, "store: unreachable")
		}
		if len(problems) > 0 {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "not ready\n"+strings.Join(problems, "\n")+"\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
}

// WebhookHandler accepts Telegram's webhook POSTs. The secret token header
// is checked before any of the body is read (else 401), the body is
// bounded, and the request is answered once the update was handled: 200
// when it was (or was refused for good, such as a forged button), 503 when
// it could not be handled in time or the store failed, so that Telegram
// delivers it again (dedupe makes a redelivery of a handled update
// harmless) — never 200 for an update nobody handled.
func (k *Kernel) WebhookHandler() http.Handler {
	secret := []byte(k.cfg.Telegram.Webhook.Secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			k.metrics.updates.WithLabelValues("webhook", "unauthorized").Inc()
			w.Header().Set("Connection", "close") // never read (or drain) a stranger's body
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, k.cfg.Telegram.Webhook.MaxBodyBytes))
		if err != nil {
			w.Header().Set("Connection", "close")
			http.Error(w, "body too large or cut short", http.StatusRequestEntityTooLarge)
			return
		}
		var u gotgbot.Update
		if err := json.Unmarshal(body, &u); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		done := k.disp.submit(context.WithoutCancel(r.Context()), &u, 0) // Telegram delivers it again after a 503
		if done == nil {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		wait := time.NewTimer(k.cfg.Updates.HandlerTimeout + k.cfg.Telegram.RequestTimeout)
		defer wait.Stop()
		select {
		case outcome := <-done:
			if outcome == outcomeRetry {
				http.Error(w, "not handled; deliver it again", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		case <-wait.C:
			// Still queued or running: Telegram delivers it again, and the
			// redelivery is dropped as a duplicate if this one finishes.
			http.Error(w, "not handled in time; deliver it again", http.StatusServiceUnavailable)
		}
	})
}

// listeners are the bot's HTTP servers: the public one (health, readiness,
// the webhook, and metrics without an admin listener) and the optional
// admin one (metrics and pprof, for a private network only).
type listeners struct {
	servers []*http.Server
	addrs   []string // bound addresses, public first
	errs    chan error
}

// serve starts the public listener (with the webhook handler when given)
// and the admin listener when configured. Both bind before serve returns,
// so a busy port is an error here.
func (k *Kernel) serve(webhook http.Handler) (*listeners, error) {
	h := k.cfg.HTTP
	public := k.HTTPHandler()
	if webhook != nil {
		u, _ := url.Parse(k.cfg.Telegram.Webhook.URL)
		path := u.Path
		if path == "" {
			path = "/"
		}
		public.Handle(path, webhook)
	}
	l := &listeners{errs: make(chan error, 2)}
	start := func(addr string, handler http.Handler, limit int) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		srv := &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       h.ReadTimeout,
			WriteTimeout:      h.WriteTimeout,
			IdleTimeout:       h.IdleTimeout,
			MaxHeaderBytes:    h.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(k.log.With("component", "http").Handler(), slog.LevelWarn),
		}
		if limit > 0 {
			cl := newConnLimit(ln, limit)
			ln, srv.ConnState = cl, cl.track
		}
		l.servers = append(l.servers, srv)
		l.addrs = append(l.addrs, ln.Addr().String())
		go func() { l.errs <- srv.Serve(ln) }()
		k.log.Info("listening", "addr", ln.Addr().String(), "admin", handler != http.Handler(public))
		return nil
	}
	if err := start(h.ListenAddr, public, k.connectionLimit()); err != nil {
		return nil, err
	}
	if h.AdminAddr != "" {
		if err := start(h.AdminAddr, k.AdminHandler(), 0); err != nil {
			l.close()
			return nil, err
		}
	}
	k.mu.Lock()
	k.addrs = l.addrs
	k.mu.Unlock()
	return l, nil
}

// fdReserve are the open files kept for everything but the public
// listener's connections: Redis, Telegram, CopperX, the admin listener.
const fdReserve = 64

// connectionLimit is http.max_connections, lowered to fit the process's
// open-file limit: past it, accept fails (and so do the bot's own
// connections to Redis, Telegram and CopperX) instead of waiting.
func (k *Kernel) connectionLimit() int {
	limit := k.cfg.HTTP.MaxConnections
	files := openFileLimit()
	if files == 0 {
		return limit
	}
	fit := max(files-fdReserve, files/2)
	if limit == 0 || limit > fit {
		k.log.Info("http.max_connections lowered to fit the open-file limit", "max_connections", limit, "open_files", files, "now", fit)
		return fit
	}
	return limit
}

// Addrs are the addresses Run listens on, the public one first (none
// before Run bound them).
func (k *Kernel) Addrs() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.addrs)
}

// failed is an error from a server that stopped on its own.
func (l *listeners) failed() <-chan error { return l.errs }

func (l *listeners) shutdown(ctx context.Context) error {
	var errs []error
	for _, s := range l.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (l *listeners) close() {
	for _, s := range l.servers {
		_ = s.Close()
	}
}
