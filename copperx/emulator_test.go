package copperx_test

// End-to-end tests of the typed client against the stateful emulator
// (copperxtest): every client method, each error kind, injected faults,
// exact money arithmetic and secret-free logs.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// ---------------------------------------------------------------- harness

// emuClock is a settable clock shared by the emulator (expiry, settling).
type emuClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *emuClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *emuClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sleepRec records the backoff delays the client asks for, without waiting.
type sleepRec struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepRec) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRec) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// env is an emulator with a fake clock, and a client of it that logs at
// debug level into logs and records its backoff sleeps.
type env struct {
	emu    *copperxtest.Server
	clock  *emuClock
	c      *copperx.Client
	logs   *syncBuffer
	sleeps *sleepRec
}

var emuStart = time.Date(2025, 4, 20, 10, 0, 0, 0, time.UTC)

// fee is the emulator's fee in the tests that charge one, in percent.
var fee = decimal.RequireFromString("0.5")

func newEnv(t *testing.T, opts ...copperxtest.Option) *env {
	t.Helper()
	clock := &emuClock{t: emuStart}
	check := copperxtest.WithResponseCheck(func(method, path string, err error) {
		t.Errorf("emulator response to %s %s does not match the OpenAPI document: %v", method, path, err)
	})
	all := append([]copperxtest.Option{check, copperxtest.WithClock(clock.Now)}, opts...)
	e := &env{emu: copperxtest.NewTestServer(t, all...), clock: clock, logs: &syncBuffer{}, sleeps: &sleepRec{}}
	e.c = e.client(t, nil)
	return e
}

// client builds another client of the emulator; mutate adjusts its config.
func (e *env) client(t *testing.T, mutate func(*copperx.Config)) *copperx.Client {
	t.Helper()
	cfg := copperx.DefaultConfig()
	cfg.APIURL = e.emu.URL()
	cfg.Timeout = 3 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := copperx.New(cfg,
		copperx.WithLogger(logger),
		copperx.WithSleep(e.sleeps.sleep),
		copperx.WithJitter(func(d time.Duration) time.Duration { return d }),
	)
	if err != nil {
		t.Fatalf("copperx.New: %v", err)
	}
	return c
}

// token logs email in at the emulator, seeding the demo account (KYC
// approved, four wallets, a bank account) unless email was seeded before.
func (e *env) token(email string) copperx.Token {
	e.emu.SeedUser(email)
	return copperx.NewToken(e.emu.IssueToken(email))
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// feeOf is the emulator's fee on amount: percent of it, rounded down to 10^-8.
func feeOf(amount, percent decimal.Decimal) decimal.Decimal {
	return amount.Mul(percent).Div(decimal.NewFromInt(100)).RoundFloor(8)
}

func wantDec(t *testing.T, what string, got, want decimal.Decimal) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// wantAPIError checks that err is an *copperx.Error of kind with status and,
// when msg is not empty, exactly that flattened message.
func wantAPIError(t *testing.T, err error, kind error, status int, msg string) *copperx.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v (%d %q)", kind, status, msg)
	}
	if !errors.Is(err, kind) {
		t.Errorf("err = %v, want errors.Is %v", err, kind)
	}
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %T %v, want *copperx.Error", err, err)
	}
	if apiErr.Status != status {
		t.Errorf("status = %d, want %d (%v)", apiErr.Status, status, err)
	}
	if msg != "" && apiErr.Message != msg {
		t.Errorf("message = %q, want %q", apiErr.Message, msg)
	}
	return apiErr
}

// lastBody is the JSON body of the last call to method path.
func lastBody(t *testing.T, emu *copperxtest.Server, method, path string) map[string]any {
	t.Helper()
	calls := emu.CallsTo(method, path)
	if len(calls) == 0 {
		t.Fatalf("no call to %s %s", method, path)
	}
	return calls[len(calls)-1].Body
}

func mustToken(t *testing.T, ar *copperx.AuthResponse, err error) copperx.Token {
	t.Helper()
	if err != nil {
		t.Fatalf("AuthenticateEmailOTP: %v", err)
	}
	if ar.AccessToken.IsZero() {
		t.Fatal("AuthenticateEmailOTP: empty token")
	}
	return ar.AccessToken
}

// ---------------------------------------------------------------- auth

func TestEmulatorLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithOTPAttempts(3), copperxtest.WithOTPTTL(10*time.Minute))
	ctx := t.Context()
	const email = "ada@example.com"

	req, err := e.c.RequestEmailOTP(ctx, email)
	if err != nil {
		t.Fatalf("RequestEmailOTP: %v", err)
	}
	if req.Email != email || req.SID == "" {
		t.Fatalf("RequestEmailOTP = %+v", req)
	}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/auth/email-otp/request"); b["email"] != email || len(b) != 1 {
		t.Errorf("request body = %v", b)
	}
	code := e.emu.OTP(email)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}

	// Wrong code: 401 with the attempts left → ErrUnauthorized.
	_, err = e.c.AuthenticateEmailOTP(ctx, email, wrong, req.SID)
	apiErr := wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "Invalid OTP. 2 attempts left")
	if strings.Contains(apiErr.Error(), req.SID) || strings.Contains(apiErr.Error(), wrong) {
		t.Errorf("error leaks the sid or the OTP: %v", apiErr)
	}
	if n := len(e.emu.CallsTo(http.MethodPost, "/api/auth/email-otp/authenticate")); n != 1 {
		t.Errorf("authenticate called %d times, want 1 (POST is never retried)", n)
	}

	// The right code still works on the same sid.
	ar, err := e.c.AuthenticateEmailOTP(ctx, email, code, req.SID)
	tok := mustToken(t, ar, err)
	if b := lastBody(t, e.emu, http.MethodPost, "/api/auth/email-otp/authenticate"); b["email"] != email || b["otp"] != code || b["sid"] != req.SID {
		t.Errorf("authenticate body = %v", b)
	}
	if ar.Scheme != "Bearer" || ar.AccessTokenID == "" || strings.Count(tok.Reveal(), ".") != 2 {
		t.Errorf("AuthResponse = scheme %q id %q token %q", ar.Scheme, ar.AccessTokenID, tok.Reveal())
	}
	if want := emuStart.Add(copperxtest.DefaultTokenTTL); !ar.ExpireAt.Equal(want) {
		t.Errorf("ExpireAt = %v, want %v", ar.ExpireAt, want)
	}
	if ar.User.Email != email || ar.User.OrganizationID != e.emu.OrgID(email) || ar.User.FirstName != "Ada" ||
		ar.User.Role != "owner" || ar.User.Status != "active" || ar.User.WalletID == "" {
		t.Errorf("User = %+v", ar.User)
	}
	me, err := e.c.Me(ctx, tok)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	if me.ID != ar.User.ID || me.OrganizationID != ar.User.OrganizationID || me.WalletAddress != ar.User.WalletAddress {
		t.Errorf("Me = %+v, want %+v", me, ar.User)
	}

	// A sid is single use.
	_, err = e.c.AuthenticateEmailOTP(ctx, email, code, req.SID)
	wantAPIError(t, err, copperx.ErrValidation, http.StatusBadRequest, "Invalid or expired session. Request a new OTP")

	t.Run("attempts exhausted", func(t *testing.T) {
		req, err := e.c.RequestEmailOTP(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		code := e.emu.OTP(email)
		bad := "99999999"
		_, err = e.c.AuthenticateEmailOTP(ctx, email, bad, req.SID)
		wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "Invalid OTP. 2 attempts left")
		_, err = e.c.AuthenticateEmailOTP(ctx, email, bad, req.SID)
		wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "Invalid OTP. 1 attempts left")
		_, err = e.c.AuthenticateEmailOTP(ctx, email, bad, req.SID)
		wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusForbidden, "Too many failed attempts. Request a new OTP")
		// Even the right code is refused now.
		_, err = e.c.AuthenticateEmailOTP(ctx, email, code, req.SID)
		wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusForbidden, "Too many failed attempts. Request a new OTP")
	})

	t.Run("expired sid", func(t *testing.T) {
		req, err := e.c.RequestEmailOTP(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		code := e.emu.OTP(email)
		e.clock.Advance(10*time.Minute + time.Second)
		_, err = e.c.AuthenticateEmailOTP(ctx, email, code, req.SID)
		apiErr := wantAPIError(t, err, copperx.ErrValidation, http.StatusBadRequest, "OTP expired. Request a new OTP")
		if strings.Contains(apiErr.Error(), code) || strings.Contains(apiErr.Error(), req.SID) {
			t.Errorf("error leaks secrets: %v", apiErr)
		}
	})

	t.Run("unknown sid or other email", func(t *testing.T) {
		req, err := e.c.RequestEmailOTP(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		code := e.emu.OTP(email)
		_, err = e.c.AuthenticateEmailOTP(ctx, "eve@example.com", code, req.SID)
		wantAPIError(t, err, copperx.ErrValidation, http.StatusBadRequest, "Invalid or expired session. Request a new OTP")
		_, err = e.c.AuthenticateEmailOTP(ctx, email, code, "3f0d7d4e-0000-4000-8000-000000000000")
		wantAPIError(t, err, copperx.ErrValidation, http.StatusBadRequest, "Invalid or expired session. Request a new OTP")
	})

	t.Run("bad email", func(t *testing.T) {
		_, err := e.c.RequestEmailOTP(ctx, "not-an-email")
		wantAPIError(t, err, copperx.ErrValidation, http.StatusUnprocessableEntity, "email must be an email")
	})
}

func TestEmulatorLogoutAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithTokenTTL(time.Hour))
	ctx := t.Context()

	tok := e.token("ada@example.com")
	if _, err := e.c.Me(ctx, tok); err != nil {
		t.Fatalf("Me: %v", err)
	}
	if err := e.c.Logout(ctx, tok); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err := e.c.Me(ctx, tok)
	wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "Unauthorized")
	if n := len(e.emu.CallsTo(http.MethodGet, "/api/auth/me")); n != 2 {
		t.Errorf("GET /api/auth/me called %d times, want 2 (401 is not retried)", n)
	}
	err = e.c.Logout(ctx, tok)
	wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "Unauthorized")

	// A token past expireAt, and one the server revoked.
	tok2 := e.token("ada@example.com")
	e.clock.Advance(time.Hour)
	_, err = e.c.Wallets(ctx, tok2)
	wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "")
	tok3 := e.token("ada@example.com")
	e.emu.ExpireToken(tok3.Reveal())
	_, err = e.c.Balances(ctx, tok3)
	wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusUnauthorized, "")

	// No token: refused before any request.
	e.emu.ResetCalls()
	_, err = e.c.Me(ctx, copperx.Token{})
	if !errors.Is(err, copperx.ErrUnauthorized) {
		t.Errorf("Me without token: %v, want ErrUnauthorized", err)
	}
	if n := len(e.emu.Calls()); n != 0 {
		t.Errorf("%d calls made without a token", n)
	}

	// The recorded headers: JSON, the user agent; Authorization is sent (the
	// call succeeded) but never recorded.
	tok4 := e.token("ada@example.com")
	if _, err := e.c.Me(ctx, tok4); err != nil {
		t.Fatal(err)
	}
	h := e.emu.CallsTo(http.MethodGet, "/api/auth/me")[0].Header
	if h.Get("Accept") != "application/json" || h.Get("User-Agent") != "copperx-payoutbot" || h.Get("Authorization") != "" {
		t.Errorf("headers = %v", h)
	}
}

