package copperx

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sequence answers the n-th request with steps[n] (the last step repeats).
func sequence(calls *atomic.Int32, steps ...func(w http.ResponseWriter)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		steps[min(n, len(steps)-1)](w)
	}
}

func status(code int, hdr ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"message":"x","statusCode":` + strconv.Itoa(code) + `}`))
	}
}

func okJSON(body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) { _, _ = w.Write([]byte(body)) }
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		steps      []func(http.ResponseWriter)
		post       bool
		wantCalls  int32
		wantSleeps []time.Duration
		wantErr    error
	}{
		{"GET 503 then ok", []func(http.ResponseWriter){status(503), okJSON(`["137"]`)}, false, 2, []time.Duration{200 * time.Millisecond}, nil},
		{"GET 500 twice then ok, backoff doubles", []func(http.ResponseWriter){status(500), status(502), okJSON(`["137"]`)}, false, 3,
			[]time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, nil},
		{"GET 5xx exhausts MaxRetries", []func(http.ResponseWriter){status(503)}, false, 3,
			[]time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, ErrServer},
		{"GET 429 honours Retry-After", []func(http.ResponseWriter){status(429, "Retry-After", "1"), okJSON(`["137"]`)}, false, 2,
			[]time.Duration{time.Second}, nil},
		{"GET 429 without Retry-After backs off", []func(http.ResponseWriter){status(429), okJSON(`["137"]`)}, false, 2,
			[]time.Duration{200 * time.Millisecond}, nil},
		{"GET 429 Retry-After beyond the cap is returned", []func(http.ResponseWriter){status(429, "Retry-After", "60"), okJSON(`["137"]`)}, false, 1,
			nil, ErrRateLimited},
		{"GET 404 not retried", []func(http.ResponseWriter){status(404), okJSON(`["137"]`)}, false, 1, nil, ErrNotFound},
		{"GET 401 not retried", []func(http.ResponseWriter){status(401), okJSON(`["137"]`)}, false, 1, nil, ErrUnauthorized},
		{"GET 422 not retried", []func(http.ResponseWriter){status(422), okJSON(`["137"]`)}, false, 1, nil, ErrValidation},
		{"POST 503 not retried", []func(http.ResponseWriter){status(503), okJSON(`{}`)}, true, 1, nil, ErrServer},
		{"POST 429 not retried", []func(http.ResponseWriter){status(429, "Retry-After", "1"), okJSON(`{}`)}, true, 1, nil, ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			c, sl, _ := newTestClient(t, sequence(&calls, tt.steps...))
			var err error
			if tt.post {
				_, err = c.CreateWallet(context.Background(), testToken, "137")
			} else {
				_, err = c.Networks(context.Background(), testToken)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if got := sl.all(); len(got) != len(tt.wantSleeps) || (len(got) > 0 && !equalDurations(got, tt.wantSleeps)) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRateLimitedRetryAfter(t *testing.T) {
	var calls atomic.Int32
	c, _, _ := newTestClient(t, sequence(&calls, status(429, "Retry-After", "60")))
	_, err := c.Networks(context.Background(), testToken)
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != time.Minute || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %#v", err)
	}
}

func TestBackoffCappedAndJittered(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRetries = 6
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	netErr := &NetworkError{Err: errors.New("reset")}
	for attempt := 1; attempt <= 6; attempt++ {
		ceiling := min(cfg.RetryBaseDelay<<(attempt-1), cfg.RetryMaxDelay)
		for range 50 {
			d, ok := c.retryDelay(netErr, attempt)
			if !ok || d < ceiling/2 || d > ceiling {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
	if _, ok := c.retryDelay(errors.New("decode"), 1); ok {
		t.Error("a decode error is retried")
	}
}

func TestCancelStopsRetrying(t *testing.T) {
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	c, _, _ := newTestClient(t, sequence(&calls, status(503)), WithSleep(func(ctx context.Context, d time.Duration) error {
		cancel() // the user gives up while the client waits
		<-ctx.Done()
		return ctx.Err()
	}))
	_, err := c.Networks(ctx, testToken)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d after cancel", calls.Load())
	}
}

func TestRealSleepRespectsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("sleepCtx = %v", err)
	}
	if err := sleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestNoTokenNoRequest(t *testing.T) {
	var calls atomic.Int32
	c, _, _ := newTestClient(t, sequence(&calls, okJSON(`[]`)))
	_, err := c.Wallets(context.Background(), Token{})
	if !errors.Is(err, ErrUnauthorized) || calls.Load() != 0 {
		t.Fatalf("err = %v, calls = %d", err, calls.Load())
	}
}

func TestDecodeErrorNotRetried(t *testing.T) {
	var calls atomic.Int32
	c, _, _ := newTestClient(t, sequence(&calls, okJSON(`{not json`)))
	_, err := c.Wallets(context.Background(), testToken)
	if err == nil || !strings.Contains(err.Error(), "decode response") || calls.Load() != 1 {
		t.Fatalf("err = %v, calls = %d", err, calls.Load())
	}
}

// TestLogsNeverContainSecrets runs a login flow, including a failed attempt,
// and checks the debug log has one line per request and no secret.
func TestLogsNeverContainSecrets(t *testing.T) {
	const (
		email = "ada@example.com"
		sid   = "sid-Zq81-opaque"
		otp   = "739155"
		jwt   = "eyJhbGciOiJSUzI1NiJ9.payload-XYZ.signature-ABC"
	)
	fails := atomic.Bool{}
	fails.Store(true)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/email-otp/request", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"email":"` + email + `","sid":"` + sid + `"}`))
	})
	mux.HandleFunc("POST /api/auth/email-otp/authenticate", func(w http.ResponseWriter, r *http.Request) {
		if fails.Swap(false) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Invalid otp ` + otp + ` for ` + sid + `","statusCode":401}`))
			return
		}
		_, _ = w.Write([]byte(`{"scheme":"Bearer","accessToken":"` + jwt + `","accessTokenId":"t1","expireAt":"2025-04-20T10:00:00.000Z","user":{"id":"u1","role":"owner","status":"active","relayerAddress":"0x1"}}`))
	})
	mux.HandleFunc("GET /api/auth/me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+jwt {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"id":"u1","role":"owner","status":"active","relayerAddress":"0x1","organizationId":"org-1"}`))
	})
	mux.HandleFunc("POST /api/auth/logout", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"message":"Logged out","statusCode":200}`))
	})
	c, _, logs := newTestClient(t, mux)
	ctx := context.Background()

	otpReq, err := c.RequestEmailOTP(ctx, email)
	if err != nil || otpReq.SID != sid || otpReq.Email != email {
		t.Fatalf("request otp: %+v, %v", otpReq, err)
	}
	_, err = c.AuthenticateEmailOTP(ctx, email, otp, otpReq.SID)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("first authenticate: %v", err)
	}
	var errTexts []string
	errTexts = append(errTexts, err.Error())
	auth, err := c.AuthenticateEmailOTP(ctx, email, otp, otpReq.SID)
	if err != nil || auth.AccessToken.Reveal() != jwt {
		t.Fatalf("authenticate: %v", err)
	}
	me, err := c.Me(ctx, auth.AccessToken)
	if err != nil || me.OrganizationID != "org-1" {
		t.Fatalf("me: %+v, %v", me, err)
	}
	if err := c.Logout(ctx, auth.AccessToken); err != nil {
		t.Fatalf("logout: %v", err)
	}

	out := logs.String()
	for _, secret := range []string{jwt, "payload-XYZ", otp, sid} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
		for _, e := range errTexts {
			if strings.Contains(e, secret) {
				t.Errorf("error contains %q: %s", secret, e)
			}
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("want one line per request (5), got %d:\n%s", len(lines), out)
	}
	for _, want := range []string{"method=POST", "path=/api/auth/email-otp/authenticate", "status=401", "attempt=1", "duration=", "level=DEBUG"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestMetrics: one observation per attempt, labelled with the route
// template (never an id), the method and the status class.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	var calls atomic.Int32
	c, _, _ := newTestClient(t, sequence(&calls, status(503), okJSON(`{"id":"t1","amount":"100000000"}`)), WithRegisterer(reg))
	if _, err := c.Transfer(context.Background(), testToken, "t1"); err != nil {
		t.Fatal(err)
	}
	// A second client on the same registry reuses the collector.
	c2, _, _ := newTestClient(t, sequence(&calls, okJSON(`{"id":"t2"}`)), WithRegisterer(reg))
	if c2.duration != c.duration {
		t.Error("second client did not reuse the registered histogram")
	}
	if _, err := c2.Transfer(context.Background(), testToken, "t/2"); err != nil {
		t.Fatal(err)
	}
	c3, _, _ := newTestClient(t, sequence(&calls, status(404)), WithRegisterer(reg))
	if err := c3.DeletePayee(context.Background(), testToken, "p-9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeletePayee = %v", err)
	}
	// No answer at all: the "error" class.
	dead := DefaultConfig()
	dead.APIURL = "http://127.0.0.1:1"
	dead.MaxRetries = 0
	c4, err := New(dead, WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c4.Payee(context.Background(), testToken, "p-7"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Payee = %v", err)
	}
	want := []string{
		"endpoint=/api/payees/{id},method=DELETE,status=4xx count=1",
		"endpoint=/api/payees/{id},method=GET,status=error count=1",
		"endpoint=/api/transfers/{id},method=GET,status=2xx count=2",
		"endpoint=/api/transfers/{id},method=GET,status=5xx count=1",
	}
	if got := gatherLabels(t, reg); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("metrics:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// gatherLabels renders each series of reg as "name=value,… count=n".
func gatherLabels(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got = append(got, strings.Join(labels, ",")+" count="+strconv.FormatUint(m.GetHistogram().GetSampleCount(), 10))
		}
	}
	return got
}

func TestStatusClass(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{0, "error"}, {200, "2xx"}, {204, "2xx"}, {301, "3xx"}, {400, "4xx"}, {404, "4xx"},
		{429, "4xx"}, {500, "5xx"}, {503, "5xx"}, {99, "error"}, {600, "error"},
	}
	for _, tt := range tests {
		if got := statusClass(tt.status); got != tt.want {
			t.Errorf("statusClass(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestRegistererConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	other := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "copperx_api_request_duration_seconds", Help: "Duration of CopperX API requests, one observation per HTTP attempt.",
	}, []string{"endpoint", "method", "status"})
	reg.MustRegister(other)
	if _, err := New(DefaultConfig(), WithRegisterer(reg)); err == nil {
		t.Fatal("New accepted a conflicting collector")
	}
}

// TestKeepsConnectionsAlive: the default client keeps as many connections
// alive as requests were in flight, so a second wave of concurrent calls
// dials nothing (net/http's default keeps 2 per host).
func TestKeepsConnectionsAlive(t *testing.T) {
	const inFlight = 24
	var dialled atomic.Int32
	release := make(chan struct{})
	var arrived atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) <= inFlight { // the first wave waits until all are in flight
			<-release
		}
		_, _ = w.Write([]byte(`{"id":"u1","email":"ada@example.com"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	cfg := DefaultConfig()
	cfg.APIURL = srv.URL
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	wave := func() {
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				if _, err := c.Me(context.Background(), NewToken("tok")); err != nil {
					t.Error(err)
				}
			})
		}
		for arrived.Load() < inFlight {
			time.Sleep(time.Millisecond) // polling: the wave's requests reach the server
		}
		close(release)
		wg.Wait()
	}
	wave()
	first := dialled.Load()
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() { _, _ = c.Me(context.Background(), NewToken("tok")) })
	}
	wg.Wait()
	if first != inFlight || dialled.Load() != first {
		t.Fatalf("dialled %d connections for the first wave of %d and %d more for the second; want %d and none",
			first, inFlight, dialled.Load()-first, inFlight)
	}
}
