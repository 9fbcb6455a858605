package transfer

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

func TestHistoryPaging(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.AddTransfers(plugintest.Email, 35)
	r := e.U.Send("/history").Expect(t, "page 1 of 4", "1. ", "10. ", "Tap a number for details.")
	if r.Contains("11. ") {
		t.Fatal("more than 10 on a page")
	}
	msg := e.U.Last()
	r = e.U.Tap("Next").Expect(t, "page 2 of 4", "11. ", "20. ")
	if r.Kinds()[0] != "edit" || e.U.Last().ID != msg.ID {
		t.Fatalf("Next did not edit in place: %v", r.Kinds())
	}
	e.U.Tap("Next")
	e.U.Tap("Next").Expect(t, "page 4 of 4", "35. ")
	if _, b := e.U.FindButton("Next"); b.Data != "" {
		t.Fatal("Next on the last page")
	}
	e.U.Tap("Prev").Expect(t, "page 3 of 4")
	// Details of the first row on page 3, then back.
	e.U.Tap("21").Expect(t, "Id: <code>", "Transaction: <code>0x", "polygonscan.com/tx/0x")
	e.U.Tap("Back").Expect(t, "page 3 of 4")
	if got := len(e.H.API.Calls("sendMessage")); got != 2 { // login + the history message
		t.Fatalf("%d messages sent; paging must edit", got)
	}
}

func TestHistoryEmpty(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/history").Expect(t, "No transfers yet.")
}

// /history only reads: with KYC pending it still lists and details.
func TestHistoryNeedsOnlyLogin(t *testing.T) {
	e := newEnv(t, setup{})
	e.sendTo(t, "bob@example.com", "10")
	e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
	e.Login(e.U, "pending")
	e.U.Send("/send").Expect(t, "KYC not approved")
	e.U.Send("/history").Expect(t, "Your transfers", "bob@example.com")
	e.U.Tap("1").Expect(t, "bob@example.com", "Status: completed")
}

// Page and detail buttons with arguments no screen offered are expired.
func TestHistoryForgedButtons(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.AddTransfers(plugintest.Email, 3)
	e.U.Send("/history")
	msg := e.U.Last()
	for _, args := range [][]string{{"page", "0"}, {"page", "x"}, {"page", "99999"}, {"page"}, {"detail", "no-such-transfer", "1"},
		{"detail", "x"}, {"detail", e.Emu.Transfers(plugintest.Email)[0].ID, "-1"}} {
		data, err := kernel.CallbackData("transfer", args[0], args[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		e.tapData(msg.ID, data).Expect(t, "This button has expired")
	}
}

func TestShortParty(t *testing.T) {
	for in, want := range map[string]string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": "0x5aAe…eAed",
		"bob@example.com":                              "bob@example.com",
		"christopher.columbus@example.com":             "chr…@example.com",
		"Chase Bank ••6789":                            "Chase Bank ••6789",
		"4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T": "4Nd1mB…DB4T",
		"": "",
	} {
		if got := shortParty(in); got != want {
			t.Errorf("shortParty(%q) = %q, want %q", in, got, want)
		}
	}
}

// Another plugin's button (here the wallet stub's) runs /history and /send
// in new messages, leaving that screen as it was.
func TestStartedFromAnotherScreen(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.AddTransfers(plugintest.Email, 2)
	e.U.Send("/wallets").Expect(t, "Your wallets (stub).")
	screen := e.U.Last()
	r := e.U.Tap("History (stub)").Expect(t, "Your transfers")
	if k := strings.Join(r.Kinds(), " "); !strings.HasPrefix(k, "send") || strings.Contains(k, "edit") {
		t.Fatalf("history from another screen: %s, want a new message", k)
	}
	r = e.U.Tap("Send (stub)").Expect(t, "Who should receive it?")
	if k := strings.Join(r.Kinds(), " "); !strings.HasPrefix(k, "send") || strings.Contains(k, "edit") {
		t.Fatalf("/send from another screen: %s, want a new message", k)
	}
	if m := e.message(screen.ID); m.Text != "Your wallets (stub)." || len(m.AllButtons()) != 2 {
		t.Fatalf("the other screen changed: %q %v", m.Text, m.AllButtons())
	}
	e.U.Tap("Email").Expect(t, "email address")
}
