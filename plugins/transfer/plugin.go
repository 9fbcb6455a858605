// Package transfer moves money from the chat: /send (to an email, a wallet
// address or a saved payee), /withdraw (to a bank account, with a quote) and
// /history (paged, with a detail view per transfer).
//
// Every movement is a flow (send.go, withdraw.go) whose last step is a
// summary with a Confirm button carrying a one-time confirmation id, and is
// submitted exactly once (confirm.go): the first Confirm consumes the id
// atomically in the shared store, the outcome is kept under the id so a
// second tap answers with the same transfer (outcome.go), and a submit
// whose answer was lost is reconciled against the latest transfers instead
// of being sent again (reconcile.go).
package transfer

import (
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// LimitStart is the rate limit on starting /send and /withdraw
// (rate_limits.transfer.start in config.yaml overrides it).
const LimitStart = "start"

// Transfer is the transfer plugin.
type Transfer struct {
	api  *copperx.Client
	nets copperx.Networks
	cfg  Config
	st   store.Store
}

// New builds the plugin with the CopperX client and the networks section of
// config.yaml (address formats and explorer links).
func New(api *copperx.Client, nets copperx.Networks) *Transfer {
	if nets == nil {
		nets = copperx.DefaultNetworks()
	}
	return &Transfer{api: api, nets: nets, cfg: DefaultConfig()}
}

// Name implements kernel.Plugin.
func (t *Transfer) Name() string { return "transfer" }

// Setup implements kernel.Plugin.
func (t *Transfer) Setup(r *kernel.Registrar) error {
	if err := r.Config(&t.cfg); err != nil {
		return err
	}
	t.st = r.Store()
	r.RateLimit(LimitStart, ratelimit.Limit{Rate: 20, Period: time.Minute, Burst: 10})
	money := []kernel.ActionOption{kernel.Guard("auth", "auth.kyc"), kernel.Private()}
	r.Link("wallet.wallets")

	r.Action("send", t.startSend, append(money, kernel.Limit(LimitStart))...)
	r.Flow("send", t.sendFlow(), money...)

	r.Action("withdraw", t.startWithdraw, append(money, kernel.Limit(LimitStart))...)
	r.Flow("withdraw", t.withdrawFlow(), money...)

	// On the receipt of a send to a new email.
	r.Callback("savepayee", t.savePayee, money...)

	t.setupHistory(r)
	return nil
}

var _ kernel.Plugin = (*Transfer)(nil)
