package auth_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// TestHomeScreen: /start says who is logged in (email, never an id), a
// one-line balance from the wallet plugin, and offers only what applies:
// Log in to whoever is logged out, Log out and the guarded actions to
// whoever is in, the KYC-guarded ones once KYC is approved. Transcripts
// in testdata/home_*.golden.
func TestHomeScreen(t *testing.T) {
	for _, tc := range []struct {
		name, email, kyc, lang string
		menu                   []string
		want                   []string
	}{
		{name: "logged_out", lang: "en",
			menu: []string{"Log in to CopperX"},
			want: []string{"You're not logged in"}},
		{name: "logged_in", email: "ada@example.com", kyc: "approved", lang: "en",
			menu: []string{"Wallet balances", "Send USDC", "Deposit address", "Your wallets", "Your profile", "Verification (KYC) status", "Log out"},
			want: []string{"🔐 Logged in as <b>Ada Tester</b> (ada@example.com).", "💰 <b>1,645.75 USDC</b> in total · default wallet on Polygon"}},
		{name: "kyc_pending", email: "bob@example.com", kyc: "pending", lang: "en",
			menu: []string{"Wallet balances", "Deposit address", "Your wallets", "Your profile", "Verification (KYC) status", "Log out"},
			want: []string{"Logged in as <b>Bob Tester</b>", "🪪 Verification: pending."}},
		{name: "logged_in.es", email: "ada@example.com", kyc: "approved", lang: "es",
			menu: []string{"Saldos de tus billeteras", "Enviar USDC", "Dirección de depósito", "Tus billeteras", "Tu perfil", "Estado de verificación (KYC)", "Cerrar sesión"},
			want: []string{"Sesión iniciada como", "💰 <b>1.645,75 USDC</b> en total · billetera principal en Polygon"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{wallet: true})
			u := f.h.Private(60)
			u.LanguageCode = tc.lang
			if tc.email != "" {
				f.emu.SeedUser(tc.email, copperxtest.SeedKYC(tc.kyc))
				u.Send("/login " + tc.email)
				u.Send(f.emu.OTP(tc.email)).Expect(t, "✅")
				u.FirstName = strings.ToUpper(tc.email[:1]) + tc.email[1:strings.IndexByte(tc.email, '@')] // "Bob"
			}
			tr := kerneltest.NewTranscript(u).Replace(f.emu.OrgID(tc.email), "<org-id>")
			r := tr.Send("/start").Expect(t, tc.want...)
			screen := lastSent(r)
			if got := screen.Labels(); !slices.Equal(got, tc.menu) {
				t.Fatalf("menu = %q\nwant %q", got, tc.menu)
			}
			if tc.email != "" && strings.Contains(screen.Text, f.emu.OrgID(tc.email)) {
				t.Fatal("the home screen shows the organisation id")
			}
			tr.Check(t, "home_"+tc.name)
		})
	}
}

// TestHomeScreenBalanceUnavailable: a balance CopperX does not give in
// time, or refuses to give, is one line saying so; the screen and its
// menu are there all the same, within home_timeout.
func TestHomeScreenBalanceUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
	}{
		{"slow", copperxtest.Fault{Latency: 5 * time.Second}},
		{"503", copperxtest.Fault{Status: 503}},
		{"no answer", copperxtest.Fault{DropConnection: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{wallet: true, config: "plugins:\n  wallet: {home_timeout: 300ms}\n"})
			u := f.h.Private(61)
			f.login(t, u, "ada@example.com")
			f.emu.Fail("GET", "/api/wallets/balances", tc.fault)
			start := time.Now()
			r := u.Send("/start").Expect(t, "Logged in as", "Balance unavailable right now.", "Pick what you want to do")
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("/start took %v with a slow CopperX", took)
			}
			if r.Contains("Sorry") || r.Contains("not answering") {
				t.Fatalf("the home screen failed: %s", r.Text())
			}
			if got := lastSent(r).Labels(); !slices.Contains(got, "Wallet balances") {
				t.Fatalf("menu = %q", got)
			}
		})
	}
}
