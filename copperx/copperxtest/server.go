// Package copperxtest is a stateful, in-memory, concurrency-safe emulator of
// the CopperX Payout API (https://income-api.copperx.io) and of the Pusher
// websocket that delivers its deposit notifications.
//
// It is written from /work/shared/copperx-api.md and the OpenAPI document
// embedded as openapi.json, and deliberately shares no types with the
// client in package copperx, so that a client bug cannot hide behind a
// shared struct. Every request is validated against the OpenAPI document
// (kin-openapi); a violation is answered with 422 and a message naming the
// field. Bearer tokens, OTP logins, wallets, balances (exact decimal
// arithmetic), transfers (settled by time or by Settle), offramp quotes
// signed with HMAC, payees, transfer schedules (run by the clock: Advance,
// Tick), bank accounts, KYC records and Pusher private-channel
// subscriptions are emulated; faults (status codes, latency, malformed
// bodies, dropped connections and lost responses, failed send-batch
// items) can be injected.
//
// In a test:
//
//	srv := copperxtest.NewTestServer(t, copperxtest.WithAutoSeed(true))
//	token := srv.IssueToken("demo@copperx.io")
//	// point the client at srv.URL() and the Pusher client at srv.WSURL()
//
// Standalone: New(...).ListenAndServe(ctx, ":8090"), or Serve and
// ServeAdmin on listeners bound beforehand (the admin API, AdminHandler,
// makes deposits arrive and settles transfers over HTTP).
package copperxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// Defaults of the options.
const (
	DefaultQuoteTTL    = 5 * time.Minute
	DefaultOTPTTL      = 10 * time.Minute
	DefaultOTPAttempts = 5
	DefaultTokenTTL    = 7 * 24 * time.Hour
	DefaultSettleDelay = 2 * time.Second
	DefaultKYCStatus   = "approved"
	// DefaultPusherKey is the public app key every CopperX client uses.
	DefaultPusherKey    = "e089376087cac1a62785"
	DefaultPusherSecret = "copperxtest-pusher-secret"
)

type config struct {
	fee           decimal.Decimal
	quoteTTL      time.Duration
	otpTTL        time.Duration
	otpAttempts   int
	tokenTTL      time.Duration
	settleDelay   time.Duration
	fixedOTP      string
	autoSeed      bool
	defaultKYC    string
	logger        *slog.Logger
	otpPrinter    func(email, code string)
	clock         func() time.Time
	pusherKey     string
	pusherSecret  string
	nullIsDefault bool
	responseCheck func(method, path string, err error)
	dailyLimit    decimal.Decimal // tokens; zero: none
}

// Option configures a Server.
type Option func(*config)

// WithFee sets the fee, in percent of the amount, charged on every outgoing
// transfer (send, wallet-withdraw, offramp, send-batch). The default is 0.
// The fee is rounded down to whole 10^-8 units; the wallet is debited
// amount + fee.
func WithFee(percent decimal.Decimal) Option { return func(c *config) { c.fee = percent } }

// WithQuoteTTL sets how long an offramp quote can be submitted (default 5m).
func WithQuoteTTL(d time.Duration) Option { return func(c *config) { c.quoteTTL = d } }

// WithOTPTTL sets how long an OTP session (sid) lives (default 10m).
func WithOTPTTL(d time.Duration) Option { return func(c *config) { c.otpTTL = d } }

// WithOTPAttempts sets how many wrong codes a sid survives (default 5).
func WithOTPAttempts(n int) Option { return func(c *config) { c.otpAttempts = n } }

// WithTokenTTL sets the lifetime of access tokens (default 7 days).
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithSettleDelay sets how long on-chain and bank transfers stay
// "processing" before they read as "success" (default 2s of clock time;
// 0 settles them at once). A negative d leaves them "processing" until
// Settle (or the admin API's settle) moves them.
func WithSettleDelay(d time.Duration) Option { return func(c *config) { c.settleDelay = d } }

// WithDailyLimit caps what one user may send, withdraw and offramp per UTC
// day, in tokens (amount without fee; failed, canceled and refunded
// transfers do not count). Past it a transfer is refused with 422 "Daily
// transfer limit exceeded. …". Zero (the default) means no limit.
func WithDailyLimit(tokens decimal.Decimal) Option { return func(c *config) { c.dailyLimit = tokens } }

