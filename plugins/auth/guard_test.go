package auth_test

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

func TestGuardBlocksThenResumes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(14)
	r := u.Send("/balance").Expect(t, "Please log in first — I'll continue with this right after.", "What's the email address")
	if r.Contains("Probe balance") {
		t.Fatal("guard let an anonymous user through")
	}
	if s, _ := session(t, f.h, 14); s["values"].(map[string]any)["auth.pending"].(map[string]any)["action"] != "probe.balance" {
		t.Fatalf("blocked command = %v", s["values"])
	}
	u.Send("ada@example.com")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome", "Probe balance: 1250.5")
	if s, _ := session(t, f.h, 14); s["values"] != nil {
		t.Fatalf("blocked command left behind: %v", s["values"])
	}
}

// The resumed command may start a flow: it stays open after the login.
func TestGuardResumesIntoFlow(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(13)
	u.Send("/note").Expect(t, "Please log in first — I'll continue with this right after.")
	u.Send("ada@example.com")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome", "Probe: which note?")
	if step := flowStep(t, f.h, 13); step != "text" {
		t.Fatalf("the resumed command's flow is at %q", step)
	}
	if _, cancel := u.FindButton("Cancel"); cancel.Data == "" {
		t.Fatal("the resumed flow's prompt lost its Cancel button")
	}
	u.Send("milk").Expect(t, "Probe noted: milk")
}

func TestGuardResumeTooLate(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(15)
	u.Send("/balance")
	f.h.Clock.Advance(11 * time.Minute)
	r := f.login(t, u, "ada@example.com")
	if r.Contains("Probe balance") {
		t.Fatal("a command blocked 11 minutes ago was run")
	}
}

// A tap on an action button (a /start menu shown before a logout) is
// remembered like the command it stands for.
func TestGuardResumesMenuTap(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(16)
	f.login(t, u, "ada@example.com")
	u.Send("/start").Expect(t, "Logged in as")
	menu, _ := u.FindButton("Wallet balances")
	u.Send("/logout")
	u.Tap("🚪 Log out").Expect(t, "You're logged out")
	u.Handle(u.CallbackUpdate(menu.ID, balancesButton(t, menu))).
		Expect(t, "Please log in first — I'll continue with this right after.")
	f.login(t, u, "ada@example.com").Expect(t, "Probe balance: 1250.5")
}

// A guarded button tap is not remembered, so the refusal makes no promise
// to continue; the login still starts right away in a private chat.
func TestGuardedTapNotPromised(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(61)
	r := u.Handle(u.CallbackUpdate(1, "probe:refresh")).Expect(t, "🔐 Please log in first.", "What's the email address")
	if r.Contains("continue with this") || r.Contains("Probe refreshed") {
		t.Fatalf("refusal = %s", r.Text())
	}
	if s, _ := session(t, f.h, 61); s["values"] != nil {
		t.Fatalf("a tap was remembered: %v", s["values"])
	}
	u.Send("ada@example.com")
	if r := u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome"); r.Contains("Probe refreshed") {
		t.Fatal("the tap ran after the login")
	}
	// After a logout, an old guarded button says the same.
	u.Send("/logout")
	u.Tap("🚪 Log out")
	r = u.Handle(u.CallbackUpdate(1, "probe:refresh")).Expect(t, "Please log in first.")
	if r.Contains("continue with this") {
		t.Fatalf("refusal after logout = %s", r.Text())
	}
	// A typed command is remembered, and promised.
	u.Send("/cancel")
	u.Send("/balance").Expect(t, "Please log in first — I'll continue with this right after.")
}

// A typed command with resume_within 0 is never resumed, so never promised.
func TestGuardNoPromiseWhenResumeOff(t *testing.T) {
	f := newFixture(t, fixtureOptions{env: []string{"COPPERX_BOT_PLUGINS__AUTH__RESUME_WITHIN=0s"}})
	u := f.h.Private(62)
	r := u.Send("/balance").Expect(t, "Please log in first.", "What's the email address")
	if r.Contains("continue with this") {
		t.Fatalf("refusal = %s", r.Text())
	}
}

