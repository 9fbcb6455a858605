package wallet_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

func TestBalanceSeveralNetworksAndTokens(t *testing.T) {
	for _, tc := range []struct {
		lang    string
		want    []string
		unknown string // how a chain id config does not know is named
	}{
		{"en", []string{"<b>Polygon</b> ⭐ default\n• 1,234,567.890123 USDC", "<b>network 777</b>\n• 2.00 USDC",
			"• 5.00 STRK", "<b>Total across networks</b>\n• 1,234,965.140123 USDC\n• 5.00 STRK"}, "network 777"},
		{"es", []string{"<b>Polygon</b> ⭐ principal\n• 1.234.567,890123 USDC", "<b>red 777</b>\n• 2,00 USDC",
			"• 5,00 STRK", "<b>Total en todas las redes</b>\n• 1.234.965,140123 USDC\n• 5,00 STRK"}, "red 777"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: tc.lang})
			e.Emu.SetBalance(plugintest.Email, "137", "USDC", "1234567.890123")
			e.Emu.SetBalance(plugintest.Email, "777", "USDC", "2") // a chain id config does not know
			tr := kerneltest.NewTranscript(e.U)
			m := tr.Send("/balance").LastOf(t, "send")
			tr.Check(t, "balance_"+tc.lang)
			for _, s := range tc.want {
				if !strings.Contains(m.Text, s) {
					t.Errorf("balance lacks %q:\n%s", s, m.Text)
				}
			}
			// Default first, then the configured order, unknown ids last.
			last := -1
			for _, n := range []string{"Polygon", "Arbitrum One", "Base", "Starknet", tc.unknown} {
				i := strings.Index(m.Text, "<b>"+n+"</b>")
				if i <= last {
					t.Fatalf("%s out of order in:\n%s", n, m.Text)
				}
				last = i
			}
		})
	}
}

// TestAmountsTheUsersWay: amounts are printed exactly, with the
// separators of the user's language file and at least two decimals (fewer
// only for a token with fewer).
func TestAmountsTheUsersWay(t *testing.T) {
	amounts := []struct {
		balance  string
		decimals int
		en, es   string
	}{
		{"1234567.890123", 6, "1,234,567.890123", "1.234.567,890123"},
		{"1250.50", 6, "1,250.50", "1.250,50"},
		{"300", 6, "300.00", "300,00"},
		{"0.000001", 6, "0.000001", "0,000001"},
		{"999.999", 6, "999.999", "999,999"},
		{"12345678901234567890.123456789012345678", 18, "12,345,678,901,234,567,890.123456789012345678", "12.345.678.901.234.567.890,123456789012345678"},
		{"5", 1, "5.0", "5,0"},
		{"100000", 0, "100,000.00", "100.000,00"},
	}
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, setup{lang: lang})
			var balances []map[string]any
			for i, a := range amounts {
				balances = append(balances, map[string]any{"decimals": a.decimals, "balance": a.balance,
					"symbol": fmt.Sprintf("TK%d", i), "address": "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"})
			}
			body, err := json.Marshal([]map[string]any{
				{"walletId": walletOn(e, "137").ID, "isDefault": true, "network": "137", "balances": balances}})
			if err != nil {
				t.Fatal(err)
			}
			e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: string(body)})
			m := e.U.Send("/balance").LastOf(t, "send")
			for i, a := range amounts {
				want := map[string]string{"en": a.en, "es": a.es}[lang]
				if line := fmt.Sprintf("• %s TK%d\n", want, i); !strings.Contains(m.Text, line) {
					t.Errorf("%s (%d decimals): want %q in:\n%s", a.balance, a.decimals, line, m.Text)
				}
			}
		})
	}
}

func TestRefreshEditsInPlace(t *testing.T) {
	e := newEnv(t, setup{})
	first := e.U.Send("/balance").LastOf(t, "send")
	e.Emu.SetBalance(plugintest.Email, "8453", "USDC", "310.5")
	r := e.U.Tap("Refresh")
	if slices.Contains(r.Kinds(), "send") {
		t.Fatalf("refresh sent a new message: %v", r.Kinds())
	}
	edited := r.LastOf(t, "edit")
	if edited.ID != first.ID {
		t.Fatalf("refresh edited message %d, want %d", edited.ID, first.ID)
	}
	if !strings.Contains(edited.Text, "• 310.50 USDC") || !strings.Contains(edited.Text, "• 1,656.25 USDC") {
		t.Fatalf("refreshed balance:\n%s", edited.Text)
	}
	r.Expect(t, "Balances updated")
	// Nothing changed: Telegram's "not modified" is not an error.
	e.U.Tap("Refresh").Expect(t, "Balances updated")
	if n := len(e.H.API.Messages(42)); n != 2 { // login reply + the balance
		t.Fatalf("%d messages in the chat, want 2", n)
	}
}

