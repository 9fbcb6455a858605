package auth_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

const (
	otpRequest      = "/api/auth/email-otp/request"
	otpAuthenticate = "/api/auth/email-otp/authenticate"
)

func TestFullLogin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return nil }},
		{"redis", func(t *testing.T) store.Store { rdb, prefix := storetest.Redis(t); return store.NewRedis(rdb, prefix) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{store: tc.store(t)})
			u := f.h.Private(42)
			u.Send("/login").Expect(t, "What's the email address of your CopperX account?")
			u.Send("ada@").Expect(t, "doesn't look like an email address", "or /cancel.")
			if step := flowStep(t, f.h, 42); step != "email" {
				t.Fatalf("flow at %q, want the email step", step)
			}
			r := u.Send("  ada@Example.COM ").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
			if got := buttons(lastSent(r)); got != "📨 Resend code → login.code.resend" {
				t.Fatalf("code prompt buttons = %s", got)
			}
			code := f.emu.OTP("ada@example.com")
			update := u.MessageUpdate(code)
			r = u.Handle(update).Expect(t,
				"✅ Welcome, <b>Ada Tester</b>! You're logged in.",
				"Email: ada@example.com",
				"Verification: approved ✅",
				"What would you like to do?")
			if r.Contains(f.emu.OrgID("ada@example.com")) {
				t.Fatalf("the welcome shows the organisation id: %s", r.Text())
			}
			if !f.h.API.Message(42, update.Message.MessageId).Deleted {
				t.Fatal("the message holding the code was not deleted")
			}
			if got := buttons(lastSent(r)); got != "Wallet balances → run probe.balance; Send USDC → run probe.send" {
				t.Fatalf("welcome menu = %s", got)
			}
			if n := liveButtons(f.h, 42); n != 1 {
				t.Fatalf("%d messages carry buttons; only the welcome menu should", n)
			}
			// The principal is stored, its token sealed.
			s, raw := session(t, f.h, 42)
			p, _ := s["principal"].(map[string]any)
			if p == nil || p["email"] != "ada@example.com" || p["name"] != "Ada Tester" || p["orgId"] != f.emu.OrgID("ada@example.com") {
				t.Fatalf("stored principal = %v", p)
			}
			attrs := p["attrs"].(map[string]any)
			if attrs["kyc"] != "approved" || attrs["role"] != "owner" || attrs["account_type"] != "individual" || attrs["wallet_address"] == "" || attrs["kyc_checked"] != "2026-03-20T10:00:00Z" {
				t.Fatalf("principal attrs = %v", attrs)
			}
			if _, ok := s["flow"]; ok {
				t.Fatal("login flow still stored")
			}
			// The token works: the guarded probe reaches the API with it.
			u.Tap("Wallet balances").Expect(t, "Probe balance: 1250.5")
			accessToken := f.probe.token()
			if accessToken == "" || strings.Contains(raw, accessToken) {
				t.Fatalf("token missing or stored in clear")
			}
			// Nothing secret reached a log line or the store.
			sid := f.emu.CallsTo("POST", otpAuthenticate)[0].Body["sid"].(string)
			for what, secret := range map[string]string{"token": accessToken, "otp": code, "sid": sid} {
				if strings.Contains(f.h.Logs.String(), secret) || strings.Contains(f.clientLogs.String(), secret) {
					t.Errorf("%s in the logs", what)
				}
			}
			if strings.Contains(raw, code) {
				t.Error("otp in the stored session")
			}
			f.probe.mu.Lock()
			defer f.probe.mu.Unlock()
			if len(f.probe.logins) != 1 || f.probe.logins[0].UserID == "" || f.probe.logins[0].Token.Reveal() != accessToken {
				t.Fatalf("kernel.LoggedIn events = %v", f.probe.logins)
			}
		})
	}
}

