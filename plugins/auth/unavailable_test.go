package auth_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// The one wording of CopperX not answering, for every plugin.
const (
	notAnswering   = "⏳ CopperX is not answering right now; nothing was changed. Try again in a minute."
	notAnsweringIf = "⏳ CopperX is not answering right now, so I can't tell whether that went through."
)

// failEverything makes every CopperX route answer with fault.
func failEverything(f *fixture, fault copperxtest.Fault) {
	for _, pattern := range []string{"/api/*", "/api/*/*", "/api/*/*/*"} {
		f.emu.Fail("", pattern, fault)
	}
}

// TestCopperXUnavailable drives the emulator's faults through the wallet
// and auth commands: each answers "CopperX is not answering" (a login
// code request in the login's own words), never the kernel's apology,
// never "your session has ended", never the raw error; the user stays
// logged in, and a login stays at the email step.
func TestCopperXUnavailable(t *testing.T) {
	faults := []struct {
		name  string
		fault copperxtest.Fault
	}{
		{"500", copperxtest.Fault{Status: http.StatusInternalServerError}},
		{"502", copperxtest.Fault{Status: http.StatusBadGateway}},
		{"503", copperxtest.Fault{Status: http.StatusServiceUnavailable}},
		{"504", copperxtest.Fault{Status: http.StatusGatewayTimeout}},
		{"429", copperxtest.Fault{Status: http.StatusTooManyRequests}},
		{"timeout", copperxtest.Fault{Latency: 5 * time.Second}},
		{"reset", copperxtest.Fault{DropConnection: true}},
	}
	commands := []struct {
		typed    string
		loggedIn bool
		want     func(fault string) string
	}{
		{"/balance", true, func(string) string { return notAnswering }},
		{"/wallets", true, func(string) string { return notAnswering }},
		{"/deposit", true, func(string) string { return notAnswering }},
		{"/profile", true, func(string) string { return notAnswering }},
		{"/kyc", true, func(string) string { return notAnswering }},
		{"/login zoe@example.com", false, func(fault string) string {
			if fault == "429" { // CopperX's limit on codes, worded as ours
				return "You've asked for several codes in a short time."
			}
			return "⏳ CopperX is not answering right now, so no code was sent. Type your email again in a minute, or /cancel."
		}},
	}
	for _, fc := range faults {
		t.Run(fc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{wallet: true, apiTimeout: 300 * time.Millisecond})
			in, out := f.h.Private(80), f.h.Private(81)
			f.login(t, in, "ada@example.com")
			failEverything(f, fc.fault)
			for _, cmd := range commands {
				u := out
				if cmd.loggedIn {
					u = in
				}
				r := u.Send(cmd.typed).Expect(t, cmd.want(fc.name))
				for _, never := range []string{"Sorry, something went wrong", "session has ended", "copperx:", "Internal Server Error", "Bad Gateway"} {
					if r.Contains(never) {
						t.Fatalf("%s: %q in the reply:\n%s", cmd.typed, never, r.Text())
					}
				}
			}
			if s, _ := session(t, f.h, 80); s["principal"] == nil {
				t.Fatal("CopperX not answering logged the user out")
			}
			if fc.name != "429" {
				if step := flowStep(t, f.h, 81); step != "email" {
					t.Fatalf("the login is at %q, want the email step", step)
				}
			}
			if !strings.Contains(f.h.Logs.String(), "copperx is not answering") {
				t.Fatal("the failure was not logged")
			}
		})
	}
}

// TestCopperXUnavailableOnTaps: a tap (the /start menu's, a wallet's
// Make default) is answered with an alert on the button, no new message;
// a change CopperX may have made before its answer was lost is not
// called "nothing was changed".
func TestCopperXUnavailableOnTaps(t *testing.T) {
	f := newFixture(t, fixtureOptions{wallet: true})
	u := f.h.Private(82)
	f.login(t, u, "ada@example.com")
	u.Send("/start")
	u.Send("/wallets")
	u.Tap("Base")
	u.Tap("Make default")
	failEverything(f, copperxtest.Fault{Status: http.StatusBadGateway})

	menu, _ := u.FindButton("Wallet balances")
	r := u.Handle(u.CallbackUpdate(menu.ID, balancesButton(t, menu)))
	assertAlertOnly(t, r, notAnswering)

	r = u.Tap("Yes, make it default")
	assertAlertOnly(t, r, notAnsweringIf)
	if n := len(f.emu.CallsTo("POST", "/api/wallets/default")); n != 1 {
		t.Fatalf("%d set-default calls", n)
	}
}

