package transfer

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// testConfig enables the plugin with its commands, the stand-in wallet
// plugin's /wallets and the stand-in payees plugin's /addpayee (plugintest
// adds FakeAuth, /fakelogin and /fakelogout).
const testConfig = `
plugins:
  transfer: {enabled: true}
  wallet: {enabled: true}
  payees: {enabled: true}
commands:
  - {name: send, action: transfer.send}
  - {name: withdraw, action: transfer.withdraw, aliases: [bank]}
  - {name: history, action: transfer.history}
  - {name: request, action: transfer.request}
  - {name: requests, action: transfer.requests}
  - {name: limits, action: transfer.limits}
  - {name: wallets, action: wallet.wallets}
  - {name: deposit, action: wallet.deposit}
  - {name: addpayee, action: payees.add}
`

// botUsername is the bot's username in tests (payment links).
const botUsername = "copperx_test_bot"

// stubLocale holds the stand-in wallet plugin's strings (English).
const stubLocale = `
wallet:
  stub:
    wallets: "Your wallets (stub)."
    send: "Send (stub)"
    history: "History (stub)"
    relogin: "Please log in again (stub)."
    deposit: "Deposit address (stub)."
payees:
  stub:
    add: "Add payee (stub): {{.email}}"
`

// walletStub stands in for the wallet plugin: its actions "wallets" and
// "deposit" (what the empty /history offers first); its screen has buttons
// to /send and /history, as other plugins' screens do; as plugins/auth does, it
// answers a 401 from any handler by asking for a new login.
type walletStub struct{}

// Name implements kernel.Plugin.
func (walletStub) Name() string { return "wallet" }

// Setup implements kernel.Plugin.
func (walletStub) Setup(r *kernel.Registrar) error {
	r.Link("transfer.send", "transfer.history")
	r.Action("wallets", func(c *kernel.Ctx) error {
		kb := kernel.NewKeyboard()
		for _, action := range []string{"send", "history"} {
			if b, ok := c.ActionButton("wallet.stub."+action, "transfer."+action); ok {
				kb.Row(b)
			}
		}
		_, err := c.Say("wallet.stub.wallets", nil, kb)
		return err
	})
	// What the empty /history offers first: the deposit address.
	r.Action("deposit", func(c *kernel.Ctx) error {
		_, err := c.Say("wallet.stub.deposit", nil, nil)
		return err
	})
	r.OnError(func(c *kernel.Ctx, err error) bool {
		if !errors.Is(err, copperx.ErrUnauthorized) {
			return false
		}
		_, _ = c.Say("wallet.stub.relogin", nil, nil)
		return true
	})
	return nil
}

var _ kernel.Plugin = walletStub{}

// payeesStub stands in for the payees plugin: its action "add", which the
// receipt's "Save as payee" runs with the email (/addpayee <email>).
type payeesStub struct{}

// Name implements kernel.Plugin.
func (payeesStub) Name() string { return "payees" }

// Setup implements kernel.Plugin.
func (payeesStub) Setup(r *kernel.Registrar) error {
	r.Action("add", func(c *kernel.Ctx) error {
		_, err := c.Say("payees.stub.add", map[string]any{"email": strings.Join(c.Args(), " ")}, nil)
		return err
	}, kernel.Guard("auth"), kernel.Private())
	return nil
}

var _ kernel.Plugin = payeesStub{}

// setup shapes one test's world; the zero value is a logged-in English
// user of the seeded demo account (KYC approved).
type setup struct {
	config string // YAML merged over testConfig
	env    []string
	lang   string
	kyc    string
	emu    []copperxtest.Option
	// store is shared with another env (a second replica on one Redis),
	// shared its emulator.
	store  store.Store
	shared *copperxtest.Server
	redis  bool
	// noLogin leaves the user logged out (a second replica shares the
	// first's session).
	noLogin bool
}

// env is one test's world: plugintest's, with the walks through /send and
// /withdraw the tests share.
type env struct {
	*plugintest.Env
}

