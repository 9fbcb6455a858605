package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
	"github.com/copperx-bot/payoutbot/plugins/auth"
)

const testConfig = `
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  auth: {enabled: true, menu: [balance, send]}
  probe: {enabled: true}
commands:
  - {name: start, action: kernel.start}
  - {name: login, action: auth.login, menu: true}
  - {name: logout, action: auth.logout, menu: true}
  - {name: profile, action: auth.profile, aliases: [me]}
  - {name: kyc, action: auth.kyc}
  - {name: balance, action: probe.balance, menu: true}
  - {name: send, action: probe.send, menu: true}
  - {name: remember, action: probe.remember}
`

const probeLocale = `
commands:
  remember: "Remember a note (test)"
probe:
  balance: "Probe balance: {{.amount}}"
  send: "Probe send allowed."
`

// probe is a test plugin with guarded actions that use the principal's
// token, and a listener of the auth events.
type probe struct {
	api *copperx.Client

	mu        sync.Mutex
	lastToken string
	events    []string
	logins    []*kernel.Principal
}

func (p *probe) Name() string { return "probe" }

func (p *probe) Setup(r *kernel.Registrar) error {
	r.Action("balance", func(c *kernel.Ctx) error {
		tok := c.Principal().Token.Reveal()
		p.mu.Lock()
		p.lastToken = tok
		p.mu.Unlock()
		b, err := p.api.DefaultBalance(c, copperx.NewToken(tok))
		if err != nil {
			return err
		}
		_, err = c.Say("probe.balance", map[string]any{"amount": b.Raw}, nil)
		return err
	}, kernel.Private(), kernel.Guard("auth"))
	r.Action("send", func(c *kernel.Ctx) error {
		_, err := c.Say("probe.send", nil, nil)
		return err
	}, kernel.Private(), kernel.Guard("auth", "kyc"))
	r.Action("remember", func(c *kernel.Ctx) error { return c.Set("probe.note", "kept") }, kernel.Guard("auth"))
	// A guarded button, like the wallet's Refresh: taps are not remembered
	// for after a login.
	r.Callback("refresh", func(c *kernel.Ctx) error {
		_, err := c.Send("Probe refreshed.", nil)
		return err
	}, kernel.Private(), kernel.Guard("auth"))
	for _, ev := range []string{auth.EventLogin, auth.EventLogout} {
		r.On(ev, func(c *kernel.Ctx, payload any) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.events = append(p.events, ev)
			if pr, ok := payload.(*kernel.Principal); ok && ev == auth.EventLogin {
				p.logins = append(p.logins, pr)
			}
			return nil
		})
	}
	return nil
}

func (p *probe) token() string { p.mu.Lock(); defer p.mu.Unlock(); return p.lastToken }

type fixture struct {
	h          *kerneltest.Harness
	emu        *copperxtest.Server
	probe      *probe
	clientLogs *kerneltest.SyncBuffer
}

type fixtureOpt struct {
	emu    []copperxtest.Option
	config string
	env    []string
	store  store.Store
}

