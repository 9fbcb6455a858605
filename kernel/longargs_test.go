package kernel_test

import (
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// linker shows a button into echoer's action with the arguments typed
// after /show; echoer says the arguments it got.
type linker struct{}

func (linker) Name() string { return "linker" }
func (linker) Setup(r *kernel.Registrar) error {
	r.Link("echoer.echo")
	r.Action("show", func(c *kernel.Ctx) error {
		kb := kernel.NewKeyboard()
		if b, ok := c.ActionButton("linker.go", "echoer.echo", c.Args()...); ok {
			kb.Row(b)
		}
		_, err := c.Send("here", kb)
		return err
	})
	return nil
}

type echoer struct{}

func (echoer) Name() string { return "echoer" }
func (echoer) Setup(r *kernel.Registrar) error {
	r.Action("echo", func(c *kernel.Ctx) error {
		_, err := c.Send("args=["+strings.Join(c.Args(), "|")+"]", nil)
		return err
	})
	return nil
}

// TestLongActionArguments: arguments that do not fit in Telegram's 64
// bytes of callback data (or hold a colon) reach the action intact through
// the session; a reference the session no longer holds is a stale button.
func TestLongActionArguments(t *testing.T) {
	long := "a.very.long.local.part.for.testing@subdomain.example-company.com"
	for _, tc := range []struct {
		name  string
		args  string
		want  string
		inRef bool
	}{
		{"short", "bob@example.com", "args=[bob@example.com]", false},
		{"long", long, "args=[" + long + "]", true},
		{"colon", "a:b", "args=[a:b]", true},
		{"looks like a reference", "~abc", "args=[~abc]", true},
		{"several", "x " + long, "args=[x|" + long + "]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := kerneltest.New(t, kerneltest.Options{
				Config: `
plugins: {linker: {enabled: true}, echoer: {enabled: true}}
rate_limits: {default: {rate: 1000, period: 1s, burst: 1000}}
commands:
  - {name: start, action: kernel.start}
  - {name: show, action: linker.show}
  - {name: echo, action: echoer.echo}
`,
				Plugins: []kernel.Plugin{linker{}, echoer{}},
				ExtraLocales: map[string]string{"en": `
linker: {go: "Go"}
commands: {show: "Show", echo: "Echo"}
`},
			})
			u := h.Private(7)
			r := u.Send("/show " + tc.args)
			b := r[0].Message.AllButtons()
			if len(b) != 1 || len(b[0].Data) > kernel.MaxCallbackData {
				t.Fatalf("buttons = %+v", b)
			}
			if got := strings.Contains(b[0].Data, ":~"); got != tc.inRef {
				t.Fatalf("data %q: kept in the session = %v, want %v", b[0].Data, got, tc.inRef)
			}
			u.Tap("Go").Expect(t, tc.want)
			u.Send("/show " + tc.args) // the same button again: the same reference
			if again := h.API.Messages(7); again[len(again)-1].AllButtons()[0].Data != b[0].Data {
				t.Fatalf("a screen shown again got a new reference: %q, then %q", b[0].Data, again[len(again)-1].AllButtons()[0].Data)
			}
		})
	}
	t.Run("reference expired or another user's", func(t *testing.T) {
		h := kerneltest.New(t, kerneltest.Options{
			Config: `
plugins: {linker: {enabled: true}, echoer: {enabled: true}}
rate_limits: {default: {rate: 1000, period: 1s, burst: 1000}}
session: {ttl: 2h}
commands:
  - {name: start, action: kernel.start}
  - {name: show, action: linker.show}
  - {name: echo, action: echoer.echo}
`,
			Plugins:      []kernel.Plugin{linker{}, echoer{}},
			ExtraLocales: map[string]string{"en": "linker: {go: \"Go\"}\ncommands: {show: \"Show\", echo: \"Echo\"}\n"},
		})
		u := h.Private(8)
		u.Send("/show " + long)
		msgs := h.API.Messages(8)
		m := msgs[len(msgs)-1]
		data := m.AllButtons()[0].Data
		// Another user tapping that data (forged) gets nothing of it.
		other := h.Private(9)
		if r := other.Handle(other.CallbackUpdate(m.ID, data)); r.Contains("args=") || !r.Contains("expired") {
			t.Fatalf("another user's tap on a kept reference: %q", r.Text())
		}
		h.Clock.Advance(3 * time.Hour)
		if r := u.Handle(u.CallbackUpdate(m.ID, data)); r.Contains("args=") || !r.Contains("expired") {
			t.Fatalf("an expired reference ran the action: %q", r.Text())
		}
	})
}
