package kernel_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/copperx-bot/payoutbot/kernel"
)

// demo is the test-only plugin: a greeting, a two-step flow with a
// confirmation button, a guarded and a private action, and actions that
// panic, fail and record their order.
type demo struct {
	confirmed atomic.Int64
	running   atomic.Int64
	maxSeen   atomic.Int64
	mu        sync.Mutex
	order     []string
	release   chan struct{} // /slow waits for it
	entered   chan struct{} // /slow signals it started (buffered)
	finished  atomic.Int64  // /slow runs that completed
}

func (d *demo) Name() string { return "demo" }

func (d *demo) Setup(r *kernel.Registrar) error {
	var cfg struct {
		Greeting string `koanf:"greeting"`
	}
	if err := r.Config(&cfg); err != nil {
		return err
	}
	r.Action("greet", func(c *kernel.Ctx) error {
		_, err := c.Say("demo.greet", map[string]any{"name": c.Text()}, nil)
		return err
	})
	r.Action("order", d.order0)
	r.Flow("order", kernel.Flow{Version: 1, Steps: map[string]kernel.Step{
		"name":    {Text: d.askQty, Next: []string{"qty"}},
		"qty":     {Text: d.summary, Next: []string{"confirm"}},
		"confirm": {},
	}})
	r.Callback("confirm", d.confirm)
	r.Action("boom", func(*kernel.Ctx) error { panic("kaboom") })
	r.Action("fail", func(*kernel.Ctx) error { return errors.New("db password=hunter2 refused") })
	r.Action("seq", d.seq)
	r.Action("slow", func(c *kernel.Ctx) error {
		select {
		case d.entered <- struct{}{}:
		default:
		}
		select {
		case <-d.release:
			d.finished.Add(1)
		case <-c.Done():
		}
		return nil
	})
	r.Action("late", func(c *kernel.Ctx) error {
		<-c.Done() // ran out of time, yet must still answer
		_, err := c.Say("demo.greet", map[string]any{"name": "late"}, nil)
		return err
	})
	r.Action("wander", func(c *kernel.Ctx) error {
		if err := c.StartFlow("order", "name"); err != nil {
			return err
		}
		return c.Next("confirm") // name may only move to qty
	})
	r.Action("longbutton", func(c *kernel.Ctx) error {
		_, err := c.Send("x", kernel.NewKeyboard().Row(c.Button("demo.confirm_button", "confirm", strings.Repeat("z", 70))))
		return err
	})
	r.Action("count", func(c *kernel.Ctx) error {
		var n int
		c.Get("demo.count", &n)
		if err := c.Set("demo.count", n+1); err != nil {
			return err
		}
		_, err := c.Say("demo.greet", map[string]any{"name": "x"}, nil)
		return err
	})
	r.Action("private", func(c *kernel.Ctx) error { _, err := c.Say("demo.greet", nil, nil); return err }, kernel.Private())
	r.Guard("demo_guard", func(c *kernel.Ctx) (bool, error) {
		var ok bool
		if c.Get("demo.allowed", &ok) && ok {
			return true, nil
		}
		_, err := c.Say("demo.blocked", nil, nil)
		return false, err
	})
	r.Action("allow", func(c *kernel.Ctx) error { return c.Set("demo.allowed", true) })
	r.Action("guarded", func(c *kernel.Ctx) error { _, err := c.Say("demo.secret", nil, nil); return err }, kernel.Guard("demo_guard"))
	return nil
}

func (d *demo) order0(c *kernel.Ctx) error {
	if err := c.StartFlow("order", "name"); err != nil {
		return err
	}
	_, err := c.Say("demo.ask_name", nil, cancelOnly(c))
	return err
}

// cancelOnly is a prompt's Cancel button.
func cancelOnly(c *kernel.Ctx) *kernel.Keyboard {
	return kernel.NewKeyboard().Row(kernel.Button{Text: c.T("demo.cancel_button", nil), Data: "kernel:cancel"})
}

func (d *demo) askQty(c *kernel.Ctx) error {
	if len(c.Text()) < 2 {
		_, err := c.Say("demo.bad_name", nil, nil)
		return err
	}
	c.SetFlowData("name", c.Text())
	if err := c.Next("qty"); err != nil {
		return err
	}
	_, err := c.Say("demo.ask_qty", nil, cancelOnly(c))
	return err
}

func (d *demo) summary(c *kernel.Ctx) error {
	n, err := strconv.Atoi(c.Text())
	if err != nil || n <= 0 {
		return kernel.Fail("demo.bad_qty", nil)
	}
	c.SetFlowData("qty", c.Text())
	c.SetFlowData("nonce", "n"+c.Text())
	if err := c.Next("confirm"); err != nil {
		return err
	}
	kb := kernel.NewKeyboard().Row(c.Button("demo.confirm_button", "confirm", "n"+c.Text()))
	_, err = c.Say("demo.summary", map[string]any{"name": c.FlowData("name"), "qty": n}, kb)
	return err
}

func (d *demo) confirm(c *kernel.Ctx) error {
	if !c.InFlow("order", "confirm") || len(c.Args()) != 1 || c.Args()[0] != c.FlowData("nonce") {
		return kernel.ErrStaleCallback
	}
	c.EndFlow()
	d.confirmed.Add(1)
	_ = c.RemoveButtons(c.MessageID())
	_, err := c.Say("demo.done", nil, nil)
	return err
}

func (d *demo) seq(c *kernel.Ctx) error {
	n := d.running.Add(1)
	defer d.running.Add(-1)
	for {
		m := d.maxSeen.Load()
		if n <= m || d.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	var list []string
	c.Get("demo.seq", &list)
	list = append(list, c.Text())
	d.mu.Lock()
	d.order = append(d.order, c.Text())
	d.mu.Unlock()
	return c.Set("demo.seq", list)
}

const demoLocale = `
demo:
  greet: "Hello {{.name}}!"
  ask_name: "What is your name?"
  bad_name: "Too short, try again."
  ask_qty: "How many?"
  bad_qty: "A positive whole number, please."
  summary: "{{.name}} wants {{.qty}}. Confirm?"
  confirm_button: "Confirm"
  cancel_button: "Cancel"
  done: "Done."
  blocked: "Not allowed yet."
  secret: "The secret."
commands:
  greet: "Say hello"
  order: "Order something"
  boom: "Explode"
  fail: "Fail"
  seq: "Sequence"
  slow: "Slow"
  wander: "Wander"
  late: "Late"
  longbutton: "Long button"
  count: "Count"
  private: "Private thing"
  allow: "Allow"
  guarded: "Guarded"
`

const demoConfig = `
flows: {timeout: 15m}
rate_limits:
  default: {rate: 1000, period: 1s, burst: 1000}
plugins:
  demo: {enabled: true, greeting: hi}
commands:
  - {name: start, action: kernel.start}
  - {name: greet, action: demo.greet, menu: true, aliases: [hello]}
  - {name: order, action: demo.order, menu: true}
  - {name: boom, action: demo.boom}
  - {name: fail, action: demo.fail}
  - {name: seq, action: demo.seq}
  - {name: slow, action: demo.slow}
  - {name: wander, action: demo.wander}
  - {name: late, action: demo.late}
  - {name: longbutton, action: demo.longbutton}
  - {name: count, action: demo.count}
  - {name: private, action: demo.private}
  - {name: allow, action: demo.allow}
  - {name: guarded, action: demo.guarded}
  - name: support
    message: support.text
    buttons: [{label: support.button, url: "https://t.me/copperxcommunity/2183"}]
    menu: true
`
