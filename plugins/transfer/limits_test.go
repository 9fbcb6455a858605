package transfer

import (
	"context"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// /limits: none, set (a flow, or "/limits 500" at once), shown with the
// day's total from CopperX, changed and removed; the limit is kept in the
// store, so it outlives a logout.
func TestLimitsScreen(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/limits").Expect(t, "Daily spending limit", "You have none", "a UTC day, from 00:00 UTC")
	e.U.Tap("Set a daily limit").Expect(t, "Type your daily limit in USDC")
	e.U.Send("0").Expect(t, "The amount must be more than zero.")
	e.U.Send("500").Expect(t, "Daily limit saved.", "<b>500.00 USDC</b> a day (a UTC day, from 00:00 UTC)",
		"Sent today: 0.00 USDC · left: <b>500.00 USDC</b>")
	if got := string(e.stored(t, limitKey(e.U.UserID))); got != "500" {
		t.Fatalf("stored limit %q", got)
	}
	e.U.Send("/fakelogout")
	e.Login(e.U, "")
	e.U.Send("/limits").Expect(t, "<b>500.00 USDC</b> a day")
	e.U.Tap("Change").Expect(t, "Type your daily limit")
	e.U.Send("1,250.5").Expect(t, "<b>1,250.50 USDC</b> a day")
	e.U.Send("/limits 250").Expect(t, "Daily limit saved.", "<b>250.00 USDC</b> a day")
	e.U.Tap("Remove").Expect(t, "Your daily limit is removed", "Removed.")
	if v := e.stored(t, limitKey(e.U.UserID)); v != nil {
		t.Fatalf("limit still stored: %q", v)
	}
	e.U.Send("/limits").Expect(t, "You have none")
}

// The daily limit at its edge: exactly what is left is allowed, one cent
// more is refused before any summary, saying what is left today (UTC);
// the day's total is CopperX's — outgoing transfers since 00:00 UTC that
// did not fail — read with the type and startDate filters.
func TestDailyLimitEdge(t *testing.T) {
	e := newEnv(t, setup{emu: held})
	e.U.Send("/limits 500")
	e.U.Send("/send 200 bob@example.com")
	e.U.Tap("Confirm").Expect(t, "Sent 200.00 USDC")
	// A wallet send that failed does not count.
	e.U.Send("/send 100 " + bobAddress)
	e.U.Tap("Confirm").Expect(t, "Sent 100.00 USDC")
	if err := e.Emu.Settle(e.newest(t).ID, "failed"); err != nil {
		t.Fatal(err)
	}
	e.U.Send("/send 300.01 bob@example.com").Expect(t,
		"That would go over your daily limit of 500.00 USDC: you have sent 200.00 USDC today (a UTC day, since 00:00 UTC), so 300.00 USDC is left until 00:00 UTC.",
		"How much USDC?")
	if _, b := e.U.FindButton("Confirm"); b.Data != "" {
		t.Fatal("a Confirm after a refusal")
	}
	e.U.Send("300").Expect(t, "Please check your transfer", "Amount: <b>300.00 USDC</b>")
	e.U.Tap("Confirm").Expect(t, "Sent 300.00 USDC")
	e.U.Send("/send 1 bob@example.com").Expect(t, "You have reached your daily limit of 500.00 USDC", "More can be sent after 00:00 UTC")
	e.U.Send("/limits").Expect(t, "Sent today: 500.00 USDC · left: <b>0.00 USDC</b>")

	calls := e.Emu.CallsTo("GET", "/api/transfers")
	q := calls[len(calls)-1].Query
	if q.Get("startDate") != "2026-03-20T00:00:00Z" || len(q["type"]) != 2 || q["type"][0] != "send" || q["type"][1] != "withdraw" {
		t.Fatalf("today's listing %v", q)
	}
	// The next UTC day starts afresh.
	e.H.Clock.Advance(14 * time.Hour) // 2026-03-21 00:00 UTC
	e.U.Send("/send 300 bob@example.com").Expect(t, "Please check your transfer")
}

// Withdrawals count and are limited too, before their quote.
func TestDailyLimitWithdraw(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/limits 100")
	e.U.Send("/withdraw")
	e.U.Tap("Chase Bank")
	e.U.Send("150").Expect(t, "That would go over your daily limit of 100.00 USDC")
	if n := e.Posts("/api/quotes/offramp"); n != 0 {
		t.Fatalf("%d quotes past the limit", n)
	}
	e.U.Send("100").Expect(t, "Your quote")
}

// The limit is checked again at Confirm: a transfer made elsewhere since
// the summary was shown makes it refuse, in place of the summary, and
// nothing is sent.
func TestDailyLimitAtConfirm(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/limits 500")
	e.U.Send("/send 300 bob@example.com").Expect(t, "Please check your transfer")
	if _, err := e.API.Send(context.Background(), copperx.NewToken(e.Token), copperx.SendRequest{Email: "carol@example.com",
		Amount: decimalOf("250"), PurposeCode: "self", Currency: "USDC"}); err != nil {
		t.Fatal(err)
	}
	r := e.U.Tap("Confirm").Expect(t, "Not sent: with 300.00 USDC, today's total would go over your daily limit of 500.00 USDC", "left: 250.00 USDC")
	if k := r.Kinds(); k[len(k)-2] != "edit" {
		t.Fatalf("the refusal should replace the summary: %v", k)
	}
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d sends (only the one made elsewhere)", n)
	}
}

