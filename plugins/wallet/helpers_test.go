package wallet_test

import (
	"context"
	"errors"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

// testConfig enables the wallet plugin with its commands, and the stand-in
// transfer plugin (plugintest adds FakeAuth and /fakelogin).
const testConfig = `
plugins:
  wallet: {enabled: true}
  transfer: {enabled: true}
commands:
  - {name: balance, action: wallet.balance, menu: true}
  - {name: wallets, action: wallet.wallets, menu: true}
  - {name: deposit, action: wallet.deposit, menu: true}
`

// sendCommand binds /send to the action the Send button under /balance
// links to.
const sendCommand = `
commands:
  - {name: send, action: transfer.send, menu: true}
`

// stubLocale holds the stand-in transfer plugin's strings (English) and the
// description of /pay (a renamed /send).
const stubLocale = `
transfer:
  stub:
    send: "Send flow (stub)."
    relogin: "Please log in again (stub)."
    unavailable: "CopperX is not answering (stub)."
commands:
  pay: "Send USDC (a renamed /send)"
`

// transferStub stands in for the transfer plugin: its action "send" is
// what the Send button under /balance leads to.
type transferStub struct{}

// Name implements kernel.Plugin.
func (transferStub) Name() string { return "transfer" }

// Setup implements kernel.Plugin.
func (transferStub) Setup(r *kernel.Registrar) error {
	r.Action("send", func(c *kernel.Ctx) error { _, err := c.Say("transfer.stub.send", nil, nil); return err })
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
// user of the seeded demo account with /send bound.
type setup struct {
	config  string // YAML merged over testConfig, e.g. "plugins: {wallet: {show_testnets: true}}"
	send    string // the commands entry for /send; "" is sendCommand
	env     []string
	seed    []copperxtest.SeedOption
	lang    string
	noLogin bool
	redis   bool
}

// newEnv starts the emulator, the kernel with FakeAuth, the wallet plugin
// and the transfer stub, and logs the user in (unless noLogin).
func newEnv(t *testing.T, s setup) *plugintest.Env {
	t.Helper()
	send := s.send
	if send == "" {
		send = sendCommand
	}
	config := testConfig
	for _, over := range []string{send, s.config} {
		var err error
		if config, err = plugintest.MergeYAML(config, over); err != nil {
			t.Fatal(err)
		}
	}
	return plugintest.New(t, plugintest.Options{
		Plugins: func(api *copperx.Client) []kernel.Plugin {
			return []kernel.Plugin{wallet.New(api, copperx.DefaultNetworks()), transferStub{}}
		},
		Config:  config,
		Locales: map[string]string{"en": stubLocale},
		Env:     s.env,
		Seed:    s.seed,
		Lang:    s.lang,
		NoLogin: s.noLogin,
		Redis:   s.redis,
	})
}

// walletOn is the user's wallet on network, as the emulator has it.
func walletOn(e *plugintest.Env, network string) copperx.Wallet {
	e.T.Helper()
	for _, w := range e.Wallets() {
		if w.Network == network {
			return w
		}
	}
	e.T.Fatalf("no wallet on %s", network)
	return copperx.Wallet{}
}

// defaultNetwork is the chain id of the user's default wallet at the
// emulator.
func defaultNetwork(e *plugintest.Env) string {
	e.T.Helper()
	w, err := e.API.DefaultWallet(context.Background(), copperx.NewToken(e.Token))
	if err != nil {
		e.T.Fatal(err)
	}
	return w.Network
}

// callback is the data of one of the wallet plugin's buttons, for taps a
// test forges or replays.
func callback(t *testing.T, name string, args ...string) string {
	t.Helper()
	data, err := kernel.CallbackData("wallet", name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
