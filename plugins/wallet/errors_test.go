package wallet_test

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// CopperX failures reach the error hooks as they are (the auth plugin
// words CopperX not answering once for every plugin; the stand-in hook
// here does the same), and never leak the raw error or the token.

func TestAPIFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
		want  string
	}{
		{"server error", copperxtest.Fault{Status: 500}, "CopperX is not answering (stub)."},
		{"bad gateway", copperxtest.Fault{Status: 502}, "CopperX is not answering (stub)."},
		{"not answering", copperxtest.Fault{DropConnection: true}, "CopperX is not answering (stub)."},
		{"rate limited", copperxtest.Fault{Status: 429}, "CopperX is not answering (stub)."},
		{"unreadable answer", copperxtest.Fault{Malformed: true}, "Sorry, something went wrong on my side"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			u := e.U
			u.Send("/wallets")
			e.Emu.Fail("", "/api/wallets", tc.fault)
			e.Emu.Fail("", "/api/wallets/*", tc.fault)
			for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
				r := u.Send(cmd).Expect(t, tc.want)
				if strings.Contains(r.Text(), "copperx:") || strings.Contains(r.Text(), "500") {
					t.Fatalf("%s leaks the raw error: %s", cmd, r.Text())
				}
			}
			u.Tap("⭐ Polygon").Expect(t, tc.want)
			if strings.Contains(e.H.Logs.String(), e.Token) {
				t.Fatal("token logged")
			}
		})
	}
}

func TestExpiredTokenGoesToTheAuthHook(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/wallets")
	e.Emu.ExpireToken(e.Token)
	for _, cmd := range []string{"/balance", "/wallets", "/deposit"} {
		r := u.Send(cmd).Expect(t, "Please log in again (stub).")
		if r.Contains("Sorry") {
			t.Fatalf("%s: %s", cmd, r.Text())
		}
	}
	u.Tap("⭐ Polygon").Expect(t, "Please log in again (stub).")
}
