package payees_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/plugins/payees"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// testConfig enables the payees plugin with its commands, and the
// stand-in transfer plugin's /send (plugintest adds FakeAuth and
// /fakelogin).
const testConfig = `
plugins:
  payees: {enabled: true}
  transfer: {enabled: true}
commands:
  - {name: payees, action: payees.list, menu: true}
  - {name: addpayee, action: payees.add}
  - {name: send, action: transfer.send, menu: true}
  - {name: receipt, action: transfer.receipt}
`

// stubLocale holds the stand-in transfer plugin's strings (English and
// Spanish).
var stubLocale = map[string]string{
	"en": `
transfer:
  stub:
    send: "Send flow (stub) to: {{.to}}"
    receipt: "Sent (stub) to {{.to}}."
    save: "Save as payee (stub)"
    relogin: "Please log in again (stub)."
    unavailable: "CopperX is not answering (stub)."
commands:
  receipt: "A receipt (stub)"
`,
	"es": `
transfer:
  stub:
    send: "Envío (stub) a: {{.to}}"
    receipt: "Enviado (stub) a {{.to}}."
    save: "Guardar como beneficiario (stub)"
    relogin: "Vuelve a iniciar sesión (stub)."
    unavailable: "CopperX no responde (stub)."
`,
}

// transferStub stands in for the transfer plugin: its action "send" is
// what a payee's Send button runs (it says the arguments it got), and
// "/receipt <email>" shows a receipt whose "Save as payee" links to
// payees.add with the email, as the real receipt will.
type transferStub struct{}

// Name implements kernel.Plugin.
func (transferStub) Name() string { return "transfer" }

// Setup implements kernel.Plugin.
func (transferStub) Setup(r *kernel.Registrar) error {
	r.Action("send", func(c *kernel.Ctx) error {
		_, err := c.Say("transfer.stub.send", map[string]any{"to": strings.Join(c.Args(), " ")}, nil)
		return err
	})
	r.Link("payees.add")
	r.Action("receipt", func(c *kernel.Ctx) error {
		kb := kernel.NewKeyboard()
		if b, ok := c.ActionButton("transfer.stub.save", "payees.add", c.Args()...); ok {
			kb.Row(b)
		}
		_, err := c.Say("transfer.stub.receipt", map[string]any{"to": c.Text()}, kb)
		return err
	})
	// As plugins/auth does: a 401 from any handler asks for a new login,
	// CopperX not answering is worded once for every plugin.
	r.OnError(func(c *kernel.Ctx, err error) bool {
		switch {
		case copperx.Unavailable(err):
			_, _ = c.Say("transfer.stub.unavailable", nil, nil)
		case errors.Is(err, copperx.ErrUnauthorized):
			_, _ = c.Say("transfer.stub.relogin", nil, nil)
		default:
			return false
		}
		return true
	})
	return nil
}

var _ kernel.Plugin = transferStub{}

// setup shapes one test's world; the zero value is a logged-in English
// user of the seeded demo account, with no payees.
type setup struct {
	config  string // YAML merged over testConfig
	env     []string
	lang    string
	noLogin bool
	redis   bool
}

// newEnv starts the emulator, the kernel with FakeAuth, the payees plugin
// and the transfer stub, and logs the user in (unless noLogin).
func newEnv(t *testing.T, s setup) *plugintest.Env {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, s.config)
	if err != nil {
		t.Fatal(err)
	}
	return plugintest.New(t, plugintest.Options{
		Plugins: func(api *copperx.Client) []kernel.Plugin {
			return []kernel.Plugin{payees.New(api), transferStub{}}
		},
		Config:  config,
		Locales: stubLocale,
		Env:     s.env,
		Lang:    s.lang,
		NoLogin: s.noLogin,
		Redis:   s.redis,
	})
}

// token is the user's CopperX token.
func token(e *plugintest.Env) copperx.Token { return copperx.NewToken(e.Token) }

// addPayee saves a payee at the emulator, as CopperX's site would.
func addPayee(e *plugintest.Env, nick, email string) copperx.Payee {
	e.T.Helper()
	p, err := e.API.CreatePayee(context.Background(), token(e), copperx.CreatePayeeRequest{NickName: nick, Email: email})
	if err != nil {
		e.T.Fatal(err)
	}
	return *p
}

// addPayees saves n payees p01..pNN (p01@example.com, ...).
func addPayees(e *plugintest.Env, n int) {
	e.T.Helper()
	for i := 1; i <= n; i++ {
		addPayee(e, fmt.Sprintf("p%02d", i), fmt.Sprintf("p%02d@example.com", i))
	}
}

// saved is the user's payees at the emulator, "nick <email>" each, in
// the API's order.
func saved(e *plugintest.Env) []string {
	e.T.Helper()
	page, err := e.API.Payees(context.Background(), token(e), 1, 100, "")
	if err != nil {
		e.T.Fatal(err)
	}
	var out []string
	for _, p := range page.Data {
		out = append(out, p.NickName+" <"+p.Email+">")
	}
	return out
}

// wantSaved fails unless the emulator holds exactly these payees.
func wantSaved(t *testing.T, e *plugintest.Env, want ...string) {
	t.Helper()
	if got := saved(e); !slices.Equal(got, want) {
		t.Fatalf("payees at the emulator = %q, want %q", got, want)
	}
}

// writes counts the payee writes (POST, PUT, DELETE) that reached the
// emulator.
func writes(e *plugintest.Env) int {
	n := 0
	for _, c := range e.Emu.Calls() {
		if c.Method != "GET" && strings.HasPrefix(c.Path, "/api/payees") {
			n++
		}
	}
	return n
}
