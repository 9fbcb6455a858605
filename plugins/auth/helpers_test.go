package auth_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/plugins/auth"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

// The auth tests run the real plugin against the CopperX emulator, with a
// probe plugin standing for the plugins behind its guards (so they do
// not use plugintest.New, whose FakeAuth would take auth's place).

// testConfig: the probe's actions behind the guards, a default limit no
// test trips by accident. fixtureOptions.config is merged over it.
const testConfig = `
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  auth: {enabled: true}
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
  - {name: note, action: probe.note}
  - {name: moved, action: probe.moved}
`

// walletConfig is testConfig with the real wallet plugin behind /balance,
// /wallets and /deposit, and the command list of a /start menu.
const walletConfig = `
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  auth: {enabled: true}
  probe: {enabled: true}
  wallet: {enabled: true}
  transfer: {enabled: true}
commands:
  - {name: start, action: kernel.start}
  - {name: login, action: auth.login, menu: true}
  - {name: balance, action: wallet.balance, menu: true}
  - {name: send, action: transfer.send, menu: true}
  - {name: deposit, action: wallet.deposit, menu: true}
  - {name: wallets, action: wallet.wallets, menu: true}
  - {name: profile, action: auth.profile, aliases: [me], menu: true}
  - {name: kyc, action: auth.kyc, menu: true}
  - {name: logout, action: auth.logout, menu: true}
  - {name: help, action: kernel.help, menu: true}
`

// defaultMenu is plugins.auth.menu unless a test sets its own.
var defaultMenu = []string{"probe.balance", "probe.send"}

const probeLocale = `
commands:
  remember: "Remember a note (test)"
  note: "Take a note (test)"
  moved: "Move money, then fail (test)"
probe:
  balance: "Probe balance: {{.amount}}"
  send: "Probe send allowed."
  refreshed: "Probe refreshed."
  ask_note: "Probe: which note?"
  noted: "Probe noted: {{.note}}"
`

// probe is a test plugin with guarded actions that use the principal's
// token, a guarded flow, and listeners of the login events.
type probe struct {
	api *copperx.Client

	mu        sync.Mutex
	lastToken string
	events    []string // "in" for kernel.LoggedIn, "out:<reason>" for kernel.LoggedOut
	logins    []*kernel.Principal
	logouts   []*kernel.Principal
	// live records, for each kernel.LoggedOut, whether CopperX still
	// took its token when the listener heard it (only when checkLive).
	checkLive bool
	live      []bool
}

// probeNote is the data of the probe's one-step flow.
type probeNote struct {
	Text string `json:"text"`
}

func (p *probe) Name() string { return "probe" }

