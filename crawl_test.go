package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/copperx/sandbox"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// variant is config.yaml with every command renamed, or with one plugin
// disabled (and those that need it).
type variant struct {
	name     string
	rename   bool
	disabled []string
	lang     string // the user's Telegram language ("" English)
}

var variants = []variant{
	{name: "renamed", rename: true},
	{name: "no wallet", disabled: []string{"wallet"}},
	{name: "no transfer", disabled: []string{"transfer"}},
	{name: "no notify", disabled: []string{"notify"}},
	{name: "no payees", disabled: []string{"payees"}},
	{name: "no payouts", disabled: []string{"payouts"}},
	{name: "no auth", disabled: []string{"auth", "wallet", "transfer", "notify", "payees", "payouts"}},
}

// crawlWorld is the shipped config in one variant, against the emulator.
type crawlWorld struct {
	h   *kerneltest.Harness
	emu *copperxtest.Server
	u   *kerneltest.Chat
	// commands are the enabled commands (as renamed) by the action they run.
	commands map[string]string
}

func newCrawlWorld(t *testing.T, v variant, opts ...func(*kerneltest.Options)) *crawlWorld {
	t.Helper()
	raw, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	commands := map[string]string{}
	var locale strings.Builder
	for _, c := range cfg["commands"].([]any) {
		cmd := c.(map[string]any)
		name, _ := cmd["name"].(string)
		if v.rename && name != "start" {
			cmd["name"] = name + "x"
			if aliases, ok := cmd["aliases"].([]any); ok {
				for i, a := range aliases {
					aliases[i] = a.(string) + "x"
				}
			}
			if locale.Len() == 0 {
				locale.WriteString("commands:\n")
			}
			fmt.Fprintf(&locale, "  %sx: \"%s (renamed)\"\n", name, name)
		}
		if action, ok := cmd["action"].(string); ok {
			commands[action] = "/" + cmd["name"].(string)
		}
	}
	blocks := cfg["plugins"].(map[string]any)
	for _, p := range v.disabled {
		blocks[p].(map[string]any)["enabled"] = false
		for action := range commands {
			if strings.HasPrefix(action, p+".") {
				delete(commands, action)
			}
		}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	emu := copperxtest.NewTestServer(t, copperxtest.WithAutoSeed(true), copperxtest.WithFixedOTP("123456"))
	cx := copperx.DefaultConfig()
	cx.APIURL, cx.Timeout = emu.URL(), 5*time.Second
	api, err := copperx.New(cx, copperx.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	var ignored struct {
		C map[string]any `koanf:",remain"`
	}
	var nets copperx.Networks
	ko := kerneltest.Options{
		Config:       string(out),
		Plugins:      plugins(api, copperx.DefaultNetworks(), sandbox.PluginOptions{WebsocketURL: emu.WSURL()}),
		Extra:        map[string]any{"copperx": &ignored, "networks": &nets, "sandbox": &ignored},
		ExtraLocales: map[string]string{"en": locale.String()},
		// A test types faster than a person: no limit may cut a walk short.
		Env: []string{"COPPERX_BOT_RATE_LIMITS__DEFAULT__RATE=100000", "COPPERX_BOT_RATE_LIMITS__DEFAULT__BURST=100000",
			"COPPERX_BOT_RATE_LIMITS__TRANSFER__START__BURST=100000", "COPPERX_BOT_RATE_LIMITS__AUTH__OTP__BURST=100000"},
	}
	for _, o := range opts {
		o(&ko)
	}
	h := kerneltest.New(t, ko)
	w := &crawlWorld{h: h, emu: emu, u: h.Private(77), commands: commands}
	if v.lang != "" {
		w.u.LanguageCode = v.lang
	}
	if login := commands["auth.login"]; login != "" {
		w.u.Send(login + " ada@example.com")
		w.u.Send("123456").Expect(t, "Welcome")
		emu.AddTransfers("ada@example.com", 12) // history with two pages
	}
	return w
}

// walk starts from a command and taps every live button it leads to, one
// after the other (Cancel last), typing what a prompt asks for; on the
// first screen it takes button first (so the walks from one command cover
// its branches). It fails on a button that answers "expired", an apology,
// or a button of a disabled plugin, and records every screen it saw.
func (w *crawlWorld) walk(t *testing.T, start string, first, budget int, seen map[string]bool) {
	t.Helper()
	r := w.u.Send(start)
	w.check(t, start, r)
	w.see(r, seen)
	tapped := map[string]bool{}
	if m := w.lastWithButtons(); m != nil {
		var data []fakebot.Button
		for _, b := range m.AllButtons() {
			if b.Data != "" {
				data = append(data, b)
			}
		}
		if first < len(data) {
			w.tap(t, start, m, data[first], tapped, seen)
		}
	}
	for range budget {
		if w.typeAnswer(t, seen) {
			continue
		}
		m, b := w.nextButton(tapped)
		if m == nil {
			return
		}
		w.tap(t, start, m, b, tapped, seen)
	}
}

func (w *crawlWorld) tap(t *testing.T, start string, m *fakebot.Message, b fakebot.Button, tapped, seen map[string]bool) {
	t.Helper()
	tapped[fmt.Sprint(m.ID, b.Data)] = true
	r := w.u.Handle(w.u.CallbackUpdate(m.ID, b.Data))
	w.check(t, fmt.Sprintf("%s → tap %q (%s) on #%d", start, b.Text, kerneltest.Target(b), m.ID), r)
	w.see(r, seen)
}

func (w *crawlWorld) see(r kerneltest.Replies, seen map[string]bool) {
	for _, e := range r {
		if e.Message != nil {
			seen[e.Message.Text] = true
		}
	}
}

// lastWithButtons is the newest message with callback buttons.
func (w *crawlWorld) lastWithButtons() *fakebot.Message {
	msgs := w.h.API.Messages(w.u.ChatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].AllButtons() {
			if b.Data != "" {
				return msgs[i]
			}
		}
	}
	return nil
}

// nextButton is the newest live callback button not tapped yet, Cancel
// and Log out after every other.
func (w *crawlWorld) nextButton(tapped map[string]bool) (*fakebot.Message, fakebot.Button) {
	msgs := w.h.API.Messages(w.u.ChatID)
	for _, last := range []bool{false, true} {
		for i := len(msgs) - 1; i >= 0; i-- {
			for _, b := range msgs[i].AllButtons() {
				target := kerneltest.Target(b)
				ending := target == "cancel" || strings.Contains(target, "logout")
				if b.Data != "" && ending == last && !tapped[fmt.Sprint(msgs[i].ID, b.Data)] {
					return msgs[i], b
				}
			}
		}
	}
	return nil, fakebot.Button{}
}

// typeAnswer types what the open flow asks for, when it asks for text.
func (w *crawlWorld) typeAnswer(t *testing.T, seen map[string]bool) bool {
	if !w.h.Kernel.ExpectsText(context.Background(), w.u.UserID, w.u.ChatID) {
		return false
	}
	last := w.u.Last().Text
	answer := "10"
	switch {
	case strings.Contains(last, "recipient amount"): // /batch
		answer = "bob@example.com 10"
	case strings.Contains(last, "in UTC"): // /schedule's first payout (the harness's clock is 2026-03-20)
		answer = "2026-03-21 09:00"
	case strings.Contains(last, "email"):
		answer = "bob@example.com"
	case strings.Contains(last, "wallet address"):
		answer = "0x1111111111111111111111111111111111111111"
	case strings.Contains(last, "code"):
		answer = "123456"
	}
	r := w.u.Send(answer)
	w.check(t, "typed "+answer, r)
	w.see(r, seen)
	return true
}

func (w *crawlWorld) check(t *testing.T, what string, r kerneltest.Replies) {
	t.Helper()
	text := r.Text()
	for _, bad := range []string{"This button has expired", "something went wrong", "[missing:", "[error:", "I don't know /", "Slow down"} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(bad)) {
			t.Errorf("%s: the bot answered %q:\n%s", what, bad, text)
		}
	}
	for _, e := range r {
		if e.Message == nil {
			continue
		}
		for _, b := range e.Message.AllButtons() {
			target := kerneltest.Target(b)
			if action, ok := strings.CutPrefix(target, "run "); ok {
				action, _, _ = strings.Cut(action, " ")
				if w.commands[action] == "" {
					t.Errorf("%s: button %q runs %s, which no enabled command binds", what, b.Text, action)
				}
			}
		}
	}
}

