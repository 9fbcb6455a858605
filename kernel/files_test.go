package kernel_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// uploads is a test plugin with a flow whose first step takes text or a
// file (read back with its caption) and whose second takes text only.
type uploads struct{ limit int64 }

func (*uploads) Name() string { return "up" }

func (u *uploads) Setup(r *kernel.Registrar) error {
	say := func(key string) func(c *kernel.Ctx, _ *struct{}) error {
		return func(c *kernel.Ctx, _ *struct{}) error {
			_, err := c.Say(key, nil, nil)
			return err
		}
	}
	r.Action("go", func(c *kernel.Ctx) error { return c.StartFlow("files", nil) })
	r.Flow("files", kernel.Flow[struct{}]{Version: 1, Steps: []kernel.Step[struct{}]{{
		Name: "file",
		Ask:  say("up.ask"),
		Text: func(c *kernel.Ctx, _ *struct{}) (kernel.Move, error) {
			_, err := c.Say("up.typed", map[string]any{"text": c.Text()}, nil)
			return kernel.Stay, err
		},
		File: func(c *kernel.Ctx, _ *struct{}) (kernel.Move, error) {
			f := c.File()
			data, err := c.DownloadFile(f, u.limit)
			if errors.Is(err, kernel.ErrFileTooLarge) {
				_, err := c.Say("up.too_large", nil, nil)
				return kernel.Stay, err
			}
			if err != nil {
				return kernel.Stay, err
			}
			_, err = c.Say("up.got", map[string]any{"name": f.Name, "data": string(data), "caption": c.Text()}, nil)
			return kernel.Next("text"), err
		},
	}, {
		Name: "text",
		Ask:  say("up.more"),
		Text: func(c *kernel.Ctx, _ *struct{}) (kernel.Move, error) { return kernel.Done, nil },
	}}})
	return nil
}

// TestFlowFiles: a flow step with File gets a document sent while it is
// current, with its caption as Text, and downloads it (getFile and the
// file URL of the fake Bot API), within a size limit; a step without File
// answers a file as it answers a message without text.
func TestFlowFiles(t *testing.T) {
	h := kerneltest.New(t, kerneltest.Options{
		Config:  "plugins:\n  up: {enabled: true}\ncommands:\n  - {name: go, action: up.go}\n",
		Plugins: []kernel.Plugin{&uploads{limit: 16}},
		ExtraLocales: map[string]string{"en": "commands:\n  go: Go\nup:\n  ask: \"Send a file.\"\n  more: \"Now type.\"\n" +
			"  typed: \"Typed {{.text}}.\"\n  got: \"Got {{.name}} ({{.caption}}): {{.data}}\"\n  too_large: \"Too large.\"\n"},
	})
	u := h.Private(71)
	u.Send("/go").Expect(t, "Send a file.")
	u.Send("hello").Expect(t, "Typed hello.")
	u.SendDocument("big.csv", []byte(strings.Repeat("x", 17)), "").Expect(t, "Too large.")
	if n := len(h.API.Calls("getFile")); n != 0 {
		t.Errorf("a file announced too large was asked for (%d getFile calls)", n)
	}
	u.SendDocument("pay.csv", []byte("a,1\nb,2"), " my batch ").Expect(t, "Got pay.csv (my batch): a,1\nb,2", "Now type.")
	if n := len(h.API.Calls("getFile")); n != 1 {
		t.Errorf("%d getFile calls, want 1", n)
	}
	u.SendDocument("again.csv", []byte("c,3"), "").Expect(t, "Please answer with text")
	if n := len(h.API.Calls("getFile")); n != 1 {
		t.Errorf("a step without File downloaded the file (%d getFile calls)", n)
	}
	u.Send("done")
	if r := u.SendDocument("late.csv", []byte("d,4"), ""); r.Text() != "" {
		t.Errorf("a file outside any flow got %q, want no reply", r.Text())
	}
}
