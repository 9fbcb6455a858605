package transfer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
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

// world makes one transfer of each kind at the emulator: a send to an
// email (10.50), a send to a wallet address (12.50), a bank withdrawal
// (25), a deposit (23) and a send from another user (7, received).
func (e *env) world(t *testing.T) {
	t.Helper()
	e.sendTo(t, "bob@example.com", "10.50")
	e.U.Tap("Confirm").Expect(t, "Sent 10.50 USDC")
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send(bobAddress)
	e.U.Send("12.50")
	e.U.Tap("Gift")
	e.U.Tap("Confirm").Expect(t, "Sent 12.50 USDC")
	e.withdrawSummary(t, "25")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 25.00 USDC")
	if _, err := e.Emu.Deposit(e.Emu.OrgID(plugintest.Email), decimalOf("23"), "USDC", copperxtest.NetworkPolygon); err != nil {
		t.Fatal(err)
	}
	e.Emu.SeedUser("zed@example.com", copperxtest.SeedName("Zed", "Zee"))
	if _, err := e.API.Send(context.Background(), copperx.NewToken(e.Emu.IssueToken("zed@example.com")),
		copperx.SendRequest{Email: plugintest.Email, Amount: decimalOf("7"), PurposeCode: "gift", Currency: "USDC"}); err != nil {
		t.Fatal(err)
	}
}

// /history marks money in with + and out with −, and names each transfer
// as its receipt did: a send to a wallet address is "Sent", like one to an
// email; only a bank withdrawal is a "Withdrawal".
func TestHistoryWordsAndMarkers(t *testing.T) {
	e := newEnv(t, setup{})
	e.world(t)
	r := e.U.Send("/history").Expect(t,
		"1. 2026-03-20 · Received · +7.00 USDC · Zed Zee ✅",
		"2. 2026-03-20 · Deposit · +23.00 USDC",
		"3. 2026-03-20 · Withdrawal · −25.00 USDC · Chase Bank ••6789",
		"4. 2026-03-20 · Sent · −12.50 USDC · 0x5aAe…eAed",
		"5. 2026-03-20 · Sent · −10.50 USDC · bob@example.com ✅")
	if strings.Count(r.Text(), "Withdrawal") != 1 {
		t.Fatalf("only the bank withdrawal is a Withdrawal:\n%s", r.Text())
	}
	e.U.Tap("4").Expect(t, "<b>Sent</b>", "Amount: <b>−12.50 USDC</b>", bobAddress)
	e.U.Tap("Back")
	e.U.Tap("2").Expect(t, "<b>Deposit</b>", "Amount: <b>+23.00 USDC</b>")
}

