package notify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

const (
	email  = "ada@example.com"
	sealer = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

// baseConfig: the fake auth plugin, /notifications and a shared session
// key (replicas must open each other's sessions). The notify block is
// appended.
const baseConfig = `
session:
  encryption_key: "` + sealer + `"
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
commands:
  - {name: fakelogin, action: auth.login}
  - {name: fakelogout, action: auth.logout}
  - {name: notifications, action: notify.toggle, menu: true}
plugins:
  auth: {enabled: true}
`

const fakeLocale = `
commands:
  fakelogin: "Log in (test)"
  fakelogout: "Log out (test)"
fake:
  usage: "Usage: /fakelogin <token> <org>"
  logged_in: "Logged in (test)."
  logged_out: "Logged out (test)."
  login_required: "Please log in first (test guard)."
`

// fakeAuth stands in for plugins/auth: "/fakelogin <token> <org>" sets
// the principal and emits auth.login; "/fakelogout" emits auth.logout.
type fakeAuth struct{}

func (fakeAuth) Name() string { return "auth" }

func (fakeAuth) Setup(r *kernel.Registrar) error {
	r.Action("login", func(c *kernel.Ctx) error {
		args := c.Args()
		if len(args) != 2 {
			return kernel.Fail("fake.usage", nil)
		}
		p := &kernel.Principal{UserID: "user-1", OrgID: args[1], Email: email,
			Token: secret.New(args[0]), ExpiresAt: c.Now().Add(24 * time.Hour)}
		c.SetPrincipal(p)
		if err := c.Emit("auth.login", p); err != nil {
			return err
		}
		_, err := c.Say("fake.logged_in", nil, nil)
		return err
	})
	r.Action("logout", func(c *kernel.Ctx) error {
		p := c.Principal()
		c.ResetSession()
		if p != nil {
			if err := c.Emit("auth.logout", p); err != nil {
				return err
			}
		}
		_, err := c.Say("fake.logged_out", nil, nil)
		return err
	})
	r.Guard("auth", func(c *kernel.Ctx) (bool, error) {
		if p := c.Principal(); p != nil && c.Now().Before(p.ExpiresAt) {
			return true, nil
		}
		_, err := c.Say("fake.login_required", nil, nil)
		return false, err
	})
	return nil
}

// gate serves the emulator's websocket through a listener it controls:
// drop closes every connection, block refuses new ones (503).
type gate struct {
	srv     *httptest.Server
	blocked atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

type trackListener struct {
	net.Listener
	g *gate
}

func (l trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.g.mu.Lock()
		l.g.conns = append(l.g.conns, c)
		l.g.mu.Unlock()
	}
	return c, err
}

func newGate(t *testing.T, h http.Handler) *gate {
	g := &gate{}
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.blocked.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	g.srv.Listener = trackListener{Listener: g.srv.Listener, g: g}
	g.srv.Start()
	t.Cleanup(func() { g.drop(); g.srv.Close() })
	return g
}

// url is the websocket URL of path on the gate.
func (g *gate) url(path string) string { return "ws" + strings.TrimPrefix(g.srv.URL, "http") + path }

// drop closes every connection made so far.
func (g *gate) drop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.conns {
		_ = c.Close()
	}
	g.conns = nil
}