func newFixture(t *testing.T, o fixtureOpt) *fixture {
	t.Helper()
	start := kerneltest.NewClock().Now() // the harness clock's first instant
	clock := func() time.Time { return start }
	emu := copperxtest.NewTestServer(t, append([]copperxtest.Option{
		copperxtest.WithAutoSeed(true),
		copperxtest.WithClock(func() time.Time { return clock() }),
	}, o.emu...)...)
	logs := &kerneltest.SyncBuffer{}
	cfg := copperx.DefaultConfig()
	cfg.APIURL = emu.URL()
	cfg.MaxRetries = 0
	api, err := copperx.New(cfg, copperx.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	pr := &probe{api: api}
	h := kerneltest.New(t, kerneltest.Options{
		Config:       testConfig + o.config,
		Plugins:      []kernel.Plugin{auth.New(api), pr},
		ExtraLocales: map[string]string{"en": probeLocale},
		Store:        o.store,
		Env:          o.env,
		Limiter:      ratelimit.NewMemory(ratelimit.WithClock(func() time.Time { return clock() })),
	})
	clock = h.Clock.Now
	return &fixture{h: h, emu: emu, probe: pr, clientLogs: logs}
}

// login logs a user in with the code the emulator emailed.
func (f *fixture) login(t *testing.T, u *kerneltest.Chat, email string) kerneltest.Replies {
	t.Helper()
	u.Send("/login").Expect(t, "What's the email address")
	u.Send(email).Expect(t, "I've sent a login code")
	return u.Send(f.emu.OTP(email)).Expect(t, "You're logged in")
}

// session decodes the raw stored session of a user.
func session(t *testing.T, h *kerneltest.Harness, userID int64) (map[string]any, string) {
	t.Helper()
	raw, _, err := h.Store.Get(context.Background(), fmt.Sprintf("sess:%d", userID), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if raw != nil {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, string(raw)
}

func wrongCode(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

func TestFullLogin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return nil }},
		{"redis", func(t *testing.T) store.Store { rdb, prefix := storetest.Redis(t); return store.NewRedis(rdb, prefix) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpt{store: tc.store(t)})
			u := f.h.Private(42)
			u.Send("/login").Expect(t, "What's the email address of your CopperX account?")
			u.Send("ada@").Expect(t, "doesn't look like an email address")
			if s, _ := session(t, f.h, 42); s["flow"].(map[string]any)["step"] != "email" {
				t.Fatalf("flow left the email step: %v", s["flow"])
			}
			r := u.Send("  ada@Example.COM ").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
			if b := r[0].Message.AllButtons(); len(b) != 1 || b[0].Data != "auth:resend" {
				t.Fatalf("code prompt buttons = %+v", b)
			}
			code := f.emu.OTP("ada@example.com")
			upd := u.MessageUpdate(code)
			r = u.Handle(upd).Expect(t,
				"✅ Welcome, <b>Ada Tester</b>! You're logged in.",
				"Organisation: <code>"+f.emu.OrgID("ada@example.com")+"</code>",
				"Verification: approved ✅",
				"What would you like to do?")
			if !f.h.API.Message(42, upd.Message.MessageId).Deleted {
				t.Fatal("the message holding the code was not deleted")
			}
			var labels []string
			for _, b := range last(r).Message.AllButtons() {
				labels = append(labels, b.Text+"="+b.Data)
			}
			if got := strings.Join(labels, " "); got != "Wallet balances=kernel:run:balance Send USDC=kernel:run:send" {
				t.Fatalf("welcome menu = %s", got)
			}
			// The principal is stored, its token sealed.
			s, raw := session(t, f.h, 42)
			p, _ := s["principal"].(map[string]any)
			if p == nil || p["email"] != "ada@example.com" || p["name"] != "Ada Tester" || p["orgId"] != f.emu.OrgID("ada@example.com") {
				t.Fatalf("stored principal = %v", p)
			}
			attrs := p["attrs"].(map[string]any)
			if attrs["kyc"] != "approved" || attrs["role"] != "owner" || attrs["account_type"] != "individual" || attrs["wallet_address"] == "" || attrs["kyc_checked"] != "2026-03-20T10:00:00Z" {
				t.Fatalf("principal attrs = %v", attrs)
			}
			if _, ok := s["flow"]; ok {
				t.Fatal("login flow still stored")
			}
			// The token works: the guarded probe reaches the API with it.
			u.Tap("Wallet balances").Expect(t, "Probe balance: 1250.5")
			tok := f.probe.token()
			if tok == "" || strings.Contains(raw, tok) {
				t.Fatalf("token missing or stored in clear")
			}
			// Nothing secret reached a log line.
			sid := f.emu.CallsTo("POST", "/api/auth/email-otp/authenticate")[0].Body["sid"].(string)
			for what, secret := range map[string]string{"token": tok, "otp": code, "sid": sid} {
				if strings.Contains(f.h.Logs.String(), secret) || strings.Contains(f.clientLogs.String(), secret) {
					t.Errorf("%s in the logs", what)
				}
			}
			if strings.Contains(raw, code) {
				t.Error("otp in the stored session")
			}
			f.probe.mu.Lock()
			defer f.probe.mu.Unlock()
			if len(f.probe.logins) != 1 || f.probe.logins[0].UserID == "" || f.probe.logins[0].Token.Reveal() != tok {
				t.Fatalf("auth.login events = %v", f.probe.logins)
			}
		})
	}
}

// last is the newest message sent.
func last(r kerneltest.Replies) fakebot.Event {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i].Kind == "send" {
			return r[i]
		}
	}
	return fakebot.Event{Message: &fakebot.Message{}}
}

