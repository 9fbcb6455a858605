package kernel_test

import (
	"os"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// The plugin-author example of kernel/README.md, which must contain the
// code between the markers exactly (TestReadmeExample checks it).

// example:start

// Tip is a plugin with a two-step flow: how much, then a button to confirm.
type Tip struct{}

// tip is the flow's data, kept by the kernel between the steps.
type tip struct {
	Amount string `json:"amount"`
}

func (Tip) Name() string { return "tip" }

func (t Tip) Setup(r *kernel.Registrar) error {
	r.Action("start", func(c *kernel.Ctx) error { return c.StartFlow("give", tip{}) })
	r.Flow("give", kernel.Flow[tip]{Version: 1, Steps: []kernel.Step[tip]{
		{Name: "amount", Ask: t.askAmount, Text: t.takeAmount},
		{Name: "confirm", Ask: t.summary, Tap: kernel.Taps[tip]{"yes": t.confirm}},
	}})
	return nil
}

// askAmount asks how much to tip.
func (Tip) askAmount(c *kernel.Ctx, _ *tip) error {
	_, err := c.Say("tip.ask", nil, kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

// takeAmount reads the amount the user's way ("1,5" in Spanish).
func (Tip) takeAmount(c *kernel.Ctx, d *tip) (kernel.Move, error) {
	n, err := c.ParseDecimal(c.Text())
	if err != nil || !n.IsPositive() {
		return kernel.Stay, kernel.Fail("tip.bad", nil)
	}
	d.Amount = n.String()
	return kernel.Next("confirm"), nil
}

// summary shows the tip with a Confirm button of this step.
func (Tip) summary(c *kernel.Ctx, d *tip) error {
	kb := kernel.NewKeyboard().Row(c.Tap("tip.yes", "yes"), c.CancelButton())
	_, err := c.Say("tip.sure", map[string]any{"amount": d.Amount}, kb)
	return err
}

// confirm turns the summary into the result and ends the flow.
func (Tip) confirm(c *kernel.Ctx, d *tip) (kernel.Move, error) {
	_, err := c.Show(c.T("tip.thanks", map[string]any{"amount": d.Amount}), nil)
	return kernel.Done, err
}

// example:end

const tipLocale = `
commands:
  tip: "Give a tip"
tip:
  ask: "How much?"
  bad: "A positive number, please."
  sure: "Tip {{.amount}}?"
  "yes": "Yes"
  thanks: "Thanks for {{.amount}}!"
`

func TestTipExample(t *testing.T) {
	h := kerneltest.New(t, kerneltest.Options{
		Config:       "plugins:\n  tip: {enabled: true}\ncommands:\n  - {name: tip, action: tip.start}\n",
		Plugins:      []kernel.Plugin{Tip{}},
		ExtraLocales: map[string]string{"en": tipLocale},
	})
	u := h.Private(5)
	u.Send("/tip").Expect(t, "How much?")
	u.Send("lots").Expect(t, "A positive number")
	u.Send("2.5").Expect(t, "Tip 2.5?")
	if r := u.Tap("Yes").Expect(t, "Thanks for 2.5!"); r.Kinds()[0] != "edit" {
		t.Fatalf("the summary was not turned into the result: %v", r.Kinds())
	}
	u.Send("3").Expect(t, "I didn't understand that") // the flow ended
}

// TestReadmeExample: the example in kernel/README.md is this file's code.
func TestReadmeExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, code, _ := strings.Cut(string(src), "// example:start\n")
	code, _, _ = strings.Cut(code, "// example:end")
	if !strings.Contains(string(readme), strings.TrimSpace(code)) {
		t.Fatal("kernel/README.md does not show the example of example_test.go (between the markers) as it is")
	}
}
