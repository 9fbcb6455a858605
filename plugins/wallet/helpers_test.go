package wallet_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

const email = "ada@example.com"

// baseConfig enables FakeAuth, the wallet plugin and a stand-in /send; the
// wallet block is appended by each test (wallet: {enabled: true} by default).
const baseConfig = `
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
commands:
  - {name: fakelogin, action: auth.login}
  - {name: balance, action: wallet.balance, menu: true}
  - {name: wallets, action: wallet.wallets, menu: true}
  - {name: deposit, action: wallet.deposit, menu: true}
  - {name: send, action: stub.send, menu: true}
plugins:
  auth: {enabled: true}
  stub: {enabled: true}
`

const stubLocale = `
stub:
  send: "Send flow (stub)."
  relogin: "Please log in again (stub)."
`

// stub stands in for the transfer plugin's /send.
type stub struct{}

func (stub) Name() string { return "stub" }
func (stub) Setup(r *kernel.Registrar) error {
	r.Action("send", func(c *kernel.Ctx) error { _, err := c.Say("stub.send", nil, nil); return err })
	// As plugins/auth does: a 401 from any handler asks for a new login.
	r.OnError(func(c *kernel.Ctx, err error) bool {
		if !errors.Is(err, copperx.ErrUnauthorized) {
			return false
		}
		_, _ = c.Say("stub.relogin", nil, nil)
		return true
	})
	return nil
}

// env is one test's world: the CopperX emulator, a client of it, the bot.
type env struct {
	t   *testing.T
	emu *copperxtest.Server
	api *copperx.Client
	h   *kerneltest.Harness
	tok string
}

type setup struct {
	walletBlock string // the plugins.wallet block, default "{enabled: true}"
	seed        []copperxtest.SeedOption
	opts        func(*kerneltest.Options)
}

func newEnv(t *testing.T, s setup) *env {
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
	emu.SeedUser(email, s.seed...)
	block := s.walletBlock
	if block == "" {
		block = "{enabled: true}"
	}
	o := kerneltest.Options{
		Config:       baseConfig + "  wallet: " + block + "\n",
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, wallet.New(api, copperx.DefaultNetworks()), stub{}},
		ExtraLocales: map[string]string{"en": plugintest.Locale + stubLocale},
	}
	if s.opts != nil {
		s.opts(&o)
	}
	return &env{t: t, emu: emu, api: api, h: kerneltest.New(t, o), tok: emu.IssueToken(email)}
}

// login returns a logged-in private chat of user 42 in lang.
func (e *env) login(lang string) *kerneltest.Chat {
	e.t.Helper()
	u := e.h.Private(42)
	u.LanguageCode = lang
	u.Send("/fakelogin "+e.tok).Expect(e.t, "Logged in (test).")
	return u
}

// wallets asks the emulator for the user's wallets through the client.
func (e *env) wallets() []copperx.Wallet {
	e.t.Helper()
	ws, err := e.api.Wallets(context.Background(), copperx.NewToken(e.tok))
	if err != nil {
		e.t.Fatal(err)
	}
	return ws
}

func (e *env) walletOn(network string) copperx.Wallet {
	e.t.Helper()
	for _, w := range e.wallets() {
		if w.Network == network {
			return w
		}
	}
	e.t.Fatalf("no wallet on %s", network)
	return copperx.Wallet{}
}

func (e *env) defaultNetwork() string {
	e.t.Helper()
	w, err := e.api.DefaultWallet(context.Background(), copperx.NewToken(e.tok))
	if err != nil {
		e.t.Fatal(err)
	}
	return w.Network
}

// render is a message as a person sees it: text, then the buttons.
func render(m *fakebot.Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	for _, row := range m.Buttons {
		b.WriteString("\n")
		for i, btn := range row {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString("[" + btn.Text)
			switch {
			case btn.Data != "":
				b.WriteString(" → " + btn.Data)
			case btn.URL != "":
				b.WriteString(" ↗ " + btn.URL)
			case btn.Copy != "":
				b.WriteString(" ⧉ " + btn.Copy)
			}
			b.WriteString("]")
		}
	}
	return b.String() + "\n"
}

// golden compares got with testdata/<name>.golden (-update rewrites it).
func golden(t *testing.T, name, got string) { t.Helper(); kerneltest.Golden(t, name, got) }

// lastOf is the newest event of kind in r.
func lastOf(t *testing.T, r kerneltest.Replies, kind string) *fakebot.Message {
	t.Helper()
	for i := len(r) - 1; i >= 0; i-- {
		if r[i].Kind == kind {
			return r[i].Message
		}
	}
	t.Fatalf("no %q event in %v: %s", kind, r.Kinds(), r.Text())
	return nil
}