func TestLoginWithEmailArgument(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(1)
	u.Send("/login ada@example.com").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome, <b>Ada Tester</b>")
}

func TestWrongCodeThenRight(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(2)
	u.Send("/login")
	u.Send("ada@example.com")
	code := f.emu.OTP("ada@example.com")
	u.Send(wrongCode(code)).Expect(t, "That code isn't right. You have 2 more tries.")
	u.Send(wrongCode(code)).Expect(t, "You have 1 more try.")
	u.Send(code).Expect(t, "Welcome, <b>Ada Tester</b>")
	// Every Resend button was taken off once the login finished.
	for _, m := range f.h.API.Messages(2) {
		if len(m.AllButtons()) > 0 && m.AllButtons()[0].Data == "auth:resend" {
			t.Fatalf("resend button left on %q", m.Text)
		}
	}
}

func TestBadCodeInput(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(3)
	u.Send("/login")
	u.Send("ada@example.com")
	for _, bad := range []string{"abc123", "12", "123456789", "12-34", "１２３４５６"} {
		upd := u.MessageUpdate(bad)
		u.Handle(upd).Expect(t, "The code is 4 to 8 digits, nothing else.")
		if !f.h.API.Message(3, upd.Message.MessageId).Deleted {
			t.Fatalf("%q not deleted", bad)
		}
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/email-otp/authenticate")); n != 0 {
		t.Fatalf("bad input reached the API %d times", n)
	}
	// A photo at the code step: the kernel asks for text, the step stays.
	photo := gotgbot.Update{UpdateId: f.h.NextUpdateID(), Message: &gotgbot.Message{
		MessageId: 999, Date: f.h.Clock.Now().Unix(), Chat: gotgbot.Chat{Id: 3, Type: "private"},
		From: &gotgbot.User{Id: 3, FirstName: "Ada", LanguageCode: "en"}, Photo: []gotgbot.PhotoSize{{FileId: "x"}},
	}}
	u.Handle(photo).Expect(t, "Please answer with text")
	// A forwarded message with the code, spaced: read like a typed one.
	code := f.emu.OTP("ada@example.com")
	fwd := u.MessageUpdate(code[:3] + " " + code[3:])
	fwd.Message.ForwardOrigin = gotgbot.MessageOriginUser{Date: 1, SenderUser: gotgbot.User{Id: 9, FirstName: "Eve"}}
	u.Handle(fwd).Expect(t, "Welcome")
	if !f.h.API.Message(3, fwd.Message.MessageId).Deleted {
		t.Fatal("forwarded code not deleted")
	}
}

func TestTooManyWrongCodes(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(4)
	u.Send("/login")
	u.Send("ada@example.com")
	code := f.emu.OTP("ada@example.com")
	u.Send(wrongCode(code))
	u.Send(wrongCode(code))
	r := u.Send(wrongCode(code)).Expect(t, "Too many wrong codes")
	if b := last(r).Message.AllButtons(); len(b) != 1 || b[0].Data != "auth:again" || b[0].Text != "📨 Request a new code" {
		t.Fatalf("buttons = %+v", b)
	}
	if s, _ := session(t, f.h, 4); s["flow"] != nil {
		t.Fatal("flow still open")
	}
	u.Send(code).Expect(t, "I didn't understand that")
	u.Tap("Request a new code").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
}

func TestEmulatorExhaustsCode(t *testing.T) {
	// The API itself refuses more codes (403) before our own limit.
	f := newFixture(t, fixtureOpt{emu: []copperxtest.Option{copperxtest.WithOTPAttempts(1)}, config: ""})
	u := f.h.Private(5)
	u.Send("/login")
	u.Send("ada@example.com")
	u.Send(wrongCode(f.emu.OTP("ada@example.com"))).Expect(t, "Too many wrong codes")
}

func TestExpiredCode(t *testing.T) {
	f := newFixture(t, fixtureOpt{emu: []copperxtest.Option{copperxtest.WithOTPTTL(time.Minute)}})
	u := f.h.Private(6)
	u.Send("/login")
	u.Send("ada@example.com")
	f.h.Clock.Advance(2 * time.Minute)
	r := u.Send(f.emu.OTP("ada@example.com")).Expect(t, "That code has expired")
	if b := last(r).Message.AllButtons(); len(b) != 1 || b[0].Data != "auth:again" {
		t.Fatalf("buttons = %+v", b)
	}
	u.Tap("Request a new code").Expect(t, "I've sent a login code")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
}

