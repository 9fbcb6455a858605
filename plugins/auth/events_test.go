package auth_test

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// Every login emits kernel.LoggedIn; every way a login ends emits
// kernel.LoggedOut with the principal that is gone and why.
func TestLoginEvents(t *testing.T) {
	for _, tc := range []struct {
		name     string
		emulator []copperxtest.Option
		end      func(t *testing.T, f *fixture, u *kerneltest.Chat)
		want     string
	}{
		{"logout", nil, func(t *testing.T, _ *fixture, u *kerneltest.Chat) {
			u.Send("/logout")
			u.Tap("🚪 Log out").Expect(t, "You're logged out")
		}, "in,out:logout"},
		{"switch", nil, func(t *testing.T, f *fixture, u *kerneltest.Chat) {
			u.Send("/login")
			u.Tap("Switch account")
			u.Send("bob@example.com")
			u.Send(f.emu.OTP("bob@example.com")).Expect(t, "Welcome, <b>Bob Tester</b>")
		}, "in,out:switch,in"},
		{"expired", []copperxtest.Option{copperxtest.WithTokenTTL(time.Hour)}, func(t *testing.T, f *fixture, u *kerneltest.Chat) {
			f.h.Clock.Advance(time.Hour)
			u.Send("/balance").Expect(t, "session has ended")
		}, "in,out:expired"},
		{"refused", nil, func(t *testing.T, f *fixture, u *kerneltest.Chat) {
			u.Send("/balance")
			f.emu.ExpireToken(f.probe.token())
			u.Send("/balance").Expect(t, "session has ended")
		}, "in,out:refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{emulator: tc.emulator})
			u := f.h.Private(30)
			f.login(t, u, "ada@example.com")
			tc.end(t, f, u)
			if got := f.probe.eventLog(); got != tc.want {
				t.Fatalf("events = %s, want %s", got, tc.want)
			}
			f.probe.mu.Lock()
			defer f.probe.mu.Unlock()
			if in, out := f.probe.logins[0], f.probe.logouts[0]; in.Token.Reveal() == "" || out.Email != "ada@example.com" || out.UserID != in.UserID {
				t.Fatalf("logged in %+v, logged out %+v", in, out)
			}
		})
	}
}