// ---------------------------------------------------------------- KYC

func TestEmulatorKYC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	tests := []struct {
		seed       string // KYC status at seeding; "" = never started
		wantStatus string
		wantCount  int
		wantNote   bool // statusUpdates carries a reason
	}{
		{"approved", copperx.KYCApproved, 1, false},
		{"pending", copperx.KYCPending, 1, false},
		{"review_pending", "review_pending", 1, false},
		{"rejected", copperx.KYCRejected, 1, true},
		{"", copperx.KYCNotStarted, 0, false},
	}
	for _, tt := range tests {
		t.Run("kyc="+tt.seed, func(t *testing.T) {
			email := "kyc-" + tt.seed + "@example.com"
			_, org := e.emu.SeedUser(email, copperxtest.SeedKYC(tt.seed))
			tok := e.token(email)
			page, err := e.c.KYCs(ctx, tok, 1, 10)
			if err != nil {
				t.Fatalf("KYCs: %v", err)
			}
			if len(page.Data) != tt.wantCount || page.Count != tt.wantCount || page.Page != 1 || page.Limit != 10 || page.HasMore {
				t.Errorf("KYCs page = %+v", page)
			}
			if tt.wantCount > 0 {
				k := page.Data[0]
				if k.Status != tt.seed || k.OrganizationID != org || k.ID == "" || k.CreatedAt.IsZero() {
					t.Errorf("KYC = %+v", k)
				}
				if (k.StatusUpdates != "") != tt.wantNote {
					t.Errorf("StatusUpdates = %q", k.StatusUpdates)
				}
			}
			got, err := e.c.KYCStatus(ctx, tok)
			if err != nil || got != tt.wantStatus {
				t.Errorf("KYCStatus = %q, %v; want %q", got, err, tt.wantStatus)
			}
			q := e.emu.CallsTo(http.MethodGet, "/api/kycs")
			if last := q[len(q)-1].Query; last.Get("page") != "1" || last.Get("limit") != "50" {
				t.Errorf("KYCStatus query = %v", last)
			}
		})
	}

	t.Run("status changes", func(t *testing.T) {
		email := "kyc-change@example.com"
		e.emu.SeedUser(email, copperxtest.SeedKYC("pending"))
		tok := e.token(email)
		e.emu.SetKYC(email, "approved")
		if got, err := e.c.KYCStatus(ctx, tok); err != nil || got != copperx.KYCApproved {
			t.Errorf("KYCStatus = %q, %v", got, err)
		}
	})

	t.Run("404 means never started", func(t *testing.T) {
		tok := e.token("kyc-approved@example.com")
		e.emu.Fail(http.MethodGet, "/api/kycs", copperxtest.Fault{Status: http.StatusNotFound, Times: 1})
		if got, err := e.c.KYCStatus(ctx, tok); err != nil || got != copperx.KYCNotStarted {
			t.Errorf("KYCStatus on 404 = %q, %v", got, err)
		}
		e.emu.Fail(http.MethodGet, "/api/kycs", copperxtest.Fault{Status: http.StatusNotFound, Times: 1})
		_, err := e.c.KYCs(ctx, tok, 1, 10)
		wantAPIError(t, err, copperx.ErrNotFound, http.StatusNotFound, "Not Found")
	})
}

// ---------------------------------------------------------------- wallets and balances