func (p *probe) Setup(r *kernel.Registrar) error {
	r.Action("balance", func(c *kernel.Ctx) error {
		accessToken := c.Principal().Token.Reveal()
		p.mu.Lock()
		p.lastToken = accessToken
		p.mu.Unlock()
		b, err := p.api.DefaultBalance(c, copperx.NewToken(accessToken))
		if err != nil {
			return err
		}
		_, err = c.Say("probe.balance", map[string]any{"amount": b.Raw}, nil)
		return err
	}, kernel.Private(), kernel.Guard(auth.GuardAuth))
	r.Action("send", func(c *kernel.Ctx) error {
		_, err := c.Say("probe.send", nil, nil)
		return err
	}, kernel.Private(), kernel.Guard(auth.GuardAuth, auth.GuardKYC))
	r.Action("remember", func(c *kernel.Ctx) error { return c.Set("probe.note", "kept") }, kernel.Guard(auth.GuardAuth))
	// A money handler whose update moved money, then met CopperX not
	// answering: the error is its own to word, not the auth plugin's.
	r.Action("moved", func(c *kernel.Ctx) error {
		c.Irreversible()
		_, err := p.api.DefaultBalance(c, copperx.NewToken(c.Principal().Token.Reveal()))
		return err
	}, kernel.Private(), kernel.Guard(auth.GuardAuth))
	// An action no command binds: a menu leaves it out.
	r.Action("unbound", func(*kernel.Ctx) error { return nil })
	// A guarded action that starts a flow, to resume after a login.
	r.Action("note", func(c *kernel.Ctx) error { return c.StartFlow("note", probeNote{}) }, kernel.Private(), kernel.Guard(auth.GuardAuth))
	r.Flow("note", kernel.Flow[probeNote]{Version: 1, Steps: []kernel.Step[probeNote]{{
		Name: "text",
		Ask: func(c *kernel.Ctx, _ *probeNote) error {
			_, err := c.Say("probe.ask_note", nil, kernel.NewKeyboard().Row(c.CancelButton()))
			return err
		},
		Text: func(c *kernel.Ctx, d *probeNote) (kernel.Move, error) {
			if _, err := p.api.DefaultBalance(c, copperx.NewToken(c.Principal().Token.Reveal())); err != nil {
				return kernel.Stay, err // a 401 here is the auth plugin's
			}
			d.Text = c.Text()
			_, err := c.Say("probe.noted", map[string]any{"note": d.Text}, nil)
			return kernel.Done, err
		},
	}}}, kernel.Guard(auth.GuardAuth))
	// A guarded button, like the wallet's Refresh: taps are not remembered
	// for after a login.
	r.Callback("refresh", func(c *kernel.Ctx) error {
		_, err := c.Say("probe.refreshed", nil, nil)
		return err
	}, kernel.Private(), kernel.Guard(auth.GuardAuth))
	kernel.On(r, func(_ *kernel.Ctx, e kernel.LoggedIn) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.events = append(p.events, "in")
		p.logins = append(p.logins, e.Principal)
		return nil
	})
	kernel.On(r, func(c *kernel.Ctx, e kernel.LoggedOut) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.checkLive {
			_, err := p.api.Me(c, copperx.NewToken(e.Principal.Token.Reveal()))
			p.live = append(p.live, err == nil)
		}
		p.events = append(p.events, "out:"+e.Reason)
		p.logouts = append(p.logouts, e.Principal)
		return nil
	})
	return nil
}

func (p *probe) token() string { p.mu.Lock(); defer p.mu.Unlock(); return p.lastToken }

// eventLog is the events the probe heard, comma-separated.
func (p *probe) eventLog() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.events, ",")
}

// sendStandIn stands for the transfer plugin next to the real wallet
// plugin: its send (behind both guards) is what the Send button under
// /balance links to.
type sendStandIn struct{}

func (sendStandIn) Name() string { return "transfer" }

func (sendStandIn) Setup(r *kernel.Registrar) error {
	r.Action("send", func(c *kernel.Ctx) error {
		_, err := c.Say("probe.send", nil, nil)
		return err
	}, kernel.Private(), kernel.Guard(auth.GuardAuth, auth.GuardKYC))
	return nil
}

// absentPlugin is a plugin the kernel knows but config leaves disabled:
// links to its actions are valid, and their buttons are left out.
type absentPlugin string

func (p absentPlugin) Name() string                { return string(p) }
func (absentPlugin) Setup(*kernel.Registrar) error { return nil }

type fixture struct {
	h          *kerneltest.Harness
	emu        *copperxtest.Server
	probe      *probe
	clientLogs *kerneltest.SyncBuffer
}

type fixtureOptions struct {
	emulator []copperxtest.Option
	menu     []string // plugins.auth.menu; nil: defaultMenu
	config   string   // YAML merged over testConfig (lists appended)
	env      []string
	store    store.Store
	plugins  []kernel.Plugin // more plugins (disabled ones, say)
	// wallet runs the real wallet plugin (walletConfig instead of
	// testConfig; the menu defaults to its actions).
	wallet bool
	// apiTimeout bounds each CopperX call (default: the client's).
	apiTimeout time.Duration
}