func TestExpiredSidByFault(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(7)
	u.Send("/login")
	u.Send("ada@example.com")
	f.emu.Fail("POST", "/api/auth/email-otp/authenticate", copperxtest.Fault{Status: 400, Times: 1})
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "That code has expired")
}

func TestResendUnderAndOverLimit(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(8)
	u.Send("/login")
	u.Send("ada@example.com").Expect(t, "I've sent a login code")
	first := f.emu.OTP("ada@example.com")
	u.Tap("Resend code").Expect(t, "New code sent to <b>a•••@example.com</b>")
	u.Tap("Resend code").Expect(t, "New code sent")
	r := u.Tap("Resend code").Expect(t, "Please wait 4 minutes before asking for another code. The last code I sent still works.")
	if r.Contains("New code sent") {
		t.Fatal("a fourth code was sent")
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/email-otp/request")); n != 3 {
		t.Fatalf("otp requests = %d, want 3", n)
	}
	// Only the newest Resend button is left.
	var withButton int
	for _, m := range f.h.API.Messages(8) {
		if len(m.AllButtons()) > 0 {
			withButton++
		}
	}
	if withButton != 1 {
		t.Fatalf("%d messages carry a Resend button", withButton)
	}
	latest := f.emu.OTP("ada@example.com")
	if latest == first {
		t.Log("emulator repeated the code")
	}
	u.Send(latest).Expect(t, "Welcome")
	// A new /login in the same window is refused too, and ends the flow.
	u.Send("/logout")
	u.Tap("Log out")
	u.Send("/login")
	u.Send("ada@example.com").Expect(t, "You've asked for several codes in a short time. Please wait")
	u.Send("ada@example.com").Expect(t, "I didn't understand that")
	f.h.Clock.Advance(10 * time.Minute)
	u.Send("/login")
	u.Send("ada@example.com").Expect(t, "I've sent a login code")
}

func TestStaleResend(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(9)
	r := u.Handle(u.CallbackUpdate(1, "auth:resend")).Expect(t, "This button has expired")
	_ = r
	if n := len(f.emu.CallsTo("POST", "/api/auth/email-otp/request")); n != 0 {
		t.Fatal("stale resend reached the API")
	}
}

func TestLoginWhileLoggedIn(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(10)
	f.login(t, u, "ada@example.com")
	u.Send("/login").Expect(t, "You're logged in as <b>Ada Tester</b> (ada@example.com). Log in with another account?")
	r := u.Tap("Stay logged in").Expect(t, "you're still logged in as <b>Ada Tester</b>")
	if r[0].Kind != "edit" {
		t.Fatalf("kinds = %v, want an edit in place", r.Kinds())
	}
	u.Send("/remember")
	u.Send("/login")
	u.Tap("Switch account").Expect(t, "What's the email address")
	u.Send("bob@example.com")
	u.Send(f.emu.OTP("bob@example.com")).Expect(t, "Welcome, <b>Bob Tester</b>")
	s, _ := session(t, f.h, 10)
	if s["principal"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("principal = %v", s["principal"])
	}
	if v, _ := s["values"].(map[string]any); v["probe.note"] != nil {
		t.Fatalf("the old account's values survived the switch: %v", v)
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/logout")); n != 1 {
		t.Fatalf("old token not logged out (%d logout calls)", n)
	}
}

func TestGroupLoginRefused(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	f.h.Group(-100, 11).Send("/login").Expect(t, "only do this in a private chat")
	if s, _ := session(t, f.h, 11); s["flow"] != nil {
		t.Fatal("flow started from a group")
	}
}

