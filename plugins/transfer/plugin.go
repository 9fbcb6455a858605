// Package transfer moves money from the chat: /send (to an email, a wallet
// address or a saved payee), /withdraw (to a bank account, with a quote) and
// /history (paged, with a detail view per transfer).
//
// Every movement is collected step by step, shown as a summary, confirmed by
// a button carrying a one-time confirmation id, and submitted exactly once:
// the first Confirm consumes the id atomically in the shared store, the
// outcome is kept under the id so a second tap answers with the same
// transfer, and a submit whose answer was lost is reconciled against the
// latest transfers instead of being sent again.
package transfer

import (
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
)

// LimitStart is the rate limit on starting /send and /withdraw
// (rate_limits.transfer in config.yaml overrides it).
const LimitStart = "transfer"

// Transfer is the transfer plugin.
type Transfer struct {
	api  *copperx.Client
	nets copperx.Networks
	cfg  Config
	st   storeAPI
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
	if err := t.cfg.Validate(); err != nil {
		return err
	}
	t.st = r.Store()
	auth := []kernel.ActionOption{kernel.Guard("auth", "kyc"), kernel.Private()}
	r.RateLimit(LimitStart, ratelimit.Limit{Rate: 20, Period: time.Minute, Burst: 10})
	start := append([]kernel.ActionOption{kernel.Limit(LimitStart)}, auth...)

	// /send
	r.Action("send", t.startSend, start...)
	r.Flow("send", kernel.Flow{Version: 1, Steps: map[string]kernel.Step{
		"kind":      {Next: []string{"recipient", "payee"}},
		"recipient": {Text: t.sendRecipient, Next: []string{"amount"}},
		"payee":     {Next: []string{"amount"}},
		"amount":    {Text: t.sendAmount, Next: []string{"purpose"}},
		"purpose":   {Next: []string{"confirm"}},
		"confirm":   {},
	}})
	r.Callback("kind", t.sendKind, auth...)
	r.Callback("payee", t.sendPayee, auth...)
	r.Callback("purpose", t.pickPurpose, auth...)
	r.Callback("savepayee", t.savePayee, auth...)

	// /withdraw, /bank
	r.Action("withdraw", t.startWithdraw, start...)
	r.Flow("withdraw", kernel.Flow{Version: 1, Steps: map[string]kernel.Step{
		"account": {Next: []string{"amount"}},
		"amount":  {Text: t.withdrawAmount, Next: []string{"quote"}},
		"quote":   {Next: []string{"quote", "purpose", "amount"}},
		"purpose": {Next: []string{"source"}},
		"source":  {Next: []string{"confirm"}},
		"confirm": {Next: []string{"confirm", "amount"}},
	}})
	r.Callback("acct", t.pickAccount, auth...)
	r.Callback("accept", t.acceptQuote, auth...)
	r.Callback("requote", t.requote, auth...)
	r.Callback("source", t.pickSource, auth...)

	// Both: the exactly-once confirmation.
	r.Callback("confirm", t.confirm, auth...)

	// /history only reads: a login is enough (KYC pending still shows it).
	read := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	r.Action("history", t.history, read...)
	r.Callback("page", t.historyPage, read...)
	r.Callback("detail", t.detail, read...)
	return nil
}

var _ kernel.Plugin = (*Transfer)(nil)