// newEnv starts the emulator, the kernel with FakeAuth, the plugin and the
// wallet stub, and logs the user in.
func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, s.config)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{plugintest.New(t, plugintest.Options{
		Plugins: func(api *copperx.Client) []kernel.Plugin {
			return []kernel.Plugin{New(api, copperx.DefaultNetworks()), walletStub{}, payeesStub{}}
		},
		Config:  config,
		Locales: map[string]string{"en": stubLocale},
		// Reconciliation polls quickly in tests (default 1s apart).
		Env:             append([]string{"COPPERX_BOT_PLUGINS__TRANSFER__RECONCILE_INTERVAL=5ms"}, s.env...),
		Lang:            s.lang,
		KYC:             s.kyc,
		EmulatorOptions: s.emu,
		Emulator:        s.shared,
		Store:           s.store,
		Redis:           s.redis,
		NoLogin:         s.noLogin,
	})}
	e.H.Kernel.Bot().Username = botUsername
	return e
}

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// toAmount walks /send to an email up to the amount question.
func (e *env) toAmount(t *testing.T, email string) {
	t.Helper()
	e.U.Send("/send").Expect(t, "Who should receive it?")
	e.U.Tap("Email").Expect(t, "email address")
	e.U.Send(email).Expect(t, "How much USDC? Between 1.00 and 50,000.00", "Paying from your <b>Polygon</b> wallet · balance <b>1,250.50 USDC</b>")
}

// sendTo walks a /send of amount to email up to the summary.
func (e *env) sendTo(t *testing.T, email, amount string) {
	t.Helper()
	e.U.Send("/send").Expect(t, "Who should receive it?")
	e.U.Tap("Email").Expect(t, "email address")
	e.U.Send(email).Expect(t, "How much USDC?")
	e.U.Send(amount).Expect(t, "What is this payment for?")
	e.U.Tap("Gift").Expect(t, "Please check your transfer")
}

// toQuote walks /withdraw to the quote for amount.
func (e *env) toQuote(t *testing.T, amount string) {
	t.Helper()
	e.U.Send("/withdraw").Expect(t, "Which account?")
	e.U.Tap("Chase Bank ••6789").Expect(t, "withdraw to Chase Bank ••6789")
	e.U.Send(amount).Expect(t, "Your quote", "Rate: 1 USDC = 1 USD", "You receive: <b>")
}

// withdrawSummary walks /withdraw of amount up to the summary.
func (e *env) withdrawSummary(t *testing.T, amount string) {
	t.Helper()
	e.toQuote(t, amount)
	e.U.Tap("Continue").Expect(t, "What is this payment for?")
	e.U.Tap("Salary").Expect(t, "Where does this money come from?")
	e.U.Tap("Salary").Expect(t, "Please check your withdrawal")
}

// button is the newest message with a button labelled label, and that
// button, for taps a test replays or forges.
func (e *env) button(t *testing.T, label string) (*fakebot.Message, fakebot.Button) {
	t.Helper()
	m, b := e.U.FindButton(label)
	if m == nil {
		t.Fatalf("no %q button", label)
	}
	return m, b
}

// tapData taps data on message msgID (a replayed or forged button).
func (e *env) tapData(msgID int64, data string) kerneltest.Replies {
	return e.U.Handle(e.U.CallbackUpdate(msgID, data))
}

// confirmID is the confirmation id a Confirm button carries (its last
// argument).
func confirmID(t *testing.T, b fakebot.Button) string {
	t.Helper()
	parts := strings.Split(b.Data, ":")
	if len(parts) != 4 || !strings.HasSuffix(parts[1], ".confirm.confirm") {
		t.Fatalf("Confirm data %q: want transfer:<flow>.confirm.confirm:<nonce>:<confirmation id>", b.Data)
	}
	return parts[3]
}

// forge is a button's data with its arguments (after the flow's nonce)
// replaced: what a forged or tampered tap carries.
func forge(data string, args ...string) string {
	parts := strings.Split(data, ":")
	return strings.Join(append(parts[:3:3], args...), ":")
}

// listings counts the transfer listings (before a submit, reconciliation)
// at the emulator; the fee estimate's (limit feeSample, before the
// summary) are not among them.
func (e *env) listings() int {
	n := 0
	for _, c := range e.Emu.CallsTo("GET", "/api/transfers") {
		if c.Query.Get("limit") != strconv.Itoa(feeSample) {
			n++
		}
	}
	return n
}

// setDefaultNetwork makes the user's wallet on network the default, as the
// wallet plugin or the web app would.
func (e *env) setDefaultNetwork(t *testing.T, network string) {
	t.Helper()
	for _, w := range e.Wallets() {
		if w.Network == network {
			if _, err := e.API.SetDefaultWallet(context.Background(), copperx.NewToken(e.Token), w.ID); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no wallet on %s", network)
}

// addPayee saves a payee at the emulator, as the web app would.
func (e *env) addPayee(t *testing.T, nick, email string) copperx.Payee {
	t.Helper()
	p, err := e.API.CreatePayee(context.Background(), copperx.NewToken(e.Token), copperx.CreatePayeeRequest{NickName: nick, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

// stored is the value of key in the shared store (nil when absent).
func (e *env) stored(t *testing.T, key string) []byte {
	t.Helper()
	v, _, err := e.H.Store.Get(context.Background(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
