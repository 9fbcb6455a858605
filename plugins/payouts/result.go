package payouts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// Confirm, the result, "Check again" and "Retry failed lines".

// confirmBatch submits the batch, exactly once: the summary is checked
// (confirm_ttl, the paying network for addresses), its one-time id is
// claimed with SetNX (a second tap, a redelivered update or another
// replica loses and is told what the first one did), the batch's record is
// written with every line pending before anything is sent, and the round
// is submitted (submit.go). The summary becomes the result.
func (p *Payouts) confirmBatch(c *kernel.Ctx, d *draft) (kernel.Move, error) {
	if len(c.Args()) != 1 || c.Args()[0] != d.Confirm.ID {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	if m, stop, err := p.checkSummary(c, d.Confirm, d.Lines, d.Wallet.Network); stop || err != nil {
		return m, err
	}
	if ok, err := allowSubmit(c); !ok || err != nil {
		return kernel.Stay, err
	}
	id := d.Confirm.ID
	won, err := p.st.SetNX(c, confirmKey(id), []byte(id), p.cfg.ResultTTL)
	if err != nil {
		return kernel.Stay, apiErr("claim the confirmation", err)
	}
	if !won {
		return kernel.Done, p.replay(c, id)
	}
	rec := &record{ID: id, UserID: c.UserID, Account: account(c), Currency: p.cfg.Currency, Purpose: d.Purpose,
		Network: d.Wallet.Network, Created: c.Now()}
	numbers := make([]int, 0, len(d.Lines))
	for _, l := range d.Lines {
		rec.Lines = append(rec.Lines, entry{line: l})
		numbers = append(numbers, l.N)
	}
	if err := claimLines(rec, numbers, round{Confirm: id, ShownAt: d.Confirm.ShownAt}); err != nil {
		return kernel.Stay, err
	}
	if err := p.createRecord(c, rec); err != nil {
		p.unclaim(c, id)
		return kernel.Stay, err
	}
	c.Answer(c.T("payouts.sending", nil), false)
	rec, err = p.submitRound(c, id, 0)
	return p.report(c, rec, err)
}

// checkSummary refuses a Confirm whose summary no longer holds: too old,
// or (with wallet addresses among the lines) a paying wallet — the
// network the addresses were checked for — changed since. stop is true
// when the Confirm ends there.
func (p *Payouts) checkSummary(c *kernel.Ctx, conf confirmation, lines []line, network string) (kernel.Move, bool, error) {
	if c.Now().Sub(conf.ShownAt) > p.cfg.ConfirmTTL {
		c.Answer(c.T("payouts.expired_short", nil), false)
		_, err := c.Show(c.T("payouts.expired", map[string]any{"valid": c.FormatDuration(p.cfg.ConfirmTTL)}), nil)
		return kernel.Done, true, err
	}
	if !hasWallet(lines) {
		return kernel.Stay, false, nil
	}
	w, err := p.api.DefaultWallet(c, token(c))
	if err != nil {
		return kernel.Stay, true, apiErr("default wallet", err)
	}
	if w.Network != network {
		c.Log.Info("default wallet changed since the summary; not sent", "was", network, "now", w.Network)
		_, err := c.Show(c.T("payouts.wallet_changed", map[string]any{"now": p.networkName(w.Network), "was": p.networkName(network)}), nil)
		return kernel.Done, true, err
	}
	return kernel.Stay, false, nil
}

// unclaim gives a confirmation id back when nothing was submitted (the
// store failed before the record was written), so Confirm works again.
func (p *Payouts) unclaim(c *kernel.Ctx, id string) {
	if err := p.st.Delete(context.WithoutCancel(c), confirmKey(id)); err != nil {
		c.Log.Warn("could not give the confirmation back", "err", err)
	}
}

// report turns the summary into the result. After a submit nothing asks
// to send again: a record that could not be written says to look at
// /history first; CopperX refusing the whole request says so per line
// (and a 401 goes on to the error hook: log in again).
func (p *Payouts) report(c *kernel.Ctx, rec *record, err error) (kernel.Move, error) {
	if rec == nil {
		c.Log.Error("batch outcome not recorded", "err", err)
		_, serr := c.Show(c.T("payouts.batch.unrecorded", nil), nil)
		if serr != nil {
			c.Log.Error("could not tell that the outcome was not recorded", "err", serr)
		}
		return kernel.Done, nil
	}
	text, kb := p.resultView(c, rec)
	if errors.Is(err, errNotChecked) {
		text += "\n\n" + c.T("payouts.batch.not_checked", nil)
	}
	msg, serr := c.Show(text, kb)
	if serr != nil {
		// Money may have moved: no apology. The result shows again with
		// "Check again", a repeated Confirm, or /history.
		c.Log.Error("batch result not delivered", "batch", rec.ID, "err", serr)
	} else if msg != rec.Message {
		p.moveResult(c, rec, msg, text)
	}
	if errors.Is(err, copperx.ErrUnauthorized) {
		return kernel.Done, err
	}
	return kernel.Done, nil
}

// moveResult makes msg the message showing the batch's result; the one
// that showed it before (a retry's result is a new message) shows the
// result as it is now too, without buttons, so no older result offers a
// retry of lines that were sent since.
func (p *Payouts) moveResult(c *kernel.Ctx, rec *record, msg int64, text string) {
	if old := rec.Message; old != 0 {
		if err := c.Edit(old, text, nil); err != nil {
			c.Log.Debug("could not update the earlier result", "err", err)
		}
	}
	_, err := p.updateRecord(context.WithoutCancel(c), rec.ID, func(r *record) (bool, error) {
		r.Message = msg
		return true, nil
	})
	if err != nil {
		c.Log.Warn("could not record where the result is shown", "err", err)
	}
}

// lateConfirm answers a tap on a button of a batch (or retry) flow that is
// no longer current: a second tap on a Confirm that went through is told
// what it did; anything else has expired.
func (p *Payouts) lateConfirm(c *kernel.Ctx, tap string, args []string) error {
	if tap != "confirm" || len(args) != 1 {
		return kernel.ErrStaleCallback
	}
	return p.replay(c, args[0])
}

// replay answers a Confirm whose id was used already, with an alert only
// (the chat shows the first Confirm's result): what became of the batch.
func (p *Payouts) replay(c *kernel.Ctx, id string) error {
	raw, _, err := p.st.Get(c, confirmKey(id), 0)
	if err != nil {
		return apiErr("read the confirmation", err)
	}
	if raw == nil { // never claimed: a summary nobody confirmed
		return kernel.ErrStaleCallback
	}
	rec, _, err := p.loadRecord(c, string(raw))
	if err != nil {
		return err
	}
	if rec == nil { // claimed, the record not written yet: another replica is at it
		c.Answer(c.T("payouts.replay_pending", nil), true)
		return nil
	}
	if !rec.sameUser(c) {
		return kernel.ErrStaleCallback
	}
	n := rec.count()
	c.Answer(c.T("payouts.replay", map[string]any{"sent": n[stateSent], "failed": n[stateRefused] + n[stateAbsent],
		"unknown": n[stateUnknown] + n[statePending]}), true)
	return nil
}

// resultView is a batch's result: a line per recipient with what became
// of it, and Retry failed lines (the refused and absent ones) and Check
// again (while some are not confirmed).
func (p *Payouts) resultView(c *kernel.Ctx, rec *record) (string, *kernel.Keyboard) {
	n := rec.count()
	sentSum, sum := decimal.Zero, decimal.Zero
	retry := 0
	var due time.Time
	for _, e := range rec.Lines {
		sum = sum.Add(e.Amount)
		if e.State == stateSent {
			sentSum = sentSum.Add(e.Amount)
		}
		if e.resendable() {
			retry++
		}
		if e.State == stateUnknown || e.State == statePending {
			rd := rec.Rounds[e.Round]
			started := rd.Started
			if started.IsZero() {
				started = rd.ShownAt
			}
			if at := started.Add(p.cfg.AbsentAfter); at.After(due) {
				due = at
			}
		}
	}
	unknown := n[stateUnknown] + n[statePending]
	head := c.T("payouts.result.title", map[string]any{"count": len(rec.Lines), "total": c.FormatAmount(sum), "currency": rec.Currency}) +
		"\n" + c.T("payouts.result.counts", map[string]any{"sent": n[stateSent], "sent_total": c.FormatAmount(sentSum),
		"failed": n[stateRefused] + n[stateAbsent], "unknown": unknown, "currency": rec.Currency})
	var footer []string
	if unknown > 0 {
		footer = append(footer, c.T("payouts.result.unknown_hint", map[string]any{"at": c.Format().FormatTime(due.UTC())}))
	}
	if retry > 0 {
		footer = append(footer, c.T("payouts.result.retry_hint", nil))
	}
	if unknown == 0 && retry == 0 {
		footer = append(footer, c.T("payouts.result.all_sent", nil))
	}
	rows := make([]string, len(rec.Lines))
	short := make([]string, 0, len(rec.Lines))
	for i, e := range rec.Lines {
		rows[i] = p.resultLine(c, rec, e)
		if e.State != stateSent {
			short = append(short, rows[i])
		}
	}
	text := fit(c, head, rows, short, strings.Join(footer, "\n"))
	kb := kernel.NewKeyboard()
	if retry > 0 {
		kb.Row(c.ButtonText(c.Plural("payouts.button.retry", retry, map[string]any{"n": retry}), "retry", rec.ID))
	}
	if unknown > 0 {
		kb.Row(c.Button("payouts.button.check", "check", rec.ID))
	}
	return text, kb
}

// resultLine is what became of one line.
func (p *Payouts) resultLine(c *kernel.Ctx, rec *record, e entry) string {
	data := map[string]any{"n": e.N, "to": e.label(), "amount": c.FormatAmount(e.Amount), "currency": rec.Currency}
	switch e.State {
	case stateSent:
		key := "payouts.result.sent"
		if e.Already {
			key = "payouts.result.already"
		}
		return c.T(key, data)
	case stateRefused:
		data["reason"] = i18n.HTML(p.reasonText(c, e.Reason, e.Detail))
		return c.T("payouts.result.refused", data)
	case stateAbsent:
		return c.T("payouts.result.absent", data)
	}
	return c.T("payouts.result.unknown", data)
}

// reasonText words a refusal: its kind, and what CopperX said.
func (p *Payouts) reasonText(c *kernel.Ctx, reason, detail string) string {
	switch reason {
	case "insufficient_balance", "kyc_required", "limit", "recipient", "validation", "unauthorized", "busy":
	default:
		reason = "unknown"
	}
	text := c.T("payouts.reason."+reason, nil)
	if detail != "" {
		text += " " + c.T("payouts.reason.said", map[string]any{"detail": detail})
	}
	return text
}

// batchFor loads the batch a button names, for its user: an expired
// record is told, another user's is stale.
func (p *Payouts) batchFor(c *kernel.Ctx) (*record, error) {
	if len(c.Args()) != 1 {
		return nil, kernel.ErrStaleCallback
	}
	rec, _, err := p.loadRecord(c, c.Args()[0])
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, kernel.Fail("payouts.batch.gone", map[string]any{"ttl": c.FormatDuration(p.cfg.ResultTTL)})
	}
	if !rec.sameUser(c) {
		return nil, kernel.ErrStaleCallback
	}
	return rec, nil
}