// screens a walk of every command must reach, by the plugin that shows
// them (English texts).
var screens = map[string][]string{
	"wallet":   {"Your balances", "Your wallets", "Deposit USDC on Polygon"},
	"transfer": {"Please check your transfer", "Sent 10.00 USDC", "Your quote", "Please check your withdrawal", "Withdrawal of 10.00 USDC", "Your transfers"},
	"notify":   {"Deposit notifications are"},
	"payees":   {"Your payees", "New payee", "Saved"},
	"payouts":  {"Please check your batch payout", "✅ Sent: 1", "Please check your scheduled payout", "scheduled payouts"},
	"auth":     {"Verification (KYC/KYB)", "Log out of CopperX"},
}

// TestEveryButtonLeadsSomewhere renames every command and, in turn,
// disables each plugin, then walks from every command through every
// button it leads to (and what its prompts ask for): none answers
// "expired", none leads to a disabled plugin, every screen of the enabled
// plugins is reached, and the links that should be there are.
func TestEveryButtonLeadsSomewhere(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // the variants share nothing; under -race this is CI's longest test
			probe := newCrawlWorld(t, v)
			var starts []string
			for action, cmd := range probe.commands {
				if action != "auth.logout" && action != "auth.login" {
					starts = append(starts, cmd)
				}
			}
			starts = append(starts, probe.commands["auth.logout"])
			slices.Sort(starts)
			seen := map[string]bool{}
			for _, start := range starts {
				if start == "" {
					continue
				}
				t.Run(strings.TrimPrefix(start, "/"), func(t *testing.T) {
					for first := range 4 {
						w := newCrawlWorld(t, v)
						w.walk(t, start, first, 30, seen)
					}
				})
			}
			for plugin, want := range screens {
				if slices.Contains(v.disabled, plugin) {
					continue
				}
				for _, screen := range want {
					if !slices.ContainsFunc(slices.Collect(maps.Keys(seen)), func(s string) bool { return strings.Contains(s, screen) }) {
						t.Errorf("no walk reached a screen with %q", screen)
					}
				}
			}
			// The links a user expects, when their plugin is there.
			w := newCrawlWorld(t, v)
			if balance := w.commands["wallet.balance"]; balance != "" {
				r := w.u.Send(balance)
				hasSend := slices.ContainsFunc(r[len(r)-1].Message.AllButtons(), func(b fakebot.Button) bool {
					return kerneltest.Target(b) == "run transfer.send"
				})
				if want := w.commands["transfer.send"] != ""; hasSend != want {
					t.Errorf("%s shows a Send button: %v, want %v", balance, hasSend, want)
				}
			}
		})
	}
}
