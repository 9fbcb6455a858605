package transfer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// confirm submits the summarized movement exactly once:
//
//   - check: the summary is still valid (confirm_ttl, the quote, the default
//     wallet) — a refusal here leaves the confirmation id unused;
//   - claim: the summary's one-time id is consumed with SetNX in the shared
//     store; a second tap, a redelivered update or another replica loses
//     and is told the first's outcome; the claimer takes the outcome's
//     lease (no tracker touches it meanwhile), records the outcome as
//     pending and puts it in the tracking index before anything is sent, so
//     a crash mid-submit is followed up too;
//   - second line of defence: the newest transfers are listed; one identical
//     to the movement (same kind, recipient and amount) created since the
//     summary was shown is this movement already made (a confirm claim the
//     store lost): it becomes the outcome and nothing is submitted;
//   - submit, within submit_timeout of its own: a lost answer, a 5xx or an
//     unreadable one is reconciled against the transfers that are new since
//     that listing; not found, the outcome is unknown — never "not sent" —
//     and the tracker keeps looking;
//   - report: the outcome is recorded and the summary becomes the receipt in
//     place; a receipt that cannot be delivered is left to the tracker.
func (t *Transfer) confirm(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if len(c.Args()) != 1 || c.Args()[0] != mv.Confirmation.ID {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	if t.needsRetype(mv) { // the summary is reached only past it; never skip it
		return kernel.Next("retype"), nil
	}
	if m, stop, err := t.check(c, mv); stop || err != nil {
		return m, err
	}
	id := mv.Confirmation.ID
	if mv.Request != "" {
		// A payment request is paid once: this Confirm claims it first.
		reason, r, err := t.claimRequest(c, mv)
		if err != nil {
			return kernel.Stay, err
		}
		if reason != "" {
			c.Log.Info("payment request not claimed; not sent", "reason", reason)
			_, err := c.Show(c.T("transfer.request."+reason, t.requestData(c, r))+"\n"+c.T("transfer.request.not_sent", nil), nil)
			return kernel.Done, err
		}
	}
	won, err := t.st.SetNX(c, confirmKey(id), []byte(strconv.FormatInt(c.UserID, 10)), t.cfg.ResultTTL)
	if err != nil {
		t.releaseRequest(c, mv)
		return kernel.Stay, fmt.Errorf("consume confirmation: %w", err)
	}
	if !won {
		return kernel.Done, t.replay(c, id)
	}
	hold, err := t.takeLease(c, id)
	if err == nil && hold == nil {
		err = errors.New("another holds the lease of a confirmation just claimed")
	}
	if err != nil {
		t.unclaim(c, id)
		t.releaseRequest(c, mv)
		return kernel.Stay, fmt.Errorf("lease before the submit: %w", err)
	}
	defer hold.release()
	now := c.Now()
	o := outcome{UserID: c.UserID, Account: account(c), State: statePending, Kind: mv.Kind, To: mv.To, Amount: mv.Amount.String(),
		PayeeID: mv.PayeeID, BankAccountID: mv.AccountID, Label: t.recipientLabel(mv), Chat: c.ChatID, Receipt: c.MessageID(),
		Lang: c.Lang, ShownAt: mv.Confirmation.ShownAt, Started: now, Until: now.Add(t.cfg.TrackFor), Request: mv.Request}
	if err := t.saveOutcome(c, id, o); err != nil {
		t.unclaim(c, id)
		t.releaseRequest(c, mv)
		return kernel.Stay, err
	}
	if err := t.schedule(c, id, c.UserID, now.Add(firstCheck)); err != nil {
		c.Log.Warn("could not index the outcome for tracking", "err", err)
	}
	c.Answer(c.T("transfer.confirm.sending", nil), false)

	// The submit's own budget: what the update's handler_timeout left does
	// not matter once money may move.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c), t.cfg.SubmitTimeout)
	defer cancel()
	tok := token(c)
	list, err := t.newest(ctx, tok, mv.Kind)
	if err != nil {
		c.Log.Warn("listing before the submit failed; reconciliation will be strict", "err", err)
	} else {
		o.Before, o.Listed = transferIDs(list), true
		if tr := matchTransfer(list, mv, mv.Confirmation.ShownAt.Add(-clockAllowance), nil); tr != nil {
			c.Log.Warn("an identical transfer was made since the summary was shown; not submitting", "kind", mv.Kind, "transfer", tr.ID)
			c.Irreversible()
			o.Already = true
			return t.report(c, mv, id, o, tr, nil)
		}
		if err := t.saveOutcome(c, id, o); err != nil {
			c.Log.Warn("could not record the listing before the submit", "err", err)
		}
	}
	o.Started = c.Now()
	tr, err := t.submit(ctx, tok, mv)
	if err == nil || uncertain(err) {
		c.Irreversible()
	}
	if err != nil && uncertain(err) {
		c.Log.Warn("submit answer lost or failed; reconciling", "kind", mv.Kind, "err", err)
		found, rerr := t.reconcile(ctx, c, tok, mv, o.Started, o.before())
		if rerr != nil {
			c.Log.Error("reconcile failed", "err", rerr)
		}
		if found == nil {
			o.State, o.ServerError = stateUnknown, serverError(err)
			t.metrics.submit(submitUnknown)
			return t.report(c, mv, id, o, nil, err)
		}
		tr, err = found, nil
	}
	if err != nil {
		t.metrics.submit(submitRefused)
	} else {
		t.metrics.submit(submitSent)
	}
	return t.report(c, mv, id, o, tr, err)
}

// reportTimeout bounds recording and showing an outcome after the submit.
const reportTimeout = 15 * time.Second

// unclaim gives a confirmation id back when nothing was submitted (the
// store failed before the submit), so Confirm can be tapped again.
func (t *Transfer) unclaim(c *kernel.Ctx, id string) {
	if err := t.st.Delete(context.WithoutCancel(c), confirmKey(id)); err != nil {
		c.Log.Warn("could not give the confirmation back", "err", err)
	}
}

// check refuses a Confirm whose summary no longer holds: too old, a quote
// that expired (a new one is shown instead), or a default wallet — the
// network a wallet send is paid on — changed since the address was
// checked. stop is true when the Confirm ends there.
func (t *Transfer) check(c *kernel.Ctx, mv *movement) (kernel.Move, bool, error) {
	if c.Now().Sub(mv.Confirmation.ShownAt) > t.cfg.ConfirmTTL {
		c.Answer(c.T("transfer.confirm.expired_short", nil), false)
		_, err := c.Show(c.T("transfer.confirm.expired", map[string]any{"valid": c.FormatDuration(t.cfg.ConfirmTTL)}), nil)
		return kernel.Done, true, err
	}
	if mv.Kind == kindBank && mv.Quote.expired(c.Now()) {
		m, err := t.renewQuote(c, mv, "confirm", "transfer.quote.expired_renewed", true)
		return m, true, err
	}
	if mv.Kind == kindWallet {
		w, err := t.api.DefaultWallet(c, token(c))
		if err != nil {
			return kernel.Stay, true, fmt.Errorf("default wallet before submit: %w", err)
		}
		if w.Network != mv.Network {
			now, _ := t.nets.Lookup(w.Network)
			was, _ := t.nets.Lookup(mv.Network)
			c.Log.Info("default wallet changed since the summary; not sent", "was", mv.Network, "now", w.Network)
			_, err := c.Show(c.T("transfer.confirm.wallet_changed", map[string]any{"now": now.Name, "was": was.Name}), nil)
			return kernel.Done, true, err
		}
	}
	// The daily limit again: another transfer may have been made since the
	// summary was shown.
	var ue *kernel.UserError
	err := t.checkDailyLimit(c, mv.Amount)
	switch {
	case errors.As(err, &ue) && ue.Key == limitUnavailable:
		// The summary stays: Confirm can be tapped again.
		c.Answer(c.T(ue.Key, ue.Data), true)
		return kernel.Stay, true, nil
	case errors.As(err, &ue):
		c.Log.Info("daily limit reached since the summary; not sent")
		_, err := c.Show(c.T("transfer.limits.over_confirm", ue.Data), nil)
		return kernel.Done, true, err
	case err != nil:
		return kernel.Stay, true, err
	}
	return kernel.Stay, false, nil
}

// submit makes the API call of the movement.
func (t *Transfer) submit(ctx context.Context, tok copperx.Token, mv *movement) (*copperx.Transfer, error) {
	switch mv.Kind {
	case kindEmail:
		return t.api.Send(ctx, tok, copperx.SendRequest{Email: mv.To, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindPayee:
		return t.api.Send(ctx, tok, copperx.SendRequest{PayeeID: mv.PayeeID, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindWallet:
		return t.api.WalletWithdraw(ctx, tok, copperx.WithdrawRequest{WalletAddress: mv.To, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindBank:
		if mv.Quote == nil {
			return nil, errors.New("submit bank: no quote")
		}
		return t.api.Offramp(ctx, tok, copperx.OfframpRequest{QuotePayload: mv.Quote.Payload, QuoteSignature: mv.Quote.Signature,
			PurposeCode: mv.Purpose, SourceOfFunds: mv.Source, RecipientRelationship: "self"})
	}
	return nil, fmt.Errorf("submit: unknown movement kind %q", mv.Kind)
}

// report records the outcome under the confirmation id and turns the
// summary into the receipt (tr: the transfer made), into "not known yet"
// (o.State unknown), or into the reason nothing was sent (err, a
// refusal). It never asks to try again after money may have moved, and a
// receipt it cannot deliver is delivered by the tracker later.
func (t *Transfer) report(c *kernel.Ctx, mv *movement, id string, o outcome, tr *copperx.Transfer, err error) (kernel.Move, error) {
	// The submit may have outlived the update's deadline: what it learnt is
	// recorded all the same.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c), reportTimeout)
	defer cancel()
	switch {
	case tr != nil:
		o.State, o.TransferID, o.Status, o.Fee = stateSent, tr.ID, tr.Status, tr.TotalFee.String()
		o.OfferPayee = mv.Kind == kindEmail && !o.Already && t.isNewPayee(c, mv.To)
		if err := t.st.Set(ctx, transferKey(tr.ID), []byte(id), t.cfg.ResultTTL); err != nil {
			c.Log.Warn("could not index the transfer for tracking", "err", err)
		}
		c.Log.Info("transfer submitted", "kind", mv.Kind, "transfer", tr.ID, "status", tr.Status, "already", o.Already)
	case o.State == stateUnknown:
		c.Log.Warn("transfer outcome unknown; the tracker follows it", "kind", mv.Kind)
	default:
		o.State = stateFailed
		o.Reason, o.Detail = refusalOf(err)
	}
	o.Shown = false
	if serr := t.saveOutcome(ctx, id, o); serr != nil {
		c.Log.Error("outcome not recorded", "state", o.State, "err", serr)
	}
	t.settleRequest(ctx, id, &o)
	if o.State == stateFailed {
		t.forget(ctx, id, "")
		m, rerr := t.refused(c, mv, &o, err)
		if serr := t.saveOutcome(ctx, id, o); serr != nil {
			c.Log.Warn("could not record that the refusal was shown", "err", serr)
		}
		return m, rerr
	}
	text, kb := t.receiptOf(c, id, &o, o.OfferPayee)
	msg, serr := c.Show(text, kb)
	if serr != nil {
		// Money may have moved: no apology, no "try again". The outcome is
		// kept; the tracker edits the summary (or sends the receipt) later.
		c.Log.Error("receipt not delivered; the tracker delivers it", "transfer", o.TransferID, "state", o.State, "err", serr)
	} else {
		o.Receipt, o.Shown = msg, true
		if serr := t.saveOutcome(ctx, id, o); serr != nil {
			c.Log.Warn("could not record that the receipt was shown", "err", serr)
		}
	}
	if o.followed() {
		if err := t.schedule(ctx, id, o.UserID, c.Now().Add(firstCheck)); err != nil {
			c.Log.Warn("could not schedule tracking", "err", err)
		}
	} else {
		t.forget(ctx, id, o.TransferID)
	}
	return kernel.Done, nil
}

// late answers a tap on a button of a send or withdraw flow that is no
// longer current: a second tap on a Confirm that went through (or is going
// through) is told the first one's outcome; anything else has expired.
func (t *Transfer) late(c *kernel.Ctx, tap string, args []string) error {
	if tap != "confirm" || len(args) != 1 {
		return kernel.ErrStaleCallback
	}
	return t.replay(c, args[0])
}

// replay answers a Confirm whose id was used already, with a notice only
// (the chat already shows the first Confirm's receipt, and gets no new
// message). An outcome still unknown or in progress is checked with
// CopperX first; what the check finds edits the receipt and is what the
// notice says.
func (t *Transfer) replay(c *kernel.Ctx, id string) error {
	o, err := t.loadOutcome(c, id)
	if err != nil {
		return err
	}
	if o == nil {
		// Claimed, but the outcome is not recorded yet (another replica is
		// submitting right now), or it is older than result_ttl.
		claimed, _, err := t.st.Get(c, confirmKey(id), 0)
		if err != nil {
			return err
		}
		if claimed == nil { // never claimed: a summary nobody confirmed
			return kernel.ErrStaleCallback
		}
		o = &outcome{UserID: c.UserID, Account: account(c), State: statePending}
	} else if o.sameUser(c) && o.followed() {
		// nil: another replica (or the submit itself) holds it right now.
		if now, err := t.follow(c, id, "", true); err != nil {
			c.Log.Warn("re-check on a repeated Confirm failed", "err", err)
		} else if now != nil {
			o = now
		}
	}
	if !o.sameUser(c) {
		return kernel.ErrStaleCallback
	}
	key := "transfer.confirm.replay_pending"
	switch o.State {
	case stateSent:
		key = "transfer.confirm.replay_sent"
		if newsFor(o.Status) != "" {
			key = "transfer.confirm.replay_ended"
		}
	case stateFailed:
		key = "transfer.confirm.replay_failed"
	case stateUnknown:
		key = "transfer.confirm.replay_unknown"
	}
	c.Answer(c.T(key, map[string]any{"id": o.TransferID, "status": t.statusLabel(c, o.Status)}), true)
	return nil
}
