package wallet_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

func TestSetDefaultWithConfirm(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			e := newEnv(t, setup{redis: backend == "redis"})
			u := e.U
			base := walletOn(e, "8453")
			list := u.Send("/wallets").LastOf(t, "send")
			if !strings.Contains(list.Text, "<b>Polygon</b> — <code>0x") || !strings.Contains(list.Text, "⭐ default") {
				t.Fatalf("list:\n%s", list.Text)
			}
			if got := list.AllButtons()[0].Text; !strings.HasPrefix(got, "⭐ Polygon · 0x") {
				t.Fatalf("first button %q, want the default wallet", got)
			}

			details := u.Tap("Base ·").LastOf(t, "edit")
			if details.ID != list.ID || !strings.Contains(details.Text, "<code>"+base.WalletAddress+"</code>") ||
				!strings.Contains(details.Text, "• 300.00 USDC") || !strings.Contains(details.Text, `href="https://basescan.org/address/`+base.WalletAddress+`"`) {
				t.Fatalf("details (message %d, list %d):\n%s", details.ID, list.ID, details.Text)
			}
			if btn := details.AllButtons()[0]; btn.Copy != base.WalletAddress {
				t.Fatalf("copy button = %+v", btn)
			}

			confirm := u.Tap("Make default").LastOf(t, "edit")
			if confirm.ID != list.ID || !strings.Contains(confirm.Text, "Make your <b>Base</b> wallet") {
				t.Fatalf("confirm:\n%s", confirm.Text)
			}
			if n := e.Posts("/api/wallets/default"); n != 0 {
				t.Fatalf("default changed before confirming (%d calls)", n)
			}
			done := u.Tap("Yes").LastOf(t, "edit")
			if done.ID != list.ID || !strings.Contains(done.Text, "Your <b>Base</b> wallet is now the default.") ||
				!strings.HasPrefix(done.AllButtons()[0].Text, "⭐ Base") {
				t.Fatalf("updated list:\n%s\n%q", done.Text, done.Labels())
			}
			if got := defaultNetwork(e); got != "8453" {
				t.Fatalf("emulator default = %s, want 8453", got)
			}
			// The details of the new default offer no "Make default".
			details = u.Tap("⭐ Base").LastOf(t, "edit")
			if slices.ContainsFunc(details.Labels(), func(l string) bool { return strings.Contains(l, "Make default") }) {
				t.Fatal("default wallet offers Make default")
			}
			back := u.Tap("Back").LastOf(t, "edit")
			if back.ID != list.ID || !strings.Contains(back.Text, "Your wallets") {
				t.Fatalf("back:\n%s", back.Text)
			}
		})
	}
}

func TestCancelMakeDefault(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/wallets")
	e.U.Tap("Base ·")
	e.U.Tap("Make default")
	details := e.U.Tap("No").LastOf(t, "edit")
	if !strings.Contains(details.Text, "Base wallet") {
		t.Fatalf("after No:\n%s", details.Text)
	}
	if got := defaultNetwork(e); got != "137" {
		t.Fatalf("default = %s after No", got)
	}
	if n := e.Posts("/api/wallets/default"); n != 0 {
		t.Fatalf("%d set-default calls after No", n)
	}
}

func TestCreateWallet(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/wallets")
	choices := u.Tap("New wallet").LastOf(t, "edit")
	// The API offers 137, 8453, 42161, 23434, 1399811149; the demo account
	// holds all but Solana.
	if got := choices.Labels(); !slices.Equal(got, []string{"Solana", "⬅️ Back"}) {
		t.Fatalf("new wallet choices = %q", got)
	}
	m := u.Tap("Solana").LastOf(t, "edit")
	solana := walletOn(e, "1399811149")
	if !strings.Contains(m.Text, "Your new <b>Solana</b> wallet is ready.") || !strings.Contains(m.Text, solana.WalletAddress) {
		t.Fatalf("created:\n%s", m.Text)
	}
	if n := e.Posts("/api/wallets"); n != 1 {
		t.Fatalf("%d create calls", n)
	}
	// Its buttons work: the new id was added to the listing.
	u.Tap("Make default")
	u.Tap("Yes").Expect(t, "Your <b>Solana</b> wallet is now the default.")
	if got := defaultNetwork(e); got != "1399811149" {
		t.Fatalf("default = %s", got)
	}
	u.Tap("New wallet").Expect(t, "You already have a wallet on every network CopperX offers.")
	// A replayed create of a network now held is refused, nothing created.
	u.Handle(u.CallbackUpdate(m.ID, callback(t, "create", "1399811149"))).Expect(t, "This button has expired")
	if n := e.Posts("/api/wallets"); n != 1 {
		t.Fatalf("%d create calls after replay", n)
	}
}

func TestNoWalletsAtAll(t *testing.T) {
	e := newEnv(t, setup{seed: []copperxtest.SeedOption{copperxtest.SeedBare()}})
	e.Emu.Fail("GET", "/api/wallets", copperxtest.Fault{Status: 200, Body: "[]"})
	e.Emu.Fail("GET", "/api/wallets/balances", copperxtest.Fault{Status: 200, Body: "[]"})
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		m := e.U.Send(cmd).LastOf(t, "send")
		if !strings.Contains(m.Text, "You don't have a wallet yet.") || !slices.Equal(m.Labels(), []string{"➕ New wallet"}) {
			t.Fatalf("%s:\n%s\n%q", cmd, m.Text, m.Labels())
		}
	}
	choices := e.U.Tap("New wallet").LastOf(t, "edit")
	if !strings.Contains(choices.Text, "New wallet") || len(choices.AllButtons()) != 6 { // 5 networks + Back
		t.Fatalf("choices:\n%s\n%q", choices.Text, choices.Labels())
	}
}

// TestForgedCallbacksRefused: wallet ids must be in the last listing shown
// and networks what the API reports; anything else changes nothing.
func TestForgedCallbacksRefused(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	base := walletOn(e, "8453")
	// Before any listing, even a wallet id of the user's is refused.
	u.Handle(u.CallbackUpdate(1, callback(t, "setdef", base.ID))).Expect(t, "This button has expired")
	list := u.Send("/wallets").LastOf(t, "send")
	for _, forged := range [][]string{
		{"setdef", "3f2b8c1e-0000-4000-8000-000000000000"}, {"setdef", "~9"}, {"setdef", "~-1"}, {"setdef", "~01"},
		{"setdef"}, {"setdef", "a", "b"}, {"askdef", "nope"}, {"show", "nope"}, {"create", "999"},
		{"create"}, {"addr", "999"}, {"addr"}, {"deposit", "zzz"}, {"nope"},
	} {
		data := callback(t, forged[0], forged[1:]...)
		if r := u.Handle(u.CallbackUpdate(list.ID, data)); !r.Contains("This button has expired") {
			t.Errorf("%s: %q", data, r.Text())
		}
	}
	if n := e.Posts("/api/wallets/default") + e.Posts("/api/wallets"); n != 0 {
		t.Fatalf("%d state-changing calls", n)
	}
	if got := defaultNetwork(e); got != "137" {
		t.Fatalf("default = %s", got)
	}
	if m := e.H.API.Message(42, list.ID); m.Text != list.Text || m.Edits != 0 {
		t.Fatal("the list changed")
	}
}
