package payouts

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// Submitting a round of a batch — the lines its Confirm claimed, marked
// pending in the record with new request ids — exactly once:
//
//   - second line of defence: the newest sends are listed first; a line
//     identical to a transfer made since its summary was shown (same
//     recipient and amount) is that payout already made (a claim the
//     store lost): it becomes sent, and is not submitted. The ids listed
//     are remembered: they existed before the submit, so no line can be
//     one of them;
//   - submit: one POST /api/transfers/send-batch with the other lines, in
//     a context of its own (submit_timeout), c.Irreversible() as soon as
//     it returns anything but a 4xx for the whole request;
//   - answers, per line: a transfer → sent; a 4xx for the line → refused;
//     a 5xx for the line, a line missing from the answer, or no answer at
//     all (a lost connection, a 5xx, an unreadable body) → unknown, and
//     the newest sends are listed up to reconcile_attempts times: a
//     transfer to the same recipient for the same amount, not listed
//     before the submit and created since it started (minus
//     reconcile_skew), each transfer taken by one line at most, makes the
//     line sent;
//   - every step is written to the record (CompareAndSwap) before the
//     next, so a crash leaves pending lines that a later check treats as
//     unknown.
//
// An unknown line is never sent again until a listing made absent_after
// after its submit — reaching back to before it — still does not show it
// (reconcile, from "Check again" or "Retry failed lines"): only then is it
// absent, and resendable.

// clockAllowance is how much earlier than a summary CopperX may date a
// transfer made after it (the clocks differ a little).
const clockAllowance = 5 * time.Second

// submitGrace: a round whose submit started longer than submit_timeout +
// this ago and never recorded its answer lost its submitter.
const submitGrace = 30 * time.Second

// listPages bounds the pages (of listLimit) a reconciliation reads.
const (
	listPages = 5
	listLimit = 100
)

// uncertain reports a submit failure after which the transfers may exist:
// anything but a 4xx refusal (no answer, a 5xx, an unreadable 2xx).
func uncertain(err error) bool {
	var apiErr *copperx.Error
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500
	}
	return !errors.Is(err, copperx.ErrUnauthorized)
}

// sends lists the newest sends, page by page, until one reaches back
// before since (or there are no more, or listPages were read): complete
// reports whether it reached back that far.
func (p *Payouts) sends(ctx context.Context, tok copperx.Token, since time.Time) (list []copperx.Transfer, complete bool, err error) {
	for page := 1; page <= listPages; page++ {
		res, err := p.api.Transfers(ctx, tok, copperx.TransferQuery{Page: page, Limit: listLimit, Types: []string{"send"}})
		if err != nil {
			return nil, false, apiErr("list transfers", err)
		}
		list = append(list, res.Data...)
		if len(res.Data) == 0 || !res.HasMore || res.Data[len(res.Data)-1].CreatedAt.Before(since) {
			return list, true, nil
		}
	}
	return list, false, nil
}

// matches reports whether transfer tr pays line l: the same amount (the
// transfer's, or its subtotal: the API's amount may include the fee) to
// the same recipient.
func matches(tr *copperx.Transfer, l line) bool {
	if !tr.Amount.Equal(l.Amount) && !tr.AmountSubtotal.Equal(l.Amount) {
		return false
	}
	d := tr.DestinationAccount
	if d == nil {
		return false
	}
	switch l.Kind {
	case kindEmail:
		return strings.EqualFold(d.PayeeEmail, l.To)
	case kindPayee:
		return l.PayeeID != "" && d.PayeeID == l.PayeeID || strings.EqualFold(d.PayeeEmail, l.To)
	case kindWallet:
		return strings.EqualFold(d.WalletAddress, l.To)
	}
	return false
}

// taken are the transfer ids the record's sent lines already stand for.
func taken(r *record) map[string]bool {
	ids := map[string]bool{}
	for _, e := range r.Lines {
		if e.TransferID != "" {
			ids[e.TransferID] = true
		}
	}
	return ids
}

// find is the transfer of list that pays line l: created since since, not
// excluded, not taken by another line (it is taken now).
func find(list []copperx.Transfer, l line, since time.Time, excluded, used map[string]bool) *copperx.Transfer {
	for i := range list {
		tr := &list[i]
		if excluded[tr.ID] || used[tr.ID] || tr.CreatedAt.Before(since) || !matches(tr, l) {
			continue
		}
		used[tr.ID] = true
		return tr
	}
	return nil
}