// refresh looks for the batch's unconfirmed lines in CopperX's listing
// (once) and shows the result as it then stands, in place.
func (p *Payouts) refresh(c *kernel.Ctx, rec *record) (*record, error) {
	if rec.hasUnknown(-1) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c), p.cfg.SubmitTimeout)
		defer cancel()
		now, err := p.reconcile(ctx, c, token(c), rec.ID, -1, true)
		if err != nil {
			return nil, err
		}
		if now != nil {
			rec = now
		}
	}
	text, kb := p.resultView(c, rec)
	if _, err := c.Show(text, kb); err != nil {
		return nil, err
	}
	return rec, nil
}

// checkAgain is "Check again": the unconfirmed lines are looked for in
// CopperX's listing, and the result shows what was found.
func (p *Payouts) checkAgain(c *kernel.Ctx) error {
	rec, err := p.batchFor(c)
	if err != nil {
		return err
	}
	before := rec.count()
	if rec, err = p.refresh(c, rec); err != nil {
		return err
	}
	after := rec.count()
	key := "payouts.check.same"
	if after[stateUnknown]+after[statePending] < before[stateUnknown]+before[statePending] {
		key = "payouts.check.changed"
	}
	c.Answer(c.T(key, nil), false)
	return nil
}

// retryDraft is the retry flow's data: the lines to send again, as the
// summary shows them.
type retryDraft struct {
	Batch string `json:"batch"`
	// Rounds is how many submits the batch had when the summary was
	// shown: another since makes this one stale.
	Rounds  int          `json:"rounds"`
	Lines   []int        `json:"lines"`
	Confirm confirmation `json:"confirm"`
}