func TestLogoutWipesStore(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(12)
	u.Send("/logout").Expect(t, "You're not logged in.")
	f.login(t, u, "ada@example.com")
	u.Send("/balance")
	u.Send("/remember")
	u.Send("/language")
	u.Tap("English")
	tok := f.probe.token()
	r := u.Send("/logout").Expect(t, "Log out of CopperX (ada@example.com)?")
	if len(r[0].Message.AllButtons()) != 2 {
		t.Fatalf("logout buttons = %+v", r[0].Message.AllButtons())
	}
	u.Tap("Stay logged in").Expect(t, "still logged in as ada@example.com")
	u.Send("/logout")
	_, yes := u.FindButton("🚪 Log out")
	r = u.Tap("🚪 Log out").Expect(t, "You're logged out.")
	if r[0].Kind != "edit" {
		t.Fatalf("kinds = %v", r.Kinds())
	}
	s, raw := session(t, f.h, 12)
	for _, k := range []string{"principal", "values", "sealed", "flow"} {
		if _, ok := s[k]; ok {
			t.Errorf("%s survived the logout: %s", k, raw)
		}
	}
	if s["lang"] != "en" {
		t.Errorf("language lost: %s", raw)
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/logout")); n != 1 {
		t.Fatalf("logout calls = %d", n)
	}
	// The token is dead at CopperX too.
	api, _ := copperx.New(copperx.Config{APIURL: f.emu.URL(), Timeout: 5 * time.Second, UserAgent: "t"})
	if _, err := api.Me(context.Background(), copperx.NewToken(tok)); err == nil {
		t.Fatal("token still accepted after logout")
	}
	f.probe.mu.Lock()
	if ev := strings.Join(f.probe.events, ","); ev != "auth.login,auth.logout" {
		t.Errorf("events = %s", ev)
	}
	f.probe.mu.Unlock()
	u.Send("/balance").Expect(t, "Please log in first")
	// A second tap on the old confirmation changes nothing.
	u.Handle(u.CallbackUpdate(r[0].Message.ID, yes.Data)).Expect(t, "You're not logged in.")
}

func TestLogoutIgnores401(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(13)
	f.login(t, u, "ada@example.com")
	u.Send("/balance")
	f.emu.ExpireToken(f.probe.token())
	u.Send("/logout")
	u.Tap("🚪 Log out").Expect(t, "You're logged out.")
	if s, _ := session(t, f.h, 13); s["principal"] != nil {
		t.Fatal("principal survived")
	}
}

func TestGuardBlocksThenResumes(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(14)
	r := u.Send("/balance").Expect(t, "Please log in first — I'll continue with this right after.", "What's the email address")
	if r.Contains("Probe balance") {
		t.Fatal("guard let an anonymous user through")
	}
	if s, _ := session(t, f.h, 14); s["values"].(map[string]any)["auth.pending"].(map[string]any)["action"] != "probe.balance" {
		t.Fatalf("pending = %v", s["values"])
	}
	u.Send("ada@example.com")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome", "Probe balance: 1250.5")
	if s, _ := session(t, f.h, 14); s["values"] != nil {
		t.Fatalf("pending left behind: %v", s["values"])
	}
}

func TestGuardResumeTooLate(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(15)
	u.Send("/balance")
	f.h.Clock.Advance(11 * time.Minute)
	r := f.login(t, u, "ada@example.com")
	if r.Contains("Probe balance") {
		t.Fatal("a command blocked 11 minutes ago was run")
	}
}

func TestGuardResumesMenuTap(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(16)
	u.Send("/start")
	u.Tap("Wallet balances").Expect(t, "Please log in first")
	f.login(t, u, "ada@example.com").Expect(t, "Probe balance: 1250.5")
}

func TestUnauthorizedMidSession(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(17)
	f.login(t, u, "ada@example.com")
	u.Send("/balance").Expect(t, "Probe balance")
	f.emu.ExpireToken(f.probe.token())
	r := u.Send("/balance").Expect(t, "Your CopperX session has ended. Please log in again with /login.")
	if r.Contains("Sorry, something went wrong") {
		t.Fatal("apology instead of log in again")
	}
	if s, _ := session(t, f.h, 17); s["principal"] != nil || s["sealed"] != nil {
		t.Fatalf("principal kept after a 401: %v", s)
	}
	u.Send("/me").Expect(t, "Please log in first")
	f.probe.mu.Lock()
	if ev := strings.Join(f.probe.events, ","); ev != "auth.login,auth.logout" {
		t.Errorf("events = %s", ev)
	}
	f.probe.mu.Unlock()
	// The last blocked command resumes after the new login.
	f.login(t, u, "ada@example.com").Expect(t, "👤 <b>Ada Tester</b>")
}

func TestUnauthorizedDuringOpenFlow(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(18)
	f.login(t, u, "ada@example.com")
	u.Send("/balance")
	f.emu.ExpireToken(f.probe.token())
	u.Send("/kyc").Expect(t, "session has ended")
	if s, _ := session(t, f.h, 18); s["flow"] != nil || s["principal"] != nil {
		t.Fatalf("session = %v", s)
	}
}