func TestEmulatorWallets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	const email = "ada@example.com"
	tok := e.token(email)
	org := e.emu.OrgID(email)

	ws, err := e.c.Wallets(ctx, tok)
	if err != nil {
		t.Fatalf("Wallets: %v", err)
	}
	var nets []string
	byNet := map[string]copperx.Wallet{}
	for _, w := range ws {
		nets = append(nets, w.Network)
		byNet[w.Network] = w
		if w.ID == "" || w.OrganizationID != org || w.WalletType != "web3_auth_copperx" || w.CreatedAt.IsZero() {
			t.Errorf("wallet %+v", w)
		}
		if w.IsDefault != (w.Network == "137") {
			t.Errorf("wallet %s IsDefault = %v", w.Network, w.IsDefault)
		}
	}
	if want := []string{"137", "8453", "42161", "23434"}; !slices.Equal(nets, want) {
		t.Fatalf("networks of wallets = %v, want %v", nets, want)
	}
	if a := byNet["137"].WalletAddress; len(a) != 42 || a != byNet["8453"].WalletAddress || a != byNet["42161"].WalletAddress {
		t.Errorf("EVM wallets do not share one address: %+v", byNet)
	}
	if a := byNet["23434"].WalletAddress; len(a) != 66 || !strings.HasPrefix(a, "0x") {
		t.Errorf("Starknet address %q, want 0x + 64 hex", a)
	}

	def, err := e.c.DefaultWallet(ctx, tok)
	if err != nil || def.ID != byNet["137"].ID || !def.IsDefault {
		t.Fatalf("DefaultWallet = %+v, %v", def, err)
	}

	// CreateWallet: a new network, then the existing one comes back as is.
	sol, err := e.c.CreateWallet(ctx, tok, "1399811149")
	if err != nil {
		t.Fatalf("CreateWallet: %v", err)
	}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/wallets"); b["network"] != "1399811149" {
		t.Errorf("CreateWallet body = %v", b)
	}
	if sol.Network != "1399811149" || sol.IsDefault || sol.WalletAddress == "" || copperx.NetworkName(sol.Network) != "Solana" {
		t.Errorf("CreateWallet = %+v", sol)
	}
	again, err := e.c.CreateWallet(ctx, tok, "137")
	if err != nil || again.ID != byNet["137"].ID {
		t.Errorf("CreateWallet(existing) = %+v, %v; want %s", again, err, byNet["137"].ID)
	}
	_, err = e.c.CreateWallet(ctx, tok, "999")
	wantAPIError(t, err, copperx.ErrValidation, http.StatusUnprocessableEntity, "Network 999 is not supported")
	if ws, _ := e.c.Wallets(ctx, tok); len(ws) != 5 {
		t.Errorf("%d wallets after CreateWallet, want 5", len(ws))
	}

	// SetDefaultWallet moves the default; DefaultBalance follows it.
	base := byNet["8453"]
	set, err := e.c.SetDefaultWallet(ctx, tok, base.ID)
	if err != nil || set.ID != base.ID || !set.IsDefault {
		t.Fatalf("SetDefaultWallet = %+v, %v", set, err)
	}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/wallets/default"); b["walletId"] != base.ID {
		t.Errorf("SetDefaultWallet body = %v", b)
	}
	if def, err := e.c.DefaultWallet(ctx, tok); err != nil || def.ID != base.ID {
		t.Errorf("DefaultWallet after set = %+v, %v", def, err)
	}
	bal, err := e.c.DefaultBalance(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "DefaultBalance on Base", bal.Amount, dec("300"))
	_, err = e.c.SetDefaultWallet(ctx, tok, "6b0e0b8e-1111-4111-8111-111111111111")
	wantAPIError(t, err, copperx.ErrNotFound, http.StatusNotFound, "Wallet not found")
	// Another user's wallet is not ours.
	other := e.token("bob@example.com")
	_, err = e.c.SetDefaultWallet(ctx, other, base.ID)
	wantAPIError(t, err, copperx.ErrNotFound, http.StatusNotFound, "Wallet not found")

	nets, err = e.c.Networks(ctx, tok)
	if want := []string{"137", "8453", "42161", "23434", "1399811149"}; err != nil || !slices.Equal(nets, want) {
		t.Errorf("Networks = %v, %v; want %v", nets, err, want)
	}

	t.Run("isDefault null reads as false", func(t *testing.T) {
		e := newEnv(t, copperxtest.WithNullIsDefault(true))
		tok := e.token("ada@example.com")
		ws, err := e.c.Wallets(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, w := range ws {
			if w.IsDefault {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d default wallets, want 1", n)
		}
		bs, err := e.c.Balances(ctx, tok)
		if err != nil || len(bs) != 4 || !bs[0].IsDefault || bs[1].IsDefault {
			t.Errorf("Balances with null isDefault = %+v, %v", bs, err)
		}
	})
}

func TestEmulatorBalancesExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	const email = "ada@example.com"
	tok := e.token(email)
	tests := []struct{ set, wantRaw string }{
		{"1234567.890123", "1234567.890123"},
		{"0.00000001", "0.00000001"},
		{"100.5", "100.50"},
		{"0", "0.00"},
		{"49999.99999999", "49999.99999999"},
		{"123456789012345678.123456789", "123456789012345678.123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			e.emu.SetBalance(email, "137", "USDC", tt.set)
			b, err := e.c.DefaultBalance(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Valid || b.Raw != tt.wantRaw || b.Symbol != "USDC" || b.Decimals != 6 || b.Address == "" {
				t.Errorf("DefaultBalance = %+v", b)
			}
			wantDec(t, "Amount", b.Amount, dec(tt.set))
			wantDec(t, "emulator balance", e.emu.Balance(email, "137", "USDC"), b.Amount)
		})
	}

	e.emu.SetBalance(email, "8453", "USDT", "0.000001")
	all, err := e.c.Balances(ctx, tok)
	if err != nil {
		t.Fatalf("Balances: %v", err)
	}
	got := map[string]string{}
	for _, wb := range all {
		if wb.WalletID == "" {
			t.Errorf("wallet balances without walletId: %+v", wb)
		}
		for _, b := range wb.Balances {
			if !b.Valid {
				t.Errorf("invalid balance %+v", b)
			}
			got[wb.Network+"/"+b.Symbol] = b.Amount.String()
		}
	}
	want := map[string]string{
		"137/USDC": "123456789012345678.123456789", "8453/USDC": "300", "8453/USDT": "0.000001",
		"42161/USDC": "75.25", "23434/USDC": "20", "23434/STRK": "5",
	}
	for k, v := range want {
		if !dec(got[k]).Equal(dec(v)) {
			t.Errorf("Balances[%s] = %q, want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Balances = %v, want %v", got, want)
	}
	for _, wb := range all {
		if wb.Network == "23434" {
			for _, b := range wb.Balances {
				if b.Symbol == "STRK" && b.Decimals != 18 {
					t.Errorf("STRK decimals = %d", b.Decimals)
				}
			}
		}
	}
}

// ---------------------------------------------------------------- transfers: listing

func TestEmulatorTransfersPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	const email = "pager@example.com"
	e.emu.SeedUser(email, copperxtest.SeedBare())
	e.emu.AddTransfers(email, 35)
	tok := e.token(email)

	// Page through everything, newest first: amounts 35 … 1.
	var amounts []int64
	seen := map[string]bool{}
	for page := 1; ; page++ {
		p, err := e.c.Transfers(ctx, tok, copperx.TransferQuery{Page: page, Limit: 10})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if p.Page != page || p.Limit != 10 || p.Count != 35 {
			t.Errorf("page %d wrapper = page %d limit %d count %d", page, p.Page, p.Limit, p.Count)
		}
		wantLen := min(10, 35-(page-1)*10)
		if len(p.Data) != wantLen || p.HasMore != (page < 4) {
			t.Errorf("page %d: %d items, hasMore %v", page, len(p.Data), p.HasMore)
		}
		for _, tr := range p.Data {
			if seen[tr.ID] {
				t.Errorf("transfer %s on two pages", tr.ID)
			}
			seen[tr.ID] = true
			if !tr.Amount.IsInteger() || tr.Status != "success" || len(tr.Transactions) != 1 {
				t.Errorf("transfer %+v", tr)
			}
			amounts = append(amounts, tr.Amount.IntPart())
		}
		if !p.HasMore {
			break
		}
		if page > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(amounts) != 35 {
		t.Fatalf("%d transfers, want 35", len(amounts))
	}
	for i, a := range amounts {
		if a != int64(35-i) {
			t.Fatalf("amounts = %v, want 35…1 (newest first)", amounts)
		}
	}
	q := e.emu.CallsTo(http.MethodGet, "/api/transfers")[1].Query
	if q.Get("page") != "2" || q.Get("limit") != "10" || len(q) != 2 {
		t.Errorf("query = %v", q)
	}
	// A page past the end is empty, not an error.
	if p, err := e.c.Transfers(ctx, tok, copperx.TransferQuery{Page: 9, Limit: 10}); err != nil || len(p.Data) != 0 || p.HasMore {
		t.Errorf("page 9 = %+v, %v", p, err)
	}

	// Filters. AddTransfers cycles send, deposit, withdraw; transfer i
	// (amount i+1) was made at 09:25 + i minutes.
	at := func(i int) *time.Time {
		v := emuStart.Add(-35*time.Minute + time.Duration(i)*time.Minute)
		return &v
	}
	inParis := func(t *time.Time) *time.Time {
		v := t.In(time.FixedZone("CEST", 2*3600))
		return &v
	}
	tests := []struct {
		name      string
		q         copperx.TransferQuery
		wantCount int
		wantQuery string
	}{
		{"send", copperx.TransferQuery{Types: []string{"send"}}, 12, "type=send"},
		{"deposit", copperx.TransferQuery{Types: []string{"deposit"}}, 12, "type=deposit"},
		{"deposit+withdraw", copperx.TransferQuery{Types: []string{"deposit", "withdraw"}}, 23, "type=deposit&type=withdraw"},
		{"status success", copperx.TransferQuery{Statuses: []string{"success"}}, 35, "status=success"},
		{"status processing", copperx.TransferQuery{Statuses: []string{"processing"}}, 0, "status=processing"},
		{"bank_deposit", copperx.TransferQuery{Types: []string{"bank_deposit"}}, 0, "type=bank_deposit"},
		// Both bounds inclusive: transfers 25..29.
		{"date range", copperx.TransferQuery{StartDate: at(25), EndDate: at(29)}, 5,
			"endDate=2025-04-20T09%3A54%3A00Z&startDate=2025-04-20T09%3A50%3A00Z"},
		{"date range in another zone", copperx.TransferQuery{StartDate: inParis(at(25)), EndDate: inParis(at(29))}, 5,
			"endDate=2025-04-20T09%3A54%3A00Z&startDate=2025-04-20T09%3A50%3A00Z"},
		{"since", copperx.TransferQuery{StartDate: at(30)}, 5, "startDate=2025-04-20T09%3A55%3A00Z"},
		{"until", copperx.TransferQuery{EndDate: at(4)}, 5, "endDate=2025-04-20T09%3A29%3A00Z"},
		{"deposits in range", copperx.TransferQuery{Types: []string{"deposit"}, StartDate: at(25), EndDate: at(29)}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit = 100
			p, err := e.c.Transfers(ctx, tok, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if p.Count != tt.wantCount || len(p.Data) != tt.wantCount {
				t.Errorf("count %d, %d items; want %d", p.Count, len(p.Data), tt.wantCount)
			}
			for _, tr := range p.Data {
				if len(tt.q.Types) > 0 && !slices.Contains(tt.q.Types, tr.Type) {
					t.Errorf("type %q not asked for", tr.Type)
				}
				if tt.q.StartDate != nil && tr.CreatedAt.Before(*tt.q.StartDate) || tt.q.EndDate != nil && tr.CreatedAt.After(*tt.q.EndDate) {
					t.Errorf("transfer of %v out of range", tr.CreatedAt)
				}
			}
			if tt.wantQuery != "" {
				calls := e.emu.CallsTo(http.MethodGet, "/api/transfers")
				v := calls[len(calls)-1].Query
				v.Del("page")
				v.Del("limit")
				if v.Encode() != tt.wantQuery {
					t.Errorf("query = %s, want %s", v.Encode(), tt.wantQuery)
				}
			}
		})
	}
}

// ---------------------------------------------------------------- sends

func TestEmulatorSend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithFee(fee))
	ctx := t.Context()
	const ada, bob = "ada@example.com", "bob@example.com"
	tok := e.token(ada)
	e.emu.SeedUser(bob)
	external := "0x" + strings.Repeat("ab", 20)

	payee, err := e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: "Bobby", Email: bob})
	if err != nil {
		t.Fatalf("CreatePayee: %v", err)
	}

	tests := []struct {
		name       string
		req        copperx.SendRequest
		wantBody   map[string]any // recorded request body
		wantStatus string         // transfer status on success
		wantDest   func(t *testing.T, d *copperx.TransferAccount)
		credit     string // email credited with the amount
		errKind    error
		errStatus  int
		errMsg     string
	}{
		{
			name: "1 USDC to an email", req: copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "gift", Currency: "USDC"},
			wantBody:   map[string]any{"email": bob, "amount": "100000000", "purposeCode": "gift", "currency": "USDC"},
			wantStatus: "success", credit: bob,
			wantDest: func(t *testing.T, d *copperx.TransferAccount) {
				if d.PayeeEmail != bob || d.PayeeOrganizationID != e.emu.OrgID(bob) || d.PayeeDisplayName != "Bob Tester" {
					t.Errorf("destination %+v", d)
				}
			},
		},
		{
			name: "exact decimals to a wallet address", req: copperx.SendRequest{WalletAddress: external, Amount: dec("12.34567891"), PurposeCode: "self"},
			wantBody:   map[string]any{"walletAddress": external, "amount": "1234567891", "purposeCode": "self"},
			wantStatus: "processing",
			wantDest: func(t *testing.T, d *copperx.TransferAccount) {
				if d.WalletAddress != external || d.Network != "137" {
					t.Errorf("destination %+v", d)
				}
			},
		},
		{
			name: "to a payee", req: copperx.SendRequest{PayeeID: payee.ID, Amount: dec("2.5"), PurposeCode: "salary", Currency: "USDC"},
			wantBody:   map[string]any{"payeeId": payee.ID, "amount": "250000000", "purposeCode": "salary", "currency": "USDC"},
			wantStatus: "success", credit: bob,
			wantDest: func(t *testing.T, d *copperx.TransferAccount) {
				if d.PayeeID != payee.ID || d.PayeeDisplayName != "Bobby" || d.PayeeEmail != bob {
					t.Errorf("destination %+v", d)
				}
			},
		},
		{
			name: "maximum", req: copperx.SendRequest{Email: "carol@example.com", Amount: dec("50000"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "Insufficient balance",
			wantBody: map[string]any{"email": "carol@example.com", "amount": "5000000000000", "purposeCode": "self"},
		},
		{
			name: "below the minimum", req: copperx.SendRequest{Email: bob, Amount: dec("0.99999999"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "amount must be greater than or equal to 100000000",
			wantBody: map[string]any{"email": bob, "amount": "99999999", "purposeCode": "self"},
		},
		{
			name: "above the maximum", req: copperx.SendRequest{Email: bob, Amount: dec("50000.00000001"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "amount must not be greater than 5000000000000",
		},
		{
			name: "insufficient balance", req: copperx.SendRequest{Email: bob, Amount: dec("1250"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "Insufficient balance",
		},
		{
			name: "bad email", req: copperx.SendRequest{Email: "bob-at-example", Amount: dec("1"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "email must be an email",
		},
		{
			name: "bad wallet address", req: copperx.SendRequest{WalletAddress: "0x1234", Amount: dec("1"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "walletAddress must be a valid Polygon address",
		},
		{
			name: "to myself", req: copperx.SendRequest{Email: "ADA@example.com", Amount: dec("1"), PurposeCode: "self"},
			errKind: copperx.ErrValidation, errStatus: 422, errMsg: "You cannot send funds to yourself",
		},
		{
			name: "unknown payee", req: copperx.SendRequest{PayeeID: "0b8a3b5c-2222-4222-8222-222222222222", Amount: dec("1"), PurposeCode: "self"},
			errKind: copperx.ErrNotFound, errStatus: 404, errMsg: "Payee not found",
		},
		{
			name: "unknown purpose", req: copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "bribe"},
			errKind: copperx.ErrValidation, errStatus: 422,
		},
		{
			name: "fiat currency", req: copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "self", Currency: "USD"},
			errKind: copperx.ErrValidation, errStatus: 422,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.emu.Balance(ada, "137", "USDC")
			var credBefore decimal.Decimal
			if tt.credit != "" {
				credBefore = e.emu.Balance(tt.credit, "137", "USDC")
			}
			nTransfers := len(e.emu.Transfers(ada))
			e.emu.ResetCalls()

			tr, err := e.c.Send(ctx, tok, tt.req)

			if n := len(e.emu.CallsTo(http.MethodPost, "/api/transfers/send")); n != 1 {
				t.Errorf("send called %d times, want 1", n)
			}
			if tt.wantBody != nil {
				if b := lastBody(t, e.emu, http.MethodPost, "/api/transfers/send"); fmt.Sprint(b) != fmt.Sprint(tt.wantBody) {
					t.Errorf("request body = %v, want %v", b, tt.wantBody)
				}
			}
			if tt.errKind != nil {
				wantAPIError(t, err, tt.errKind, tt.errStatus, tt.errMsg)
				wantDec(t, "balance after a refused send", e.emu.Balance(ada, "137", "USDC"), before)
				if n := len(e.emu.Transfers(ada)); n != nTransfers {
					t.Errorf("a refused send recorded a transfer")
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			wantFee := feeOf(tt.req.Amount, fee)
			wantDec(t, "Amount", tr.Amount.Decimal, tt.req.Amount)
			wantDec(t, "AmountSubtotal", tr.AmountSubtotal.Decimal, tt.req.Amount)
			wantDec(t, "TotalFee", tr.TotalFee.Decimal, wantFee)
			wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), before.Sub(tt.req.Amount).Sub(wantFee))
			if tt.credit != "" {
				wantDec(t, "recipient balance", e.emu.Balance(tt.credit, "137", "USDC"), credBefore.Add(tt.req.Amount))
			}
			if tr.ID == "" || tr.Type != "send" || tr.Status != tt.wantStatus || tr.Currency != "USDC" || tr.FeePercentage != "0.5" ||
				tr.OrganizationID != e.emu.OrgID(ada) || tr.PurposeCode != tt.req.PurposeCode || tr.SourceAccount == nil || tr.DestinationAccount == nil {
				t.Errorf("transfer %+v", tr)
			}
			tt.wantDest(t, tr.DestinationAccount)
			// The emulator holds it, with the same amounts.
			emuT := e.emu.Transfers(ada)[0]
			if emuT.ID != tr.ID || emuT.Amount != tt.wantBody["amount"] {
				t.Errorf("emulator's newest transfer %s amount %s, want %s %s", emuT.ID, emuT.Amount, tr.ID, tt.wantBody["amount"])
			}
		})
	}

	t.Run("refused by the client", func(t *testing.T) {
		e.emu.ResetCalls()
		cases := []struct {
			req  copperx.SendRequest
			want error
		}{
			{copperx.SendRequest{Amount: dec("1"), PurposeCode: "self"}, copperx.ErrRecipient},
			{copperx.SendRequest{Email: bob, WalletAddress: external, Amount: dec("1"), PurposeCode: "self"}, copperx.ErrRecipient},
			{copperx.SendRequest{Email: bob, Amount: dec("1.000000001"), PurposeCode: "self"}, copperx.ErrPrecision},
			{copperx.SendRequest{Email: bob, Amount: dec("-1"), PurposeCode: "self"}, copperx.ErrNegativeAmount},
		}
		for _, c := range cases {
			if _, err := e.c.Send(ctx, tok, c.req); !errors.Is(err, c.want) {
				t.Errorf("Send(%+v) = %v, want %v", c.req, err, c.want)
			}
		}
		if n := len(e.emu.Calls()); n != 0 {
			t.Errorf("%d requests for sends the client should refuse", n)
		}
	})

	t.Run("KYC not approved", func(t *testing.T) {
		e.emu.SeedUser("pending@example.com", copperxtest.SeedKYC("pending"))
		tokP := e.token("pending@example.com")
		_, err := e.c.Send(ctx, tokP, copperx.SendRequest{Email: bob, Amount: dec("1"), PurposeCode: "self"})
		wantAPIError(t, err, copperx.ErrValidation, 422, "Please complete your KYC to make transfers")
		_, err = e.c.WalletWithdraw(ctx, tokP, copperx.WithdrawRequest{WalletAddress: external, Amount: dec("1"), PurposeCode: "self"})
		wantAPIError(t, err, copperx.ErrValidation, 422, "Please complete your KYC to make transfers")
	})

	t.Run("Transfer by id", func(t *testing.T) {
		tr, err := e.c.Send(ctx, tok, copperx.SendRequest{WalletAddress: external, Amount: dec("3"), PurposeCode: "self"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.c.Transfer(ctx, tok, tr.ID)
		if err != nil {
			t.Fatalf("Transfer: %v", err)
		}
		if got.ID != tr.ID || got.Status != "processing" || len(got.Transactions) != 1 {
			t.Fatalf("Transfer = %+v", got)
		}
		tx := got.Transactions[0]
		if tx.TransferID != tr.ID || tx.TransactionHash == "" || tx.Status != "processing" {
			t.Errorf("transaction %+v", tx)
		}
		wantDec(t, "tx FromAmount", tx.FromAmount.Decimal, dec("3"))
		wantDec(t, "tx TotalFee", tx.TotalFee.Decimal, dec("0.015"))
		// On-chain sends settle after the settle delay of clock time.
		e.clock.Advance(copperxtest.DefaultSettleDelay)
		if got, err := e.c.Transfer(ctx, tok, tr.ID); err != nil || got.Status != "success" || got.Transactions[0].Status != "success" {
			t.Errorf("after settling: %+v, %v", got, err)
		}
		// The recipient sees a receive.
		recv, err := e.c.Transfers(ctx, e.token(bob), copperx.TransferQuery{Types: []string{"receive"}, Limit: 50})
		if err != nil || recv.Count != 2 {
			t.Errorf("bob's receives = %+v, %v; want 2", recv, err)
		}

		_, err = e.c.Transfer(ctx, tok, "0c9e2c7a-3333-4333-8333-333333333333")
		wantAPIError(t, err, copperx.ErrNotFound, 404, "Transfer not found")
		_, err = e.c.Transfer(ctx, e.token(bob), tr.ID) // another organization's
		wantAPIError(t, err, copperx.ErrNotFound, 404, "Transfer not found")
		e.emu.ResetCalls()
		if _, err := e.c.Transfer(ctx, tok, ""); err == nil || len(e.emu.Calls()) != 0 {
			t.Errorf("Transfer(\"\") = %v with %d calls", err, len(e.emu.Calls()))
		}
	})
}

func TestEmulatorWalletWithdraw(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithFee(fee))
	ctx := t.Context()
	const ada = "ada@example.com"
	tok := e.token(ada)
	evm := "0x" + strings.Repeat("cd", 20)

	before := e.emu.Balance(ada, "137", "USDC")
	tr, err := e.c.WalletWithdraw(ctx, tok, copperx.WithdrawRequest{WalletAddress: evm, Amount: dec("250.12345678"), PurposeCode: "self", Currency: "USDC"})
	if err != nil {
		t.Fatalf("WalletWithdraw: %v", err)
	}
	want := map[string]any{"walletAddress": evm, "amount": "25012345678", "purposeCode": "self", "currency": "USDC"}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/transfers/wallet-withdraw"); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", b, want)
	}
	wantFee := feeOf(dec("250.12345678"), fee) // floor(25012345678 × 0.005) = 125061728 units
	wantDec(t, "fee", wantFee, dec("1.25061728"))
	wantDec(t, "TotalFee", tr.TotalFee.Decimal, wantFee)
	wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), before.Sub(dec("250.12345678")).Sub(wantFee))
	if tr.Type != "withdraw" || tr.Status != "processing" || tr.DestinationAccount == nil || tr.DestinationAccount.WalletAddress != evm {
		t.Errorf("transfer %+v", tr)
	}
	// The client reads the whole balance exactly.
	bal, err := e.c.DefaultBalance(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "DefaultBalance", bal.Amount, e.emu.Balance(ada, "137", "USDC"))
	wantDec(t, "DefaultBalance", bal.Amount, dec("999.12592594"))

	tests := []struct {
		name string
		req  copperx.WithdrawRequest
		msg  string
	}{
		{"not an address", copperx.WithdrawRequest{WalletAddress: "0xnope", Amount: dec("1"), PurposeCode: "self"}, "walletAddress must be a valid Polygon address"},
		{"below minimum", copperx.WithdrawRequest{WalletAddress: evm, Amount: dec("0.5"), PurposeCode: "self"}, "amount must be greater than or equal to 100000000"},
		{"insufficient", copperx.WithdrawRequest{WalletAddress: evm, Amount: dec("999.12592594"), PurposeCode: "self"}, "Insufficient balance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.emu.Balance(ada, "137", "USDC")
			_, err := e.c.WalletWithdraw(ctx, tok, tt.req)
			wantAPIError(t, err, copperx.ErrValidation, 422, tt.msg)
			wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), before)
		})
	}

	t.Run("Starknet default wallet", func(t *testing.T) {
		ws, err := e.c.Wallets(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if w.Network == "23434" {
				if _, err := e.c.SetDefaultWallet(ctx, tok, w.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		stark := "0x0" + strings.Repeat("5", 63)
		if _, err := e.c.WalletWithdraw(ctx, tok, copperx.WithdrawRequest{WalletAddress: stark, Amount: dec("10"), PurposeCode: "self"}); err != nil {
			t.Errorf("withdraw to Starknet: %v", err)
		}
		wantDec(t, "Starknet balance", e.emu.Balance(ada, "23434", "USDC"), dec("9.95"))
	})

	t.Run("refused by the client", func(t *testing.T) {
		e.emu.ResetCalls()
		for _, r := range []copperx.WithdrawRequest{
			{Amount: dec("1"), PurposeCode: "self"},
			{WalletAddress: evm, Amount: dec("0.123456789"), PurposeCode: "self"},
			{WalletAddress: evm, Amount: dec("-2"), PurposeCode: "self"},
		} {
			if _, err := e.c.WalletWithdraw(ctx, tok, r); err == nil {
				t.Errorf("WalletWithdraw(%+v) succeeded", r)
			}
		}
		if n := len(e.emu.Calls()); n != 0 {
			t.Errorf("%d requests made", n)
		}
	})
}

func TestEmulatorSendBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithFee(fee))
	ctx := t.Context()
	const ada, bob = "ada@example.com", "bob@example.com"
	tok := e.token(ada)
	e.emu.SeedUser(bob)
	e.emu.SetBalance(ada, "137", "USDC", "100")
	ext := "0x" + strings.Repeat("ef", 20)

	items := []copperx.BatchSendItem{
		{RequestID: "ok-email", Request: copperx.SendRequest{Email: bob, Amount: dec("10"), PurposeCode: "gift", Currency: "USDC"}},
		{RequestID: "too-small", Request: copperx.SendRequest{Email: bob, Amount: dec("0.5"), PurposeCode: "gift"}},
		{RequestID: "ok-wallet", Request: copperx.SendRequest{WalletAddress: ext, Amount: dec("20.00000001"), PurposeCode: "self"}},
		{RequestID: "too-much", Request: copperx.SendRequest{Email: bob, Amount: dec("70"), PurposeCode: "gift"}},
		{RequestID: "bad-email", Request: copperx.SendRequest{Email: "nobody", Amount: dec("1"), PurposeCode: "gift"}},
		{RequestID: "self", Request: copperx.SendRequest{Email: ada, Amount: dec("1"), PurposeCode: "gift"}},
	}
	res, err := e.c.SendBatch(ctx, tok, items)
	if err != nil {
		t.Fatalf("SendBatch: %v", err)
	}
	if n := len(e.emu.CallsTo(http.MethodPost, "/api/transfers/send-batch")); n != 1 {
		t.Errorf("send-batch called %d times", n)
	}
	body := lastBody(t, e.emu, http.MethodPost, "/api/transfers/send-batch")
	reqs, _ := body["requests"].([]any)
	if len(reqs) != len(items) {
		t.Fatalf("body = %v", body)
	}
	first, _ := reqs[0].(map[string]any)
	if want := "map[request:map[amount:1000000000 currency:USDC email:bob@example.com purposeCode:gift] requestId:ok-email]"; fmt.Sprint(first) != want {
		t.Errorf("requests[0] = %v, want %s", first, want)
	}

	if len(res) != len(items) {
		t.Fatalf("%d results, want %d", len(res), len(items))
	}
	want := map[string]struct {
		amount string // "" = failed
		kind   error
		status int
		msg    string
	}{
		"ok-email":  {amount: "10"},
		"too-small": {kind: copperx.ErrValidation, status: 422, msg: "amount must be greater than or equal to 100000000"},
		"ok-wallet": {amount: "20.00000001"},
		"too-much":  {kind: copperx.ErrValidation, status: 422, msg: "Insufficient balance"},
		"bad-email": {kind: copperx.ErrValidation, status: 422, msg: "email must be an email"},
		"self":      {kind: copperx.ErrValidation, status: 422, msg: "You cannot send funds to yourself"},
	}
	spent := decimal.Zero
	for i, r := range res {
		if r.RequestID != items[i].RequestID {
			t.Errorf("result %d is %q, want %q", i, r.RequestID, items[i].RequestID)
		}
		w := want[r.RequestID]
		var echo map[string]any
		if err := json.Unmarshal(r.Request, &echo); err != nil || echo["purposeCode"] == nil {
			t.Errorf("%s: request echo %s (%v)", r.RequestID, r.Request, err)
		}
		if w.amount == "" {
			if r.Response != nil {
				t.Errorf("%s: response %+v on a failed item", r.RequestID, r.Response)
			}
			err := r.Err()
			wantAPIError(t, err, w.kind, w.status, w.msg)
			continue
		}
		if r.Err() != nil || r.Response == nil {
			t.Errorf("%s: err %v, response %v", r.RequestID, r.Err(), r.Response)
			continue
		}
		wantDec(t, r.RequestID+" amount", r.Response.Amount.Decimal, dec(w.amount))
		wantDec(t, r.RequestID+" fee", r.Response.TotalFee.Decimal, feeOf(dec(w.amount), fee))
		spent = spent.Add(dec(w.amount)).Add(feeOf(dec(w.amount), fee))
	}
	// 100 − (10 + 0.05) − (20.00000001 + 0.10000000) = 69.84999999
	wantDec(t, "spent", spent, dec("30.15000001"))
	wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("69.84999999"))
	wantDec(t, "bob's balance", e.emu.Balance(bob, "137", "USDC"), dec("1260.50"))

	t.Run("refused by the client", func(t *testing.T) {
		e.emu.ResetCalls()
		bad := append(slices.Clone(items[:1]), copperx.BatchSendItem{RequestID: "none", Request: copperx.SendRequest{Amount: dec("1")}})
		if _, err := e.c.SendBatch(ctx, tok, bad); !errors.Is(err, copperx.ErrRecipient) || !strings.Contains(err.Error(), "none") {
			t.Errorf("SendBatch = %v, want ErrRecipient naming the item", err)
		}
		if len(e.emu.Calls()) != 0 {
			t.Error("a refused batch was sent")
		}
	})

	t.Run("empty batch", func(t *testing.T) {
		_, err := e.c.SendBatch(ctx, tok, nil)
		if !errors.Is(err, copperx.ErrValidation) {
			t.Errorf("SendBatch(nil) = %v, want ErrValidation", err)
		}
	})
}

// ---------------------------------------------------------------- offramp

func TestEmulatorOfframp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithFee(fee))
	ctx := t.Context()
	const ada = "ada@example.com"
	tok := e.token(ada)

	accts, err := e.c.Accounts(ctx, tok)
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	var types []string
	for _, a := range accts {
		types = append(types, a.Type)
	}
	if want := []string{"web3_wallet", "web3_wallet", "web3_wallet", "web3_wallet", "bank_account"}; !slices.Equal(types, want) {
		t.Errorf("account types = %v, want %v", types, want)
	}
	banks, err := e.c.BankAccounts(ctx, tok)
	if err != nil || len(banks) != 1 {
		t.Fatalf("BankAccounts = %+v, %v", banks, err)
	}
	bank := banks[0]
	if !bank.IsBank() || bank.Country != "usa" || bank.Method != "bank_ach" || bank.BankAccount == nil ||
		bank.BankAccount.BankName != "Chase Bank" || bank.BankAccount.BankAccountNumber != "000123456789" ||
		bank.BankAccount.BankRoutingNumber != "021000021" || bank.BankAccount.BankAccountType != "checking" ||
		bank.BankAccount.BankBeneficiaryName != "Ada Tester" {
		t.Errorf("bank account %+v %+v", bank, bank.BankAccount)
	}

	quote := func(t *testing.T, tok copperx.Token, amount, country string) *copperx.Quote {
		t.Helper()
		q, err := e.c.OfframpQuote(ctx, tok, copperx.QuoteRequest{
			SourceCountry: "none", DestinationCountry: country, Amount: dec(amount), Currency: "USDC",
			PreferredBankAccountID: bank.ID, OnlyRemittance: true,
		})
		if err != nil {
			t.Fatalf("OfframpQuote: %v", err)
		}
		return q
	}

	q := quote(t, tok, "100", "usa")
	wantBody := map[string]any{"sourceCountry": "none", "destinationCountry": "usa", "amount": "10000000000", "currency": "USDC",
		"preferredBankAccountId": bank.ID, "onlyRemittance": true}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/quotes/offramp"); fmt.Sprint(b) != fmt.Sprint(wantBody) {
		t.Errorf("quote body = %v, want %v", b, wantBody)
	}
	if q.Error != "" || q.QuotePayload == "" || q.QuoteSignature == "" || q.Payload == nil || q.ArrivalTimeMessage != "1-3 business days" || len(q.Provider) == 0 {
		t.Fatalf("quote = %+v", q)
	}
	wantDec(t, "MinAmount", q.MinAmount.Decimal, dec("1"))
	wantDec(t, "MaxAmount", q.MaxAmount.Decimal, dec("50000"))
	wantDec(t, "payload amount", q.Payload.Amount, dec("100"))
	wantDec(t, "payload toAmount", q.Payload.ToAmount, dec("100"))
	wantDec(t, "payload fee", q.Payload.TotalFee, dec("0.5"))
	wantDec(t, "payload rate", q.Payload.Rate, dec("1"))
	if q.Payload.ToCurrency != "USD" || q.Payload.Currency != "USDC" || q.Payload.DestinationCountry != "usa" {
		t.Errorf("payload %+v", q.Payload)
	}
	if want := e.clock.Now().Add(copperxtest.DefaultQuoteTTL); !q.Payload.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", q.Payload.ExpiresAt, want)
	}

	t.Run("tampered payload or signature", func(t *testing.T) {
		// Re-encoding the payload (same content, other bytes) breaks the signature.
		var m map[string]any
		if err := json.Unmarshal([]byte(q.QuotePayload), &m); err != nil {
			t.Fatal(err)
		}
		reencoded, _ := json.Marshal(m)
		sig := []byte(q.QuoteSignature)
		if sig[0] == 'a' {
			sig[0] = 'b'
		} else {
			sig[0] = 'a'
		}
		for name, r := range map[string]copperx.OfframpRequest{
			"amount changed": {QuotePayload: strings.Replace(q.QuotePayload, `"amount":"10000000000"`, `"amount":"100000000"`, 1), QuoteSignature: q.QuoteSignature},
			"re-encoded":     {QuotePayload: string(reencoded), QuoteSignature: q.QuoteSignature},
			"signature":      {QuotePayload: q.QuotePayload, QuoteSignature: string(sig)},
		} {
			if r.QuotePayload == q.QuotePayload && r.QuoteSignature == q.QuoteSignature {
				t.Fatalf("%s: nothing tampered", name)
			}
			r.PurposeCode, r.SourceOfFunds, r.RecipientRelationship = "self", "salary", "self"
			_, err := e.c.Offramp(ctx, tok, r)
			wantAPIError(t, err, copperx.ErrValidation, 422, "Invalid quote signature")
		}
		wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1250.50"))
	})

	t.Run("another user's quote", func(t *testing.T) {
		_, err := e.c.Offramp(ctx, e.token("bob@example.com"), copperx.OfframpRequest{
			QuotePayload: q.QuotePayload, QuoteSignature: q.QuoteSignature, PurposeCode: "self", SourceOfFunds: "salary", RecipientRelationship: "self",
		})
		wantAPIError(t, err, copperx.ErrValidation, 422, "Invalid quote")
	})

	// The real submission: payload and signature reach the API unmodified.
	tr, err := e.c.Offramp(ctx, tok, copperx.OfframpRequest{
		QuotePayload: q.QuotePayload, QuoteSignature: q.QuoteSignature,
		PurposeCode: "self", SourceOfFunds: "salary", RecipientRelationship: "self", Note: "rent <&>",
	})
	if err != nil {
		t.Fatalf("Offramp: %v", err)
	}
	b := lastBody(t, e.emu, http.MethodPost, "/api/transfers/offramp")
	if b["quotePayload"] != q.QuotePayload || b["quoteSignature"] != q.QuoteSignature || b["note"] != "rent <&>" ||
		b["purposeCode"] != "self" || b["sourceOfFunds"] != "salary" || b["recipientRelationship"] != "self" {
		t.Errorf("offramp body = %v", b)
	}
	if _, ok := b["preferredWalletId"]; ok {
		t.Errorf("empty preferredWalletId sent: %v", b)
	}
	if tr.Type != "withdraw" || tr.Mode != "off_ramp" || tr.Status != "processing" || tr.DestinationCurrency != "USD" ||
		tr.DestinationAccount == nil || tr.DestinationAccount.BankName != "Chase Bank" || tr.Note != "rent <&>" {
		t.Errorf("offramp transfer %+v", tr)
	}
	wantDec(t, "Amount", tr.Amount.Decimal, dec("100"))
	wantDec(t, "TotalFee", tr.TotalFee.Decimal, dec("0.5"))
	wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1150.00"))

	// A quote is single use.
	_, err = e.c.Offramp(ctx, tok, copperx.OfframpRequest{QuotePayload: q.QuotePayload, QuoteSignature: q.QuoteSignature, PurposeCode: "self"})
	wantAPIError(t, err, copperx.ErrValidation, 422, "Quote already used. Please request a new quote")
	wantDec(t, "balance after replay", e.emu.Balance(ada, "137", "USDC"), dec("1150.00"))

	t.Run("other currency and preferred wallet", func(t *testing.T) {
		q := quote(t, tok, "10.5", "ind")
		wantDec(t, "rate", q.Payload.Rate, dec("85.25"))
		wantDec(t, "toAmount", q.Payload.ToAmount, dec("895.125"))
		ws, _ := e.c.Wallets(ctx, tok)
		var baseID string
		for _, w := range ws {
			if w.Network == "8453" {
				baseID = w.ID
			}
		}
		tr, err := e.c.Offramp(ctx, tok, copperx.OfframpRequest{QuotePayload: q.QuotePayload, QuoteSignature: q.QuoteSignature,
			PurposeCode: "self", SourceOfFunds: "salary", RecipientRelationship: "self", PreferredWalletID: baseID})
		if err != nil {
			t.Fatal(err)
		}
		if lastBody(t, e.emu, http.MethodPost, "/api/transfers/offramp")["preferredWalletId"] != baseID || tr.DestinationCurrency != "INR" {
			t.Errorf("offramp %+v", tr)
		}
		wantDec(t, "Base balance", e.emu.Balance(ada, "8453", "USDC"), dec("300").Sub(dec("10.5")).Sub(dec("0.0525")))
	})

	t.Run("expired quote", func(t *testing.T) {
		q := quote(t, tok, "5", "usa")
		e.clock.Advance(copperxtest.DefaultQuoteTTL)
		_, err := e.c.Offramp(ctx, tok, copperx.OfframpRequest{QuotePayload: q.QuotePayload, QuoteSignature: q.QuoteSignature, PurposeCode: "self"})
		wantAPIError(t, err, copperx.ErrValidation, 422, "Quote expired. Please request a new quote")
	})

	t.Run("quote errors", func(t *testing.T) {
		e.emu.SeedUser("pending@example.com", copperxtest.SeedKYC("pending"))
		e.emu.SeedUser("bare@example.com", copperxtest.SeedBare())
		tests := []struct {
			name, email, amount, setErr, want string
		}{
			{"set error", ada, "100", "Offramp is temporarily unavailable", "Offramp is temporarily unavailable"},
			{"KYC pending", "pending@example.com", "100", "", "Please complete your KYC to withdraw to a bank account"},
			{"no bank account", "bare@example.com", "100", "", "No bank account found. Add a bank account on payout.copperx.io"},
			{"below range", ada, "0.5", "", "Amount must be between 1 and 50000 USDC"},
			{"above range", ada, "50001", "", "Amount must be between 1 and 50000 USDC"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e.emu.SetQuoteError(tt.setErr)
				defer e.emu.SetQuoteError("")
				q, err := e.c.OfframpQuote(ctx, e.token(tt.email), copperx.QuoteRequest{
					SourceCountry: "none", DestinationCountry: "usa", Amount: dec(tt.amount), Currency: "USDC",
				})
				if err != nil {
					t.Fatalf("a quote with an error must be a 200: %v", err)
				}
				if q.Error != tt.want || q.QuotePayload != "" || q.QuoteSignature != "" || q.Payload != nil {
					t.Errorf("quote = %+v, want error %q", q, tt.want)
				}
				wantDec(t, "MinAmount", q.MinAmount.Decimal, dec("1"))
			})
		}
	})

	t.Run("refused by the client", func(t *testing.T) {
		e.emu.ResetCalls()
		if _, err := e.c.Offramp(ctx, tok, copperx.OfframpRequest{QuoteSignature: "x"}); err == nil {
			t.Error("Offramp without payload succeeded")
		}
		if _, err := e.c.OfframpQuote(ctx, tok, copperx.QuoteRequest{Amount: dec("1.000000001")}); !errors.Is(err, copperx.ErrPrecision) {
			t.Errorf("OfframpQuote = %v, want ErrPrecision", err)
		}
		if len(e.emu.Calls()) != 0 {
			t.Error("refused requests were sent")
		}
	})
}

