package auth_test

import (
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// TestTranscript renders a whole session — a blocked /send, a bad email,
// a resent code, a wrong code, the login, the resumed /send refused for
// KYC, then allowed, the profile and the logout — with every message's
// buttons, compared with testdata/transcript.<lang>.golden.
func TestTranscript(t *testing.T) {
	for _, tc := range []struct{ lang, resend, logout string }{
		{"en", "Resend code", "🚪 Log out"},
		{"es", "Reenviar código", "🚪 Cerrar sesión"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			f.emu.SeedUser("bob@example.com", copperxtest.SeedKYC("pending"))
			u := f.h.Private(50)
			u.LanguageCode = tc.lang
			tr := kerneltest.NewTranscript(u).
				Replace(f.emu.OrgID("bob@example.com"), "<org-id>").
				Scrub(`auth:logout:(yes|no):[0-9a-f]{12}`, "auth:logout:$1:<account>")
			tr.Send("/send")
			tr.Send("bob@example")
			tr.Send("bob@example.com")
			tr.Tap(tc.resend)
			code := f.emu.OTP("bob@example.com")
			tr.Replace(code, "<code>").Replace(wrongCode(code), "<wrong code>")
			tr.Send(wrongCode(code))
			tr.Send(code)
			f.emu.SetKYC("bob@example.com", "approved")
			tr.Send("/send")
			tr.Send("/me")
			tr.Send("/logout")
			tr.Tap(tc.logout)
			tr.Check(t, "transcript."+tc.lang)
		})
	}
}

// TestTranscriptLoginAgain: "/login <email>", too many wrong codes,
// Request a new code, the welcome menu, and /login once logged in.
func TestTranscriptLoginAgain(t *testing.T) {
	f := newFixture(t, fixtureOptions{emulator: []copperxtest.Option{copperxtest.WithFixedOTP("482913")}})
	f.emu.SeedUser("ada@example.com")
	u := f.h.Private(51)
	tr := kerneltest.NewTranscript(u).Replace(f.emu.OrgID("ada@example.com"), "<org-id>")
	tr.Send("/login ada@")
	tr.Send("482913")
	tr.Send("/login Ada@Example.com")
	for range 3 {
		tr.Send("000000")
	}
	tr.Send("482913")
	tr.Tap("Request a new code")
	tr.Send("482913")
	tr.Send("/login")
	tr.Tap("Stay logged in")
	tr.Check(t, "login_again")
}