// WithFixedOTP makes code a valid OTP for every sid, in addition to the
// random code issued (the CopperX sandbox accepts "123456").
func WithFixedOTP(code string) Option { return func(c *config) { c.fixedOTP = code } }

// WithAutoSeed gives every email that requests an OTP the demo account
// described in README.md. Without it, an unknown email that logs in gets a
// bare account: one empty Polygon wallet, no bank account, no KYC record.
func WithAutoSeed(on bool) Option { return func(c *config) { c.autoSeed = on } }

// WithDefaultKYC sets the KYC status of seeded accounts (default
// "approved"); "" means no KYC record at all.
func WithDefaultKYC(status string) Option { return func(c *config) { c.defaultKYC = status } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithOTPPrinter is called with every OTP the emulator "emails".
func WithOTPPrinter(f func(email, code string)) Option { return func(c *config) { c.otpPrinter = f } }

// WithClock replaces time.Now (token, OTP and quote expiry, timestamps,
// settling of transfers).
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithPusherApp sets the Pusher app key and secret (defaults:
// DefaultPusherKey, DefaultPusherSecret).
func WithPusherApp(key, secret string) Option {
	return func(c *config) { c.pusherKey, c.pusherSecret = key, secret }
}

// WithNullIsDefault makes non-default wallets answer "isDefault": null
// instead of false, as some live accounts do (copperx-api.md). Such
// responses do not match the OpenAPI document, which says boolean.
func WithNullIsDefault(on bool) Option { return func(c *config) { c.nullIsDefault = on } }

// WithResponseCheck validates every 2xx response of the emulator against
// the OpenAPI document and calls f with the error of each one that does
// not match (tests pass a function that calls t.Errorf).
func WithResponseCheck(f func(method, path string, err error)) Option {
	return func(c *config) { c.responseCheck = f }
}

// Server is the emulator. It implements http.Handler; all methods are safe
// for concurrent use.
type Server struct {
	cfg  config
	spec *spec
	mux  *http.ServeMux

	mu         sync.Mutex
	users      map[string]*user // by lower-case email
	orgs       map[string]*user // by organization id
	tokens     map[string]*session
	otps       map[string]*otpSession // by sid
	lastOTP    map[string]string      // by lower-case email
	usedQuotes map[string]bool        // by signature
	quoteError string
	quoteKey   []byte
	seq        int64
	schedules  []*schedule
	// settling lists the transfers waiting for their settle time, oldest
	// first, so that a tick does not walk every user's transfers.
	settling []*transfer

	// offset is what Advance added to the clock, in nanoseconds.
	offset atomic.Int64

	calls  callLog
	faults faultSet
	late   lateWork
	hub    *hub

	hs *httptest.Server
}

// New returns an emulator. It panics if the embedded OpenAPI document
// cannot be loaded (a build defect, not a runtime condition).
func New(opts ...Option) *Server {
	cfg := config{
		quoteTTL:     DefaultQuoteTTL,
		otpTTL:       DefaultOTPTTL,
		otpAttempts:  DefaultOTPAttempts,
		tokenTTL:     DefaultTokenTTL,
		settleDelay:  DefaultSettleDelay,
		defaultKYC:   DefaultKYCStatus,
		logger:       slog.New(slog.DiscardHandler),
		clock:        time.Now,
		pusherKey:    DefaultPusherKey,
		pusherSecret: DefaultPusherSecret,
	}
	for _, o := range opts {
		o(&cfg)
	}
	sp, err := sharedSpec()
	if err != nil {
		panic("copperxtest: " + err.Error())
	}
	s := &Server{
		cfg:        cfg,
		spec:       sp,
		users:      map[string]*user{},
		orgs:       map[string]*user{},
		tokens:     map[string]*session{},
		otps:       map[string]*otpSession{},
		lastOTP:    map[string]string{},
		usedQuotes: map[string]bool{},
		quoteKey:   randomBytes(32),
		hub:        newHub(),
	}
	s.mux = s.routes()
	return s
}

// TB is the part of testing.TB that NewTestServer needs; naming it here
// keeps the testing package out of the binary that serves the emulator.
type TB interface {
	Helper()
	Cleanup(func())
}

// NewTestServer starts an emulator on a local port and closes it when the
// test ends.
func NewTestServer(t TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Start serves the emulator on a local port (httptest) and returns its
// base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) Start() string {
	s.hs = httptest.NewServer(s)
	return s.hs.URL
}

// URL is the base URL given by Start ("" before Start).
func (s *Server) URL() string {
	if s.hs == nil {
		return ""
	}
	return s.hs.URL
}

// WSURL is the Pusher websocket URL of the emulator,
// "ws://host:port/app/<key>?protocol=7" ("" before Start).
func (s *Server) WSURL() string {
	if s.hs == nil {
		return ""
	}
	return "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/app/" + s.cfg.pusherKey + "?protocol=7&client=go&version=0.1"
}

// Close closes the websockets and stops the server started by Start.
func (s *Server) Close() {
	s.hub.closeAll()
	if s.hs != nil {
		s.hs.Close()
	}
}

// ListenAndServe serves the emulator on addr until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("copperxtest: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves the API and the Pusher websocket on ln (bound by the
// caller, so that a busy port is an error before anything claims to be
// serving) until ctx is done, then closes ln. It returns nil after ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.cfg.logger.Info("copperx emulator listening", "addr", ln.Addr().String())
	return serveUntil(ctx, ln, s, s.hub.closeAll)
}

// ServeAdmin serves AdminHandler on ln until ctx is done, like Serve.
func (s *Server) ServeAdmin(ctx context.Context, ln net.Listener) error {
	s.cfg.logger.Info("copperx emulator admin API listening", "addr", ln.Addr().String())
	return serveUntil(ctx, ln, s.AdminHandler(), nil)
}

// serveUntil serves h on ln until ctx is done; beforeShutdown runs first.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler, beforeShutdown func()) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-stop:
			return
		}
		if beforeShutdown != nil {
			beforeShutdown()
		}
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	close(stop)
	<-done
	return fmt.Errorf("copperxtest: serve: %w", err)
}