func TestTokenExpiresByClock(t *testing.T) {
	f := newFixture(t, fixtureOpt{emu: []copperxtest.Option{copperxtest.WithTokenTTL(time.Hour)}})
	u := f.h.Private(19)
	f.login(t, u, "ada@example.com")
	f.h.Clock.Advance(59*time.Minute + 30*time.Second) // within expiry_margin
	before := len(f.emu.Calls())
	u.Send("/balance").Expect(t, "Your CopperX session has ended")
	if len(f.emu.Calls()) != before {
		t.Fatal("an expiring token was still used")
	}
	if s, _ := session(t, f.h, 19); s["principal"] != nil {
		t.Fatal("expired principal kept")
	}
}

func TestKYCGate(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	f.emu.SeedUser("bob@example.com", copperxtest.SeedKYC("pending"))
	u := f.h.Private(20)
	f.login(t, u, "bob@example.com").Expect(t, "Verification: pending", "see /kyc")
	r := u.Send("/send").Expect(t, "This needs a verified account.", "Verification (KYC/KYB): <b>pending</b>", "Continue it on the CopperX website")
	if b := r[0].Message.AllButtons(); len(b) != 1 || b[0].URL != "https://payout.copperx.io/app/kyc" {
		t.Fatalf("buttons = %+v", b)
	}
	if r.Contains("Probe send allowed") {
		t.Fatal("kyc guard let a pending user through")
	}
	f.emu.SetKYC("bob@example.com", "approved")
	u.Send("/send").Expect(t, "Probe send allowed.")
	// Approved is remembered for kyc_refresh, then asked again.
	calls := len(f.emu.CallsTo("GET", "/api/kycs"))
	u.Send("/send").Expect(t, "Probe send allowed.")
	if n := len(f.emu.CallsTo("GET", "/api/kycs")); n != calls {
		t.Fatalf("fresh approved status re-checked (%d calls)", n-calls)
	}
	f.emu.SetKYC("bob@example.com", "on_hold")
	f.h.Clock.Advance(11 * time.Minute)
	u.Send("/send").Expect(t, "This needs a verified account", "on hold")
	if s, _ := session(t, f.h, 20); s["principal"].(map[string]any)["attrs"].(map[string]any)["kyc"] != "on_hold" {
		t.Fatal("kyc attr not updated")
	}
}

func TestKYCGuardWithoutLogin(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	f.h.Private(21).Send("/send").Expect(t, "Please log in first")
}

func TestKYCCommandStates(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(22)
	f.login(t, u, "ada@example.com")
	for _, tc := range []struct{ status, want, next string }{
		{"", "not started", "haven't started"},
		{"pending", "pending", "isn't finished"},
		{"initiated", "started", "isn't finished"},
		{"inprogress", "in progress", "isn't finished"},
		{"review_pending", "waiting for review", "being reviewed"},
		{"review", "under review", "being reviewed"},
		{"provider_manual_review", "under manual review by our partner", "being reviewed"},
		{"manual_review", "under manual review", "being reviewed"},
		{"provider_on_hold", "on hold at our partner", "on hold"},
		{"on_hold", "on hold", "CopperX may need something"},
		{"expired", "expired", "go through it again"},
		{"rejected", "rejected", "contact support"},
		{"approved", "approved ✅", "You're verified"},
		{"brand_new_state", "brand_new_state", "isn't finished"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f.emu.SetKYC("ada@example.com", tc.status)
			r := u.Send("/kyc").Expect(t, "Verification (KYC/KYB): <b>"+tc.want+"</b>", tc.next)
			b := r[0].Message.AllButtons()
			if tc.status == "approved" && len(b) != 0 || tc.status != "approved" && (len(b) != 1 || b[0].URL == "") {
				t.Fatalf("buttons = %+v", b)
			}
		})
	}
}