// Filter by kind, status and period: the choices edit the filter in place,
// a chosen one only says so, and Show lists what matches (paged).
func TestHistoryFilters(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithSettleDelay(-1)}})
	e.world(t)
	// The wallet send fails on chain; the withdrawal is still processing.
	for _, tr := range e.Emu.Transfers(plugintest.Email) {
		if tr.Type == "withdraw" && tr.Mode == "on_chain" {
			if err := e.Emu.Settle(tr.ID, "failed"); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.U.Send("/history")
	page := e.U.Last()
	e.U.Tap("Filter").Expect(t, "Filter your transfers", "Kind: All kinds", "Status: Any status", "Period: All time")
	if m := e.message(page.ID); !strings.Contains(m.Text, "Filter your transfers") {
		t.Fatal("the filter should open in place of the page")
	}
	for _, tc := range []struct {
		kind  string
		want  []string
		count int
	}{
		{"Sent", []string{"Sent · −12.50", "Sent · −10.50"}, 2},
		{"Received", []string{"Received · +7.00"}, 1},
		{"Withdrawals", []string{"Withdrawal · −25.00"}, 1},
		{"Deposits", []string{"Deposit · +23.00"}, 1},
	} {
		e.U.Tap(tc.kind).Expect(t, "Kind: "+tc.kind)
		r := e.U.Tap("Show").Expect(t, append(tc.want, "Showing: "+tc.kind)...)
		if n := strings.Count(r.Text(), " USDC · "); n != tc.count {
			t.Fatalf("%s: %d lines, want %d:\n%s", tc.kind, n, tc.count, r.Text())
		}
		e.U.Tap("Filter")
	}
	// A chosen kind only says so.
	r := e.U.Tap("✓ Deposits").Expect(t, "Already chosen.")
	if k := strings.Join(r.Kinds(), " "); k != "answer" {
		t.Fatalf("tapping a chosen filter: %s", k)
	}
	e.U.Tap("All kinds")
	e.U.Tap("Not completed")
	e.U.Tap("Show").Expect(t, "Sent · −12.50 USDC", "❌", "Showing: Not completed")
	e.U.Tap("Filter")
	e.U.Tap("In progress")
	r = e.U.Tap("Show").Expect(t, "Withdrawal · −25.00 USDC · Chase Bank ••6789 ⏳")
	if strings.Count(r.Text(), " USDC · ") != 1 {
		t.Fatalf("in progress:\n%s", r.Text())
	}
	e.U.Tap("Filter")
	e.U.Tap("Completed")
	r = e.U.Tap("Show")
	if strings.Count(r.Text(), " USDC · ") != 3 || r.Contains("⏳") || r.Contains("❌") {
		t.Fatalf("completed:\n%s", r.Text())
	}
	if calls := e.Emu.CallsTo("GET", "/api/transfers"); calls[len(calls)-1].Query.Get("status") != "success" {
		t.Fatalf("completed should be asked of the API: %v", calls[len(calls)-1].Query)
	}
}

// Periods: the last 7 or 30 days, this month, or typed dates the
// language's way.
func TestHistoryPeriods(t *testing.T) {
	e := newEnv(t, setup{lang: "es"})
	e.sendTo2(t, "bob@example.com", "1")
	e.H.Clock.Advance(40 * 24 * time.Hour) // 2026-04-29: log in again
	e.Token = e.Emu.IssueToken(plugintest.Email)
	e.Login(e.U, "")
	e.sendTo2(t, "carol@example.com", "2")
	e.U.Send("/history").Expect(t, "carol@example.com", "bob@example.com")
	e.U.Tap("Filtrar")
	for _, tc := range []struct {
		period      string
		carol, bob  bool
		description string
	}{
		{"Últimos 7 días", true, false, "Últimos 7 días"},
		{"Últimos 30 días", true, false, "Últimos 30 días"},
		{"Este mes", true, false, "Este mes"},
		{"Todas las fechas", true, true, ""},
	} {
		e.U.Tap(tc.period)
		r := e.U.Tap("Mostrar")
		if r.Contains("carol@example.com") != tc.carol || r.Contains("bob@example.com") != tc.bob || !r.Contains(tc.description) {
			t.Fatalf("%s:\n%s", tc.period, r.Text())
		}
		e.U.Tap("Filtrar")
	}
	e.U.Tap("Escribir fechas").Expect(t, "Escribe las fechas", "<code>15/04/2026 29/04/2026</code>")
	e.U.Send("31/02/2026").Expect(t, "No pude leer esas fechas")
	r := e.U.Send("21/03/2026 – 19/03/2026").Expect(t, "bob@example.com", "Mostrando: 19/03/2026 – 21/03/2026")
	if r.Contains("carol") {
		t.Fatalf("typed dates:\n%s", r.Text())
	}
	if q := e.Emu.CallsTo("GET", "/api/transfers"); q[len(q)-1].Query.Get("startDate") != "2026-03-19T00:00:00Z" ||
		q[len(q)-1].Query.Get("endDate") != "2026-03-21T23:59:59Z" {
		t.Fatalf("dates asked of the API: %v", q[len(q)-1].Query)
	}
	// The flow is over: text is no date any more.
	e.U.Send("20/03/2026").Expect(t, "No te he entendido")
}

// sendTo2 sends amount to email and confirms (any language: it taps by
// the flow's tap names).
func (e *env) sendTo2(t *testing.T, email, amount string) {
	t.Helper()
	e.U.Send("/send")
	e.tapTarget(t, "send.kind.kind email")
	e.U.Send(email)
	e.U.Send(amount)
	e.tapTarget(t, "send.purpose.purpose gift")
	e.tapTarget(t, "send.confirm.confirm")
}

// tapTarget taps the newest button whose target (kerneltest.Target)
// starts with target.
func (e *env) tapTarget(t *testing.T, target string) kerneltest.Replies {
	t.Helper()
	msgs := e.H.API.Messages(e.U.ChatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].AllButtons() {
			if b.Data != "" && strings.HasPrefix(kerneltest.Target(b), target) {
				return e.tapData(msgs[i].ID, b.Data)
			}
		}
	}
	t.Fatalf("no button to %s", target)
	return nil
}

