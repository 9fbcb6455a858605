package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
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
			f.probe.checkLive = true
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
			// A logout the user asked for (or a switch) is heard while the
			// token still works, so work still using it (the deposit
			// catch-up) sees the logout before a refusal; CopperX has
			// revoked it by the end of the update.
			asked := tc.name == "logout" || tc.name == "switch"
			if f.probe.live[0] != asked {
				t.Errorf("token accepted when the listeners heard the logout: %v, want %v", f.probe.live[0], asked)
			}
			if _, err := f.probe.api.Me(context.Background(), copperx.NewToken(f.probe.logouts[0].Token.Reveal())); err == nil {
				t.Error("the logged-out token still works at CopperX")
			}
		})
	}
}
