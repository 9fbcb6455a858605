package transfer

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

func TestWithdraw(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
	e.U.Send("/withdraw").Expect(t, "Which account?")
	if _, b := e.button(t, "Chase Bank ••6789"); kerneltest.Target(b) != "withdraw.account.pick 0" {
		t.Fatalf("account button leads to %q, want an index into the offered accounts", kerneltest.Target(b))
	}
	if got := e.U.Last().AllButtons(); len(got) != 3 || got[1].URL != "https://payout.copperx.io/app/accounts" {
		t.Fatalf("want the account, Add a bank account (a link) and Cancel: %+v", got)
	}
	e.U.Tap("Chase Bank ••6789").Expect(t, "withdraw to Chase Bank ••6789", "Paying from your <b>Polygon</b> wallet · balance <b>1,250.50 USDC</b>")
	e.U.Send("100").Expect(t, "Your quote", "Rate: 1 USDC = 1 USD", "You receive: <b>100.00 USD</b>")
	e.U.Tap("Continue").Expect(t, "What is this payment for?")
	e.U.Tap("Myself").Expect(t, "Where does this money come from?")
	// The quote's fee and total are in the summary, and what is left after
	// is the balance less the total.
	e.U.Tap("Savings").Expect(t, "Please check your withdrawal", "Fee: 1.00 USDC", "Total: <b>101.00 USDC</b> (amount + fee)",
		"You receive: <b>100.00 USD</b>", "Source of funds: Savings",
		"Paying from your <b>Polygon</b> wallet · balance <b>1,250.50 USDC</b>", "Balance after: 1,149.50 USDC")
	summary, _ := e.button(t, "Confirm")
	quotes := e.Emu.CallsTo("POST", "/api/quotes/offramp")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 100.00 USDC</b> to Chase Bank ••6789 submitted", "Transfer id")
	if m := e.message(summary.ID); !strings.Contains(m.Text, "Withdrawal of 100.00 USDC") {
		t.Fatalf("the summary should have become the receipt: %q", m.Text)
	}
	calls := e.Emu.CallsTo("POST", "/api/transfers/offramp")
	if len(calls) != 1 {
		t.Fatalf("%d offramps", len(calls))
	}
	if b := calls[0].Body; b["sourceOfFunds"] != "savings" || b["purposeCode"] != "self" {
		t.Fatalf("offramp body %v", b)
	}
	// The quote went through byte for byte (the emulator checks the signature).
	if len(quotes) != 1 || e.Balance() != "1149.5" {
		t.Fatalf("quotes %d, balance %s", len(quotes), e.Balance())
	}
}

// "Get a new quote" shows the new quote (or summary) in place of the old.
func TestWithdrawRequote(t *testing.T) {
	e := newEnv(t, setup{})
	e.toQuote(t, "50")
	quote, _ := e.button(t, "Get a new quote")
	e.H.Clock.Advance(time.Minute)
	r := e.U.Tap("Get a new quote").Expect(t, "New quote.", "Your quote", "Amount: <b>50.00 USDC</b>", "Quote valid until 10:06 UTC")
	if k := strings.Join(r.Kinds(), " "); k != "answer edit" || e.U.Last().ID != quote.ID {
		t.Fatalf("the new quote should replace the old: %s", k)
	}
	e.U.Tap("Continue")
	e.U.Tap("Gift")
	e.U.Tap("Loan")
	summary, old := e.button(t, "Confirm")
	e.H.Clock.Advance(time.Minute)
	r = e.U.Tap("Get a new quote").Expect(t, "New quote.", "Please check your withdrawal", "Source of funds: Loan")
	if k := strings.Join(r.Kinds(), " "); k != "answer edit" || e.U.Last().ID != summary.ID {
		t.Fatalf("the new summary should replace the old: %s", k)
	}
	// The new summary has a new confirmation id; the old one sends nothing.
	_, fresh := e.button(t, "Confirm")
	if confirmID(t, fresh) == confirmID(t, old) {
		t.Fatal("a new quote kept the old confirmation id")
	}
	e.tapData(summary.ID, forge(fresh.Data, confirmID(t, old))).Expect(t, "This button has expired")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 50.00 USDC")
	if n := e.Posts("/api/transfers/offramp"); n != 1 {
		t.Fatalf("%d offramps", n)
	}
	if n := e.Posts("/api/quotes/offramp"); n != 3 {
		t.Fatalf("%d quotes, want 3", n)
	}
}

