package auth_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
)

func TestLogoutWipesStore(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(12)
	u.Send("/logout").Expect(t, "You're not logged in. Send /login to log in.")
	f.login(t, u, "ada@example.com")
	u.Send("/balance")
	u.Send("/remember")
	u.Send("/language")
	u.Tap("English")
	accessToken := f.probe.token()
	r := u.Send("/logout").Expect(t, "Log out of CopperX (ada@example.com)?")
	if m := confirmButtons.FindStringSubmatch(buttons(lastSent(r))); m == nil || m[1] != m[2] {
		t.Fatalf("logout buttons = %s", buttons(lastSent(r)))
	}
	u.Tap("Stay logged in").Expect(t, "still logged in as ada@example.com")
	u.Send("/logout")
	_, yes := u.FindButton("🚪 Log out")
	r = u.Tap("🚪 Log out").Expect(t, "👋 You're logged out. Send /login whenever you want to come back.")
	if r[0].Kind != "edit" {
		t.Fatalf("kinds = %v", r.Kinds())
	}
	s, raw := session(t, f.h, 12)
	for _, k := range []string{"principal", "values", "sealed", "flow"} {
		if _, ok := s[k]; ok {
			t.Errorf("%s survived the logout: %s", k, raw)
		}
	}
	if s["lang"] != "en" {
		t.Errorf("language lost: %s", raw)
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/logout")); n != 1 {
		t.Fatalf("logout calls = %d", n)
	}
	// The token is dead at CopperX too.
	api, _ := copperx.New(copperx.Config{APIURL: f.emu.URL(), Timeout: 5 * time.Second, UserAgent: "t"})
	if _, err := api.Me(context.Background(), copperx.NewToken(accessToken)); err == nil {
		t.Fatal("token still accepted after logout")
	}
	u.Send("/balance").Expect(t, "Please log in first")
	// A second tap on the old confirmation changes nothing.
	u.Handle(u.CallbackUpdate(lastSent(r).ID, yes.Data)).Expect(t, "You're not logged in.")
}

// confirmButtons are the logout confirmation's, both tagged with the
// account (12 hex digits).
var confirmButtons = regexp.MustCompile(`^🚪 Log out → auth:logout:yes:([0-9a-f]{12}); Stay logged in → auth:logout:no:([0-9a-f]{12})$`)

func TestLogoutIgnores401(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(13)
	f.login(t, u, "ada@example.com")
	u.Send("/balance")
	f.emu.ExpireToken(f.probe.token())
	u.Send("/logout")
	u.Tap("🚪 Log out").Expect(t, "You're logged out.")
	if s, _ := session(t, f.h, 13); s["principal"] != nil {
		t.Fatal("principal survived")
	}
}

// An old "Log out" confirmation logs out only the account it names: once
// another account is logged in, its buttons are refused as stale.
func TestOldLogoutButtonAfterSwitch(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(60)
	u.Send("/login ada@example.com")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome, <b>Ada Tester</b>")
	// Two confirmations for Ada: a tap on each after the switch.
	var stale []struct {
		msg  int64
		data string
	}
	for _, label := range []string{"🚪 Log out", "Stay logged in"} {
		u.Send("/logout").Expect(t, "Log out of CopperX (ada@example.com)?")
		m, b := u.FindButton(label)
		if m == nil {
			t.Fatalf("no %q button", label)
		}
		stale = append(stale, struct {
			msg  int64
			data string
		}{m.ID, b.Data})
	}
	u.Send("/login")
	u.Tap("Switch").Expect(t, "What's the email address")
	u.Send("bob@example.com")
	u.Send(f.emu.OTP("bob@example.com")).Expect(t, "Welcome, <b>Bob Tester</b>")
	logouts := len(f.emu.CallsTo("POST", "/api/auth/logout")) // Ada's token, at the switch
	for _, old := range stale {
		r := u.Handle(u.CallbackUpdate(old.msg, old.data)).Expect(t, "This button has expired")
		if r.Contains("logged out") || r.Contains("still logged in") {
			t.Fatalf("old button %s acted on Bob: %s", old.data, r.Text())
		}
		if len(f.h.API.Message(60, old.msg).AllButtons()) != 0 {
			t.Errorf("the stale confirmation %d kept its buttons", old.msg)
		}
	}
	if s, _ := session(t, f.h, 60); s["principal"] == nil || s["principal"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("Bob was logged out by Ada's old button: %v", s["principal"])
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/logout")); n != logouts {
		t.Fatalf("old button logged a token out at CopperX (%d calls, want %d)", n, logouts)
	}
	// Bob's own confirmation works.
	u.Send("/logout").Expect(t, "Log out of CopperX (bob@example.com)?")
	u.Tap("🚪 Log out").Expect(t, "You're logged out.")
	if s, _ := session(t, f.h, 60); s["principal"] != nil {
		t.Fatal("Bob still logged in")
	}
	// Old-style data without the account (sent before this release) is stale.
	f.login(t, u, "ada@example.com")
	confirm := lastSent(u.Send("/logout"))
	u.Handle(u.CallbackUpdate(confirm.ID, "auth:logout:yes")).Expect(t, "This button has expired")
	if s, _ := session(t, f.h, 60); s["principal"] == nil {
		t.Fatal("untagged logout button logged Ada out")
	}
}
