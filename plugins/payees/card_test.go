package payees_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// sendTarget is where the card's Send button leads ("" when there is none).
func sendTarget(m *fakebot.Message) string {
	for _, b := range m.AllButtons() {
		if strings.Contains(b.Text, "Send") {
			return kerneltest.Target(b)
		}
	}
	return ""
}

// TestCardSend: a payee's card has Send, a button into the transfer
// plugin's transfer.send carrying the payee's email, which runs /send
// with it.
func TestCardSend(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@example.com")
	u := e.U
	u.Send("/payees")
	m := u.Tap("Bob").LastOf(t, "edit")
	if got := sendTarget(m); got != "run transfer.send bob@example.com" {
		t.Fatalf("Send leads to %q", got)
	}
	if got := m.Labels(); !slices.Equal(got, []string{"📤 Send", "✏️ Rename", "🗑 Remove", "👥 All payees"}) {
		t.Fatalf("card buttons = %q", got)
	}
	u.Tap("Send").Expect(t, "Send flow (stub) to: bob@example.com")
	// The send ended the payees flow: typed text is no search.
	u.Send("bob").Expect(t, "I didn't understand that")
}

// TestCardSendLongEmail: an email too long for a button's data still
// reaches /send whole (the kernel keeps it for the button).
func TestCardSendLongEmail(t *testing.T) {
	e := newEnv(t, setup{})
	long := strings.Repeat("b", 40) + "@example.com"
	addPayee(e, "Bob", long)
	u := e.U
	u.Send("/payees")
	m := u.Tap("Bob").LastOf(t, "edit")
	if !strings.Contains(m.Text, long) {
		t.Fatalf("the card does not show the email in full:\n%s", m.Text)
	}
	u.Tap("Send").Expect(t, "Send flow (stub) to: "+long)
}

// TestCardWithoutSendCommand: with no command bound to transfer.send
// (its plugin off, or the command dropped) the card has no Send.
func TestCardWithoutSendCommand(t *testing.T) {
	e := newEnv(t, setup{env: []string{"COPPERX_BOT_PLUGINS__TRANSFER__ENABLED=false"}})
	addPayee(e, "Bob", "bob@example.com")
	u := e.U
	u.Send("/payees")
	m := u.Tap("Bob").LastOf(t, "edit")
	if got := sendTarget(m); got != "" {
		t.Fatalf("Send leads to %q with the transfer plugin off", got)
	}
}

// TestCardUnsafeEmail: a payee whose email CopperX holds with an
// invisible character gets no Send and a warning, as /send refuses it.
func TestCardUnsafeEmail(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "Bob", "bob@exam\u200bple.com")
	u := e.U
	u.Send("/payees")
	m := u.Tap("Bob").LastOf(t, "edit")
	if got := sendTarget(m); got != "" {
		t.Fatalf("Send leads to %q for an unsafe email", got)
	}
	if !strings.Contains(m.Text, "characters I can't show safely") || !slices.Contains(m.Labels(), "🗑 Remove") {
		t.Fatalf("card of an unsafe email: %s %q", m.Text, m.Labels())
	}
}
