package transfer

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// toQuote walks /withdraw to the quote for amount.
func (e *env) toQuote(t *testing.T, amount string) {
	t.Helper()
	e.u.Send("/withdraw").Expect(t, "Which account?")
	e.u.Tap("Chase Bank ••6789").Expect(t, "withdraw to Chase Bank ••6789")
	e.u.Send(amount).Expect(t, "Your quote", "Rate: 1 USDC = 1 USD", "You receive: <b>")
}

func TestWithdrawHappyPath(t *testing.T) {
	e := newEnv(t, envOpt{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
	e.toQuote(t, "100")
	e.u.Tap("Continue").Expect(t, "What is this payment for?")
	e.u.Tap("Myself").Expect(t, "Where does this money come from?")
	e.u.Tap("Savings").Expect(t, "Please check your withdrawal", "Fee: 1.00 USDC", "You receive: <b>100.00 USD</b>",
		"Source of funds: Savings", "Balance after: 1,149.50 USDC")
	quotes := e.emu.CallsTo("POST", "/api/quotes/offramp")
	e.u.Tap("Confirm").Expect(t, "Withdrawal of 100.00 USDC</b> to Chase Bank ••6789 submitted", "Transfer id")
	calls := e.emu.CallsTo("POST", "/api/transfers/offramp")
	if len(calls) != 1 {
		t.Fatalf("%d offramps", len(calls))
	}
	b := calls[0].Body
	if b["sourceOfFunds"] != "savings" || b["purposeCode"] != "self" {
		t.Fatalf("offramp body %v", b)
	}
	// The quote went through byte for byte (the emulator checks the signature).
	if len(quotes) != 1 || e.balance() != "1149.5" {
		t.Fatalf("quotes %d, balance %s", len(quotes), e.balance())
	}
}

func TestWithdrawQuoteExpired(t *testing.T) {
	e := newEnv(t, envOpt{emu: []copperxtest.Option{copperxtest.WithQuoteTTL(time.Minute)}})
	e.toQuote(t, "50")
	e.u.Tap("Continue")
	e.u.Tap("Salary")
	e.u.Tap("Salary").Expect(t, "Please check your withdrawal")
	e.h.Clock.Advance(2 * time.Minute)
	e.u.Tap("Confirm").Expect(t, "That quote expired", "Nothing was sent")
	if n := e.posts("/api/transfers/offramp"); n != 0 {
		t.Fatalf("%d offramps with an expired quote", n)
	}
	e.u.Tap("Get a new quote").Expect(t, "Please check your withdrawal")
	e.u.Tap("Confirm").Expect(t, "Withdrawal of 50.00 USDC")
	if n := e.posts("/api/transfers/offramp"); n != 1 {
		t.Fatalf("%d offramps", n)
	}
}

func TestWithdrawQuoteError(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.emu.SetQuoteError("Provider unavailable")
	e.u.Send("/bank")
	e.u.Tap("Chase Bank")
	e.u.Send("20").Expect(t, "couldn't give a quote: Provider unavailable")
	e.emu.SetQuoteError("")
	e.u.Tap("Get a new quote").Expect(t, "Your quote")
	e.u.Send("/withdraw")
	e.u.Tap("Chase Bank")
	e.u.Send("0.5").Expect(t, "minimum is 1.00 USDC")
	e.u.Send("5000").Expect(t, "You don't have enough")
}

func TestWithdrawCancelAtEveryStep(t *testing.T) {
	steps := []func(e *env){
		func(e *env) {},
		func(e *env) { e.u.Tap("Chase Bank") },
		func(e *env) { e.u.Tap("Chase Bank"); e.u.Send("10") },
		func(e *env) { e.u.Tap("Chase Bank"); e.u.Send("10"); e.u.Tap("Continue") },
		func(e *env) { e.u.Tap("Chase Bank"); e.u.Send("10"); e.u.Tap("Continue"); e.u.Tap("Gift") },
		func(e *env) {
			e.u.Tap("Chase Bank")
			e.u.Send("10")
			e.u.Tap("Continue")
			e.u.Tap("Gift")
			e.u.Tap("Loan")
		},
	}
	for i, step := range steps {
		e := newEnv(t, envOpt{})
		e.u.Send("/withdraw")
		step(e)
		e.u.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
		if e.posts("/api/transfers/offramp") != 0 {
			t.Fatalf("step %d: withdrew after cancel", i)
		}
	}
}

func TestWithdrawNoBankAccount(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.emu.SeedUser("bare@example.com", copperxtest.SeedBare())
	e.u.Send("/fakelogin " + e.emu.IssueToken("bare@example.com"))
	r := e.u.Send("/withdraw").Expect(t, "no bank account on CopperX yet")
	if b := e.u.Last().AllButtons(); len(b) != 1 || b[0].URL != "https://payout.copperx.io/app/accounts" {
		t.Fatalf("buttons %+v (%q)", b, r.Text())
	}
}
