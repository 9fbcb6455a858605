package transfer

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// confirm submits the summarized movement exactly once, in three phases:
//
//   - check: the summary is still valid (confirm_ttl, the quote, the default
//     wallet) — a refusal here leaves the confirmation id unused;
//   - claim: the summary's one-time id is consumed with SetNX in the shared
//     store; a second tap, a redelivered update or another replica loses
//     and is told the first's outcome; the outcome is recorded as pending
//     under the id before anything is sent;
//   - submit and report: the newest transfers are listed first, so a lost
//     answer is reconciled against what is new instead of being sent again;
//     the summary becomes the receipt (or the reason nothing was sent).
func (t *Transfer) confirm(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	if len(c.Args()) != 1 || c.Args()[0] != mv.Confirmation.ID {
		return kernel.Stay, kernel.ErrStaleCallback
	}
	if m, stop, err := t.check(c, mv); stop || err != nil {
		return m, err
	}
	id := mv.Confirmation.ID
	won, err := t.st.SetNX(c, confirmKey(id), []byte(strconv.FormatInt(c.UserID, 10)), t.cfg.ResultTTL)
	if err != nil {
		return kernel.Stay, fmt.Errorf("consume confirmation: %w", err)
	}
	if !won {
		return kernel.Done, t.replay(c, id)
	}
	o := outcome{UserID: c.UserID, Account: account(c), State: statePending, Kind: mv.Kind, To: mv.To, Amount: mv.Amount.String()}
	if err := t.saveOutcome(c, id, o); err != nil {
		return kernel.Stay, err
	}
	c.Answer(c.T("transfer.confirm.sending", nil), false)
	tr, err := t.submitOnce(c, mv)
	return t.report(c, mv, id, o, tr, err)
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
	return kernel.Stay, false, nil
}

// submitOnce makes the movement's API call, reconciling a lost or 5xx
// answer against the transfers listed just before: found, it is the
// answer; not found after a 5xx, it is errNotSent; not known either way,
// errUnknown (wrapping the submit's error).
func (t *Transfer) submitOnce(c *kernel.Ctx, mv *movement) (*copperx.Transfer, error) {
	// The newest transfers of the kind before the submit: reconciliation
	// must never take one of them for the one about to be made.
	before, berr := t.listIDs(c, mv)
	if berr != nil {
		c.Log.Warn("listing before the submit failed; reconciliation will be strict", "err", berr)
	}
	started := c.Now()
	tr, err := t.submit(c, mv)
	if err == nil || !uncertain(err) {
		return tr, err
	}
	c.Log.Warn("submit answer lost or failed; reconciling", "kind", mv.Kind, "err", err)
	found, rerr := t.reconcile(c, mv, started, before)
	switch {
	case found != nil:
		return found, nil
	case rerr == nil && before != nil && serverError(err):
		// CopperX answered 5xx and the transfer never showed up: most
		// likely not made, but a 5xx can come after the work was done.
		return nil, &submitError{state: stateFailed, key: "transfer.result.not_sent", err: err}
	}
	// No answer or an unreadable one (the transfer may still be on its
	// way), the listing itself failed, or there was no listing from before
	// the submit to tell old from new: we cannot know.
	if rerr != nil {
		c.Log.Error("reconcile failed", "err", rerr)
	}
	key := "transfer.result.unknown"
	if serverError(err) {
		key = "transfer.result.unknown_error"
	}
	return nil, &submitError{state: stateUnknown, key: key, err: err}
}

// submitError is a submit whose outcome reconciliation settled as not sent,
// or could not settle; key is what the user is told.
type submitError struct {
	state, key string
	err        error
}

func (e *submitError) Error() string { return "submit " + e.state + ": " + e.err.Error() }
func (e *submitError) Unwrap() error { return e.err }

// submit makes the API call of the movement.
func (t *Transfer) submit(c *kernel.Ctx, mv *movement) (*copperx.Transfer, error) {
	tok := token(c)
	switch mv.Kind {
	case kindEmail:
		return t.api.Send(c, tok, copperx.SendRequest{Email: mv.To, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindPayee:
		return t.api.Send(c, tok, copperx.SendRequest{PayeeID: mv.PayeeID, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindWallet:
		return t.api.WalletWithdraw(c, tok, copperx.WithdrawRequest{WalletAddress: mv.To, Amount: mv.Amount, PurposeCode: mv.Purpose, Currency: t.cfg.Currency})
	case kindBank:
		if mv.Quote == nil {
			return nil, errors.New("submit bank: no quote")
		}
		return t.api.Offramp(c, tok, copperx.OfframpRequest{QuotePayload: mv.Quote.Payload, QuoteSignature: mv.Quote.Signature,
			PurposeCode: mv.Purpose, SourceOfFunds: mv.Source, RecipientRelationship: "self"})
	}
	return nil, fmt.Errorf("submit: unknown movement kind %q", mv.Kind)
}

// report records the outcome under the confirmation id and turns the
// summary into the receipt, or into the reason nothing was sent.
func (t *Transfer) report(c *kernel.Ctx, mv *movement, id string, o outcome, tr *copperx.Transfer, err error) (kernel.Move, error) {
	var se *submitError
	switch {
	case errors.As(err, &se):
		o.State = se.state
		if serr := t.saveOutcome(c, id, o); serr != nil {
			c.Log.Error("save outcome", "err", serr)
		}
		_, err := c.Show(c.T(se.key, nil), nil)
		return kernel.Done, err
	case err != nil:
		o.State = stateFailed
		if serr := t.saveOutcome(c, id, o); serr != nil {
			c.Log.Error("save outcome", "err", serr)
		}
		return t.refused(c, mv, err)
	}
	o.State, o.TransferID, o.Status = stateSent, tr.ID, tr.Status
	if err := t.saveOutcome(c, id, o); err != nil {
		c.Log.Error("save outcome", "err", err)
	}
	c.Log.Info("transfer submitted", "kind", mv.Kind, "transfer", tr.ID, "status", tr.Status)
	text, kb := t.receipt(c, id, mv, tr)
	_, err = c.Show(text, kb)
	return kernel.Done, err
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

// replay answers a Confirm whose id was used already, with a notice only:
// the chat already shows the first Confirm's receipt.
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
	}
	if !o.sameUser(c) {
		return kernel.ErrStaleCallback
	}
	key := "transfer.confirm.replay_pending"
	switch o.State {
	case stateSent:
		key = "transfer.confirm.replay_sent"
	case stateFailed:
		key = "transfer.confirm.replay_failed"
	case stateUnknown:
		key = "transfer.confirm.replay_unknown"
	}
	c.Answer(c.T(key, map[string]any{"id": o.TransferID}), true)
	return nil
}
