// Package plugintest is the one test environment of the plugins: the
// CopperX emulator, a client of it, the kernel on the fake Bot API
// (kerneltest), and FakeAuth, a stand-in for plugins/auth that logs a user
// in with a token the emulator issued and emits kernel.LoggedIn and
// kernel.LoggedOut, so a plugin is tested without the real login flow.
package plugintest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// Email is the seeded user every Env logs in as.
const Email = "ada@example.com"

// baseConfig: FakeAuth with /fakelogin and /fakelogout, and a default
// limit no test trips by accident. Options.Config is merged over it
// (sections merged, lists appended).
const baseConfig = `
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  auth: {enabled: true}
commands:
  - {name: fakelogin, action: auth.login}
  - {name: fakelogout, action: auth.logout}
`

// Locale holds FakeAuth's strings (English).
const Locale = `
commands:
  fakelogin: "Log in (test)"
  fakelogout: "Log out (test)"
plugintest:
  usage: "Usage: /fakelogin &lt;token&gt; [kyc] [org]"
  login_required: "Please log in first (test guard)."
  kyc_required: "KYC not approved (test guard)."
  logged_in: "Logged in (test)."
  logged_out: "Logged out (test)."
`

// Options shape a plugin test's world; every field is optional but
// Plugins.
type Options struct {
	// Plugins builds the plugins under test around the CopperX client
	// (FakeAuth comes first).
	Plugins func(api *copperx.Client) []kernel.Plugin
	// Config is YAML merged over the base: plugin blocks, commands, limits.
	Config string
	// Locales is YAML merged into a language's file ("en": "...").
	Locales map[string]string
	// Env adds environment overrides ("K=V").
	Env []string
	// Store is the session store (default: a fresh memory store); Redis
	// uses the Redis at REDIS_URL, else an in-process miniredis.
	Store store.Store
	Redis bool
	// Emulator is shared with another Env (a second replica); else a new
	// one is started with EmulatorOptions and Email seeded with Seed.
	Emulator        *copperxtest.Server
	EmulatorOptions []copperxtest.Option
	Seed            []copperxtest.SeedOption
	// Lang is the user's Telegram language (default "en"); KYC the status
	// FakeAuth records (default "approved"); UserID the Telegram user
	// (default 42). NoLogin leaves the user logged out.
	Lang    string
	KYC     string
	UserID  int64
	NoLogin bool
	// Harness adjusts the kernel's options last.
	Harness func(*kerneltest.Options)
}

// Env is one plugin test's world.
type Env struct {
	T     *testing.T
	H     *kerneltest.Harness
	Emu   *copperxtest.Server
	API   *copperx.Client
	U     *kerneltest.Chat // the user, logged in unless NoLogin
	Token string           // the user's CopperX token
}

// New builds an Env; everything stops when the test ends.
func New(t *testing.T, o Options) *Env {
	t.Helper()
	var clock atomic.Pointer[kerneltest.Clock]
	now := func() time.Time {
		if c := clock.Load(); c != nil {
			return c.Now()
		}
		return kerneltest.NewClock().Now()
	}
	emu := o.Emulator
	if emu == nil {
		emu = copperxtest.NewTestServer(t, append([]copperxtest.Option{copperxtest.WithClock(now)}, o.EmulatorOptions...)...)
		emu.SeedUser(Email, o.Seed...)
	}
	cfg := copperx.DefaultConfig()
	cfg.APIURL = emu.URL()
	cfg.Timeout = 5 * time.Second
	cfg.RetryBaseDelay, cfg.RetryMaxDelay = time.Millisecond, time.Millisecond
	api, err := copperx.New(cfg, copperx.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	config, err := MergeYAML(baseConfig, o.Config)
	if err != nil {
		t.Fatalf("plugintest: config: %v", err)
	}
	locales := map[string]string{}
	for lang, y := range o.Locales {
		locales[lang] = y
	}
	if locales["en"], err = MergeYAML(Locale, locales["en"]); err != nil {
		t.Fatalf("plugintest: locale: %v", err)
	}
	ko := kerneltest.Options{
		Config:       config,
		Plugins:      append([]kernel.Plugin{FakeAuth{}}, o.Plugins(api)...),
		ExtraLocales: locales,
		Env:          o.Env,
		Store:        o.Store,
	}
	if ko.Store == nil && o.Redis {
		rdb, prefix := storetest.Redis(t)
		ko.Store = store.NewRedis(rdb, prefix)
	}
	if o.Harness != nil {
		o.Harness(&ko)
	}
	h := kerneltest.New(t, ko)
	if o.Emulator == nil {
		clock.Store(h.Clock)
	}
	userID := o.UserID
	if userID == 0 {
		userID = 42
	}
	u := h.Private(userID)
	if o.Lang != "" {
		u.LanguageCode = o.Lang
	}
	e := &Env{T: t, H: h, Emu: emu, API: api, U: u, Token: emu.IssueToken(Email)}
	if !o.NoLogin {
		e.Login(u, o.KYC)
	}
	return e
}

// Login logs chat's user in with the Env's token; kyc "" is approved.
func (e *Env) Login(u *kerneltest.Chat, kyc string) {
	e.T.Helper()
	if kyc == "" {
		kyc = "approved"
	}
	u.Send("/fakelogin "+e.Token+" "+kyc+" "+e.Emu.OrgID(Email)).Expect(e.T, "Logged in (test).")
}

// Balance is the user's USDC balance on Polygon at the emulator, as text.
func (e *Env) Balance() string {
	return e.Emu.Balance(Email, copperxtest.NetworkPolygon, "USDC").String()
}

// Posts counts the POSTs the emulator received at path.
func (e *Env) Posts(path string) int { return len(e.Emu.CallsTo("POST", path)) }

// Wallets asks the emulator for the user's wallets through the client.
func (e *Env) Wallets() []copperx.Wallet {
	e.T.Helper()
	ws, err := e.API.Wallets(context.Background(), copperx.NewToken(e.Token))
	if err != nil {
		e.T.Fatal(err)
	}
	return ws
}

// MergeYAML merges the YAML document over over base: maps key by key,
// lists appended, other values replaced.
func MergeYAML(base, over string) (string, error) {
	var a, b map[string]any
	if err := yaml.Unmarshal([]byte(base), &a); err != nil {
		return "", err
	}
	if err := yaml.Unmarshal([]byte(over), &b); err != nil {
		return "", err
	}
	if a == nil {
		a = map[string]any{}
	}
	merge(a, b)
	out, err := yaml.Marshal(a)
	return string(out), err
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		switch sv := v.(type) {
		case map[string]any:
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sv)
				continue
			}
		case []any:
			if dl, ok := dst[k].([]any); ok {
				dst[k] = append(dl, sv...)
				continue
			}
		}
		dst[k] = v
	}
}
