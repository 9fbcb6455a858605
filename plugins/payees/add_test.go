package payees_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAddRefusesBadEmails: the email is checked as /send checks a
// recipient's (copperx.CheckEmail): refused with a clear reply, never
// cleaned up, and nothing is created.
func TestAddRefusesBadEmails(t *testing.T) {
	for _, tc := range []struct{ name, typed, want string }{
		{"no domain dot", "bob@example", "doesn't look like an email address"},
		{"no at", "bob.example.com", "doesn't look like an email address"},
		{"two addresses", "bob@example.com carol@example.com", "doesn't look like an email address"},
		{"zero-width space inside", "bob@exam\u200bple.com", "doesn't look like an email address"},
		{"zero-width space after", "bob@example.com\u200b", "doesn't look like an email address"},
		{"look-alike letter", "bob@gmaіl.com", "doesn't look like an email address"}, // Cyrillic і
		{"Kelvin sign", "bob@\u212aexample.com", "doesn't look like an email address"},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".com", "doesn't look like an email address"},
		{"own email", "ADA@example.com", "That's your own email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			u := e.U
			u.Send("/payees")
			u.Tap("Add payee")
			u.Send(tc.typed).Expect(t, tc.want)
			if !e.H.Kernel.ExpectsText(t.Context(), u.UserID, u.ChatID) {
				t.Fatal("after a refusal the flow no longer waits for the email")
			}
			if n := writes(e); n != 0 {
				t.Fatalf("%d payee writes after a refused email", n)
			}
			wantSaved(t, e)
		})
	}
}

// TestAddTrimsOnlyBlanks: ASCII blanks around the email are dropped and
// the domain is lower-cased, as /send does; the local part is kept.
func TestAddTrimsOnlyBlanks(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/payees")
	u.Tap("Add payee")
	u.Send("  Bob.Smith@Example.COM ").Expect(t, "New payee</b>: Bob.Smith@example.com")
	u.Tap("Use “Bob.Smith”").Expect(t, "Saved <b>Bob.Smith</b>")
	posts := e.Emu.CallsTo("POST", "/api/payees")
	if len(posts) != 1 || posts[0].Body["email"] != "Bob.Smith@example.com" || posts[0].Body["nickName"] != "Bob.Smith" {
		t.Fatalf("POST /api/payees = %+v", posts)
	}
}

// TestAddNickname: a typed nickname is trimmed, then must be 1 to
// nickname_max printable characters and free among the user's payees
// whatever its case; a refused one creates nothing.
func TestAddNickname(t *testing.T) {
	for _, tc := range []struct {
		name, config, typed, want, saved string
	}{
		{"typed", "", "  Bobby  ", "Saved <b>Bobby</b>", "Bobby <bob@example.com>"},
		{"taken", "", "carol", "You already have a payee called <b>carol</b>", ""},
		{"taken in another case", "", "CAROL", "You already have a payee called <b>CAROL</b>", ""},
		{"blank (the kernel's reply)", "", " \u2003 ", "Please answer with text", ""},
		{"too long", "", strings.Repeat("b", 33), "at most 32 characters", ""},
		{"too long for config", "plugins: {payees: {nickname_max: 4}}", "Bobby", "at most 4 characters", ""},
		{"one of one", "plugins: {payees: {nickname_max: 1}}", "BB", "at most 1 character.", ""},
		{"invisible character", "", "Bo\u200bb", "only have visible characters", ""},
		{"line break", "", "Bob\nSmith", "only have visible characters", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{config: tc.config})
			addPayee(e, "Carol", "carol@example.com")
			u := e.U
			u.Send("/payees")
			u.Tap("Add payee")
			u.Send("bob@example.com")
			u.Send(tc.typed).Expect(t, tc.want)
			want := []string{"Carol <carol@example.com>"}
			if tc.saved != "" {
				want = append(want, tc.saved)
			}
			wantSaved(t, e, want...)
			if tc.saved == "" && len(e.Emu.CallsTo("POST", "/api/payees")) != 1 { // Carol's
				t.Fatal("a refused nickname reached the API")
			}
		})
	}
}

// TestAddExistingEmail: an email already saved shows that payee instead
// of saving it twice.
func TestAddExistingEmail(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@example.com")
	u := e.U
	u.Send("/payees")
	u.Tap("Add payee")
	m := u.Send("BOB@example.com").LastOf(t, "send")
	if !strings.Contains(m.Text, "<b>bob@example.com</b> is already saved as <b>Bob</b>") || !slices.Contains(m.Labels(), "📤 Send") {
		t.Fatalf("existing email: %s %q", m.Text, m.Labels())
	}
	wantSaved(t, e, "Bob <bob@example.com>")
}