// "/login <text>": an email sends the code at once; anything else is
// explained and the login asks for the email.
func TestLoginWithText(t *testing.T) {
	tooLong := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com"
	for _, tc := range []struct {
		name, typed string
		want        []string
		step        string // where the login waits
		deleted     bool   // the user's message was deleted (it held a code)
	}{
		{"email", "ada@example.com", []string{"I've sent a login code to <b>a•••@example.com</b>"}, "code", false},
		{"email in capitals", "Ada@Example.COM", []string{"I've sent a login code to <b>a•••@example.com</b>"}, "code", false},
		{"not an email", "ada@", []string{"doesn't look like an email address", "What's the email address"}, "email", false},
		{"too long", tooLong, []string{"too long (at most 254 characters)", "What's the email address"}, "email", false},
		{"a code", "123456", []string{"I need your email address first", "What's the email address"}, "email", true},
		{"a spaced code", "123 456", []string{"I need your email address first"}, "email", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			u := f.h.Private(1)
			update := u.MessageUpdate("/login " + tc.typed)
			u.Handle(update).Expect(t, tc.want...)
			if step := flowStep(t, f.h, 1); step != tc.step {
				t.Fatalf("flow at %q, want %q", step, tc.step)
			}
			if deleted := f.h.API.Message(1, update.Message.MessageId).Deleted; deleted != tc.deleted {
				t.Fatalf("message deleted = %v, want %v", deleted, tc.deleted)
			}
			if tc.step == "email" {
				if n := f.emu.CallsTo("POST", otpRequest); len(n) != 0 {
					t.Fatalf("%d codes requested for %q", len(n), tc.typed)
				}
				u.Send("ada@example.com").Expect(t, "I've sent a login code")
			}
			u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome, <b>Ada Tester</b>")
		})
	}
}

// What the email step does with what is typed there: the step stays, no
// code is requested, and a login code (the login restarted after it was
// sent) is deleted from the chat.
func TestEmailStepRefusals(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
		deleted     bool
	}{
		{"ada@", "doesn't look like an email address", false},
		{"ada lovelace@example.com", "doesn't look like an email address", false},
		{"Ada <ada@example.com>", "doesn't look like an email address", false},
		{"123", "doesn't look like an email address", false},
		{strings.Repeat("a", 250) + "@example.com", "That email address is too long (at most 254 characters)", false},
		{"482913", "That looks like a login code, but I need your email address first — I've deleted your message.", true},
		{" 482 913 ", "I need your email address first", true},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			u := f.h.Private(2)
			u.Send("/login")
			update := u.MessageUpdate(tc.typed)
			r := u.Handle(update).Expect(t, tc.want)
			if tc.deleted && r.Contains("doesn't look like") {
				t.Fatalf("a code answered as a bad email: %s", r.Text())
			}
			if deleted := f.h.API.Message(2, update.Message.MessageId).Deleted; deleted != tc.deleted {
				t.Fatalf("message deleted = %v, want %v", deleted, tc.deleted)
			}
			if step := flowStep(t, f.h, 2); step != "email" {
				t.Fatalf("flow at %q, want the email step", step)
			}
			if n := len(f.emu.CallsTo("POST", otpRequest)) + len(f.emu.CallsTo("POST", otpAuthenticate)); n != 0 {
				t.Fatalf("%d calls reached the API", n)
			}
		})
	}
}

// A code typed after the login restarted (a guard asked for the email
// again) is deleted, never sent anywhere; the blocked command still runs
// after the login.
func TestCodeAtEmailStep(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(63)
	u.Send("/login ada@example.com").Expect(t, "I've sent a login code")
	code := f.emu.OTP("ada@example.com")
	u.Send("/balance").Expect(t, "What's the email address") // the login restarts
	update := u.MessageUpdate(code)
	u.Handle(update).Expect(t, "I need your email address first")
	if !f.h.API.Message(63, update.Message.MessageId).Deleted {
		t.Fatal("the code stayed in the chat")
	}
	if n := len(f.emu.CallsTo("POST", otpAuthenticate)); n != 0 {
		t.Fatalf("the code reached the API %d times", n)
	}
	u.Send("ada@example.com").Expect(t, "I've sent a login code")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome", "Probe balance")
}

