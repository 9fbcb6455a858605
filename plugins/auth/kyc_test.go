package auth_test

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

func TestKYCGate(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.emu.SeedUser("bob@example.com", copperxtest.SeedKYC("pending"))
	u := f.h.Private(20)
	f.login(t, u, "bob@example.com").Expect(t, "Verification: pending", "see /kyc")
	r := u.Send("/send").Expect(t, "This needs a verified account.", "Verification (KYC/KYB): <b>pending</b>", "Continue it on the CopperX website")
	if got := buttons(lastSent(r)); got != "🪪 Complete verification on CopperX → url https://payout.copperx.io/app/kyc" {
		t.Fatalf("buttons = %s", got)
	}
	if r.Contains("Probe send allowed") {
		t.Fatal("kyc guard let a pending user through")
	}
	f.emu.SetKYC("bob@example.com", "approved")
	u.Send("/send").Expect(t, "Probe send allowed.")
	// Approved is remembered for kyc_refresh, then asked again.
	calls := len(f.emu.CallsTo("GET", "/api/kycs"))
	u.Send("/send").Expect(t, "Probe send allowed.")
	if n := len(f.emu.CallsTo("GET", "/api/kycs")); n != calls {
		t.Fatalf("fresh approved status re-checked (%d calls)", n-calls)
	}
	f.emu.SetKYC("bob@example.com", "on_hold")
	f.h.Clock.Advance(11 * time.Minute)
	u.Send("/send").Expect(t, "This needs a verified account", "on hold")
	if s, _ := session(t, f.h, 20); s["principal"].(map[string]any)["attrs"].(map[string]any)["kyc"] != "on_hold" {
		t.Fatal("kyc attr not updated")
	}
}

func TestKYCGuardWithoutLogin(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	r := f.h.Private(21).Send("/send").Expect(t, "Please log in first", "What's the email address")
	if r.Contains("verified account") {
		t.Fatalf("the KYC guard ran for a user not logged in: %s", r.Text())
	}
}

func TestKYCCommandStates(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(22)
	f.login(t, u, "ada@example.com")
	for _, tc := range []struct{ status, want, next string }{
		{"", "not started", "haven't started"},
		{"pending", "pending", "isn't finished"},
		{"initiated", "started", "isn't finished"},
		{"inprogress", "in progress", "isn't finished"},
		{"review_pending", "waiting for review", "being reviewed"},
		{"review", "under review", "check again with /kyc"},
		{"provider_manual_review", "under manual review by our partner", "being reviewed"},
		{"manual_review", "under manual review", "being reviewed"},
		{"provider_on_hold", "on hold at our partner", "on hold"},
		{"on_hold", "on hold", "CopperX may need something"},
		{"expired", "expired", "go through it again"},
		{"rejected", "rejected", "contact CopperX support"},
		{"approved", "approved ✅", "You're verified"},
		{"brand_new_state", "brand_new_state", "isn't finished"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f.emu.SetKYC("ada@example.com", tc.status)
			r := u.Send("/kyc").Expect(t, "Verification (KYC/KYB): <b>"+tc.want+"</b>", tc.next)
			b := lastSent(r).AllButtons()
			if tc.status == "approved" && len(b) != 0 || tc.status != "approved" && (len(b) != 1 || b[0].URL == "") {
				t.Fatalf("buttons = %+v", b)
			}
		})
	}
}
