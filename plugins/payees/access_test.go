package payees_test

import (
	"testing"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// Every command needs a login (payees are read and written with the
// user's token) and a private chat.

func TestLoginRequired(t *testing.T) {
	e := newEnv(t, setup{noLogin: true})
	for _, cmd := range []string{"/payees", "/addpayee bob@example.com", "/addpayee"} {
		e.U.Send(cmd).Expect(t, "Please log in first")
	}
	if n := len(e.Emu.Calls()); n != 0 {
		t.Fatalf("%d API calls without login", n)
	}
}

func TestPrivateChatsOnly(t *testing.T) {
	e := newEnv(t, setup{})
	group := e.H.Group(-100, 42)
	for _, cmd := range []string{"/payees", "/addpayee bob@example.com"} {
		group.Send(cmd).Expect(t, "only do this in a private chat")
	}
	if n := len(e.Emu.Calls()); n != 0 {
		t.Fatalf("%d API calls from a group", n)
	}
}

// TestLoggedOutMidFlow: a logout ends the flow; its buttons, tapped
// after, call nothing.
func TestLoggedOutMidFlow(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@example.com")
	u := e.U
	u.Send("/payees")
	m, bob := e.U.MustFindButton(t, "Bob")
	u.Send("/fakelogout")
	calls := len(e.Emu.Calls())
	e.U.Retap(m, bob).Expect(t, "This button has expired")
	if n := len(e.Emu.Calls()); n != calls {
		t.Fatalf("%d API calls after logout", n-calls)
	}
}

// TestCopperXTrouble: CopperX not answering or busy, and a 401, reach
// the auth plugin's error hook as they are (the stand-in words them as
// plugins/auth does, once for every plugin).
func TestCopperXTrouble(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
		want  string
	}{
		{"unavailable", copperxtest.Fault{DropConnection: true}, "CopperX is not answering (stub)."},
		{"busy", copperxtest.Fault{Status: 429}, "CopperX is not answering (stub)."},
		{"server error", copperxtest.Fault{Status: 503}, "CopperX is not answering (stub)."},
		{"token expired", copperxtest.Fault{Status: 401}, "Please log in again (stub)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.Emu.Fail("GET", "/api/payees", tc.fault)
			e.U.Send("/payees").Expect(t, tc.want)
		})
	}
}

// TestCreateFailsCleanly: a POST that fails with a 5xx is not retried
// (POSTs never are) and goes to the error hooks; the flow stays at the
// nickname, so the user can try again.
func TestCreateFailsCleanly(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/addpayee bob@example.com")
	e.Emu.Fail("POST", "/api/payees", copperxtest.Fault{Status: 500, Times: 1})
	u.Tap("Use “bob”").Expect(t, "CopperX is not answering (stub).")
	if n := len(e.Emu.CallsTo("POST", "/api/payees")); n != 1 {
		t.Fatalf("%d POSTs, want 1", n)
	}
	u.Send("bob").Expect(t, "Saved <b>bob</b>")
	wantSaved(t, e, "bob <bob@example.com>")
}

// TestRedisSessions: the flow's data survives the round trip through a
// Redis store (REDIS_URL, else miniredis).
func TestRedisSessions(t *testing.T) {
	e := newEnv(t, setup{redis: true})
	u := e.U
	u.Send("/payees")
	u.Tap("Add payee")
	u.Send("bob@example.com")
	u.Tap("Use “bob”").Expect(t, "Saved <b>bob</b>")
	u.Tap("All payees")
	u.Tap("bob")
	u.Tap("Remove")
	u.Tap("Yes, remove").Expect(t, "Removed <b>bob</b>")
	wantSaved(t, e)
}
