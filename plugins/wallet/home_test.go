package wallet_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// TestHomeLine: the wallet's line of /start is the USDC total across
// networks (test networks left out) and the default wallet's network; it
// is there for a user menus offer /balance, and never fails the screen.
func TestHomeLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       setup
		prepare func(e *plugintest.Env)
		want    string // "" is no line
	}{
		{name: "demo account", want: "💰 <b>1,645.75 USDC</b> in total · default wallet on Polygon"},
		{name: "spanish", s: setup{lang: "es"}, want: "💰 <b>1.645,75 USDC</b> en total · billetera principal en Polygon"},
		{name: "test networks left out", prepare: func(e *plugintest.Env) {
			e.Emu.SetBalance(plugintest.Email, "84532", "USDC", "12.5") // Base Sepolia
		}, want: "💰 <b>1,645.75 USDC</b> in total"},
		{name: "other default", prepare: func(e *plugintest.Env) {
			e.U.Send("/wallets")
			e.U.Tap("Base")
			e.U.Tap("Make default")
			e.U.Tap("Yes, make it default")
		}, want: "default wallet on Base"},
		{name: "empty wallet", s: setup{seed: []copperxtest.SeedOption{copperxtest.SeedBare()}},
			want: "💰 <b>0.00 USDC</b> in total · default wallet on Polygon"},
		{name: "no wallet", prepare: func(e *plugintest.Env) {
			e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: "[]"})
		}, want: "💰 No wallet yet: /wallets creates one."},
		{name: "a balance that does not parse", prepare: func(e *plugintest.Env) {
			body, _ := json.Marshal([]map[string]any{
				{"walletId": walletOn(e, "137").ID, "isDefault": true, "network": "137", "balances": []map[string]any{
					{"decimals": 6, "balance": "12,5 oops", "symbol": "USDC"}}},
				{"walletId": walletOn(e, "8453").ID, "isDefault": false, "network": "8453", "balances": []map[string]any{
					{"decimals": 6, "balance": "300.25", "symbol": "USDC"}}},
			})
			e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: string(body)})
		}, want: "💰 <b>300.25 USDC</b> in total · default wallet on Polygon <i>(some balances are unavailable)</i>"},
		{name: "copperx not answering", prepare: func(e *plugintest.Env) {
			e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 503})
		}, want: "💰 <i>Balance unavailable right now.</i>"},
		{name: "copperx slow", s: setup{config: "plugins: {wallet: {home_timeout: 200ms}}"}, prepare: func(e *plugintest.Env) {
			e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Latency: 5 * time.Second})
		}, want: "💰 <i>Balance unavailable right now.</i>"},
		{name: "token refused", prepare: func(e *plugintest.Env) { e.Emu.ExpireToken(e.Token) }},
		{name: "logged out", s: setup{noLogin: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.s)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			calls := len(e.Emu.CallsTo("GET", "/api/wallets/balances"))
			start := time.Now()
			m := e.U.Send("/start").LastOf(t, "send")
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("/start took %v", took)
			}
			if !strings.Contains(m.Text, "👋") || len(m.AllButtons()) == 0 {
				t.Fatalf("the home screen failed:\n%s", m.Text)
			}
			if tc.want == "" {
				if strings.Contains(m.Text, "💰") {
					t.Fatalf("a balance line:\n%s", m.Text)
				}
				if tc.s.noLogin && len(e.Emu.CallsTo("GET", "/api/wallets/balances")) != calls {
					t.Fatal("asked CopperX for the balance of a user who is logged out")
				}
				return
			}
			if !strings.Contains(m.Text, tc.want) {
				t.Fatalf("home screen lacks %q:\n%s", tc.want, m.Text)
			}
		})
	}
}
