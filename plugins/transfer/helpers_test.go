package transfer

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

const testConfig = `
flows: {timeout: 15m}
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  auth: {enabled: true}
  transfer: {enabled: true}
commands:
  - {name: fakelogin, action: auth.login}
  - {name: send, action: transfer.send}
  - {name: withdraw, action: transfer.withdraw, aliases: [bank]}
  - {name: history, action: transfer.history}
`

const userEmail = "ada@example.com"

type env struct {
	h   *kerneltest.Harness
	emu *copperxtest.Server
	u   *kerneltest.Chat
	api *copperx.Client
	tok string
}

type envOpt struct {
	redis bool
	lang  string // the user's Telegram language ("" = en)
	kyc   string // FakeAuth KYC status ("" = approved)
	store store.Store
	emu   []copperxtest.Option
	// env: extra environment overrides ("K=V").
	env []string
	// shared: reuse this emulator (a second replica).
	shared *copperxtest.Server
}

func newEnv(t *testing.T, o envOpt) *env {
	t.Helper()
	var clock atomic.Pointer[kerneltest.Clock]
	now := func() time.Time {
		if c := clock.Load(); c != nil {
			return c.Now()
		}
		return time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	}
	emu := o.shared
	if emu == nil {
		emu = copperxtest.NewTestServer(t, append([]copperxtest.Option{copperxtest.WithClock(now)}, o.emu...)...)
		emu.SeedUser(userEmail)
	}
	cfg := copperx.DefaultConfig()
	cfg.APIURL = emu.URL()
	cfg.Timeout = 5 * time.Second
	api, err := copperx.New(cfg, copperx.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	opts := kerneltest.Options{
		Config:       testConfig,
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, New(api, copperx.DefaultNetworks())},
		ExtraLocales: map[string]string{"en": plugintest.Locale},
		// Reconciliation polls quickly in tests (default 1s apart).
		Env: append([]string{"COPPERX_BOT_PLUGINS__TRANSFER__RECONCILE_INTERVAL=5ms"}, o.env...),
	}
	switch {
	case o.store != nil:
		opts.Store = o.store
	case o.redis:
		rdb, prefix := storetest.Redis(t)
		opts.Store = store.NewRedis(rdb, prefix)
	}
	h := kerneltest.New(t, opts)
	if o.shared == nil {
		clock.Store(h.Clock)
	}
	u := h.Private(42)
	if o.lang != "" {
		u.LanguageCode = o.lang
	}
	tok := emu.IssueToken(userEmail)
	u.Send("/fakelogin " + tok + " " + o.kyc)
	return &env{h: h, emu: emu, u: u, api: api, tok: tok}
}

// balance is the user's Polygon USDC balance at the emulator.
func (e *env) balance() string {
	return e.emu.Balance(userEmail, copperxtest.NetworkPolygon, "USDC").String()
}

// posts counts POSTs to path at the emulator.
func (e *env) posts(path string) int { return len(e.emu.CallsTo("POST", path)) }

// confirmData is the Confirm button's data on the newest summary.
func (e *env) confirmData(t *testing.T) (int64, string) {
	t.Helper()
	m, b := e.u.FindButton("Confirm")
	if m == nil {
		t.Fatal("no Confirm button")
	}
	return m.ID, b.Data
}