func TestProfile(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(23)
	u.Send("/profile").Expect(t, "Please log in first")
	f.login(t, u, "ada@example.com")
	r := u.Send("/me").Expect(t,
		"👤 <b>Ada Tester</b>", "Email: ada@example.com",
		"Organisation ID: <code>"+f.emu.OrgID("ada@example.com")+"</code>",
		"Role: owner", "Account type: individual", "Verification: approved ✅")
	s, _ := session(t, f.h, 23)
	addr := s["principal"].(map[string]any)["attrs"].(map[string]any)["wallet_address"].(string)
	r.Expect(t, "Default wallet: "+addr[:6]+"…"+addr[len(addr)-4:], "<code>"+addr+"</code>")
	if b := r[0].Message.AllButtons(); len(b) != 1 || b[0].Copy != addr {
		t.Fatalf("buttons = %+v", b)
	}
}

func TestSpanish(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(24)
	u.LanguageCode = "es"
	u.Send("/login").Expect(t, "¿Cuál es el correo electrónico")
	u.Send("ada@example.com").Expect(t, "Te he enviado un código")
	u.Send("12").Expect(t, "El código tiene de 4 a 8 dígitos")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "¡Hola, <b>Ada Tester</b>!", "Verificación: aprobada ✅")
}

func TestWelcomeMenuFollowsKYC(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	f.emu.SeedUser("pending@example.com", copperxtest.SeedKYC("pending"))
	u := f.h.Private(40)
	u.Send("/login pending@example.com")
	r := u.Send(f.emu.OTP("pending@example.com")).Expect(t, "Welcome")
	var labels []string
	for _, e := range r {
		if e.Kind == "send" {
			for _, b := range e.Message.AllButtons() {
				labels = append(labels, b.Text+"|"+b.URL)
			}
		}
	}
	got := strings.Join(labels, " ")
	if strings.Contains(got, "Send USDC") || !strings.Contains(got, "|https://payout.copperx.io/app/kyc") {
		t.Fatalf("welcome buttons with KYC pending: %s", got)
	}
}

func TestSIDSealedAtRest(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(41)
	u.Send("/login ada@example.com")
	u.Send(wrongCode(f.emu.OTP("ada@example.com"))).Expect(t, "isn't right")
	calls := f.emu.CallsTo("POST", "/api/auth/email-otp/authenticate")
	if len(calls) != 1 {
		t.Fatalf("%d authenticate calls", len(calls))
	}
	sid, _ := calls[0].Body["sid"].(string)
	if _, raw := session(t, f.h, 41); sid == "" || strings.Contains(raw, sid) {
		t.Fatalf("sid %q stored in clear: %s", sid, raw)
	}
	// The sealed sid still works for the next try.
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
}

// An old "Log out" confirmation logs out only the account it names: once
// another account is logged in, its buttons are refused as stale.
func TestOldLogoutButtonAfterSwitch(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(60)
	u.Send("/login ada@example.com")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome, <b>Ada Tester</b>")
	u.Send("/logout").Expect(t, "Log out of CopperX (ada@example.com)?")
	oldMsg, oldYes := u.FindButton("🚪 Log out")
	_, oldNo := u.FindButton("Stay logged in")
	if oldMsg == nil || oldNo.Data == "" {
		t.Fatal("no logout confirmation buttons")
	}
	u.Send("/login")
	u.Tap("Switch").Expect(t, "What's the email address")
	u.Send("bob@example.com")
	u.Send(f.emu.OTP("bob@example.com")).Expect(t, "Welcome, <b>Bob Tester</b>")
	logouts := len(f.emu.CallsTo("POST", "/api/auth/logout")) // Ada's token, at the switch
	for _, d := range []string{oldYes.Data, oldNo.Data} {
		r := u.Handle(u.CallbackUpdate(oldMsg.ID, d)).Expect(t, "This button has expired")
		if r.Contains("logged out") || r.Contains("still logged in") {
			t.Fatalf("old button %s acted on Bob: %s", d, r.Text())
		}
	}
	if s, _ := session(t, f.h, 60); s["principal"] == nil || s["principal"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("Bob was logged out by Ada's old button: %v", s["principal"])
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/logout")); n != logouts {
		t.Fatalf("old button logged a token out at CopperX (%d calls, want %d)", n, logouts)
	}
	if len(f.h.API.Message(60, oldMsg.ID).AllButtons()) != 0 {
		t.Error("the stale confirmation kept its buttons")
	}
	// Bob's own confirmation works.
	u.Send("/logout").Expect(t, "Log out of CopperX (bob@example.com)?")
	u.Tap("🚪 Log out").Expect(t, "You're logged out.")
	if s, _ := session(t, f.h, 60); s["principal"] != nil {
		t.Fatal("Bob still logged in")
	}
	// Old-style data without the account (sent before this release) is stale.
	f.login(t, u, "ada@example.com")
	u.Handle(u.CallbackUpdate(oldMsg.ID, "auth:logout:yes")).Expect(t, "This button has expired")
	if s, _ := session(t, f.h, 60); s["principal"] == nil {
		t.Fatal("untagged logout button logged Ada out")
	}
}