// env is one test's world: the emulator (API and Pusher behind a gate),
// a client of it, a logged-in user's token and organization.
type env struct {
	t    *testing.T
	emu  *copperxtest.Server
	api  *copperx.Client
	gate *gate
	tok  string
	org  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	emu := copperxtest.NewTestServer(t)
	cfg := copperx.DefaultConfig()
	cfg.APIURL = emu.URL()
	cfg.Timeout = 5 * time.Second
	cfg.RetryBaseDelay, cfg.RetryMaxDelay = time.Millisecond, time.Millisecond
	api, err := copperx.New(cfg, copperx.WithSleep(func(context.Context, time.Duration) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	_, org := emu.SeedUser(email)
	g := newGate(t, emu)
	return &env{t: t, emu: emu, api: api, gate: g, tok: emu.IssueToken(email), org: org}
}

// wsURL is the emulator's Pusher endpoint behind the gate.
func (e *env) wsURL() string {
	return e.gate.url("/app/" + e.emu.PusherKey() + "?protocol=7&client=go&version=1.0")
}

// bot is one replica: a kernel with the fake auth and notify plugins.
type bot struct {
	h *kerneltest.Harness
	n *Notify
}

type botOpts struct {
	store   store.Store
	wsURL   string // "" = the gate
	block   string // extra keys of plugins.notify
	idle    time.Duration
	noStart bool
}

// bot builds a replica and starts its services (stopped at cleanup).
func (e *env) bot(o botOpts) *bot {
	e.t.Helper()
	ws := o.wsURL
	if ws == "" {
		ws = e.wsURL()
	}
	n := New(e.api, copperx.DefaultNetworks())
	n.idle = o.idle
	block := `{enabled: true, ws_url: "` + ws + `", reconnect_min: 10ms, reconnect_max: 50ms` + o.block + `}`
	h := kerneltest.New(e.t, kerneltest.Options{
		Config:       baseConfig + "  notify: " + block + "\n",
		Plugins:      []kernel.Plugin{fakeAuth{}, n},
		ExtraLocales: map[string]string{"en": fakeLocale},
		Store:        o.store,
	})
	b := &bot{h: h, n: n}
	if !o.noStart {
		b.start(e.t)
	}
	return b
}

func (b *bot) start(t *testing.T) {
	t.Helper()
	stop, err := b.h.Kernel.StartServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
}

// login logs user 42 in (chat 42) in lang.
func (e *env) login(b *bot, lang string) *kerneltest.Chat {
	e.t.Helper()
	u := b.h.Private(42)
	u.LanguageCode = lang
	u.Send("/fakelogin "+e.tok+" "+e.org).Expect(e.t, "Logged in (test).")
	return u
}

// ready waits until the replica has subscribed the org's channel and the
// catch-up has set its mark (so a deposit from now on is new).
func (e *env) ready(b *bot) {
	e.t.Helper()
	ch := copperx.PrivateOrgChannel(e.org)
	waitFor(e.t, "subscribed", func() bool { return b.n.pc != nil && b.n.pc.subscribed(ch) })
	waitFor(e.t, "catch-up mark", func() bool {
		raw, _, _ := b.h.Store.Get(context.Background(), lastKey(e.org), 0)
		return raw != nil
	})
}

// deposit makes a deposit at the emulator.
func (e *env) deposit(amount, network string) {
	e.t.Helper()
	if _, err := e.emu.Deposit(e.org, decimal.RequireFromString(amount), "USDC", network); err != nil {
		e.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deposits are the deposit messages the fake Telegram of each replica
// received in chat.
func deposits(chat int64, bots ...*bot) []*fakebot.Message {
	var out []*fakebot.Message
	for _, b := range bots {
		for _, m := range b.h.API.Messages(chat) {
			if strings.Contains(m.Text, "Deposit received") || strings.Contains(m.Text, "Depósito recibido") {
				out = append(out, m)
			}
		}
	}
	return out
}

// waitDeposits waits until chat has n deposit messages, then a moment
// more to be sure no other follows.
func waitDeposits(t *testing.T, chat int64, n int, bots ...*bot) []*fakebot.Message {
	t.Helper()
	waitFor(t, "deposit messages", func() bool { return len(deposits(chat, bots...)) >= n })
	time.Sleep(100 * time.Millisecond)
	got := deposits(chat, bots...)
	if len(got) != n {
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Text)
		}
		t.Fatalf("%d deposit messages, want %d:\n%s", len(got), n, strings.Join(texts, "\n---\n"))
	}
	return got
}

// golden compares got with testdata/<name>.golden (-update rewrites it).
func golden(t *testing.T, name, got string) { t.Helper(); kerneltest.Golden(t, name, got) }