// newFixture starts the emulator (every email gets the demo account), the
// auth plugin and the probe on the fake Bot API; the emulator and the rate
// limiter follow the harness's clock.
func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	var clock atomic.Pointer[kerneltest.Clock] // the harness's, once it runs
	now := func() time.Time {
		if c := clock.Load(); c != nil {
			return c.Now()
		}
		return kerneltest.NewClock().Now() // the harness clock's first instant
	}
	emu := copperxtest.NewTestServer(t, append([]copperxtest.Option{
		copperxtest.WithAutoSeed(true), copperxtest.WithClock(now),
	}, o.emulator...)...)
	logs := &kerneltest.SyncBuffer{}
	cfg := copperx.DefaultConfig()
	cfg.APIURL = emu.URL()
	cfg.MaxRetries = 0
	if o.apiTimeout > 0 {
		cfg.Timeout = o.apiTimeout
	}
	api, err := copperx.New(cfg, copperx.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	menu, base := o.menu, testConfig
	if o.wallet {
		base = walletConfig
		if menu == nil {
			menu = []string{"wallet.balance", "transfer.send", "wallet.deposit"}
		}
	}
	if menu == nil {
		menu = defaultMenu
	}
	menuYAML, err := json.Marshal(map[string]any{"plugins": map[string]any{"auth": map[string]any{"menu": menu}}})
	if err != nil {
		t.Fatal(err)
	}
	config, err := plugintest.MergeYAML(base, string(menuYAML))
	if err == nil {
		config, err = plugintest.MergeYAML(config, o.config)
	}
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	pr := &probe{api: api}
	plugins := append([]kernel.Plugin{auth.New(api), pr}, o.plugins...)
	if o.wallet {
		plugins = append(plugins, wallet.New(api, copperx.DefaultNetworks()), sendStandIn{})
	}
	h := kerneltest.New(t, kerneltest.Options{
		Config:       config,
		Plugins:      plugins,
		ExtraLocales: map[string]string{"en": probeLocale},
		Store:        o.store,
		Env:          o.env,
		Limiter:      ratelimit.NewMemory(ratelimit.WithClock(now)),
	})
	clock.Store(h.Clock)
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
	raw, _, err := h.Store.Get(context.Background(), store.SessionKey(strconv.FormatInt(userID, 10)), 0)
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

// flowStep is the step of the user's open flow ("" when none).
func flowStep(t *testing.T, h *kerneltest.Harness, userID int64) string {
	t.Helper()
	s, _ := session(t, h, userID)
	flow, _ := s["flow"].(map[string]any)
	step, _ := flow["step"].(string)
	return step
}

// wrongCode is a well-formed code other than right.
func wrongCode(right string) string {
	if right == "000000" {
		return "111111"
	}
	return "000000"
}

// lastSent is the newest message sent among the replies.
func lastSent(r kerneltest.Replies) *fakebot.Message {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i].Kind == "send" {
			return r[i].Message
		}
	}
	return &fakebot.Message{}
}

// buttons lists a message's buttons as "label → target" (kerneltest.Target).
func buttons(m *fakebot.Message) string {
	var out []string
	for _, b := range m.AllButtons() {
		out = append(out, b.Text+" → "+kerneltest.Target(b))
	}
	return strings.Join(out, "; ")
}

// liveButtons counts the messages of a chat that still carry buttons.
func liveButtons(h *kerneltest.Harness, chatID int64) int {
	n := 0
	for _, m := range h.API.Messages(chatID) {
		if len(m.AllButtons()) > 0 {
			n++
		}
	}
	return n
}

// balancesButton is the data of the Wallet balances button of m.
func balancesButton(t *testing.T, m *fakebot.Message) string {
	t.Helper()
	for _, b := range m.AllButtons() {
		if b.Text == "Wallet balances" {
			return b.Data
		}
	}
	t.Fatalf("no Wallet balances button in %q", m.Text)
	return ""
}
