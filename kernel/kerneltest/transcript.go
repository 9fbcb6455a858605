package kerneltest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/fakebot"
)

// Transcript records a conversation as a person reads it, for golden
// files: what the user typed or tapped, then every message sent or
// edited (with its buttons and where each leads), deleted messages,
// removed buttons and tap notices. One format for every plugin's goldens.
type Transcript struct {
	chat  *Chat
	b     strings.Builder
	scrub []func(string) string
}

// NewTranscript records the conversation of chat.
func NewTranscript(chat *Chat) *Transcript { return &Transcript{chat: chat} }

// Scrub replaces every match of pattern with repl in the recorded text
// (random ids, addresses, codes).
func (tr *Transcript) Scrub(pattern, repl string) *Transcript {
	re := regexp.MustCompile(pattern)
	tr.scrub = append(tr.scrub, func(s string) string { return re.ReplaceAllString(s, repl) })
	return tr
}

// Replace replaces every occurrence of old with repl in the recorded text.
func (tr *Transcript) Replace(old, repl string) *Transcript {
	if old != "" {
		tr.scrub = append(tr.scrub, func(s string) string { return strings.ReplaceAll(s, old, repl) })
	}
	return tr
}

// Send types text and records it with the replies.
func (tr *Transcript) Send(text string) Replies {
	r := tr.chat.Send(text)
	tr.Record("> "+text, r)
	return r
}

// SendDocument sends a file (as Chat.SendDocument) and records it with the
// replies.
func (tr *Transcript) SendDocument(name string, data []byte, caption string) Replies {
	r := tr.chat.SendDocument(name, data, caption)
	input := fmt.Sprintf("> (file %s, %d bytes)", name, len(data))
	if caption != "" {
		input += " " + caption
	}
	tr.Record(input, r)
	return r
}

// Tap taps a button (as Chat.Tap) and records it with the replies.
func (tr *Transcript) Tap(label string) Replies {
	tr.chat.h.T.Helper()
	r := tr.chat.Tap(label)
	tr.Record("> (tap) "+label, r)
	return r
}

// Record writes one input and what it caused.
func (tr *Transcript) Record(input string, r Replies) {
	tr.b.WriteString(input + "\n")
	for _, e := range r {
		switch {
		case e.Kind == "send" || e.Kind == "edit" || e.Kind == "photo" || e.Kind == "document":
			fmt.Fprintf(&tr.b, "[%s #%d]\n%s\n", e.Kind, e.Message.ID, e.Message.Text)
			if e.Kind == "document" {
				fmt.Fprintf(&tr.b, "(file %s, %d bytes)\n", e.Message.FileName, len(e.Message.Document))
			}
			tr.buttons(e.Message)
		case e.Kind == "markup" && len(e.Message.Buttons) == 0:
			fmt.Fprintf(&tr.b, "[buttons removed #%d]\n", e.Message.ID)
		case e.Kind == "markup":
			fmt.Fprintf(&tr.b, "[buttons of #%d]\n", e.Message.ID)
			tr.buttons(e.Message)
		case e.Kind == "delete":
			fmt.Fprintf(&tr.b, "[delete #%d]\n", e.Message.ID)
		case e.Kind == "answer" && e.Answer != "":
			kind := "notice"
			if e.Alert {
				kind = "alert"
			}
			fmt.Fprintf(&tr.b, "[%s] %s\n", kind, e.Answer)
		}
	}
	tr.b.WriteString("\n")
}

func (tr *Transcript) buttons(m *fakebot.Message) {
	for _, row := range m.Buttons {
		labels := make([]string, 0, len(row))
		for _, b := range row {
			labels = append(labels, fmt.Sprintf("[%s → %s]", b.Text, Target(b)))
		}
		tr.b.WriteString(strings.Join(labels, " ") + "\n")
	}
}

// Target says where a button leads, without the parts that change from
// run to run: "url https://…", "copy", "cancel", "run transfer.send",
// "send.kind.kind email" (a flow step's tap and its arguments), or the
// callback "wallet:refresh".
func Target(b fakebot.Button) string {
	switch {
	case b.URL != "":
		return "url " + b.URL
	case b.Copy != "":
		return "copy"
	}
	parts := strings.Split(b.Data, ":")
	switch {
	case len(parts) >= 2 && parts[0] == "kernel" && parts[1] == "cancel":
		return "cancel"
	case len(parts) >= 3 && parts[0] == "kernel" && parts[1] == "run":
		return "run " + strings.Join(parts[2:], " ")
	case len(parts) >= 3 && strings.Contains(parts[1], "."):
		return strings.TrimSpace(parts[1] + " " + strings.Join(parts[3:], " ")) // parts[2] is the flow's nonce
	}
	return b.Data
}

// String is the transcript so far, scrubbed.
func (tr *Transcript) String() string {
	s := tr.b.String()
	for _, f := range tr.scrub {
		s = f(s)
	}
	return s
}

// Check compares the transcript with testdata/<name>.golden.
func (tr *Transcript) Check(t testing.TB, name string) {
	t.Helper()
	Golden(t, name, tr.String())
}