// ---------------------------------------------------------------- payees

func TestEmulatorPayees(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	tok := e.token("ada@example.com")

	p, err := e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: "Bob", Email: "Bob@Example.com", FirstName: "Robert", LastName: "Smith", PhoneNumber: "+15550100"})
	if err != nil {
		t.Fatalf("CreatePayee: %v", err)
	}
	want := map[string]any{"nickName": "Bob", "email": "Bob@Example.com", "firstName": "Robert", "lastName": "Smith", "phoneNumber": "+15550100"}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/payees"); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", b, want)
	}
	if p.ID == "" || p.Email != "bob@example.com" || p.DisplayName != "Robert Smith" || p.NickName != "Bob" || p.HasBankAccount || p.CreatedAt.IsZero() {
		t.Errorf("payee %+v", p)
	}
	for i := range 11 {
		if _, err := e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: fmt.Sprintf("friend %02d", i), Email: fmt.Sprintf("friend%02d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: "Bob again", Email: "bob@example.com"})
	wantAPIError(t, err, copperx.ErrValidation, 422, "Payee with this email already exists")
	_, err = e.c.CreatePayee(ctx, tok, copperx.CreatePayeeRequest{NickName: "nobody", Email: "nobody"})
	wantAPIError(t, err, copperx.ErrValidation, 422, "email must be an email")

	tests := []struct {
		page, limit int
		search      string
		wantLen     int
		wantCount   int
		wantMore    bool
	}{
		{1, 10, "", 10, 12, true},
		{2, 10, "", 2, 12, false},
		{1, 5, "friend", 5, 11, true},
		{1, 10, "ROBERT", 1, 1, false},
		{1, 10, "zzz", 0, 0, false},
		{1, 10, "a b", 0, 0, false},
	}
	for _, tt := range tests {
		page, err := e.c.Payees(ctx, tok, tt.page, tt.limit, tt.search)
		if err != nil {
			t.Fatalf("Payees: %v", err)
		}
		if len(page.Data) != tt.wantLen || page.Count != tt.wantCount || page.HasMore != tt.wantMore {
			t.Errorf("Payees(%d, %d, %q) = %d items, count %d, more %v", tt.page, tt.limit, tt.search, len(page.Data), page.Count, page.HasMore)
		}
		calls := e.emu.CallsTo(http.MethodGet, "/api/payees")
		if got := calls[len(calls)-1].Query.Get("searchText"); got != tt.search {
			t.Errorf("searchText = %q, want %q", got, tt.search)
		}
	}

	got, err := e.c.Payee(ctx, tok, p.ID)
	if err != nil || got.ID != p.ID || got.Email != p.Email {
		t.Errorf("Payee = %+v, %v", got, err)
	}
	if err := e.c.DeletePayee(ctx, tok, p.ID); err != nil {
		t.Fatalf("DeletePayee: %v", err)
	}
	if n := len(e.emu.CallsTo(http.MethodDelete, "/api/payees/"+p.ID)); n != 1 {
		t.Errorf("DELETE called %d times", n)
	}
	_, err = e.c.Payee(ctx, tok, p.ID)
	wantAPIError(t, err, copperx.ErrNotFound, 404, "Payee not found")
	err = e.c.DeletePayee(ctx, tok, p.ID)
	wantAPIError(t, err, copperx.ErrNotFound, 404, "Payee not found")
	if page, _ := e.c.Payees(ctx, tok, 1, 100, ""); page.Count != 11 {
		t.Errorf("%d payees after delete, want 11", page.Count)
	}
	// Another user cannot see or delete ours.
	page, _ := e.c.Payees(ctx, tok, 1, 1, "")
	_, err = e.c.Payee(ctx, e.token("bob@example.com"), page.Data[0].ID)
	wantAPIError(t, err, copperx.ErrNotFound, 404, "")
	// Sending to a deleted payee.
	_, err = e.c.Send(ctx, tok, copperx.SendRequest{PayeeID: p.ID, Amount: dec("1"), PurposeCode: "self"})
	wantAPIError(t, err, copperx.ErrNotFound, 404, "Payee not found")

	e.emu.ResetCalls()
	if _, err := e.c.Payee(ctx, tok, ""); err == nil {
		t.Error("Payee(\"\") succeeded")
	}
	if err := e.c.DeletePayee(ctx, tok, ""); err == nil {
		t.Error("DeletePayee(\"\") succeeded")
	}
	// An id with a slash stays one path segment.
	_, err = e.c.Payee(ctx, tok, "../wallets")
	if !errors.Is(err, copperx.ErrNotFound) {
		t.Errorf("Payee(\"../wallets\") = %v, want ErrNotFound", err)
	}
	if calls := e.emu.Calls(); len(calls) != 1 || calls[0].Path != "/api/payees/../wallets" {
		t.Errorf("calls = %+v", calls)
	}
}

// ---------------------------------------------------------------- notifications

func TestEmulatorNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	const ada = "ada@example.com"
	tok := e.token(ada)
	me, err := e.c.Me(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	channel := copperx.PrivateOrgChannel(me.OrganizationID)
	if channel != copperxtest.OrgChannel(e.emu.OrgID(ada)) {
		t.Fatalf("channel %q, emulator's %q", channel, copperxtest.OrgChannel(e.emu.OrgID(ada)))
	}

	const socketID = "123.456"
	auth, err := e.c.NotificationsAuth(ctx, tok, socketID, channel)
	if err != nil {
		t.Fatalf("NotificationsAuth: %v", err)
	}
	if b := lastBody(t, e.emu, http.MethodPost, "/api/notifications/auth"); b["socket_id"] != socketID || b["channel_name"] != channel {
		t.Errorf("body = %v", b)
	}
	mac := hmac.New(sha256.New, []byte(e.emu.PusherSecret()))
	mac.Write([]byte(socketID + ":" + channel))
	if want := e.emu.PusherKey() + ":" + hex.EncodeToString(mac.Sum(nil)); auth != want {
		t.Errorf("auth = %q, want %q", auth, want)
	}

	_, err = e.c.NotificationsAuth(ctx, tok, socketID, copperx.PrivateOrgChannel(e.emu.OrgID("bob@example.com")))
	wantAPIError(t, err, copperx.ErrUnauthorized, http.StatusForbidden, "Forbidden")
	_, err = e.c.NotificationsAuth(ctx, tok, "not-a-socket", channel)
	wantAPIError(t, err, copperx.ErrValidation, http.StatusBadRequest, "Invalid socket_id")

	// NotificationsTest is not emulated: a 404, not retried.
	e.emu.ResetCalls()
	err = e.c.NotificationsTest(ctx, tok)
	wantAPIError(t, err, copperx.ErrNotFound, 404, "Cannot GET /api/notifications/test")
	if len(e.emu.Calls()) != 1 {
		t.Errorf("%d calls, want 1", len(e.emu.Calls()))
	}

	t.Run("subscribe with the auth and receive a deposit", func(t *testing.T) {
		wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(wctx, e.emu.WSURL(), nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer ws.CloseNow()
		type frame struct {
			Event   string `json:"event"`
			Channel string `json:"channel"`
			Data    string `json:"data"`
		}
		read := func() frame {
			t.Helper()
			_, msg, err := ws.Read(wctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var f frame
			if err := json.Unmarshal(msg, &f); err != nil {
				t.Fatalf("frame %s: %v", msg, err)
			}
			return f
		}
		f := read()
		var est struct {
			SocketID string `json:"socket_id"`
		}
		if f.Event != "pusher:connection_established" || json.Unmarshal([]byte(f.Data), &est) != nil || est.SocketID == "" {
			t.Fatalf("first frame %+v", f)
		}
		auth, err := e.c.NotificationsAuth(ctx, tok, est.SocketID, channel)
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := json.Marshal(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"auth": auth, "channel": channel}})
		if err := ws.Write(wctx, websocket.MessageText, sub); err != nil {
			t.Fatal(err)
		}
		if f := read(); f.Event != "pusher_internal:subscription_succeeded" || f.Channel != channel {
			t.Fatalf("subscribe answered %+v", f)
		}
		id, err := e.emu.Deposit(me.OrganizationID, dec("10"), "USDC", "")
		if err != nil {
			t.Fatal(err)
		}
		f = read()
		var ev copperxtest.DepositEvent
		if f.Event != "deposit" || f.Channel != channel || json.Unmarshal([]byte(f.Data), &ev) != nil || ev.Amount != "10" || ev.Metadata.Network != "137" {
			t.Errorf("deposit frame %+v", f)
		}
		tr, err := e.c.Transfer(ctx, tok, id)
		if err != nil || tr.Type != "deposit" {
			t.Fatalf("deposit transfer %+v, %v", tr, err)
		}
		wantDec(t, "deposit amount", tr.Amount.Decimal, dec("10"))
		wantDec(t, "balance after deposit", e.emu.Balance(ada, "137", "USDC"), dec("1260.50"))
	})
}

// ---------------------------------------------------------------- faults

func TestEmulatorFaults(t *testing.T) {
	t.Parallel()
	const ada = "ada@example.com"
	send1 := copperx.SendRequest{Email: "bob@example.com", Amount: dec("1"), PurposeCode: "self", Currency: "USDC"}

	t.Run("500 on a GET is retried, then succeeds", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/wallets", copperxtest.Fault{Status: http.StatusInternalServerError, Times: 1})
		ws, err := e.c.Wallets(t.Context(), tok)
		if err != nil || len(ws) != 4 {
			t.Fatalf("Wallets = %d, %v", len(ws), err)
		}
		calls := e.emu.CallsTo(http.MethodGet, "/api/wallets")
		if len(calls) != 2 || calls[0].Status != 500 || calls[1].Status != 200 {
			t.Errorf("calls: %d (%v)", len(calls), statuses(calls))
		}
		if s := e.sleeps.all(); !slices.Equal(s, []time.Duration{200 * time.Millisecond}) {
			t.Errorf("backoff = %v, want [200ms]", s)
		}
	})

	t.Run("persistent 503 on a GET gives up after max_retries", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/wallets/*", copperxtest.Fault{Status: http.StatusServiceUnavailable})
		_, err := e.c.DefaultBalance(t.Context(), tok)
		wantAPIError(t, err, copperx.ErrServer, 503, "Service Unavailable")
		if n := len(e.emu.CallsTo(http.MethodGet, "/api/wallets/balance")); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
		if s := e.sleeps.all(); !slices.Equal(s, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}) {
			t.Errorf("backoff = %v", s)
		}
		e.emu.ClearFaults()
		if _, err := e.c.DefaultBalance(t.Context(), tok); err != nil {
			t.Errorf("after ClearFaults: %v", err)
		}
	})

	t.Run("dropped connection on a GET is retried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/transfers", copperxtest.Fault{DropConnection: true, Times: 2})
		if _, err := e.c.Transfers(t.Context(), tok, copperx.TransferQuery{}); err != nil {
			t.Fatalf("Transfers: %v", err)
		}
		if n := len(e.emu.CallsTo(http.MethodGet, "/api/transfers")); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
	})

	t.Run("4xx on a GET is not retried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/auth/me", copperxtest.Fault{Status: http.StatusForbidden, Times: 1})
		_, err := e.c.Me(t.Context(), tok)
		wantAPIError(t, err, copperx.ErrUnauthorized, 403, "Forbidden")
		if n := len(e.emu.Calls()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})

	t.Run("5xx on a POST is not retried and not executed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.SeedUser("bob@example.com")
		e.emu.Fail(http.MethodPost, "/api/transfers/send", copperxtest.Fault{Status: http.StatusInternalServerError, Times: 1})
		_, err := e.c.Send(t.Context(), tok, send1)
		wantAPIError(t, err, copperx.ErrServer, 500, "Internal Server Error")
		if n := len(e.emu.CallsTo(http.MethodPost, "/api/transfers/send")); n != 1 {
			t.Errorf("%d attempts, want exactly 1", n)
		}
		if len(e.sleeps.all()) != 0 {
			t.Errorf("slept before a POST retry: %v", e.sleeps.all())
		}
		wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1250.50"))
		if n := len(e.emu.Transfers(ada)); n != 0 {
			t.Errorf("%d transfers", n)
		}
		// The fault was used up: the next send goes through, once.
		if _, err := e.c.Send(t.Context(), tok, send1); err != nil {
			t.Fatal(err)
		}
		wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1249.50"))
	})

	t.Run("lost response on Send: error, yet the transfer exists", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, copperxtest.WithFee(fee))
		tok := e.token(ada)
		e.emu.SeedUser("bob@example.com")
		e.emu.Fail(http.MethodPost, "/api/transfers/send", copperxtest.Fault{LoseResponse: true, Times: 1})
		tr, err := e.c.Send(t.Context(), tok, send1)
		if tr != nil || !errors.Is(err, copperx.ErrUnavailable) {
			t.Fatalf("Send = %v, %v; want ErrUnavailable", tr, err)
		}
		var ne *copperx.NetworkError
		if !errors.As(err, &ne) || ne.Timeout() || ne.Method != http.MethodPost || ne.Endpoint != "/api/transfers/send" {
			t.Errorf("err = %#v", err)
		}
		calls := e.emu.CallsTo(http.MethodPost, "/api/transfers/send")
		if len(calls) != 1 || calls[0].Body["amount"] != "100000000" {
			t.Fatalf("calls = %d %v", len(calls), calls)
		}
		// The money moved: exactly once, amount + fee.
		wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1250.50").Sub(dec("1.005")))
		emuT := e.emu.Transfers(ada)
		if len(emuT) != 1 || emuT[0].Amount != "100000000" {
			t.Fatalf("emulator transfers %+v", emuT)
		}
		// Reconciliation as the bot must do it: list the sends.
		page, err := e.c.Transfers(t.Context(), tok, copperx.TransferQuery{Types: []string{"send"}, Limit: 5})
		if err != nil || page.Count != 1 || page.Data[0].ID != emuT[0].ID || page.Data[0].DestinationAccount.PayeeEmail != "bob@example.com" {
			t.Fatalf("reconcile: %+v, %v", page, err)
		}
		wantDec(t, "reconciled amount", page.Data[0].Amount.Decimal, dec("1"))
	})

	t.Run("lost response with a 504", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodPost, "/api/transfers/wallet-withdraw", copperxtest.Fault{LoseResponse: true, Status: http.StatusGatewayTimeout, Times: 1})
		_, err := e.c.WalletWithdraw(t.Context(), tok, copperx.WithdrawRequest{WalletAddress: "0x" + strings.Repeat("12", 20), Amount: dec("5"), PurposeCode: "self"})
		wantAPIError(t, err, copperx.ErrServer, 504, "Gateway Timeout")
		if n := len(e.emu.CallsTo(http.MethodPost, "/api/transfers/wallet-withdraw")); n != 1 {
			t.Errorf("%d attempts", n)
		}
		if tr := e.emu.Transfers(ada); len(tr) != 1 || tr[0].Type != "withdraw" {
			t.Errorf("emulator transfers %+v", tr)
		}
		wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1245.50"))
	})

	t.Run("lost response on a GET is retried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/wallets/default", copperxtest.Fault{LoseResponse: true, Times: 1})
		if w, err := e.c.DefaultWallet(t.Context(), tok); err != nil || w.Network != "137" {
			t.Errorf("DefaultWallet = %+v, %v", w, err)
		}
	})

	t.Run("malformed body", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/transfers/*", copperxtest.Fault{Malformed: true, Times: 1})
		_, err := e.c.Transfer(t.Context(), tok, "5d0b6f5e-4444-4444-8444-444444444444")
		var syn *json.SyntaxError
		var apiErr *copperx.Error
		if err == nil || !errors.As(err, &syn) || errors.As(err, &apiErr) || errors.Is(err, copperx.ErrUnavailable) ||
			!strings.Contains(err.Error(), "GET /api/transfers/5d0b6f5e-4444-4444-8444-444444444444: decode response") {
			t.Errorf("err = %v, want a decode error", err)
		}
		if n := len(e.emu.Calls()); n != 1 {
			t.Errorf("%d attempts, want 1 (a decode error is not retried)", n)
		}
		// On a POST: nothing was executed.
		e.emu.Fail(http.MethodPost, "/api/transfers/send", copperxtest.Fault{Malformed: true, Times: 1})
		e.emu.SeedUser("bob@example.com")
		if _, err := e.c.Send(t.Context(), tok, send1); !errors.As(err, &syn) {
			t.Errorf("Send = %v, want a decode error", err)
		}
		wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("1250.50"))
		// Malformed with a 5xx status: an API error, retried on a GET.
		e.emu.Fail(http.MethodGet, "/api/wallets/networks", copperxtest.Fault{Malformed: true, Status: 502, Times: 1})
		if nets, err := e.c.Networks(t.Context(), tok); err != nil || len(nets) != 5 {
			t.Errorf("Networks = %v, %v", nets, err)
		}
		e.emu.Fail(http.MethodPost, "/api/payees", copperxtest.Fault{Malformed: true, Status: 502, Times: 1})
		_, err = e.c.CreatePayee(t.Context(), tok, copperx.CreatePayeeRequest{NickName: "x", Email: "x@example.com"})
		wantAPIError(t, err, copperx.ErrServer, 502, "Bad Gateway")
	})

	t.Run("429", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		// POST: returned at once with Retry-After.
		e.emu.Fail(http.MethodPost, "/api/transfers/send", copperxtest.Fault{Status: http.StatusTooManyRequests, Times: 1})
		_, err := e.c.Send(t.Context(), tok, send1)
		apiErr := wantAPIError(t, err, copperx.ErrRateLimited, 429, "Too Many Requests")
		if apiErr.RetryAfter != time.Second {
			t.Errorf("RetryAfter = %v, want 1s", apiErr.RetryAfter)
		}
		if n := len(e.emu.CallsTo(http.MethodPost, "/api/transfers/send")); n != 1 {
			t.Errorf("%d attempts", n)
		}
		// GET: waits Retry-After (within retry_max_delay), then succeeds.
		e.emu.Fail(http.MethodGet, "/api/wallets", copperxtest.Fault{Status: http.StatusTooManyRequests, Times: 1})
		if _, err := e.c.Wallets(t.Context(), tok); err != nil {
			t.Errorf("Wallets: %v", err)
		}
		if s := e.sleeps.all(); !slices.Equal(s, []time.Duration{time.Second}) {
			t.Errorf("waited %v, want [1s] (Retry-After)", s)
		}
		// GET, persistent: ErrRateLimited after the retries.
		e.emu.Fail(http.MethodGet, "/api/wallets", copperxtest.Fault{Status: http.StatusTooManyRequests})
		_, err = e.c.Wallets(t.Context(), tok)
		if apiErr := wantAPIError(t, err, copperx.ErrRateLimited, 429, ""); apiErr.RetryAfter != time.Second {
			t.Errorf("RetryAfter = %v", apiErr.RetryAfter)
		}
		// A Retry-After longer than retry_max_delay is the caller's to handle.
		impatient := e.client(t, func(c *copperx.Config) {
			c.RetryBaseDelay, c.RetryMaxDelay = 100*time.Millisecond, 500*time.Millisecond
		})
		e.emu.ResetCalls()
		_, err = impatient.Wallets(t.Context(), tok)
		wantAPIError(t, err, copperx.ErrRateLimited, 429, "")
		if n := len(e.emu.Calls()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})

	t.Run("latency beyond the client timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		fast := e.client(t, func(c *copperx.Config) { c.Timeout = 100 * time.Millisecond; c.MaxRetries = 1 })
		e.emu.Fail(http.MethodGet, "/api/auth/me", copperxtest.Fault{Latency: 2 * time.Second, Times: 2})
		start := time.Now()
		_, err := fast.Me(t.Context(), tok)
		if !errors.Is(err, copperx.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrUnavailable and context.DeadlineExceeded", err)
		}
		var ne *copperx.NetworkError
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("err = %#v, want a timeout NetworkError", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("took %v: the per-attempt timeout did not apply", d)
		}
		if n := len(e.emu.CallsTo(http.MethodGet, "/api/auth/me")); n != 2 {
			t.Errorf("%d attempts, want 2 (a timeout is retried on a GET)", n)
		}
		// On a POST: one attempt only.
		e.emu.Fail(http.MethodPost, "/api/payees", copperxtest.Fault{Latency: 2 * time.Second, Times: 1})
		_, err = fast.CreatePayee(t.Context(), tok, copperx.CreatePayeeRequest{NickName: "x", Email: "x@example.com"})
		if !errors.Is(err, copperx.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("CreatePayee = %v", err)
		}
		if n := len(e.emu.CallsTo(http.MethodPost, "/api/payees")); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})

	t.Run("the caller's own deadline is not an outage", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok := e.token(ada)
		e.emu.Fail(http.MethodGet, "/api/wallets", copperxtest.Fault{Latency: 2 * time.Second, Times: 1})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := e.c.Wallets(ctx, tok)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, copperx.ErrUnavailable) {
			t.Errorf("err = %v, want context.DeadlineExceeded only", err)
		}
		if n := len(e.emu.Calls()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
}

func statuses(calls []copperxtest.Call) []int {
	var out []int
	for _, c := range calls {
		out = append(out, c.Status)
	}
	return out
}

// ---------------------------------------------------------------- concurrency

func TestEmulatorConcurrentSends(t *testing.T) {
	t.Parallel()
	e := newEnv(t, copperxtest.WithFee(fee))
	ctx := t.Context()
	const ada = "ada@example.com"
	tok := e.token(ada)
	for i := range 4 {
		e.emu.SeedUser(fmt.Sprintf("r%d@example.com", i), copperxtest.SeedBare())
	}
	e.emu.SetBalance(ada, "137", "USDC", "100")
	// 30 sends of 3.33 USDC + 0.01665 fee: 29 fit in 100 (97.05285), the 30th does not.
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		wg.Go(func() {
			_, err := e.c.Send(ctx, tok, copperx.SendRequest{Email: fmt.Sprintf("r%d@example.com", i%4), Amount: dec("3.33"), PurposeCode: "gift"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok, insufficient := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, copperx.ErrValidation) && strings.Contains(err.Error(), "Insufficient balance"):
			insufficient++
		default:
			t.Errorf("Send: %v", err)
		}
	}
	if ok != 29 || insufficient != 1 {
		t.Errorf("%d sent, %d refused", ok, insufficient)
	}
	per := dec("3.33").Add(feeOf(dec("3.33"), fee))
	wantDec(t, "balance", e.emu.Balance(ada, "137", "USDC"), dec("100").Sub(per.Mul(decimal.NewFromInt(int64(ok)))))
	received := decimal.Zero
	for i := range 4 {
		received = received.Add(e.emu.Balance(fmt.Sprintf("r%d@example.com", i), "137", "USDC"))
	}
	wantDec(t, "received", received, dec("3.33").Mul(decimal.NewFromInt(int64(ok))))
}

// ---------------------------------------------------------------- logs

// TestEmulatorLogsHaveNoSecrets runs a whole session, faults included, with
// the client logging at debug level, and checks that the log never holds
// the token, the OTP or the sid, but does hold one line per attempt.
func TestEmulatorLogsHaveNoSecrets(t *testing.T) {
	t.Parallel()
	const otp = "80417293"
	e := newEnv(t, copperxtest.WithAutoSeed(true), copperxtest.WithFixedOTP(otp), copperxtest.WithFee(fee))
	ctx := t.Context()
	const ada = "ada@example.com"
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	req, err := e.c.RequestEmailOTP(ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.AuthenticateEmailOTP(ctx, ada, "12345678", req.SID) // wrong
	keep(err)
	ar, err := e.c.AuthenticateEmailOTP(ctx, ada, otp, req.SID)
	tok := mustToken(t, ar, err)
	secrets := map[string]string{"token": tok.Reveal(), "otp": otp, "sid": req.SID, "wrong otp": "12345678"}

	_, err = e.c.Me(ctx, tok)
	keep(err)
	_, err = e.c.KYCStatus(ctx, tok)
	keep(err)
	e.emu.Fail(http.MethodGet, "/api/wallets", copperxtest.Fault{Status: 500, Times: 1})
	_, err = e.c.Wallets(ctx, tok)
	keep(err)
	_, err = e.c.Balances(ctx, tok)
	keep(err)
	_, err = e.c.Send(ctx, tok, copperx.SendRequest{Email: "bob@example.com", Amount: dec("1"), PurposeCode: "self"})
	keep(err)
	_, err = e.c.Send(ctx, tok, copperx.SendRequest{Email: "bob@example.com", Amount: dec("0.5"), PurposeCode: "self"})
	keep(err)
	e.emu.Fail(http.MethodPost, "/api/transfers/send", copperxtest.Fault{LoseResponse: true, Times: 1})
	_, err = e.c.Send(ctx, tok, copperx.SendRequest{Email: "bob@example.com", Amount: dec("2"), PurposeCode: "self"})
	keep(err)
	_, err = e.c.Transfers(ctx, tok, copperx.TransferQuery{Page: 1, Limit: 10, Types: []string{"send"}})
	keep(err)
	q, err := e.c.OfframpQuote(ctx, tok, copperx.QuoteRequest{SourceCountry: "none", DestinationCountry: "usa", Amount: dec("10"), Currency: "USDC"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Offramp(ctx, tok, copperx.OfframpRequest{QuotePayload: q.QuotePayload, QuoteSignature: q.QuoteSignature, PurposeCode: "self"})
	keep(err)
	_, err = e.c.Payees(ctx, tok, 1, 10, "bob")
	keep(err)
	me, _ := e.c.Me(ctx, tok)
	_, err = e.c.NotificationsAuth(ctx, tok, "1.2", copperx.PrivateOrgChannel(me.OrganizationID))
	keep(err)
	keep(e.c.Logout(ctx, tok))
	_, err = e.c.Me(ctx, tok)
	keep(err)

	logs := e.logs.String()
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains the %s", name)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains the %s", err, name)
			}
		}
	}
	if len(errs) < 4 {
		t.Errorf("only %d errors in the session: %v", len(errs), errs)
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if calls := e.emu.Calls(); len(lines) != len(calls) {
		t.Errorf("%d log lines for %d requests", len(lines), len(calls))
	}
	for _, want := range []string{
		"method=POST path=/api/auth/email-otp/authenticate status=401",
		"method=GET path=/api/wallets status=500",
		"path=/api/wallets status=200 duration=",
		"method=POST path=/api/transfers/send status=0",
		"timeout=false",
		"path=/api/transfers status=200",
		"attempt=2",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, l := range lines {
		if !strings.Contains(l, "level=DEBUG") || !strings.Contains(l, `msg="copperx api request"`) || strings.Contains(l, "?") {
			t.Errorf("log line %q", l)
		}
	}
}
