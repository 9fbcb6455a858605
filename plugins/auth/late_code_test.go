package auth_test

import (
	"testing"
	"time"
)

// TestLateCodeDeleted: a login code typed after its login ended — by
// /cancel, by another command, by the flow timing out, by too many wrong
// codes — is still deleted from the chat, with how to log in again; text
// that is no code, or a code typed long after, is left alone.
func TestLateCodeDeleted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		end     func(f *fixture) // ends the login at the code step
		typed   string           // "" is the code emailed
		deleted bool
		want    []string
	}{
		{name: "cancelled", end: func(f *fixture) { f.h.Private(30).Send("/cancel").Expect(f.h.T, "Cancelled") },
			deleted: true, want: []string{"🗑 I deleted your message: it looked like a login code, but that login has ended."}},
		{name: "another command", end: func(f *fixture) { f.h.Private(30).Send("/help") },
			deleted: true, want: []string{"that login has ended"}},
		{name: "timed out", end: func(f *fixture) { f.h.Clock.Advance(16 * time.Minute) },
			deleted: true, want: []string{"That conversation timed out", "that login has ended"}},
		{name: "too many wrong codes", end: func(f *fixture) {
			u := f.h.Private(30)
			for range 3 {
				u.Send(wrongCode(f.emu.OTP("ada@example.com")))
			}
		}, deleted: true, want: []string{"that login has ended"}},
		{name: "spaced code", end: func(f *fixture) { f.h.Private(30).Send("/cancel") },
			typed: "123 456", deleted: true, want: []string{"that login has ended"}},
		{name: "not a code", end: func(f *fixture) { f.h.Private(30).Send("/cancel") },
			typed: "12ab56", want: []string{"I didn't understand that"}},
		{name: "long after", end: func(f *fixture) {
			f.h.Private(30).Send("/cancel")
			f.h.Clock.Advance(31 * time.Minute)
		}, want: []string{"I didn't understand that"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			u := f.h.Private(30)
			u.Send("/login ada@example.com").Expect(t, "I've sent a login code")
			tc.end(f)
			typed := tc.typed
			if typed == "" {
				typed = f.emu.OTP("ada@example.com")
			}
			late := u.MessageUpdate(typed)
			r := u.Handle(late).Expect(t, tc.want...)
			if got := f.h.API.Message(30, late.Message.MessageId).Deleted; got != tc.deleted {
				t.Fatalf("deleted = %v, want %v; replies:\n%s", got, tc.deleted, r.Text())
			}
			if !tc.deleted {
				return
			}
			if got := buttons(lastSent(r)); got != "📨 Request a new code → auth:again" {
				t.Fatalf("buttons = %s", got)
			}
			if n := len(f.emu.CallsTo("POST", otpAuthenticate)); tc.name != "too many wrong codes" && n != 0 {
				t.Fatalf("a late code reached CopperX (%d calls)", n)
			}
			u.Tap("Request a new code").Expect(t, "I've sent a login code")
			u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
		})
	}
}

// TestLateCodeAfterGivingUpASwitch: someone logged in who starts a switch
// of account and cancels it is told the code was deleted and that they
// are still logged in; after a successful login a code is just text.
func TestLateCodeAfterGivingUpASwitch(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(31)
	f.login(t, u, "ada@example.com")
	code := u.MessageUpdate("482913")
	if r := u.Handle(code); !r.Contains("I didn't understand that") || f.h.API.Message(31, code.Message.MessageId).Deleted {
		t.Fatalf("a number typed after a successful login: %s", r.Text())
	}
	u.Send("/login")
	u.Tap("Switch account")
	u.Send("bob@example.com").Expect(t, "I've sent a login code")
	u.Send("/cancel")
	late := u.MessageUpdate(f.emu.OTP("bob@example.com"))
	r := u.Handle(late).Expect(t, "that login has ended. You're still logged in as ada@example.com.")
	if !f.h.API.Message(31, late.Message.MessageId).Deleted {
		t.Fatal("the late code stayed in the chat")
	}
	if len(lastSent(r).AllButtons()) != 0 {
		t.Fatalf("buttons under the notice: %s", buttons(lastSent(r)))
	}
}
