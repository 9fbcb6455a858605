package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

func TestResendUnderAndOverLimit(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(8)
	u.Send("/login Ada@Example.com").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
	for range 2 {
		r := u.Tap("Resend code").Expect(t, "📧 New code sent to <b>a•••@example.com</b>. Type the newest code here.")
		if got := buttons(lastSent(r)); got != "📨 Resend code → login.code.resend" {
			t.Fatalf("resent prompt buttons = %s", got)
		}
	}
	// The cooldown is a notice on the tapped button: no new message, the
	// prompt stays as it was.
	r := u.Tap("Resend code").Expect(t, "Please wait 4 minutes before asking for another code. The last code I sent still works.")
	if r.Contains("New code sent") {
		t.Fatal("a fourth code was sent")
	}
	if kinds := r.Kinds(); !slices.Equal(kinds, []string{"answer"}) || r[0].Answer == "" || r[0].Alert {
		t.Fatalf("the cooldown answered with %v, want one notice on the button", kinds)
	}
	if n := len(f.emu.CallsTo("POST", otpRequest)); n != 3 {
		t.Fatalf("otp requests = %d, want 3", n)
	}
	if n := liveButtons(f.h, 8); n != 1 {
		t.Fatalf("%d messages carry a Resend button; only the newest should", n)
	}
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
	// A new /login in the same window is refused too, and ends the login.
	u.Send("/logout")
	u.Tap("Log out")
	u.Send("/login")
	u.Send("ada@example.com").Expect(t, "You've asked for several codes in a short time. Please wait 4 minutes and send /login again.")
	u.Send("ada@example.com").Expect(t, "I didn't understand that")
	f.h.Clock.Advance(10 * time.Minute)
	u.Send("/login")
	u.Send("ada@example.com").Expect(t, "I've sent a login code")
}

// A new code starts the count of wrong codes afresh.
func TestResendResetsWrongCodes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(9)
	u.Send("/login ada@example.com")
	code := f.emu.OTP("ada@example.com")
	u.Send(wrongCode(code)).Expect(t, "You have 2 more tries.")
	u.Send(wrongCode(code)).Expect(t, "You have 1 more try.")
	u.Tap("Resend code").Expect(t, "New code sent")
	code = f.emu.OTP("ada@example.com")
	u.Send(wrongCode(code)).Expect(t, "You have 2 more tries.")
	u.Send(code).Expect(t, "Welcome")
}

// Resend acts only at the code step of the login that showed it.
func TestStaleResend(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(t *testing.T, f *fixture, u *kerneltest.Chat) // after the Resend button was shown
	}{
		{"after the login", func(t *testing.T, f *fixture, u *kerneltest.Chat) {
			u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
		}},
		{"after a cancel", func(t *testing.T, _ *fixture, u *kerneltest.Chat) { u.Send("/cancel").Expect(t, "Cancelled") }},
		{"from an earlier login", func(t *testing.T, _ *fixture, u *kerneltest.Chat) {
			u.Send("/login")
			u.Send("ada@example.com").Expect(t, "I've sent a login code")
		}},
		{"back at the email step", func(t *testing.T, _ *fixture, u *kerneltest.Chat) {
			u.Send("/login").Expect(t, "What's the email address")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			u := f.h.Private(9)
			u.Send("/login ada@example.com")
			msg, resend := u.FindButton("Resend code")
			if msg == nil {
				t.Fatal("no Resend button")
			}
			tc.then(t, f, u)
			requests := len(f.emu.CallsTo("POST", otpRequest))
			u.Handle(u.CallbackUpdate(msg.ID, resend.Data)).Expect(t, "This button has expired")
			if n := len(f.emu.CallsTo("POST", otpRequest)); n != requests {
				t.Fatal("a stale Resend asked for a code")
			}
		})
	}
}