func TestWrongCodeThenRight(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(2)
	u.Send("/login")
	u.Send("ada@example.com")
	code := f.emu.OTP("ada@example.com")
	r := u.Send(wrongCode(code)).Expect(t, "That code isn't right. You have 2 more tries.")
	if got := buttons(lastSent(r)); got != "📨 Resend code → login.code.resend" {
		t.Fatalf("buttons under a wrong code = %s", got)
	}
	u.Send(wrongCode(code)).Expect(t, "You have 1 more try.")
	if n := liveButtons(f.h, 2); n != 1 {
		t.Fatalf("%d messages carry a Resend button", n)
	}
	u.Send(code).Expect(t, "Welcome, <b>Ada Tester</b>")
	// Every Resend button was taken off once the login finished.
	for _, m := range f.h.API.Messages(2) {
		if strings.Contains(buttons(m), "login.code.resend") {
			t.Fatalf("resend button left on %q", m.Text)
		}
	}
}

func TestBadCodeInput(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(3)
	u.Send("/login")
	u.Send("ada@example.com")
	for _, bad := range []string{"abc123", "12", "123456789", "12-34", "１２３４５６"} {
		update := u.MessageUpdate(bad)
		u.Handle(update).Expect(t, "The code is 4 to 8 digits, nothing else.")
		if !f.h.API.Message(3, update.Message.MessageId).Deleted {
			t.Fatalf("%q not deleted", bad)
		}
	}
	if n := len(f.emu.CallsTo("POST", otpAuthenticate)); n != 0 {
		t.Fatalf("bad input reached the API %d times", n)
	}
	// A photo at the code step: the kernel asks for text, the step stays.
	photo := gotgbot.Update{UpdateId: f.h.NextUpdateID(), Message: &gotgbot.Message{
		MessageId: 999, Date: f.h.Clock.Now().Unix(), Chat: gotgbot.Chat{Id: 3, Type: "private"},
		From: &gotgbot.User{Id: 3, FirstName: "Ada", LanguageCode: "en"}, Photo: []gotgbot.PhotoSize{{FileId: "x"}},
	}}
	u.Handle(photo).Expect(t, "Please answer with text")
	// A forwarded message with the code, spaced: read like a typed one.
	code := f.emu.OTP("ada@example.com")
	forwarded := u.MessageUpdate(code[:3] + " " + code[3:])
	forwarded.Message.ForwardOrigin = gotgbot.MessageOriginUser{Date: 1, SenderUser: gotgbot.User{Id: 9, FirstName: "Eve"}}
	u.Handle(forwarded).Expect(t, "Welcome")
	if !f.h.API.Message(3, forwarded.Message.MessageId).Deleted {
		t.Fatal("forwarded code not deleted")
	}
}

// A login that ends at the code step (too many wrong codes, an expired or
// unknown code) offers Request a new code, which starts over at the code
// step for the same email.
func TestLoginEndsWithNewCodeButton(t *testing.T) {
	for _, tc := range []struct {
		name     string
		emulator []copperxtest.Option
		env      []string
		before   func(f *fixture) // just before the last code is typed
		wrong    int              // wrong codes typed; 0: the right one
		want     string
	}{
		{name: "too many wrong codes", wrong: 3, want: "❌ Too many wrong codes, so I stopped this login for your safety."},
		{name: "otp_attempts from the environment", env: []string{"COPPERX_BOT_PLUGINS__AUTH__OTP_ATTEMPTS=1"}, wrong: 1, want: "Too many wrong codes"},
		{name: "the API's own limit (403)", emulator: []copperxtest.Option{copperxtest.WithOTPAttempts(1)}, wrong: 1, want: "Too many wrong codes"},
		{name: "expired code", emulator: []copperxtest.Option{copperxtest.WithOTPTTL(time.Minute)},
			before: func(f *fixture) { f.h.Clock.Advance(2 * time.Minute) }, want: "⌛ That code has expired."},
		{name: "session id refused (400)",
			before: func(f *fixture) {
				f.emu.Fail("POST", otpAuthenticate, copperxtest.Fault{Status: http.StatusBadRequest, Times: 1})
			},
			want: "That code has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{emulator: tc.emulator, env: tc.env})
			u := f.h.Private(4)
			u.Send("/login")
			u.Send("ada@example.com")
			code := f.emu.OTP("ada@example.com")
			for i := 1; i < tc.wrong; i++ {
				u.Send(wrongCode(code)).Expect(t, "isn't right")
			}
			last := code
			if tc.wrong > 0 {
				last = wrongCode(code)
			}
			if tc.before != nil {
				tc.before(f)
			}
			r := u.Send(last).Expect(t, tc.want)
			if got := buttons(lastSent(r)); got != "📨 Request a new code → auth:again" {
				t.Fatalf("buttons = %s", got)
			}
			if step := flowStep(t, f.h, 4); step != "" {
				t.Fatalf("the login is still open at %q", step)
			}
			if n := liveButtons(f.h, 4); n != 1 {
				t.Fatalf("%d messages carry buttons; only Request a new code should", n)
			}
			// The code typed after the login ended is still deleted.
			late := u.MessageUpdate(code)
			u.Handle(late).Expect(t, "that login has ended")
			if !f.h.API.Message(4, late.Message.MessageId).Deleted {
				t.Fatal("a code typed after the login ended stayed in the chat")
			}
			u.Tap("Request a new code").Expect(t, "I've sent a login code to <b>a•••@example.com</b>")
			u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
		})
	}
}

