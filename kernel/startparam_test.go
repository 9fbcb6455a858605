package kernel_test

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// shop is a test plugin whose payment links (/start pay_<id>) run its
// action "pay", private-only and behind a guard that lets "open" users in
// and remembers what it blocked, as the auth plugin does.
type shop struct {
	prefix  string // default "pay_"
	action  string // default "pay"
	blocked []string
}

func (*shop) Name() string { return "shop" }

func (s *shop) Setup(r *kernel.Registrar) error {
	r.Guard("shop", func(c *kernel.Ctx) (bool, error) {
		var open bool
		if c.Get("shop.open", &open) && open {
			return true, nil
		}
		s.blocked = append(s.blocked, c.Command()+" "+c.Action()+" "+strings.Join(c.Args(), ","))
		_, err := c.Say("shop.closed", nil, nil)
		return false, err
	})
	r.Action("pay", func(c *kernel.Ctx) error {
		_, err := c.Say("shop.paying", map[string]any{"args": strings.Join(c.Args(), ","), "action": c.Action(), "command": c.Command()}, nil)
		return err
	}, kernel.Guard("shop"), kernel.Private())
	r.Action("open", func(c *kernel.Ctx) error {
		if err := c.Set("shop.open", true); err != nil {
			return err
		}
		return c.Invoke("shop.pay", []string{"resumed"})
	})
	r.Action("menu", func(c *kernel.Ctx) error {
		_, err := c.Say("shop.menu", nil, nil)
		return err
	})
	prefix, action := s.prefix, s.action
	if prefix == "" {
		prefix = "pay_"
	}
	if action == "" {
		action = "pay"
	}
	r.StartParam(prefix, action)
	return nil
}

const shopConfig = "rate_limits:\n  default: {rate: 1000, period: 1s, burst: 1000}\nplugins:\n  shop: {enabled: true}\ncommands:\n  - {name: open, action: shop.open}\n  - {name: menu, action: shop.menu}\n"

var shopLocale = map[string]string{"en": "commands:\n  open: Open\n  menu: Menu\nshop:\n" +
	"  closed: \"Closed.\"\n  menu: \"The menu.\"\n  paying: \"Paying {{.args}} as {{.action}} after /{{.command}}.\"\n"}

// TestStartParam: a /start payload with a plugin's prefix runs its action
// with the rest as the argument, with the action's rules (guards, private
// chats), as /start; a command's name still runs the command, and
// anything else (an empty rest, an unknown prefix) is the home screen.
func TestStartParam(t *testing.T) {
	s := &shop{}
	h := kerneltest.New(t, kerneltest.Options{Config: shopConfig, Plugins: []kernel.Plugin{s}, ExtraLocales: shopLocale})
	u := h.Private(80)
	u.Send("/start pay_Ab-9_x").Expect(t, "Closed.")
	if want := "start shop.pay Ab-9_x"; len(s.blocked) != 1 || s.blocked[0] != want {
		t.Fatalf("the guard saw %q, want %q", s.blocked, want)
	}
	u.Send("/open").Expect(t, "Paying resumed as shop.pay")
	u.Send("/start pay_Ab-9_x").Expect(t, "Paying Ab-9_x as shop.pay after /start.")

	tests := []struct{ payload, want string }{
		{"menu", "The menu."},                    // a command's name
		{"pay_", "Pick what you want to do"},     // nothing after the prefix
		{"refund_x", "Pick what you want to do"}, // nobody's prefix
		{"PAY_x", "Pick what you want to do"},    // payloads are case-sensitive
		{"pay_x y", "Pick what you want to do"},  // two words are no payload
		{"pay_x-1", "Paying x-1 as"},             // the rest as it is
		{"pay_pay_z", "Paying pay_z a"},          // the prefix only once
	}
	for _, tt := range tests {
		if r := u.Send("/start " + tt.payload); !r.Contains(tt.want) {
			t.Errorf("/start %s: want %q, got:\n%s", tt.payload, tt.want, r.Text())
		}
	}
	if r := h.Group(-81, 80).Send("/start pay_x"); r.Contains("Paying") || !r.Contains("private") {
		t.Fatalf("a payment link in a group: %s", r.Text())
	}
}

// TestStartParamSetup: a bad prefix, an action not declared and prefixes
// that overlap stop start-up, each naming the plugin.
func TestStartParamSetup(t *testing.T) {
	tests := []struct {
		name    string
		plugins []kernel.Plugin
		want    string
	}{
		{"bad prefix", []kernel.Plugin{&shop{prefix: "Pay"}}, `start param "Pay": want`},
		{"no separator", []kernel.Plugin{&shop{prefix: "pay"}}, `start param "pay": want`},
		{"undeclared action", []kernel.Plugin{&shop{action: "refund"}}, `action "refund" is not declared`},
		{"overlap", []kernel.Plugin{&shop{}, &other{prefix: "pay_x_"}}, `start param "pay_x_" overlaps "pay_" of plugin shop`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kerneltest.Build(t, kerneltest.Options{
				Config: "plugins:\n  shop: {enabled: true}\n  other: {enabled: true}\ncommands:\n" +
					"  - {name: open, action: shop.open}\n  - {name: menu, action: shop.menu}\n  - {name: go, action: other.go}\n",
				Plugins: tt.plugins, ExtraLocales: map[string]string{"en": "commands:\n  open: Open\n  menu: Menu\n  go: Go\n"},
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// other is a second plugin with a deep-link prefix.
type other struct{ prefix string }

func (*other) Name() string { return "other" }

func (o *other) Setup(r *kernel.Registrar) error {
	r.Action("go", func(c *kernel.Ctx) error { return nil })
	r.StartParam(o.prefix, "go")
	return nil
}
