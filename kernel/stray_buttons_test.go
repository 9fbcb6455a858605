package kernel_test

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// picker is a test plugin with a flow whose one step wants a button, and a
// StrayText that takes "again …" by starting the flow anew.
type picker struct{}

func (picker) Name() string { return "pick" }

func (picker) Setup(r *kernel.Registrar) error {
	r.Action("pick", func(c *kernel.Ctx) error { return c.StartFlow("pick", nil) })
	r.Flow("pick", kernel.Flow[struct{}]{Version: 1, Steps: []kernel.Step[struct{}]{{
		Name: "choose",
		Ask: func(c *kernel.Ctx, _ *struct{}) error {
			_, err := c.Prompt(c.T("pick.ask", map[string]any{"text": c.Text()}), kernel.NewKeyboard().Row(c.Tap("pick.yes", "yes")))
			return err
		},
		Tap: kernel.Taps[struct{}]{"yes": func(c *kernel.Ctx, _ *struct{}) (kernel.Move, error) { return kernel.Done, nil }},
	}}})
	r.StrayText(func(c *kernel.Ctx) (bool, error) {
		if !strings.HasPrefix(c.Text(), "again") {
			return false, nil
		}
		return true, c.StartFlow("pick", nil)
	})
	return nil
}

// TestStrayTextAtButtonStep: text typed at a step that wants a button goes
// to the plugins' StrayText first (one that starts a flow replaces the
// open one, whose buttons go); text nobody takes is told to use the
// buttons; in a group nothing is offered.
func TestStrayTextAtButtonStep(t *testing.T) {
	h := kerneltest.New(t, kerneltest.Options{
		Config:       "rate_limits:\n  default: {rate: 1000, period: 1s, burst: 1000}\nplugins:\n  pick: {enabled: true}\ncommands:\n  - {name: pick, action: pick.pick}\n",
		Plugins:      []kernel.Plugin{picker{}},
		ExtraLocales: map[string]string{"en": "commands:\n  pick: Pick\npick:\n  ask: \"Pick ({{.text}}).\"\n  yes: \"Yes\"\n"},
	})
	u := h.Private(90)
	u.Send("/pick").Expect(t, "Pick ().")
	first := u.Last()
	r := u.Send("again please").Expect(t, "Pick (again please).")
	if len(h.API.Message(u.ChatID, first.ID).AllButtons()) != 0 {
		t.Fatalf("the replaced flow's prompt kept its buttons: %v", r.Kinds())
	}
	if r := u.Send("hello"); !r.Contains("Please use the buttons") {
		t.Fatalf("text nobody takes at a button step: %s", r.Text())
	}
	g := h.Group(-91, 90)
	g.Send("/pick").Expect(t, "Pick ().")
	if r := g.Send("again"); r.Contains("Pick (again)") {
		t.Fatalf("a group's text went to StrayText: %s", r.Text())
	}
}