// TestAddPayeeCommand: /addpayee <email> (what the transfer plugin's
// receipt runs as "Save as payee") starts at the nickname with the
// email's local part suggested, made unique.
func TestAddPayeeCommand(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "bob", "bob@other.example")
	u := e.U
	m := u.Send("/addpayee bob@example.com").LastOf(t, "send")
	if !strings.Contains(m.Text, "New payee</b>: bob@example.com") || !slices.Equal(m.Labels(), []string{"Use “bob2”", "✖️ Cancel"}) {
		t.Fatalf("/addpayee: %s %q", m.Text, m.Labels())
	}
	u.Tap("Use “bob2”").Expect(t, "Saved <b>bob2</b> (bob@example.com)")
	wantSaved(t, e, "bob <bob@other.example>", "bob2 <bob@example.com>")
}

// TestAddPayeeCommandForms: /addpayee alone asks for the email (Cancel,
// not Back: there is no list behind it); a bad email is refused above
// that question; a saved one shows its payee; Cancel creates nothing.
func TestAddPayeeCommandForms(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@example.com")
	u := e.U
	m := u.Send("/addpayee").LastOf(t, "send")
	if !strings.Contains(m.Text, "Type their email address") || !slices.Equal(m.Labels(), []string{"✖️ Cancel"}) {
		t.Fatalf("/addpayee alone: %s %q", m.Text, m.Labels())
	}
	m = u.Send("/addpayee bob@exam\u200bple.com").LastOf(t, "send")
	if !strings.HasPrefix(m.Text, "That doesn't look like an email address") || !strings.Contains(m.Text, "Type their email address") {
		t.Fatalf("/addpayee with a bad email:\n%s", m.Text)
	}
	u.Send("/addpayee bob@example.com").Expect(t, "is already saved as <b>Bob</b>", "Email: <code>bob@example.com</code>")
	u.Send("/addpayee carol@example.com")
	u.Tap("Cancel").Expect(t, "Cancelled")
	wantSaved(t, e, "Bob <bob@example.com>")
}

// TestAddPayeeButton: an action button into payees.add with an email, as
// the transfer plugin's receipt will make, runs /addpayee with it.
func TestAddPayeeButton(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/receipt dan@example.com")
	u.Tap("Save as payee (stub)").Expect(t, "New payee</b>: dan@example.com")
	u.Tap("Use “dan”").Expect(t, "Saved <b>dan</b>")
	wantSaved(t, e, "dan <dan@example.com>")
}

// TestAddSuggestionTakenMeanwhile: a suggestion that was taken before it
// was tapped (another chat, CopperX's site) is replaced by a new one; an
// email saved meanwhile shows that payee.
func TestAddSuggestionTakenMeanwhile(t *testing.T) {
	e := newEnv(t, setup{})
	u := e.U
	u.Send("/addpayee bob@example.com")
	addPayee(e, "Bob", "bob@elsewhere.example")
	m := u.Tap("Use “bob”").Expect(t, "You already have a payee called <b>bob</b>").LastOf(t, "edit")
	if !slices.Contains(m.Labels(), "Use “bob2”") {
		t.Fatalf("new suggestion: %q", m.Labels())
	}
	addPayee(e, "Robert", "bob@example.com")
	u.Tap("Use “bob2”").Expect(t, "is already saved as <b>Robert</b>")
	wantSaved(t, e, "Bob <bob@elsewhere.example>", "Robert <bob@example.com>")
}

// TestWritesRateLimited: writes past rate_limits.payees.write are refused
// with the wait, and reach no API.
func TestWritesRateLimited(t *testing.T) {
	e := newEnv(t, setup{config: "rate_limits: {payees: {write: {rate: 1, period: 1h, burst: 1}}}"})
	u := e.U
	u.Send("/addpayee bob@example.com")
	u.Tap("Use “bob”").Expect(t, "Saved <b>bob</b>")
	u.Send("/addpayee carol@example.com")
	u.Tap("Use “carol”").Expect(t, "You are changing payees very fast. Please try again in")
	if n := writes(e); n != 1 {
		t.Fatalf("%d writes, want 1", n)
	}
	e.H.Clock.Advance(61 * time.Minute)
	u.Send("/addpayee carol@example.com")
	u.Tap("Use “carol”").Expect(t, "Saved <b>carol</b>")
}