func (p *Payouts) retryFlow() kernel.Flow[retryDraft] {
	return kernel.Flow[retryDraft]{Version: 1, Steps: []kernel.Step[retryDraft]{
		{Name: "confirm", Ask: p.retrySummary, Tap: kernel.Taps[retryDraft]{"confirm": p.confirmRetry}},
	}, Late: p.lateConfirm}
}

// offerRetry is "Retry failed lines": the result is brought up to date
// (unconfirmed lines looked for), then the lines to send again — refused,
// or absent from CopperX's listing — are shown with Confirm.
func (p *Payouts) offerRetry(c *kernel.Ctx) error {
	rec, err := p.batchFor(c)
	if err != nil {
		return err
	}
	if rec, err = p.refresh(c, rec); err != nil {
		return err
	}
	var lines []int
	for _, e := range rec.Lines {
		if e.resendable() {
			lines = append(lines, e.N)
		}
	}
	if len(lines) == 0 {
		c.Answer(c.T("payouts.retry.nothing", nil), true)
		return nil
	}
	return c.StartFlow("retry", retryDraft{Batch: rec.ID, Rounds: len(rec.Rounds), Lines: lines})
}

// retrySummary shows exactly the lines a retry sends, with what happened
// to each, the paying wallet, and Confirm.
func (p *Payouts) retrySummary(c *kernel.Ctx, d *retryDraft) error {
	rec, _, err := p.loadRecord(c, d.Batch)
	if err != nil {
		return err
	}
	if rec == nil {
		return kernel.Fail("payouts.batch.gone", map[string]any{"ttl": c.FormatDuration(p.cfg.ResultTTL)})
	}
	w, err := p.checker(c).paying()
	if err != nil {
		return err
	}
	d.Confirm = confirmation{ID: newID(), ShownAt: c.Now()}
	want := map[int]bool{}
	for _, n := range d.Lines {
		want[n] = true
	}
	var rows []string
	var lines []line
	for _, e := range rec.Lines {
		if want[e.N] {
			rows = append(rows, p.resultLine(c, rec, e))
			lines = append(lines, e.line)
		}
	}
	sum := total(lines)
	tail := c.T("payouts.retry.summary", map[string]any{
		"count": len(lines), "total": c.FormatAmount(sum), "currency": rec.Currency,
		"paying": i18n.HTML(p.payingLine(c, w)), "after": p.after(c, w, sum), "valid": c.FormatDuration(p.cfg.ConfirmTTL),
	})
	text := fit(c, c.T("payouts.retry.title", nil), rows, rows, tail)
	kb := kernel.NewKeyboard().
		Row(c.TapText(c.Plural("payouts.button.confirm_retry", len(lines), map[string]any{"n": len(lines)}), "confirm", d.Confirm.ID)).
		Row(c.CancelButton())
	_, err = c.Prompt(text, kb)
	return err
}