// CopperX refusing to send a code: a rejected email goes back to the
// email step, inside the login (a 401/403 there is about the email, never
// "your session has ended"), with CopperX's reason when it gave one; its
// rate limit is worded like ours, and on Resend it is a notice on the
// button, not a new message.
func TestCodeRequestRefused(t *testing.T) {
	const suspended = `{"message":"This account is suspended","statusCode":403,"error":"Forbidden"}`
	for _, tc := range []struct {
		where  string // the email step, "/login <email>" or a Resend
		status int
		body   string // the API's answer; "" is the emulator's ErrorDto for the status
		want   []string
		step   string // where the login waits afterwards
	}{
		{where: "email step", status: http.StatusForbidden, body: suspended,
			want: []string{"🚫 CopperX refused this email: <i>This account is suspended</i>\nType another email address, or /cancel."}, step: "email"},
		{where: "email step", status: http.StatusUnauthorized, want: []string{"🚫 CopperX refused this email. Type another email address"}, step: "email"},
		{where: "login text", status: http.StatusForbidden, body: suspended,
			want: []string{"CopperX refused this email: <i>This account is suspended</i>", "What's the email address"}, step: "email"},
		{where: "resend", status: http.StatusForbidden, body: suspended,
			want: []string{"CopperX refused this email: <i>This account is suspended</i>", "What's the email address"}, step: "email"},
		{where: "email step", status: http.StatusNotFound, body: `{"message":"No account with this email","statusCode":404}`,
			want: []string{"CopperX refused this email: <i>No account with this email</i>"}, step: "email"},
		{"email step", http.StatusBadRequest, "", []string{"CopperX didn't accept ada@example.com as an email address."}, "email"},
		{"login text", http.StatusBadRequest, "", []string{"CopperX didn't accept ada@example.com", "What's the email address"}, "email"},
		{"resend", http.StatusBadRequest, "", []string{"CopperX didn't accept ada@example.com", "What's the email address"}, "email"},
		{"email step", http.StatusTooManyRequests, "", []string{"You've asked for several codes in a short time. Please wait 1 second and send /login again."}, ""},
		{"login text", http.StatusTooManyRequests, "", []string{"Please wait 1 second and send /login again."}, ""},
		{"resend", http.StatusTooManyRequests, "", []string{"Please wait 1 second before asking for another code. The last code I sent still works."}, "code"},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.where, tc.status), func(t *testing.T) {
			f := newFixture(t, fixtureOptions{})
			u := f.h.Private(5)
			refuse := func() { f.emu.Fail("POST", otpRequest, copperxtest.Fault{Status: tc.status, Body: tc.body, Times: 1}) }
			var r kerneltest.Replies
			switch tc.where {
			case "email step":
				u.Send("/login")
				refuse()
				r = u.Send("ada@example.com")
			case "login text":
				refuse()
				r = u.Send("/login ada@example.com")
			case "resend":
				u.Send("/login ada@example.com")
				refuse()
				r = u.Tap("Resend code")
			}
			r.Expect(t, tc.want...)
			if r.Contains("sent a login code") || r.Contains("New code sent") || r.Contains("session has ended") || r.Contains("Sorry") {
				t.Fatalf("replies = %s", r.Text())
			}
			if s, _ := session(t, f.h, 5); s["principal"] != nil {
				t.Fatal("a refused code request logged someone in")
			}
			if tc.body != "" && !strings.Contains(f.h.Logs.String(), "api_message=") {
				t.Fatalf("the API's message was not logged:\n%s", f.h.Logs.String())
			}
			if tc.where == "resend" && tc.status == http.StatusTooManyRequests {
				if kinds := r.Kinds(); slices.Contains(kinds, "send") || slices.Contains(kinds, "edit") {
					t.Fatalf("the cooldown wrote to the chat: %v", kinds)
				}
			}
			if step := flowStep(t, f.h, 5); step != tc.step {
				t.Fatalf("flow at %q, want %q", step, tc.step)
			}
			if tc.step == "email" && liveButtons(f.h, 5) != 0 {
				t.Fatal("a Resend button outlived the code step")
			}
		})
	}
}

