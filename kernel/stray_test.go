package kernel_test

import (
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// leftovers is a test plugin whose StrayText takes "leftover …" (and
// says which plugin it ran as), with a one-step flow to time out.
type leftovers struct{ seen []string }

func (*leftovers) Name() string { return "left" }

func (l *leftovers) Setup(r *kernel.Registrar) error {
	r.Action("ask", func(c *kernel.Ctx) error { return c.StartFlow("ask", nil) })
	r.Flow("ask", kernel.Flow[struct{}]{Version: 1, Steps: []kernel.Step[struct{}]{{
		Name: "text",
		Ask: func(c *kernel.Ctx, _ *struct{}) error {
			_, err := c.Say("left.ask", nil, nil)
			return err
		},
		Text: func(c *kernel.Ctx, _ *struct{}) (kernel.Move, error) {
			_, err := c.Say("left.answered", nil, nil)
			return kernel.Done, err
		},
	}}})
	r.StrayText(func(c *kernel.Ctx) (bool, error) {
		l.seen = append(l.seen, c.Text())
		if !strings.HasPrefix(c.Text(), "leftover") {
			return false, nil
		}
		_, err := c.Say("left.took", map[string]any{"action": c.Action()}, nil)
		return true, err
	})
	return nil
}

// TestStrayText: text no flow takes goes to the plugins' StrayText — with
// no flow running, and right after a flow timed out — before the kernel's
// fallback; a flow's own text never does, nor a group's.
func TestStrayText(t *testing.T) {
	l := &leftovers{}
	h := kerneltest.New(t, kerneltest.Options{
		Config:  "plugins:\n  left: {enabled: true}\ncommands:\n  - {name: ask, action: left.ask}\n",
		Plugins: []kernel.Plugin{l},
		ExtraLocales: map[string]string{"en": "commands:\n  ask: Ask\nleft:\n  ask: \"Say something.\"\n" +
			"  answered: \"Answered.\"\n  took: \"Took it as {{.action}}.\"\n"},
	})
	u := h.Private(70)
	u.Send("leftover one").Expect(t, "Took it as left.stray_text.")
	if r := u.Send("hello"); !r.Contains("I didn't understand") || r.Contains("Took it") {
		t.Fatalf("text nobody takes: %s", r.Text())
	}
	u.Send("/ask").Expect(t, "Say something.")
	if r := u.Send("leftover two"); !r.Contains("Answered.") || r.Contains("Took it") {
		t.Fatalf("a flow's text went astray: %s", r.Text())
	}
	u.Send("/ask")
	h.Clock.Advance(16 * time.Minute)
	r := u.Send("leftover three").Expect(t, "timed out", "Took it as left.stray_text.")
	if strings.Index(r.Text(), "timed out") > strings.Index(r.Text(), "Took it") {
		t.Fatalf("the timeout was not said first: %s", r.Text())
	}
	if r := h.Group(-71, 70).Send("leftover four"); len(r) != 0 {
		t.Fatalf("a group's text was taken: %s", r.Text())
	}
	if want := "leftover one,hello,leftover three"; strings.Join(l.seen, ",") != want {
		t.Fatalf("StrayText saw %q, want %q", strings.Join(l.seen, ","), want)
	}
}