// An expired quote is renewed at Continue and at Confirm: an alert, and
// the new quote or summary in place; nothing is sent with the old one.
func TestWithdrawQuoteExpired(t *testing.T) {
	t.Run("at Continue", func(t *testing.T) {
		e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(time.Minute)}})
		e.toQuote(t, "50")
		quote, _ := e.button(t, "Continue")
		e.H.Clock.Advance(2 * time.Minute)
		r := e.U.Tap("Continue").Expect(t, "The quote expired, so here is a new one. Check it and tap Continue again.", "Your quote", "Quote valid until 10:03 UTC")
		if r[0].Kind != "answer" || !r[0].Alert || e.U.Last().ID != quote.ID {
			t.Fatalf("want an alert and the quote renewed in place: %v", r.Kinds())
		}
		e.U.Tap("Continue").Expect(t, "What is this payment for?")
	})
	t.Run("at Confirm", func(t *testing.T) {
		e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(time.Minute)}})
		e.withdrawSummary(t, "50")
		summary, _ := e.button(t, "Confirm")
		e.H.Clock.Advance(2 * time.Minute)
		r := e.U.Tap("Confirm").Expect(t, "The quote expired, so here is a new one. Check it and tap Confirm again.",
			"Please check your withdrawal", "Quote valid until 10:03 UTC")
		if r[0].Kind != "answer" || !r[0].Alert || e.U.Last().ID != summary.ID {
			t.Fatalf("want an alert and the summary renewed in place: %v", r.Kinds())
		}
		if n := e.Posts("/api/transfers/offramp"); n != 0 {
			t.Fatalf("%d offramps with an expired quote", n)
		}
		e.U.Tap("Confirm").Expect(t, "Withdrawal of 50.00 USDC")
		if n := e.Posts("/api/transfers/offramp"); n != 1 {
			t.Fatalf("%d offramps", n)
		}
	})
}

// The summary's Confirm deadline is the quote's when that comes first.
func TestWithdrawConfirmHintQuoteExpiry(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(2 * time.Minute)}})
	e.toQuote(t, "50")
	e.U.Tap("Continue")
	e.U.Tap("Salary")
	r := e.U.Tap("Salary").Expect(t, "Tap Confirm before 10:02 UTC, when the quote expires.")
	if r.Contains("within 5 minutes") {
		t.Fatalf("summary %q", r.Text())
	}
}

// A quote CopperX refuses at submit: nothing moved, the summary says so,
// and the flow goes back to a fresh quote for the same amount.
func TestWithdrawQuoteRefusedAtSubmit(t *testing.T) {
	e := newEnv(t, setup{})
	e.toQuote(t, "30")
	e.U.Tap("Continue")
	e.U.Tap("Gift")
	e.U.Tap("Loan")
	summary, confirm := e.button(t, "Confirm")
	e.Emu.Fail("POST", "/api/transfers/offramp", copperxtest.Fault{Status: 422, Body: `{"message":"Quote already used. Please request a new quote","statusCode":422}`, Times: 1})
	e.U.Tap("Confirm").Expect(t, "CopperX no longer takes that quote", "Nothing was sent", "Your quote", "Amount: <b>30.00 USDC</b>")
	if m := e.message(summary.ID); !strings.Contains(m.Text, "no longer takes that quote") || len(m.AllButtons()) != 0 {
		t.Fatalf("the summary should have become the notice: %q %v", m.Text, m.AllButtons())
	}
	// The refused summary's Confirm was used.
	alertOnly(t, e.tapData(summary.ID, confirm.Data), "already tried and did not go through")
	e.U.Tap("Continue").Expect(t, "What is this payment for?")
	e.U.Tap("Gift")
	e.U.Tap("Loan").Expect(t, "Please check your withdrawal", "Source of funds: Loan")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 30.00 USDC")
	if n := e.Posts("/api/transfers/offramp"); n != 2 {
		t.Fatalf("%d offramp POSTs (one refused, one accepted)", n)
	}
}