// A guarded button tap is not remembered, so the refusal makes no promise
// to continue; the login still starts right away in a private chat.
func TestGuardedTapNotPromised(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(61)
	r := u.Handle(u.CallbackUpdate(1, "probe:refresh")).Expect(t, "🔐 Please log in first.", "What's the email address")
	if r.Contains("continue with this") || r.Contains("Probe refreshed") {
		t.Fatalf("refusal = %s", r.Text())
	}
	if s, _ := session(t, f.h, 61); s["values"] != nil {
		t.Fatalf("a tap was remembered: %v", s["values"])
	}
	u.Send("ada@example.com")
	if r := u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome"); r.Contains("Probe refreshed") {
		t.Fatal("the tap ran after the login")
	}
	// After a logout, an old guarded button says the same.
	u.Send("/logout")
	u.Tap("🚪 Log out")
	r = u.Handle(u.CallbackUpdate(1, "probe:refresh")).Expect(t, "Please log in first.")
	if r.Contains("continue with this") {
		t.Fatalf("refusal after logout = %s", r.Text())
	}
	// A typed command is remembered, and promised.
	u.Send("/cancel")
	u.Send("/balance").Expect(t, "Please log in first — I'll continue with this right after.")
}

// A typed command with resume_within 0 is never resumed, so never promised.
func TestGuardNoPromiseWhenResumeOff(t *testing.T) {
	f := newFixture(t, fixtureOpt{env: []string{"COPPERX_BOT_PLUGINS__AUTH__RESUME_WITHIN=0s"}})
	u := f.h.Private(62)
	r := u.Send("/balance").Expect(t, "Please log in first.", "What's the email address")
	if r.Contains("continue with this") {
		t.Fatalf("refusal = %s", r.Text())
	}
}

// A code typed at the email step (the login restarted) is deleted from the
// chat and answered with "email first", not "not an email".
func TestCodeAtEmailStep(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(63)
	u.Send("/login ada@example.com").Expect(t, "I've sent a login code")
	code := f.emu.OTP("ada@example.com")
	u.Send("/balance").Expect(t, "What's the email address") // the login restarts
	for _, typed := range []string{code, " " + code[:3] + " " + code[3:] + " "} {
		upd := u.MessageUpdate(typed)
		r := u.Handle(upd).Expect(t, "That looks like a login code, but I need your email address first — I've deleted your message.")
		if r.Contains("doesn't look like an email") {
			t.Fatalf("reply = %s", r.Text())
		}
		if !f.h.API.Message(63, upd.Message.MessageId).Deleted {
			t.Fatalf("the code %q stayed in the chat", typed)
		}
	}
	if s, _ := session(t, f.h, 63); s["flow"].(map[string]any)["step"] != "email" {
		t.Fatalf("flow left the email step: %v", s["flow"])
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/email-otp/authenticate")); n != 0 {
		t.Fatalf("the code reached the API %d times", n)
	}
	// Not a code: still the email wording, and the message stays.
	upd := u.MessageUpdate("123")
	u.Handle(upd).Expect(t, "doesn't look like an email")
	if f.h.API.Message(63, upd.Message.MessageId).Deleted {
		t.Fatal("a non-code deleted")
	}
	// "/login <code>" is deleted too.
	u.Send("/cancel")
	upd = u.MessageUpdate("/login " + code)
	u.Handle(upd).Expect(t, "I need your email address first")
	if !f.h.API.Message(63, upd.Message.MessageId).Deleted {
		t.Fatal("/login <code> stayed in the chat")
	}
	u.Send("ada@example.com").Expect(t, "I've sent a login code")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome", "Probe balance")
}

// The masked email is the normalized, lower-case one.
func TestMaskedEmailLowerCase(t *testing.T) {
	f := newFixture(t, fixtureOpt{})
	u := f.h.Private(64)
	u.Send("/login Ada@Example.com").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
	u.Tap("Resend code").Expect(t, "New code sent to <b>a•••@example.com</b>")
}