// confirmRetry sends the retry's lines again, exactly once: its id is
// claimed with SetNX, then the lines are claimed in the record with
// CompareAndSwap — only if the batch had no other submit since the
// summary and each line is still refused or absent — with new request
// ids, and the round is submitted (submit.go).
func (p *Payouts) confirmRetry(c *kernel.Ctx, d *retryDraft) (kernel.Move, error) {
	if len(c.Args()) != 1 || c.Args()[0] != d.Confirm.ID {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	rec, _, err := p.loadRecord(c, d.Batch)
	if err != nil {
		return kernel.Stay, err
	}
	if rec == nil {
		return kernel.Done, kernel.Fail("payouts.batch.gone", map[string]any{"ttl": c.FormatDuration(p.cfg.ResultTTL)})
	}
	var lines []line
	for _, e := range rec.Lines {
		for _, n := range d.Lines {
			if e.N == n {
				lines = append(lines, e.line)
			}
		}
	}
	if m, stop, err := p.checkSummary(c, d.Confirm, lines, rec.Network); stop || err != nil {
		return m, err
	}
	if ok, err := allowSubmit(c); !ok || err != nil {
		return kernel.Stay, err
	}
	id := d.Confirm.ID
	won, err := p.st.SetNX(c, confirmKey(id), []byte(d.Batch), p.cfg.ResultTTL)
	if err != nil {
		return kernel.Stay, apiErr("claim the confirmation", err)
	}
	if !won {
		return kernel.Done, p.replay(c, id)
	}
	rec, err = p.updateRecord(c, d.Batch, func(r *record) (bool, error) {
		if !r.sameUser(c) {
			return false, kernel.ErrStaleCallback
		}
		if len(r.Rounds) != d.Rounds {
			return false, errBatchChanged
		}
		return true, claimLines(r, d.Lines, round{Confirm: id, ShownAt: d.Confirm.ShownAt})
	})
	if errors.Is(err, errBatchChanged) {
		c.Log.Info("a retry's batch changed since its summary; nothing sent")
		if rec, _, err = p.loadRecord(c, d.Batch); err != nil || rec == nil { // as stored, not as the refused change left it
			return kernel.Done, errors.Join(errBatchChanged, err)
		}
		text, kb := p.resultView(c, rec)
		_, serr := c.Show(c.T("payouts.retry.changed", nil)+"\n\n"+text, kb)
		return kernel.Done, serr
	}
	if err != nil {
		return kernel.Stay, err
	}
	c.Answer(c.T("payouts.sending", nil), false)
	rec, err = p.submitRound(c, d.Batch, len(rec.Rounds)-1)
	return p.report(c, rec, err)
}