func TestWithdrawQuoteError(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.SetQuoteError("Provider unavailable")
	e.U.Send("/bank")
	e.U.Tap("Chase Bank")
	e.U.Send("20").Expect(t, "couldn't give a quote: Provider unavailable")
	e.U.Tap("Get a new quote").Expect(t, "couldn't give a quote: Provider unavailable")
	e.Emu.SetQuoteError("")
	e.U.Tap("Get a new quote").Expect(t, "Your quote", "Amount: <b>20.00 USDC</b>")
	e.U.Send("/withdraw")
	e.U.Tap("Chase Bank")
	e.U.Send("0.5").Expect(t, "minimum is 1.00 USDC")
	e.U.Send("5000").Expect(t, "You don't have enough")
	e.U.Send("abc").Expect(t, "couldn't read that amount")
	e.U.Send("25").Expect(t, "Your quote", "Amount: <b>25.00 USDC</b>")
}

// "Get a new quote" refused (not enough balance now, or no quote) must
// leave the flow taking a new amount.
func TestRequoteRefusedTakesANewAmount(t *testing.T) {
	t.Run("at the summary", func(t *testing.T) {
		e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(time.Minute)}})
		e.withdrawSummary(t, "1000")
		summary, _ := e.button(t, "Confirm")
		e.H.Clock.Advance(2 * time.Minute)
		e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "100")
		e.U.Tap("Confirm").Expect(t, "You don't have enough", "How much USDC do you want to withdraw")
		if m := e.message(summary.ID); !strings.Contains(m.Text, "You don't have enough") || len(m.AllButtons()) != 0 {
			t.Fatalf("the summary should have become why: %q %v", m.Text, m.AllButtons())
		}
		e.U.Send("50").Expect(t, "Your quote", "Amount: <b>50.00 USDC</b>")
		e.U.Tap("Continue")
		e.U.Tap("Salary")
		e.U.Tap("Salary")
		e.U.Tap("Confirm").Expect(t, "Withdrawal of 50.00 USDC")
		if n := e.Posts("/api/transfers/offramp"); n != 1 {
			t.Fatalf("%d offramps", n)
		}
	})
	t.Run("at the quote", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.toQuote(t, "1000")
		e.Emu.SetBalance(plugintest.Email, copperxtest.NetworkPolygon, "USDC", "100")
		e.U.Tap("Get a new quote").Expect(t, "You don't have enough", "How much USDC do you want to withdraw")
		e.U.Send("50").Expect(t, "Your quote", "Amount: <b>50.00 USDC</b>")
	})
	t.Run("no quote", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.toQuote(t, "100")
		e.Emu.SetQuoteError("Provider unavailable")
		e.U.Tap("Get a new quote").Expect(t, "couldn't give a new quote: Provider unavailable", "How much USDC do you want to withdraw")
		e.Emu.SetQuoteError("")
		e.U.Send("100").Expect(t, "Your quote")
	})
}

func TestWithdrawCancelAtEveryStep(t *testing.T) {
	steps := []struct {
		name string
		walk func(e *env)
	}{
		{"account", func(e *env) {}},
		{"amount", func(e *env) { e.U.Tap("Chase Bank") }},
		{"quote", func(e *env) { e.U.Tap("Chase Bank"); e.U.Send("10") }},
		{"purpose", func(e *env) { e.U.Tap("Chase Bank"); e.U.Send("10"); e.U.Tap("Continue") }},
		{"source", func(e *env) { e.U.Tap("Chase Bank"); e.U.Send("10"); e.U.Tap("Continue"); e.U.Tap("Gift") }},
		{"confirm", func(e *env) {
			e.U.Tap("Chase Bank")
			e.U.Send("10")
			e.U.Tap("Continue")
			e.U.Tap("Gift")
			e.U.Tap("Loan")
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.U.Send("/withdraw")
			step.walk(e)
			prompt, _ := e.button(t, "Cancel")
			e.U.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
			if m := e.message(prompt.ID); m.Text != "Cancelled. Nothing was sent." || len(m.AllButtons()) != 0 {
				t.Fatalf("the prompt should have become %q: %q %v", "Cancelled. Nothing was sent.", m.Text, m.AllButtons())
			}
			if e.Posts("/api/transfers/offramp") != 0 {
				t.Fatal("withdrew after cancel")
			}
			e.U.Send("10").Expect(t, "I didn't understand")
		})
	}
}