// The guard fails closed: when today's total cannot be read, nothing is
// offered to confirm; at Confirm, the summary stays for another try.
func TestDailyLimitUnavailable(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/limits 500")
	e.U.Send("/send 5 bob@example.com").Expect(t, "Please check your transfer")
	e.Emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 503})
	e.U.Tap("Confirm").Expect(t, "I can't check your daily limit right now")
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends", n)
	}
	e.U.Send("/send 5 bob@example.com").Expect(t, "I can't check your daily limit right now", "How much USDC?")
	e.Emu.ClearFaults()
	e.U.Send("5").Expect(t, "Please check your transfer")
	e.U.Tap("Confirm").Expect(t, "Sent 5.00 USDC")
}

// reconfirm_above: a send or withdrawal above it asks for the amount again
// before its summary; a mismatch says so and asks again; at it, or with 0,
// nothing is asked.
func TestReconfirmAbove(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send 1000 bob@example.com").Expect(t, "Please check your transfer") // at it: no question
	e.U.Send("/send 1,000.01 bob@example.com").Expect(t, "A large transfer", "1,000.01 USDC to bob@example.com is above 1,000.00 USDC", "type the amount again")
	e.U.Send("1000").Expect(t, "That doesn't match 1,000.01 USDC")
	e.U.Send("lots").Expect(t, "That doesn't match 1,000.01 USDC")
	e.U.Send("1000.01").Expect(t, "Please check your transfer", "Amount: <b>1,000.01 USDC</b>")
	// Changing the purpose does not ask again.
	e.U.Tap("Change purpose")
	e.U.Tap("Gift").Expect(t, "Please check your transfer", "Purpose: Gift")
	e.U.Tap("Confirm").Expect(t, "Sent 1,000.01 USDC")

	// A withdrawal too, after its source of funds.
	e.withdrawSummaryAbove(t)

	off := newEnv(t, setup{config: `plugins: {transfer: {reconfirm_above: "0"}}`})
	off.U.Send("/send 1200 bob@example.com").Expect(t, "Please check your transfer")
}

// withdrawSummaryAbove walks /withdraw of 1,100 up to its summary, past
// the amount typed again.
func (e *env) withdrawSummaryAbove(t *testing.T) {
	t.Helper()
	e.Emu.SetBalance("ada@example.com", copperxtest.NetworkPolygon, "USDC", "5000")
	e.toQuote(t, "1100")
	e.U.Tap("Continue")
	e.U.Tap("Salary")
	e.U.Tap("Savings").Expect(t, "A large transfer", "1,100.00 USDC to Chase Bank ••6789")
	e.U.Send("1,100").Expect(t, "Please check your withdrawal")
}

// In Spanish: the limit and its refusal say UTC, amounts the Spanish way.
func TestDailyLimitSpanish(t *testing.T) {
	e := newEnv(t, setup{lang: "es"})
	e.U.Send("/limits").Expect(t, "No tienes ninguno", "desde las 00:00 UTC")
	e.U.Tap("Poner un límite diario").Expect(t, "Escribe tu límite diario en USDC")
	e.U.Send("1.000").Expect(t, "<b>1.000,00 USDC</b> al día")
	e.U.Send("/send 1.000,01 bob@example.com").Expect(t, "Eso pasaría de tu límite diario de 1.000,00 USDC", "te quedan 1.000,00 USDC hasta las 00:00 UTC")
}

// TestLimitsTranscript records /limits and a send past it, and a large
// send typed again (testdata/limits.golden; -update rewrites it).
func TestLimitsTranscript(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.SetBalance("ada@example.com", copperxtest.NetworkPolygon, "USDC", "5000")
	tr := e.transcript()
	tr.Send("/limits")
	tr.Tap("Set a daily limit")
	tr.Send("1,500")
	tr.Send("/send 400 bob@example.com")
	tr.Tap("Confirm")
	tr.Send("/send 1,200 bob@example.com")
	tr.Send("1,100")
	tr.Send("1,000")
	tr.Send("1100")
	tr.Tap("Confirm")
	tr.Send("/limits")
	tr.Tap("Remove")
	tr.Check(t, "limits")
}
