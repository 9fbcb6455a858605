package payouts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/plugins/payouts"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// testConfig enables the plugin and its commands (plugintest adds
// FakeAuth and /fakelogin); reconciliation does not wait between listings.
const testConfig = `
plugins:
  payouts: {enabled: true, reconcile_interval: 0s}
commands:
  - {name: batch, action: payouts.batch, menu: true}
  - {name: schedule, action: payouts.schedule, menu: true}
  - {name: schedules, action: payouts.schedules}
`

// setup shapes one test's world; the zero value is a logged-in English
// user of the seeded demo account (1,250.50 USDC on Polygon, KYC approved).
type setup struct {
	config   string // YAML merged over testConfig
	env      []string
	lang     string
	kyc      string
	noLogin  bool
	redis    bool
	store    store.Store
	emulator *copperxtest.Server
	emuOpts  []copperxtest.Option
}

// newEnv starts the emulator (unless shared), the kernel with FakeAuth and
// the plugin, and logs the user in.
func newEnv(t *testing.T, s setup) *plugintest.Env {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, s.config)
	if err != nil {
		t.Fatal(err)
	}
	return plugintest.New(t, plugintest.Options{
		Plugins: func(api *copperx.Client) []kernel.Plugin {
			return []kernel.Plugin{payouts.New(api, copperx.DefaultNetworks())}
		},
		Config: config, Env: s.env, Lang: s.lang, KYC: s.kyc, NoLogin: s.noLogin, Redis: s.redis, Store: s.store,
		Emulator: s.emulator, EmulatorOptions: s.emuOpts,
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

// sends are the user's send transfers at the emulator, newest first.
func sends(e *plugintest.Env) []copperxtest.Transfer {
	var out []copperxtest.Transfer
	for _, tr := range e.Emu.Transfers(plugintest.Email) {
		if tr.Type == "send" {
			out = append(out, tr)
		}
	}
	return out
}

// sentTo counts the user's sends to each recipient (email or address, as
// the emulator records them), failed ones too.
func sentTo(e *plugintest.Env) map[string]int {
	n := map[string]int{}
	for _, tr := range sends(e) {
		d := tr.DestinationAccount
		switch {
		case d == nil:
			n["?"]++
		case d.PayeeEmail != "":
			n[d.PayeeEmail]++
		default:
			n[strings.ToLower(d.WalletAddress)]++
		}
	}
	return n
}

// batchPosts counts the send-batch requests that reached the emulator.
func batchPosts(e *plugintest.Env) int { return e.Posts("/api/transfers/send-batch") }

// batchRequests are the requestIds of every send-batch item the emulator
// received, in order.
func batchRequests(e *plugintest.Env) []string {
	var ids []string
	for _, c := range e.Emu.CallsTo("POST", "/api/transfers/send-batch") {
		reqs, _ := c.Body["requests"].([]any)
		for _, r := range reqs {
			m, _ := r.(map[string]any)
			id, _ := m["requestId"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// wantBalance fails unless the user's Polygon USDC balance is want.
func wantBalance(t *testing.T, e *plugintest.Env, want string) {
	t.Helper()
	if got := e.Emu.Balance(plugintest.Email, copperxtest.NetworkPolygon, "USDC"); !got.Equal(decimal.RequireFromString(want)) {
		t.Errorf("balance = %s, want %s", got, want)
	}
}

// batchOf starts /batch, sends lines and picks the purpose: the summary.
func batchOf(t *testing.T, e *plugintest.Env, lines string) kerneltest.Replies {
	t.Helper()
	e.U.Send("/batch").Expect(t, "Batch payout")
	e.U.Send(lines).Expect(t, "What ")
	return e.U.Tap("Salary").Expect(t, "Please check your batch payout")
}

// transcript records e's chat for a golden file, with random ids replaced.
func transcript(e *plugintest.Env) *kerneltest.Transcript {
	return kerneltest.NewTranscript(e.U).
		Scrub(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`, "<id>").
		Scrub(`(confirm |payouts:(?:retry|check):)[a-z2-7]{12}\b`, "$1<id>")
}