// submitRound submits round idx of batch id (its lines are pending) and
// records what became of each line; it returns the record as it then
// stands. err is the whole request's refusal when CopperX refused it
// (a 401 among them, for the error hook), or a store failure.
func (p *Payouts) submitRound(c *kernel.Ctx, id string, idx int) (*record, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c), p.cfg.SubmitTimeout)
	defer cancel()
	tok := token(c)
	rec, _, err := p.loadRecord(ctx, id)
	if err != nil || rec == nil {
		return nil, errors.Join(errors.New("payouts: submit: no record"), err)
	}
	// Second line of defence: the first round looks for transfers made
	// since its summary; a retry, since the batch's first submit (minus
	// the skew, the ids listed before it excluded): a line resent must not
	// be paid already, however late CopperX made it.
	since, excluded := rec.Rounds[idx].ShownAt.Add(-clockAllowance), map[string]bool{}
	if idx > 0 {
		first := rec.Rounds[0]
		if s := p.since(first); s.Before(since) {
			since = s
		}
		if first.Listed {
			for _, id := range first.Before {
				excluded[id] = true
			}
		}
	}
	list, complete, lerr := p.sends(ctx, tok, since)
	if idx > 0 && (lerr != nil || !complete) {
		c.Log.Warn("no complete listing before resending batch lines; not resending", "err", lerr)
		return p.abortRound(ctx, id, idx)
	}
	if lerr != nil {
		c.Log.Warn("listing before the batch submit failed; reconciliation will be strict", "err", lerr)
	}
	now := c.Now()
	rec, err = p.updateRecord(ctx, id, func(r *record) (bool, error) {
		rd := &r.Rounds[idx]
		rd.Started = now
		if lerr == nil {
			rd.Listed, rd.Before = true, make([]string, 0, len(list))
			for _, tr := range list {
				rd.Before = append(rd.Before, tr.ID)
			}
			used := taken(r)
			for i := range r.Lines {
				e := &r.Lines[i]
				if e.State != statePending || e.Round != idx {
					continue
				}
				if tr := find(list, e.line, since, excluded, used); tr != nil {
					c.Log.Warn("a batch line was made since its summary was shown; not sending it again", "line", e.N, "transfer", tr.ID)
					e.State, e.TransferID, e.Status, e.Already = stateSent, tr.ID, tr.Status, true
					e.Reason, e.Detail = "", ""
					p.metrics.lines.WithLabelValues(lineAlready).Inc()
				}
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}

	var items []copperx.BatchSendItem
	for _, e := range rec.Lines {
		if e.State == statePending && e.Round == idx {
			items = append(items, copperx.BatchSendItem{RequestID: e.RequestID, Request: p.sendRequest(rec, e.line)})
		}
	}
	var results []copperx.BatchSendResult
	var sendErr error
	if len(items) > 0 {
		results, sendErr = p.api.SendBatch(ctx, tok, items)
		if sendErr == nil || uncertain(sendErr) {
			c.Irreversible()
		}
		if sendErr != nil {
			c.Log.Warn("send-batch failed", "lines", len(items), "uncertain", uncertain(sendErr), "err", sendErr)
		}
	}
	byID := map[string]copperx.BatchSendResult{}
	for _, res := range results {
		byID[res.RequestID] = res
	}
	rec, err = p.updateRecord(ctx, id, func(r *record) (bool, error) {
		for i := range r.Lines {
			e := &r.Lines[i]
			if e.State != statePending || e.Round != idx {
				continue
			}
			e.Reason, e.Detail = "", ""
			switch res, ok := byID[e.RequestID]; {
			case sendErr != nil && !uncertain(sendErr):
				e.State = stateRefused
				e.Reason, e.Detail = refusal(sendErr)
			case sendErr != nil || !ok:
				e.State = stateUnknown
			case res.Response != nil && res.Error == nil:
				e.State, e.TransferID, e.Status = stateSent, res.Response.ID, res.Response.Status
				e.Reason, e.Detail = "", ""
			case res.Error != nil && res.Error.StatusCode >= 400 && res.Error.StatusCode < 500:
				e.State = stateRefused
				e.Reason, e.Detail = refusal(res.Err())
			default: // a 5xx for the line, or an answer without either
				e.State = stateUnknown
			}
		}
		return true, nil
	})
	if err != nil {
		c.Log.Error("batch answers not recorded; the lines stay pending and are checked later", "err", err)
		return nil, err
	}
	if rec.hasUnknown(idx) {
		if _, err := p.reconcile(ctx, c, tok, id, idx, false); err != nil {
			c.Log.Warn("reconciling a batch failed; the lines stay unknown", "err", err)
		}
	}
	// What the reconciliation wrote, and the round done (a failure here
	// leaves the round's unknown lines to a later check).
	rec, err = p.updateRecord(ctx, id, func(r *record) (bool, error) {
		r.Rounds[idx].Done = true
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	p.count(rec, idx)
	if sendErr != nil && !uncertain(sendErr) {
		return rec, sendErr
	}
	return rec, nil
}

// errNotChecked: a retry could not read CopperX's listing in full before
// resending, so it resent nothing.
var errNotChecked = errors.New("payouts: could not check CopperX's listing before resending")

// abortRound undoes round idx before anything was submitted: its lines go
// back to what they were (refused or absent), and the round is done.
func (p *Payouts) abortRound(ctx context.Context, id string, idx int) (*record, error) {
	rec, err := p.updateRecord(ctx, id, func(r *record) (bool, error) {
		for i := range r.Lines {
			e := &r.Lines[i]
			if e.State == statePending && e.Round == idx {
				e.State = e.Was
			}
		}
		r.Rounds[idx].Done, r.Rounds[idx].Aborted = true, true
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return rec, errNotChecked
}

// hasUnknown reports lines of round idx (any round when idx < 0) whose
// fate is not known.
func (r *record) hasUnknown(idx int) bool {
	for _, e := range r.Lines {
		if (e.State == stateUnknown || e.State == statePending) && (idx < 0 || e.Round == idx) {
			return true
		}
	}
	return false
}

// count adds round idx's outcome to the metrics.
func (p *Payouts) count(r *record, idx int) {
	n := map[string]int{}
	for _, e := range r.Lines {
		if e.Round != idx || e.Already {
			continue
		}
		switch e.State {
		case stateSent:
			n[lineSent]++
		case stateRefused:
			n[lineRefused]++
		default:
			n[lineUnknown]++
		}
	}
	for o, k := range n {
		p.metrics.lines.WithLabelValues(o).Add(float64(k))
	}
	outcome := batchSent
	switch {
	case n[lineUnknown] > 0:
		outcome = batchUnknown
	case n[lineRefused] > 0 && n[lineSent] == 0:
		outcome = batchRefused
	case n[lineRefused] > 0:
		outcome = batchPartial
	}
	p.metrics.batches.WithLabelValues(outcome).Inc()
}

// sendRequest is the send a line stands for.
func (p *Payouts) sendRequest(r *record, l line) copperx.SendRequest {
	req := copperx.SendRequest{Amount: l.Amount, PurposeCode: r.Purpose, Currency: r.Currency}
	switch l.Kind {
	case kindPayee:
		req.PayeeID = l.PayeeID
	case kindWallet:
		req.WalletAddress = l.To
	default:
		req.Email = l.To
	}
	return req
}

// maxDetail bounds CopperX's words kept with a refusal.
const maxDetail = 200

// refusal is a refusal's reason and CopperX's words (scrubbed of secrets
// by the client; empty when it said nothing but the status).
func refusal(err error) (reason, detail string) {
	var apiErr *copperx.Error
	if !errors.As(err, &apiErr) {
		return string(copperx.ReasonUnknown), ""
	}
	reason = string(apiErr.Reason())
	switch apiErr.Status {
	case http.StatusUnauthorized:
		reason = "unauthorized"
	case http.StatusTooManyRequests:
		reason = "busy"
	}
	var parts []string
	for _, d := range apiErr.Details() {
		parts = append(parts, d.Message)
	}
	detail = strings.Join(parts, "; ")
	if detail == "" && apiErr.Message != http.StatusText(apiErr.Status) {
		detail = apiErr.Message
	}
	return reason, shortenTo(detail, maxDetail)
}

// shortenTo cuts s to n characters.
func shortenTo(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// reconcile looks for the unknown lines of round idx (every round when idx
// < 0; pending lines whose submitter died count as unknown) among the
// newest sends, up to reconcile_attempts times when retry is false... or
// once when it is a later check; a line not found in a listing made
// absent_after after its round started, reaching back before it, becomes
// absent. It returns the record as it then stands.
func (p *Payouts) reconcile(ctx context.Context, c *kernel.Ctx, tok copperx.Token, id string, idx int, later bool) (*record, error) {
	attempts := p.cfg.ReconcileAttempts
	if later {
		attempts = 1
	}
	var rec *record
	var lastErr error
	for attempt := range attempts {
		if attempt > 0 {
			if err := sleep(ctx, p.cfg.ReconcileInterval); err != nil {
				return rec, err
			}
		}
		r, _, err := p.loadRecord(ctx, id)
		if err != nil || r == nil {
			return rec, errors.Join(errors.New("payouts: reconcile: no record"), err)
		}
		rec = r
		now := c.Now()
		oldest, ok := p.oldestOpen(r, idx, now)
		if !ok {
			return r, nil
		}
		list, complete, err := p.sends(ctx, tok, oldest)
		if err != nil {
			lastErr = err
			c.Log.Warn("reconcile listing failed", "attempt", attempt+1, "err", err)
			continue
		}
		rec, err = p.updateRecord(ctx, id, func(r *record) (bool, error) {
			return p.settle(r, idx, list, complete, now), nil
		})
		if err != nil {
			return rec, err
		}
		if !rec.hasUnknown(idx) {
			return rec, nil
		}
	}
	return rec, lastErr
}

// open reports a line whose fate reconciliation looks for: unknown, or
// pending in a round whose submitter died.
func (p *Payouts) open(r *record, e *entry, idx int, now time.Time) bool {
	if idx >= 0 && e.Round != idx {
		return false
	}
	switch e.State {
	case stateUnknown:
		return true
	case statePending:
		rd := r.Rounds[e.Round]
		started := rd.Started
		if started.IsZero() {
			started = rd.ShownAt
		}
		return !rd.Done && now.Sub(started) > p.cfg.SubmitTimeout+submitGrace
	}
	return false
}

// oldestOpen is how far back a listing must reach for the open lines
// (their rounds' start, minus reconcile_skew); false when none is open.
func (p *Payouts) oldestOpen(r *record, idx int, now time.Time) (time.Time, bool) {
	var oldest time.Time
	found := false
	for i := range r.Lines {
		e := &r.Lines[i]
		if !p.open(r, e, idx, now) {
			continue
		}
		since := p.since(r.Rounds[e.Round])
		if !found || since.Before(oldest) {
			oldest, found = since, true
		}
	}
	return oldest, found
}

// since is the earliest creation time a round's transfers can have: its
// start, minus reconcile_skew when the ids listed before it are known (so
// an older transfer cannot be taken for one of its lines anyway).
func (p *Payouts) since(rd round) time.Time {
	started := rd.Started
	if started.IsZero() {
		started = rd.ShownAt
	}
	if rd.Listed {
		return started.Add(-p.cfg.ReconcileSkew)
	}
	return started
}

// settle applies a listing to the open lines of r: found → sent; not
// found, in a complete listing made absent_after after the round started
// → absent. It reports whether it changed anything.
func (p *Payouts) settle(r *record, idx int, list []copperx.Transfer, complete bool, now time.Time) bool {
	used := taken(r)
	changed := false
	for i := range r.Lines {
		e := &r.Lines[i]
		if !p.open(r, e, idx, now) {
			continue
		}
		rd := r.Rounds[e.Round]
		before := map[string]bool{}
		if rd.Listed {
			for _, id := range rd.Before {
				before[id] = true
			}
		}
		if tr := find(list, e.line, p.since(rd), before, used); tr != nil {
			e.State, e.TransferID, e.Status = stateSent, tr.ID, tr.Status
			e.Reason, e.Detail = "", ""
			changed = true
			continue
		}
		started := rd.Started
		if started.IsZero() {
			started = rd.ShownAt
		}
		if complete && now.Sub(started) >= p.cfg.AbsentAfter {
			e.State = stateAbsent
			changed = true
		} else if e.State == statePending {
			e.State = stateUnknown
			changed = true
		}
	}
	return changed
}

// sleep waits d, or less if ctx ends first (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
