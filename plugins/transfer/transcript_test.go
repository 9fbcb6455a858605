package transfer

import (
	"regexp"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// transcript records a conversation as a person reads it: what they typed
// or tapped, then each reply with its buttons.
type transcript struct {
	e *env
	b strings.Builder
}

var volatile = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]{64}`)

func (tr *transcript) record(label string, r kerneltest.Replies) {
	tr.b.WriteString("» " + label + "\n")
	for _, ev := range r {
		switch {
		case ev.Kind == "answer" && ev.Answer != "":
			tr.b.WriteString("  (notice) " + ev.Answer + "\n")
		case (ev.Kind == "send" || ev.Kind == "edit") && ev.Message != nil:
			tr.b.WriteString("  [" + ev.Kind + "] " + strings.ReplaceAll(ev.Message.Text, "\n", "\n    ") + "\n")
			for _, row := range ev.Message.Buttons {
				var labels []string
				for _, b := range row {
					labels = append(labels, "["+b.Text+"]")
				}
				tr.b.WriteString("    " + strings.Join(labels, " ") + "\n")
			}
		case ev.Kind == "markup" && len(ev.Message.Buttons) == 0:
			tr.b.WriteString("  [buttons removed]\n")
		case ev.Kind == "markup":
			var labels []string
			for _, b := range ev.Message.AllButtons() {
				labels = append(labels, "["+b.Text+"]")
			}
			tr.b.WriteString("  [buttons now] " + strings.Join(labels, " ") + "\n")
		}
	}
}

func (tr *transcript) send(text string) { tr.record(text, tr.e.u.Send(text)) }
func (tr *transcript) tap(label string) { tr.record("tap "+label, tr.e.u.Tap(label)) }

func (tr *transcript) check(t *testing.T, name string) {
	t.Helper()
	got := volatile.ReplaceAllString(tr.b.String(), "<id>")
	kerneltest.Golden(t, name, got)
}

func TestTranscripts(t *testing.T) {
	t.Run("send", func(t *testing.T) {
		tr := &transcript{e: newEnv(t, envOpt{})}
		tr.send("/send")
		tr.tap("Email")
		tr.send("bob@example")
		tr.send("bob@example.com")
		tr.send("1e3")
		tr.send("10.5")
		tr.tap("Gift")
		tr.tap("Confirm")
		tr.tap("Save as payee")
		tr.check(t, "send")
	})
	t.Run("withdraw", func(t *testing.T) {
		tr := &transcript{e: newEnv(t, envOpt{})}
		tr.send("/withdraw")
		tr.tap("Chase Bank")
		tr.send("100")
		tr.tap("Continue")
		tr.tap("Myself")
		tr.tap("Savings")
		tr.tap("Confirm")
		tr.check(t, "withdraw")
	})
	t.Run("history", func(t *testing.T) {
		tr := &transcript{e: newEnv(t, envOpt{})}
		tr.e.emu.AddTransfers(userEmail, 12)
		tr.send("/history")
		tr.tap("Next")
		tr.tap("11")
		tr.tap("Back")
		tr.check(t, "history")
	})
}