// TestSendButton: Send under /balance leads to the action transfer.send,
// through whatever command config binds to it, and is left out when none
// does.
func TestSendButton(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		send   string
		shown  bool
	}{
		{name: "bound", shown: true},
		{name: "renamed command", send: "commands: [{name: pay, action: transfer.send}]", shown: true},
		{name: "transfer plugin disabled", config: "plugins: {transfer: {enabled: false}}"},
		{name: "send command disabled", send: "commands: [{name: send, action: transfer.send, enabled: false}]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{config: tc.config, send: tc.send})
			m := e.U.Send("/balance").LastOf(t, "send")
			want := []string{"📥 Deposit", "📤 Send", "👛 Wallets", "🔄 Refresh"}
			if !tc.shown {
				want = slices.DeleteFunc(want, func(s string) bool { return s == "📤 Send" })
			}
			if got := m.Labels(); !slices.Equal(got, want) {
				t.Fatalf("buttons = %q, want %q", got, want)
			}
			if tc.shown {
				e.U.Tap("Send").Expect(t, "Send flow (stub).")
			}
		})
	}
}

func TestWalletsButton(t *testing.T) {
	e := newEnv(t, setup{})
	balance := e.U.Send("/balance").LastOf(t, "send")
	m := e.U.Tap("Wallets").LastOf(t, "send")
	if m.ID == balance.ID || !strings.Contains(m.Text, "Your wallets") {
		t.Fatalf("wallets (message %d, balance %d):\n%s", m.ID, balance.ID, m.Text)
	}
}

func TestEmptyAccount(t *testing.T) {
	e := newEnv(t, setup{seed: []copperxtest.SeedOption{copperxtest.SeedBare()}})
	tr := kerneltest.NewTranscript(e.U)
	tr.Send("/balance")
	tr.Check(t, "balance_bare_en")
	// One wallet: /deposit shows it, with no "Other network".
	photo := e.U.Send("/deposit").LastOf(t, "photo")
	if got := photo.Labels(); !slices.Equal(got, []string{"📋 Copy address"}) {
		t.Fatalf("buttons = %q", got)
	}
}

func TestUnparseableBalance(t *testing.T) {
	e := newEnv(t, setup{})
	body, err := json.Marshal([]map[string]any{
		{"walletId": walletOn(e, "137").ID, "isDefault": true, "network": "137", "balances": []map[string]any{
			{"decimals": 6, "balance": "12,5 oops", "symbol": "USDC", "address": "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"}}},
		{"walletId": walletOn(e, "8453").ID, "isDefault": false, "network": "8453", "balances": []map[string]any{
			{"decimals": 6, "balance": "300.25", "symbol": "USDC", "address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: string(body)})
	m := e.U.Send("/balance").LastOf(t, "send")
	for _, s := range []string{"<b>Polygon</b> ⭐ default\n• USDC: <i>unavailable right now</i>",
		"• 300.25 USDC <i>(partial: some balances are unavailable)</i>"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("balance lacks %q:\n%s", s, m.Text)
		}
	}
	if strings.Contains(m.Text, "• 0.00 USDC") || strings.Contains(m.Text, "Nothing here yet") {
		t.Fatalf("an unparseable balance shown as zero:\n%s", m.Text)
	}
	e.U.Tap("Refresh")
	e.U.Send("/wallets")
	e.U.Tap("⭐ Polygon").Expect(t, "USDC: <i>unavailable right now</i>")
	if n := strings.Count(e.H.Logs.String(), "balance does not parse"); n != 1 {
		t.Fatalf("logged %d times, want once", n)
	}
}

func TestTestnets(t *testing.T) {
	for _, show := range []bool{false, true} {
		t.Run(fmt.Sprint("show=", show), func(t *testing.T) {
			e := newEnv(t, setup{config: fmt.Sprintf("plugins: {wallet: {show_testnets: %v}}", show)})
			e.Emu.SetBalance(plugintest.Email, "80002", "USDC", "0")    // empty testnet wallet
			e.Emu.SetBalance(plugintest.Email, "84532", "USDC", "12.5") // testnet wallet with funds
			m := e.U.Send("/balance").LastOf(t, "send")
			if got := strings.Contains(m.Text, "Polygon Amoy"); got != show {
				t.Errorf("empty testnet wallet shown = %v:\n%s", got, m.Text)
			}
			if !strings.Contains(m.Text, "<b>Base Sepolia 🧪</b>\n• 12.50 USDC") {
				t.Errorf("funded testnet wallet missing:\n%s", m.Text)
			}
			// Test money is not added to the totals.
			if !strings.Contains(m.Text, "<b>Total across networks</b>\n• 1,645.75 USDC") {
				t.Errorf("totals:\n%s", m.Text)
			}
		})
	}
}