// In a group the guard does not start a login there: its refusal carries
// auth's own Log in button, which works only in a private chat.
func TestGuardInGroup(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	g := f.h.Group(-100, 12)
	r := g.Send("/remember").Expect(t, "Please log in first — I'll continue with this right after.")
	if got := buttons(lastSent(r)); got != "🔐 Log in → auth:start" {
		t.Fatalf("refusal buttons = %s", got)
	}
	if step := flowStep(t, f.h, 12); step != "" {
		t.Fatalf("a login started in the group (at %q)", step)
	}
	g.Tap("Log in").Expect(t, "only do this in a private chat")
	// The Log in button in a private chat starts the login, and the
	// command typed in the group runs after it.
	u := f.h.Private(12)
	u.Handle(u.CallbackUpdate(lastSent(r).ID, "auth:start")).Expect(t, "What's the email address")
	u.Send("ada@example.com")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
	if s, _ := session(t, f.h, 12); s["values"].(map[string]any)["probe.note"] != "kept" {
		t.Fatalf("the blocked command did not run: %v", s["values"])
	}
}

func TestUnauthorizedMidSession(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(17)
	f.login(t, u, "ada@example.com")
	u.Send("/balance").Expect(t, "Probe balance")
	f.emu.ExpireToken(f.probe.token())
	r := u.Send("/balance").Expect(t, "Your CopperX session has ended. Please log in again with /login.")
	if r.Contains("Sorry, something went wrong") {
		t.Fatal("apology instead of log in again")
	}
	if got := buttons(lastSent(r)); got != "🔐 Log in → auth:start" {
		t.Fatalf("buttons = %s", got)
	}
	if s, _ := session(t, f.h, 17); s["principal"] != nil || s["sealed"] != nil {
		t.Fatalf("principal kept after a 401: %v", s)
	}
	u.Send("/me").Expect(t, "Please log in first")
	// The last blocked command resumes after the new login.
	f.login(t, u, "ada@example.com").Expect(t, "👤 <b>Ada Tester</b>")
}

// A 401 inside a flow step ends the flow with the login; flow input is
// not remembered for after the next login.
func TestUnauthorizedDuringOpenFlow(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(18)
	f.login(t, u, "ada@example.com")
	u.Send("/balance").Expect(t, "Probe balance") // the probe learns the token
	u.Send("/note").Expect(t, "Probe: which note?")
	f.emu.ExpireToken(f.probe.token())
	r := u.Send("milk").Expect(t, "Your CopperX session has ended")
	if r.Contains("Probe noted") || r.Contains("Sorry, something went wrong") {
		t.Fatalf("replies = %s", r.Text())
	}
	if s, _ := session(t, f.h, 18); s["flow"] != nil || s["principal"] != nil || s["values"] != nil {
		t.Fatalf("session = %v", s)
	}
}

// A token about to expire is never used: the guard ends the login, before
// a command or text for an open flow reaches the API.
func TestTokenExpiresByClock(t *testing.T) {
	for _, tc := range []struct {
		name, typed string
	}{
		{"command", "/balance"},
		{"flow text", "milk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{
				emulator: []copperxtest.Option{copperxtest.WithTokenTTL(time.Hour)},
				config:   "flows: {timeout: 2h}", // the note waits longer than the token lives
			})
			u := f.h.Private(19)
			f.login(t, u, "ada@example.com")
			u.Send("/note").Expect(t, "Probe: which note?")
			f.h.Clock.Advance(59*time.Minute + 30*time.Second) // within expiry_margin
			before := len(f.emu.Calls())
			r := u.Send(tc.typed).Expect(t, "Your CopperX session has ended", "What's the email address")
			if r.Contains("Probe") {
				t.Fatalf("the guarded handler ran: %s", r.Text())
			}
			if len(f.emu.Calls()) != before {
				t.Fatal("an expiring token was still used")
			}
			if s, _ := session(t, f.h, 19); s["principal"] != nil {
				t.Fatal("expired principal kept")
			}
			if step := flowStep(t, f.h, 19); step != "email" {
				t.Fatalf("flow at %q, want the login's email step", step)
			}
		})
	}
}