// assertAlertOnly checks that r is one alert containing want and nothing
// written to the chat.
func assertAlertOnly(t *testing.T, r kerneltest.Replies, want string) {
	t.Helper()
	for _, e := range r {
		switch e.Kind {
		case "send", "edit", "photo", "document":
			t.Fatalf("wrote to the chat (%v): %s", r.Kinds(), r.Text())
		case "answer":
			if !e.Alert || !strings.Contains(e.Answer, want) {
				t.Fatalf("answer = %q (alert %v), want an alert with %q", e.Answer, e.Alert, want)
			}
			return
		}
	}
	t.Fatalf("no answer to the tap: %v", r.Kinds())
}

// TestUnavailableAfterMoneyMoved: an update that moved money
// (Ctx.Irreversible) keeps its plugin's wording: the hook does not say
// "nothing was changed".
func TestUnavailableAfterMoneyMoved(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(83)
	f.login(t, u, "ada@example.com")
	failEverything(f, copperxtest.Fault{Status: http.StatusServiceUnavailable})
	if r := u.Send("/moved"); r.Contains("nothing was changed") {
		t.Fatalf("the hook spoke for an update that moved money: %s", r.Text())
	}
	if r := u.Send("/balance"); !r.Contains(notAnswering) {
		t.Fatalf("the same fault without money moved: %s", r.Text())
	}
}

// TestLoginWhileCopperXNotAnswering: inside the login, CopperX not
// answering costs nothing: a code it could not check may be typed again
// (it is not counted as wrong), Resend says so in a notice and the last
// code still works, and once the code was right, reads that fail after it
// do not undo the login.
func TestLoginWhileCopperXNotAnswering(t *testing.T) {
	f := newFixture(t, fixtureOptions{wallet: true})
	u := f.h.Private(84)
	u.Send("/login ada@example.com").Expect(t, "I've sent a login code")
	code := f.emu.OTP("ada@example.com")

	f.emu.Fail("POST", otpRequest, copperxtest.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	r := u.Tap("Resend code")
	if kinds := r.Kinds(); len(kinds) != 1 || kinds[0] != "answer" || !strings.Contains(r[0].Answer, "no new code was sent. The last code I sent still works.") {
		t.Fatalf("Resend while CopperX is not answering: %v %s", kinds, r.Text())
	}

	f.emu.Fail("POST", otpAuthenticate, copperxtest.Fault{Status: http.StatusBadGateway, Times: 1})
	typed := u.MessageUpdate(code)
	u.Handle(typed).Expect(t, "CopperX is not answering right now, so I couldn't check your code. Type it again in a minute")
	if !f.h.API.Message(84, typed.Message.MessageId).Deleted {
		t.Fatal("the code stayed in the chat")
	}
	if step := flowStep(t, f.h, 84); step != "code" {
		t.Fatalf("the login is at %q, want the code step", step)
	}

	f.emu.Fail("GET", "/api/auth/me", copperxtest.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	f.emu.Fail("GET", "/api/kycs", copperxtest.Fault{Status: http.StatusGatewayTimeout, Times: 1})
	u.Send(code).Expect(t, "Welcome, <b>Ada Tester</b>", "Email: ada@example.com",
		"Verification: I couldn't check it just now; /kyc shows it.")
	s, _ := session(t, f.h, 84)
	attrs := s["principal"].(map[string]any)["attrs"].(map[string]any)
	if _, known := attrs["kyc"]; known {
		t.Fatalf("a KYC status nobody read was stored: %v", attrs)
	}
	// Menus assume it passes; the guard asks CopperX when it matters.
	r = u.Send("/start")
	if !slices.Contains(lastSent(r).Labels(), "Send USDC") || r.Contains("Verification:") {
		t.Fatalf("an unknown status shown as one: %s", r.Text())
	}
	u.Send("/send").Expect(t, "Probe send allowed.")
	s, _ = session(t, f.h, 84)
	if got := s["principal"].(map[string]any)["attrs"].(map[string]any)["kyc"]; got != "approved" {
		t.Fatalf("kyc after the guard asked = %v", got)
	}
}
