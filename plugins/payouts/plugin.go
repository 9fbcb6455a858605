// Package payouts pays several people at once and pays later:
//
//   - /batch takes pasted lines "recipient amount [note]" or a CSV file,
//     checks every line (a report of what is wrong, line by line), shows a
//     summary with the paying wallet and Confirm, and sends them in one
//     POST /api/transfers/send-batch with a request id per line; the
//     result says, per recipient, what was sent and what failed and why,
//     and "Retry failed lines" sends again exactly the lines that did not
//     go through — never one that did, across restarts and replicas
//     (batch.go, record.go, submit.go, result.go);
//   - /schedule creates a recurring or one-time payout at CopperX (POST
//     /api/transfer-schedules) and /schedules lists them, with Deactivate
//     (schedule.go, schedules.go).
//
// Money moves only after a summary's Confirm, and each Confirm submits at
// most once: its one-time id is claimed with SetNX in the shared store, a
// batch's record (in the store too) keeps each line's request id and
// outcome, a lost answer is reconciled against CopperX's listing instead
// of being sent again, and CopperX's listing is read before submitting,
// as the transfer plugin does for a single send. It does not import that
// plugin: plugins never import each other.
package payouts

import (
	"errors"
	"fmt"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// LimitSubmit is the rate limit on Confirm: a batch, a retry of its
// failed lines, a new schedule, a deactivation
// (rate_limits.payouts.submit in config.yaml overrides it).
const LimitSubmit = "submit"

// Payouts is the payouts plugin.
type Payouts struct {
	api     *copperx.Client
	nets    copperx.Networks
	cfg     Config
	st      store.Store
	metrics *payoutMetrics
}

// New builds the plugin with the CopperX client and the networks section
// of config.yaml (address formats, names).
func New(api *copperx.Client, nets copperx.Networks) *Payouts {
	if nets == nil {
		nets = copperx.DefaultNetworks()
	}
	return &Payouts{api: api, nets: nets, cfg: DefaultConfig(), metrics: newMetrics()}
}

// Name implements kernel.Plugin.
func (p *Payouts) Name() string { return "payouts" }

// Setup implements kernel.Plugin.
func (p *Payouts) Setup(r *kernel.Registrar) error {
	if p.api == nil {
		return errors.New("payouts: no CopperX client")
	}
	if err := r.Config(&p.cfg); err != nil {
		return err
	}
	if p.cfg.SubmitTimeout < p.api.Timeout()+5*time.Second {
		return kernel.ConfigErrorf("plugins.payouts.submit_timeout", "must be at least copperx.timeout (%s) + 5s: the POST alone may take copperx.timeout, and the listings around it need time too", p.api.Timeout())
	}
	p.st = r.Store()
	if err := p.metrics.register(r.Metrics()); err != nil {
		return err
	}
	r.RateLimit(LimitSubmit, ratelimit.Limit{Rate: 10, Period: time.Minute, Burst: 5})
	opts := []kernel.ActionOption{kernel.Guard("auth", "auth.kyc"), kernel.Private()}

	r.Action("batch", p.startBatch, opts...)
	r.Flow("batch", p.batchFlow(), opts...)
	r.Flow("retry", p.retryFlow(), opts...)
	r.Callback("check", p.checkAgain, opts...)
	r.Callback("retry", p.offerRetry, opts...)

	r.Action("schedule", p.startSchedule, opts...)
	r.Flow("schedule", p.scheduleFlow(), opts...)
	r.Action("schedules", p.listSchedules, opts...)
	r.Callback("page", p.schedulesPage, opts...)
	r.Callback("open", p.openSchedule, opts...)
	r.Callback("stop", p.askStop, opts...)
	r.Callback("stopyes", p.stop, opts...)
	return nil
}

// token is the logged-in user's CopperX token (the auth guard ran).
func token(c *kernel.Ctx) copperx.Token {
	if pr := c.Principal(); pr != nil {
		return copperx.NewToken(pr.Token.Reveal())
	}
	return copperx.Token{}
}

// account is the CopperX user the chat is logged in as ("" when none).
func account(c *kernel.Ctx) string {
	if pr := c.Principal(); pr != nil {
		return pr.UserID
	}
	return ""
}

// apiErr wraps an API failure for the error hooks: the auth plugin words
// CopperX not answering (or busy) and an expired login once for every
// plugin; anything else becomes the kernel's apology.
func apiErr(op string, err error) error { return fmt.Errorf("payouts: %s: %w", op, err) }

// allowSubmit applies the submit limit; refused, it answers the tap with
// how long to wait and returns false.
func allowSubmit(c *kernel.Ctx) (bool, error) {
	ok, wait, err := c.Allow(LimitSubmit)
	if err != nil {
		return false, fmt.Errorf("payouts: rate limit: %w", err)
	}
	if !ok {
		c.Answer(c.T("payouts.slow_down", map[string]any{"wait": c.FormatDuration(wait)}), true)
	}
	return ok, nil
}

var _ kernel.Plugin = (*Payouts)(nil)