// now is the emulator's clock: the WithClock clock plus what Advance added.
func (s *Server) now() time.Time {
	return s.cfg.clock().UTC().Add(time.Duration(s.offset.Load()))
}

// Now is the emulator's current time (WithClock's clock plus Advance).
func (s *Server) Now() time.Time { return s.now() }

// Advance moves the emulator's clock forward by d (on top of WithClock's
// clock) and runs Tick: processing transfers whose settle delay passed
// settle, and transfer schedules that fell due create their transfers. It
// returns the number of transfers the schedules created.
func (s *Server) Advance(d time.Duration) int {
	if d > 0 {
		s.offset.Add(int64(d))
	}
	s.runLateWork()
	return s.Tick()
}

// Tick brings the emulator up to its clock: processing transfers whose
// settle delay passed read "success", and every active transfer schedule
// that fell due creates its transfer(s), one per missed occurrence. It
// returns the number of transfers the schedules created. The emulator also
// ticks before serving each API request, so a standalone emulator runs its
// schedules on the wall clock.
func (s *Server) Tick() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tickLocked()
}

// ServeHTTP implements http.Handler: it records the call, applies faults,
// serves the Pusher websocket under /app/ and the API under /api/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/app/") {
		s.calls.add(r, nil)
		s.serveWebsocket(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	call := s.calls.add(r, body)
	s.runLateWork()

	f := s.faults.take(r.Method, r.URL.Path)
	if f != nil && f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f != nil && f.LateWork > 0 {
		s.deferWork(r, body, f.LateWork)
		late := *f
		if late.Status == 0 {
			late.Status = http.StatusGatewayTimeout
		}
		s.writeFault(w, &late)
		s.calls.setStatus(call, late.Status)
		return
	}
	lose := f != nil && f.LoseResponse && !f.DropConnection && !f.Malformed
	if f != nil && !lose {
		switch {
		case f.DropConnection:
			dropConnection(w)
			return
		case f.Malformed:
			status := f.Status
			if status == 0 {
				status = http.StatusOK
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"id":"`+newID()+`","status":`)
			s.calls.setStatus(call, status)
			return
		case f.Status != 0:
			s.writeFault(w, f)
			s.calls.setStatus(call, f.Status)
			return
		}
	}

	rec := httptest.NewRecorder()
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.handle(rec, r, body)

	if lose {
		if f.Status != 0 {
			s.writeFault(w, f)
			s.calls.setStatus(call, f.Status)
			return
		}
		dropConnection(w)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	s.calls.setStatus(call, rec.Code)
	s.cfg.logger.Debug("copperx emulator", "method", r.Method, "path", r.URL.Path, "status", rec.Code)
}

// writeFault answers with the fault's status and body (an ErrorDto for
// the status when Body is empty).
func (s *Server) writeFault(w http.ResponseWriter, f *Fault) {
	body := f.Body
	if body == "" {
		b, _ := json.Marshal(errorBody{Message: http.StatusText(f.Status), StatusCode: f.Status, Error: http.StatusText(f.Status)})
		body = string(b)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, body)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// errorBody is the NestJS ErrorDto: message is a string, a []string or a
// []constraintError.
type errorBody struct {
	Message    any    `json:"message"`
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error,omitempty"`
}

// constraintError is one element of the third ErrorDto message shape.
type constraintError struct {
	Property    string            `json:"property"`
	Constraints map[string]string `json:"constraints"`
}

// apiError is an error answered with an ErrorDto.
type apiError struct {
	status  int
	message any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %v", e.status, e.message) }

func errStatus(status int, message any) error { return &apiError{status: status, message: message} }

func unprocessable(message any) error { return errStatus(http.StatusUnprocessableEntity, message) }

func notFound(message string) error { return errStatus(http.StatusNotFound, message) }

func constraint(property, name, text string) error {
	return unprocessable([]constraintError{{Property: property, Constraints: map[string]string{name: text}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, message: "Internal server error"}
	}
	writeJSON(w, ae.status, errorBody{Message: ae.message, StatusCode: ae.status, Error: http.StatusText(ae.status)})
}

// handlerFunc is an API handler: it returns the value answered with 200,
// or an error (an *apiError for a 4xx).
type handlerFunc func(r *http.Request, sess *session) (any, error)

// api adapts a handlerFunc.
func (s *Server) api(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, _ := r.Context().Value(sessionKey{}).(*session)
		v, err := h(r, sess)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// routes lists the endpoints the emulator implements.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("POST /api/auth/email-otp/request", s.api(s.otpRequest))
	m.HandleFunc("POST /api/auth/email-otp/authenticate", s.api(s.otpAuthenticate))
	m.HandleFunc("GET /api/auth/me", s.api(s.me))
	m.HandleFunc("POST /api/auth/logout", s.api(s.logout))
	m.HandleFunc("GET /api/kycs", s.api(s.listKYCs))
	m.HandleFunc("GET /api/wallets", s.api(s.listWallets))
	m.HandleFunc("POST /api/wallets", s.api(s.createWallet))
	m.HandleFunc("GET /api/wallets/default", s.api(s.defaultWallet))
	m.HandleFunc("POST /api/wallets/default", s.api(s.setDefaultWallet))
	m.HandleFunc("GET /api/wallets/balance", s.api(s.balance))
	m.HandleFunc("GET /api/wallets/balances", s.api(s.balances))
	m.HandleFunc("GET /api/wallets/networks", s.api(s.networks))
	m.HandleFunc("GET /api/accounts", s.api(s.listAccounts))
	m.HandleFunc("GET /api/transfers", s.api(s.listTransfers))
	m.HandleFunc("GET /api/transfers/{id}", s.api(s.getTransfer))
	m.HandleFunc("POST /api/transfers/send", s.api(s.sendTransfer))
	m.HandleFunc("POST /api/transfers/wallet-withdraw", s.api(s.walletWithdraw))
	m.HandleFunc("POST /api/transfers/send-batch", s.api(s.sendBatch))
	m.HandleFunc("POST /api/transfers/offramp", s.api(s.offramp))
	m.HandleFunc("POST /api/quotes/offramp", s.api(s.offrampQuote))
	m.HandleFunc("GET /api/payees", s.api(s.listPayees))
	m.HandleFunc("POST /api/payees", s.api(s.createPayee))
	m.HandleFunc("GET /api/payees/{id}", s.api(s.getPayee))
	m.HandleFunc("PUT /api/payees/{id}", s.api(s.updatePayee))
	m.HandleFunc("DELETE /api/payees/{id}", s.api(s.deletePayee))
	m.HandleFunc("GET /api/transfer-schedules", s.api(s.listSchedules))
	m.HandleFunc("POST /api/transfer-schedules", s.api(s.createSchedule))
	m.HandleFunc("GET /api/transfer-schedules/{id}", s.api(s.getSchedule))
	m.HandleFunc("POST /api/transfer-schedules/{id}/deactivate", s.api(s.deactivateSchedule))
	m.HandleFunc("POST /api/notifications/auth", s.api(s.notificationsAuth))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound(fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path)))
	})
	return m
}