// A filtered statement the API cannot filter alone (sent: sends and
// wallet withdrawals) still pages.
func TestHistoryFilteredPaging(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.AddTransfers(plugintest.Email, 45) // 15 each of send, deposit, withdraw (to a wallet)
	e.U.Send("/history")
	e.U.Tap("Filter")
	e.U.Tap("Sent")
	e.U.Tap("Show").Expect(t, "page 1 of 3", "1. ", "10. ", "Showing: Sent")
	e.U.Tap("Next").Expect(t, "page 2 of 3", "11. ", "20. ")
	r := e.U.Tap("Next").Expect(t, "page 3 of 3", "21. ", "30. ")
	if r.Contains("Deposit") || r.Contains("31. ") {
		t.Fatalf("page 3:\n%s", r.Text())
	}
	if _, b := e.U.FindButton("Next"); b.Data != "" {
		t.Fatal("Next on the last page")
	}
	// Details and Back keep the filter.
	e.U.Tap("25")
	e.U.Tap("Back").Expect(t, "page 3 of 3", "Showing: Sent")
}

// The empty history offers a first step: Deposit and Send; an empty
// filtered one offers to widen the filter.
func TestHistoryEmptyOffersAWayOn(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/history").Expect(t, "No transfers yet")
	buttons := e.U.Last().AllButtons()
	if len(buttons) != 2 || kerneltest.Target(buttons[0]) != "run wallet.deposit" || kerneltest.Target(buttons[1]) != "run transfer.send" {
		t.Fatalf("empty history buttons: %v", buttons)
	}
	e.U.Tap("Deposit").Expect(t, "Deposit address (stub).")
	e.U.Send("/history")
	e.U.Tap("Send USDC").Expect(t, "Who should receive it?")
	e.U.Send("/cancel")

	e.Emu.AddTransfers(plugintest.Email, 2)
	e.U.Send("/history")
	e.U.Tap("Filter")
	e.U.Tap("Received")
	e.U.Tap("Show").Expect(t, "No transfers match: Received.")
	e.U.Tap("Show all").Expect(t, "page 1 of 1")
}

// "/history <id>" shows one transfer, as the notify plugin's Details
// button does (an action button with the id as its argument).
func TestHistoryByID(t *testing.T) {
	e := newEnv(t, setup{})
	id, err := e.Emu.Deposit(e.Emu.OrgID(plugintest.Email), decimalOf("23"), "USDC", copperxtest.NetworkPolygon)
	if err != nil {
		t.Fatal(err)
	}
	e.U.Send("/history "+id).Expect(t, "<b>Deposit</b>", "Id: <code>"+id+"</code>", "Amount: <b>+23.00 USDC</b>", "polygonscan.com/tx/")
	// A deposit message's Details: kernel:run with the id.
	e.U.Send("/fakelogin " + e.Token) // any message to tap a button on
	data, err := kernel.CallbackData("kernel", "run", "transfer.history", id)
	if err != nil {
		t.Fatal(err)
	}
	r := e.tapData(e.U.Last().ID, data).Expect(t, "<b>Deposit</b>", "Id: <code>"+id+"</code>")
	if k := strings.Join(r.Kinds(), " "); !strings.Contains(k, "send") {
		t.Fatalf("Details should answer in a new message: %s", k)
	}
	e.U.Send("/history 00000000-0000-4000-8000-000000000000").Expect(t, "I can't find a transfer with the id")
	e.U.Send("/history two words").Expect(t, "followed by a transfer's id")
	e.U.Send("/history <b>").Expect(t, "followed by a transfer's id")
}
