package auth_test

import (
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
)

// The welcome menu lists the configured actions that a command binds,
// labelled with the command's description; until KYC is approved the
// actions behind auth.kyc give way to the verification link.
func TestWelcomeMenu(t *testing.T) {
	const kycLink = "🪪 Complete verification on CopperX → url https://payout.copperx.io/app/kyc"
	for _, tc := range []struct {
		name, kyc string
		menu      []string
		want      string
	}{
		{"approved", "approved", nil, "Wallet balances → run probe.balance; Send USDC → run probe.send"},
		{"pending", "pending", nil, "Wallet balances → run probe.balance; " + kycLink},
		{"order kept, two a row", "approved", []string{"probe.send", "probe.note", "probe.balance"},
			"Send USDC → run probe.send; Take a note (test) → run probe.note; Wallet balances → run probe.balance"},
		{"no command binds it", "approved", []string{"probe.unbound", "probe.balance"}, "Wallet balances → run probe.balance"},
		{"its plugin is disabled", "approved", []string{"ghost.balance", "probe.balance"}, "Wallet balances → run probe.balance"},
		{"empty", "approved", []string{}, ""},
		{"empty, pending", "pending", []string{}, kycLink},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{menu: tc.menu, plugins: []kernel.Plugin{absentPlugin("ghost")}})
			f.emu.SeedUser("zoe@example.com", copperxtest.SeedKYC(tc.kyc))
			u := f.h.Private(40)
			r := f.login(t, u, "zoe@example.com")
			welcome := lastSent(r)
			if got := buttons(welcome); got != tc.want {
				t.Fatalf("welcome buttons = %s\nwant %s", got, tc.want)
			}
			if rows := welcome.Buttons; len(tc.menu) == 3 && (len(rows) != 2 || len(rows[0]) != 2) {
				t.Fatalf("rows = %v, want two buttons a row", rows)
			}
		})
	}
}
