package wallet_test

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// CopperX failures read clearly and never leak the raw error or the token.

func TestAPIFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
		want  string
	}{
		{"server error", copperxtest.Fault{Status: 500}, "Sorry, something went wrong on my side"},
		{"not answering", copperxtest.Fault{DropConnection: true}, "CopperX is not answering right now"},
		{"rate limited", copperxtest.Fault{Status: 429}, "CopperX is busy right now"},
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
