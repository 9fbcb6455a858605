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
	r.Action("order", func(c *kernel.Ctx) error { return c.StartFlow("order", nil) })
	r.Flow("order", kernel.Flow[order]{Version: 1, Steps: []kernel.Step[order]{
		{Name: "name", Ask: d.askName, Text: d.takeName},
		{Name: "qty", Ask: d.askQty, Text: d.takeQty},
		{Name: "confirm", Ask: d.summary, Tap: kernel.Taps[order]{"confirm": d.confirm}},
	}})
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
		return c.StartFlow("order", nil, "nowhere") // no such step
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
	r.Guard("demo.guard", func(c *kernel.Ctx) (bool, error) {
		var ok bool
		if c.Get("demo.allowed", &ok) && ok {
			return true, nil
		}
		_, err := c.Say("demo.blocked", nil, nil)
		return false, err
	})
	r.Action("allow", func(c *kernel.Ctx) error { return c.Set("demo.allowed", true) })
	r.Action("guarded", func(c *kernel.Ctx) error { _, err := c.Say("demo.secret", nil, nil); return err }, kernel.Guard("demo.guard"))
	return nil
}

// order is the order flow's data.
type order struct {
	Name string `json:"name"`
	Qty  int    `json:"qty"`
}

func (d *demo) askName(c *kernel.Ctx, _ *order) error {
	_, err := c.Say("demo.ask_name", nil, kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

func (d *demo) takeName(c *kernel.Ctx, o *order) (kernel.Move, error) {
	if len(c.Text()) < 2 {
		_, err := c.Say("demo.bad_name", nil, nil)
		return kernel.Stay, err
	}
	o.Name = c.Text()
	return kernel.Next("qty"), nil
}

func (d *demo) askQty(c *kernel.Ctx, _ *order) error {
	_, err := c.Say("demo.ask_qty", nil, kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

func (d *demo) takeQty(c *kernel.Ctx, o *order) (kernel.Move, error) {
	n, err := strconv.Atoi(c.Text())
	if err != nil || n <= 0 {
		return kernel.Stay, kernel.Fail("demo.bad_qty", nil)
	}
	o.Qty = n
	return kernel.Next("confirm"), nil
}

func (d *demo) summary(c *kernel.Ctx, o *order) error {
	kb := kernel.NewKeyboard().Row(c.Tap("demo.confirm_button", "confirm"), c.CancelButton())
	_, err := c.Say("demo.summary", map[string]any{"name": o.Name, "qty": o.Qty}, kb)
	return err
}

func (d *demo) confirm(c *kernel.Ctx, _ *order) (kernel.Move, error) {
	d.confirmed.Add(1)
	_, err := c.Show(c.T("demo.done", nil), nil)
	return kernel.Done, err
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
