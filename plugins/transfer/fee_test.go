package transfer

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// A send's summary estimates the fee from the newest send of the same
// kind, says it is an estimate, and the receipt's fee matches it; with no
// send of that kind before, it says plainly that none is known.
func TestFeeEstimate(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("0.5"))}})
	e.sendTo(t, "bob@example.com", "10")
	if m := e.U.Last(); !contains(m.Text, "Fee: not known before sending", "Balance after: ~1,240.50 USDC before fees") {
		t.Fatalf("first summary:\n%s", m.Text)
	}
	e.U.Tap("Confirm").Expect(t, "Fee: 0.05 USDC")
	// Now there is a send to estimate from: 0.5% of 200 is 1.
	e.sendTo(t, "carol@example.com", "200")
	if m := e.U.Last(); !contains(m.Text, "Fee: ~1.00 USDC (an estimate: 0.5%, as on your recent transfers like this one)",
		"Balance after: ~1,039.45 USDC") {
		t.Fatalf("second summary:\n%s", m.Text)
	}
	e.U.Tap("Confirm").Expect(t, "Fee: 1.00 USDC")
	if got := e.Balance(); got != "1039.45" { // 1250.50 − 10.05 − 201
		t.Fatalf("balance %s, want what the summary said", got)
	}
	// A wallet send is another kind: its estimate comes from wallet sends
	// only, and there was none.
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send(bobAddress)
	e.U.Send("10")
	e.U.Tap("Gift").Expect(t, "Fee: not known before sending")
}

// An amount the paying wallet covers, but not with the estimated fee, is
// refused saying so.
func TestFeeEstimateShortfall(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
	e.sendTo(t, "bob@example.com", "100")
	e.U.Tap("Confirm").Expect(t, "Sent 100.00 USDC")
	// 1,149.50 left; other wallets hold less than 1,149.50 + 1%.
	e.U.Send("/send")
	e.U.Tap("Email")
	e.U.Send("carol@example.com")
	e.U.Send("1149.50").Expect(t, "with the estimated fee this needs about 1,160.995 USDC", "your balance is 1,149.50 USDC")
	e.U.Send("1000").Expect(t, "What is this payment for?")
}

func TestFeeOf(t *testing.T) {
	units := func(s string) copperx.Units { return copperx.Units{Decimal: decimal.RequireFromString(s)} }
	for _, tc := range []struct {
		name                string
		amount, subtotal    string
		fee, pct            string
		ok                  bool
		wantPct, wantFixed  string
		for10, wantFeeFor10 string
	}{
		{"percentage", "100", "100", "0.5", "0.5", true, "0.5", "0", "10", "0.05"},
		{"percentage and a fixed part", "100", "100", "1.5", "1", true, "1", "0.5", "10", "0.6"},
		{"no fee", "100", "100", "0", "0", true, "0", "0", "10", "0"},
		{"share of the subtotal when no percentage", "101", "100", "1", "", true, "1", "0", "10", "0.1"},
		{"a cut to 8 decimals", "3", "3", "0.0003", "0.01", true, "0.01", "0", "0.00000001", "0"},
		{"percentage unreadable, no amount", "0", "0", "1", "x", false, "", "", "", ""},
		{"a fee above the amount", "1", "1", "5", "", false, "", "", "", ""},
		{"an exponent is no percentage", "100", "100", "1", "1e0", true, "1", "0", "10", "0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := copperx.Transfer{Amount: units(tc.amount), AmountSubtotal: units(tc.subtotal), TotalFee: units(tc.fee), FeePercentage: tc.pct}
			est, ok := feeOf(tr)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if !est.Percent.Equal(decimal.RequireFromString(tc.wantPct)) || !est.Fixed.Equal(decimal.RequireFromString(tc.wantFixed)) {
				t.Fatalf("estimate %s%% + %s, want %s%% + %s", est.Percent, est.Fixed, tc.wantPct, tc.wantFixed)
			}
			if got := est.fee(decimal.RequireFromString(tc.for10)); !got.Equal(decimal.RequireFromString(tc.wantFeeFor10)) {
				t.Fatalf("fee for %s = %s, want %s", tc.for10, got, tc.wantFeeFor10)
			}
		})
	}
}

// A bank withdrawal is never taken for a wallet send's fee.
func TestFeeEstimateIgnoresBankWithdrawals(t *testing.T) {
	e := newEnv(t, setup{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("2"))}})
	e.withdrawSummary(t, "100")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 100.00 USDC")
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send(bobAddress)
	e.U.Send("10")
	e.U.Tap("Gift").Expect(t, "Fee: not known before sending")
	if n := len(e.Emu.Transfers(plugintest.Email)); n != 1 {
		t.Fatalf("%d transfers", n)
	}
}

// contains reports whether s contains every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