func TestSIDSealedAtRest(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(41)
	u.Send("/login ada@example.com")
	u.Send(wrongCode(f.emu.OTP("ada@example.com"))).Expect(t, "isn't right")
	calls := f.emu.CallsTo("POST", otpAuthenticate)
	if len(calls) != 1 {
		t.Fatalf("%d authenticate calls", len(calls))
	}
	sid, _ := calls[0].Body["sid"].(string)
	if _, raw := session(t, f.h, 41); sid == "" || strings.Contains(raw, sid) {
		t.Fatalf("sid %q stored in clear: %s", sid, raw)
	}
	// The sealed sid still works for the next try.
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "Welcome")
}

func TestSpanish(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(24)
	u.LanguageCode = "es"
	u.Send("/login").Expect(t, "¿Cuál es el correo electrónico")
	u.Send("ada@").Expect(t, "Eso no parece un correo electrónico", "o usa /cancel.")
	u.Send("ada@example.com").Expect(t, "Te he enviado un código")
	u.Send("12").Expect(t, "El código tiene de 4 a 8 dígitos")
	u.Send(f.emu.OTP("ada@example.com")).Expect(t, "¡Hola, <b>Ada Tester</b>!", "Verificación: aprobada ✅")
}

func TestGroupLoginRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.h.Group(-100, 11).Send("/login").Expect(t, "only do this in a private chat")
	if s, _ := session(t, f.h, 11); s["flow"] != nil {
		t.Fatal("flow started from a group")
	}
}

func TestLoginWhileLoggedIn(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	u := f.h.Private(10)
	f.login(t, u, "ada@example.com")
	u.Send("/login").Expect(t, "You're logged in as <b>Ada Tester</b> (ada@example.com). Log in with another account?")
	r := u.Tap("Stay logged in").Expect(t, "you're still logged in as <b>Ada Tester</b>")
	if r[0].Kind != "edit" {
		t.Fatalf("kinds = %v, want an edit in place", r.Kinds())
	}
	u.Send("/remember")
	u.Send("/login")
	u.Tap("Switch account").Expect(t, "What's the email address")
	u.Send("bob@example.com")
	u.Send(f.emu.OTP("bob@example.com")).Expect(t, "Welcome, <b>Bob Tester</b>")
	s, _ := session(t, f.h, 10)
	if s["principal"].(map[string]any)["email"] != "bob@example.com" {
		t.Fatalf("principal = %v", s["principal"])
	}
	if v, _ := s["values"].(map[string]any); v["probe.note"] != nil {
		t.Fatalf("the old account's values survived the switch: %v", v)
	}
	if n := len(f.emu.CallsTo("POST", "/api/auth/logout")); n != 1 {
		t.Fatalf("old token not logged out (%d logout calls)", n)
	}
}