func TestWithdrawNoBankAccount(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.SeedUser("bare@example.com", copperxtest.SeedBare())
	e.U.Send("/fakelogin " + e.Emu.IssueToken("bare@example.com"))
	r := e.U.Send("/withdraw").Expect(t, "no bank account on CopperX yet", "come back to /withdraw")
	if b := e.U.Last().AllButtons(); len(b) != 1 || b[0].URL != "https://payout.copperx.io/app/accounts" {
		t.Fatalf("buttons %+v (%q)", b, r.Text())
	}
}

// CopperX refusing the quote request (a 4xx) is a quote error with its
// reason, not an apology; its message is logged.
func TestWithdrawQuoteRefusedWith4xx(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"string message", `{"message":"Bank account is not verified yet","statusCode":422}`, 422, "couldn't give a quote: Bank account is not verified yet"},
		{"field messages", `{"message":[{"property":"amount","constraints":{"max":"amount must not be greater than 100000"}}],"statusCode":400}`, 400,
			"couldn't give a quote: amount must not be greater than 100000"},
		{"no message", `{"statusCode":404}`, 404, "couldn't give a quote: Not Found"},
		{"busy", "", 429, "couldn't give a quote: CopperX is busy right now."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.U.Send("/withdraw")
			e.U.Tap("Chase Bank")
			e.Emu.Fail("POST", "/api/quotes/offramp", copperxtest.Fault{Status: tc.status, Body: tc.body, Times: 1})
			r := e.U.Send("20").Expect(t, tc.want)
			if r.Contains("went wrong") {
				t.Fatalf("an apology for a refusal: %s", r.Text())
			}
			if logs := e.H.Logs.String(); !strings.Contains(logs, "quote refused by CopperX") || !strings.Contains(logs, "status="+strconv.Itoa(tc.status)) {
				t.Fatalf("the refusal is not logged:\n%s", logs)
			}
			e.U.Tap("Get a new quote").Expect(t, "Your quote", "Amount: <b>20.00 USDC</b>")
		})
	}
}

// A new quote replaces the old one in place, and a retry that still gets
// no quote says so with a notice, posting nothing new.
func TestNewQuoteInPlace(t *testing.T) {
	e := newEnv(t, setup{})
	e.toQuote(t, "100")
	quote := e.U.Last()
	e.H.Clock.Advance(time.Minute) // the new quote holds a minute longer
	r := e.U.Tap("Get a new quote").Expect(t, "New quote.", "Your quote", "Quote valid until 10:06 UTC")
	if k := strings.Join(r.Kinds(), " "); k != "answer edit" || e.U.Last().ID != quote.ID {
		t.Fatalf("Get a new quote: %s, want the quote edited in place", k)
	}
	e.Emu.SetQuoteError("Provider unavailable")
	e.U.Send("/withdraw")
	e.U.Tap("Chase Bank")
	e.U.Send("20").Expect(t, "couldn't give a quote: Provider unavailable")
	refusal := e.U.Last()
	r = e.U.Tap("Get a new quote").Expect(t, "couldn't give a quote: Provider unavailable")
	for _, k := range r.Kinds() {
		if k == "send" {
			t.Fatalf("a retry posted a new message: %v", r.Kinds())
		}
	}
	e.Emu.SetQuoteError("")
	e.U.Tap("Get a new quote").Expect(t, "Your quote")
	if m := e.message(refusal.ID); !strings.Contains(m.Text, "Your quote") {
		t.Fatalf("the quote should replace the refusal in place: %q", m.Text)
	}
}
