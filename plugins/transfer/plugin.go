// Package transfer moves money from the chat: /send (to an email, a wallet
// address or a saved payee; step by step, or on one line: oneline.go),
// /withdraw (to a bank account, with a quote), payment links (/request,
// request.go), a daily spending limit (/limits, limits.go) and /history
// (paged, with a detail view per transfer).
//
// Every movement is a flow (send.go, withdraw.go) whose last step is a
// summary with a Confirm button carrying a one-time confirmation id, and is
// submitted exactly once (confirm.go): the first Confirm consumes the id
// atomically in the shared store, the outcome is kept under the id so a
// second tap answers with the same transfer (outcome.go), and a submit
// whose answer was lost is reconciled against the latest transfers instead
// of being sent again (reconcile.go). After the submit the transfer is
// followed until it settles, and the receipt edited (track.go).
package transfer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
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

	// Outcome tracking (track.go).
	log       *slog.Logger
	notifier  *kernel.Notifier
	sessions  *kernel.Sessions
	metrics   *transferMetrics
	replica   string           // this process, in lease tokens
	now       func() time.Time // the kernel's clock (tests: the harness's)
	scanEvery time.Duration

	mu       sync.Mutex
	stopScan context.CancelFunc
	scanDone chan struct{}
	nudged   map[int64]time.Time // users whose outcomes /history re-checked lately
}

// New builds the plugin with the CopperX client and the networks section of
// config.yaml (address formats and explorer links).
func New(api *copperx.Client, nets copperx.Networks) *Transfer {
	if nets == nil {
		nets = copperx.DefaultNetworks()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &Transfer{api: api, nets: nets, cfg: DefaultConfig(), log: slog.New(slog.DiscardHandler), metrics: newMetrics(),
		replica: hex.EncodeToString(b), now: time.Now, scanEvery: scanEvery, nudged: map[int64]time.Time{}}
}

// Name implements kernel.Plugin.
func (t *Transfer) Name() string { return "transfer" }

// Setup implements kernel.Plugin.
func (t *Transfer) Setup(r *kernel.Registrar) error {
	if err := r.Config(&t.cfg); err != nil {
		return err
	}
	if t.api != nil && t.cfg.SubmitTimeout < t.api.Timeout()+5*time.Second {
		return kernel.ConfigErrorf("plugins.transfer.submit_timeout", "must be at least copperx.timeout (%s) + 5s: the submit's POST alone may take copperx.timeout, and the listing and reconciliation need time too", t.api.Timeout())
	}
	t.st = r.Store()
	t.log = r.Logger()
	t.now = r.Clock()
	t.notifier = r.Notifier()
	t.sessions = r.Sessions()
	if err := t.metrics.register(r.Metrics()); err != nil {
		return err
	}
	r.Service(t) // outcome tracking (track.go)
	r.RateLimit(LimitStart, ratelimit.Limit{Rate: 20, Period: time.Minute, Burst: 10})
	money := []kernel.ActionOption{kernel.Guard("auth", "auth.kyc"), kernel.Private()}
	// "Save as payee" on the receipt of a send to a new email.
	r.Link("wallet.wallets", "payees.add")

	r.Action("send", t.startSend, append(money, kernel.Limit(LimitStart))...)
	r.Flow("send", t.sendFlow(), money...)
	r.StrayText(t.oneLineText) // "send 25 to bob@example.com" (oneline.go)

	r.Action("withdraw", t.startWithdraw, append(money, kernel.Limit(LimitStart))...)
	r.Flow("withdraw", t.withdrawFlow(), money...)

	t.setupRequests(r, money)
	t.setupLimits(r)
	t.setupHistory(r)
	return nil
}

var _ kernel.Plugin = (*Transfer)(nil)
