package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// Reconciliation: after a submit whose answer was lost or was a 5xx, the
// movement is looked for among the newest transfers that were not there
// before the submit, instead of being sent again.

// uncertain reports a submit failure after which the transfer may exist:
// anything but a 4xx refusal from the API. No answer (timeout, dropped
// connection), a 5xx, and an answer that could not be read (a 2xx whose body
// does not decode means the transfer was most likely made) all go through
// reconciliation instead of being reported as failed.
func uncertain(err error) bool {
	var apiErr *copperx.Error
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500
	}
	// No token: refused by the client before anything was sent.
	return !errors.Is(err, copperx.ErrUnauthorized)
}

// serverError reports a submit that CopperX answered with a 5xx (as opposed
// to no answer, or an answer that could not be read).
func serverError(err error) bool {
	var apiErr *copperx.Error
	return errors.As(err, &apiErr) && apiErr.Status >= 500
}

// transferType is the listing type of a movement kind's transfers.
func transferType(kind string) string {
	if kind == kindWallet || kind == kindBank {
		return "withdraw"
	}
	return "send"
}

// reconcileLimit is how many of the newest transfers are listed, before the
// submit, when reconciling and when the tracker looks for a transfer whose
// outcome is unknown.
const reconcileLimit = 10

// clockAllowance is how much earlier than the summary CopperX may date a
// transfer made after it (the bot's and CopperX's clocks differ a little):
// the second line of defence looks that far back.
const clockAllowance = 5 * time.Second

// newest lists the newest transfers of kind's type (one GET, page 1).
func (t *Transfer) newest(ctx context.Context, tok copperx.Token, kind string) ([]copperx.Transfer, error) {
	page, err := t.api.Transfers(ctx, tok, copperx.TransferQuery{Page: 1, Limit: reconcileLimit, Types: []string{transferType(kind)}})
	if err != nil {
		return nil, fmt.Errorf("list transfers: %w", err)
	}
	return page.Data, nil
}

// transferIDs are the ids of list.
func transferIDs(list []copperx.Transfer) []string {
	ids := make([]string, 0, len(list))
	for _, tr := range list {
		ids = append(ids, tr.ID)
	}
	return ids
}

// reconcile looks for the movement among the newest transfers that were not
// listed before the submit (before; nil when that listing failed) and were
// created since the submit started — minus reconcile_skew when before is
// known, exactly since the start otherwise —, listing them up to
// reconcile_attempts times, reconcile_interval apart, since a transfer may
// show up in the listing a moment after it was made. nil, nil means it was
// not there in any listing; an error means no listing could be read (or ctx
// ended), so nothing can be concluded. Either way, when nothing is found
// the outcome is unknown, and the tracker keeps looking.
func (t *Transfer) reconcile(ctx context.Context, c *kernel.Ctx, tok copperx.Token, mv *movement, started time.Time, before map[string]bool) (*copperx.Transfer, error) {
	since := t.since(started, before)
	var lastErr error
	listed := false
	for attempt := range t.cfg.ReconcileAttempts {
		if attempt > 0 {
			if err := sleep(ctx, t.cfg.ReconcileInterval); err != nil {
				return nil, err
			}
		}
		list, err := t.newest(ctx, tok, mv.Kind)
		if err != nil {
			lastErr = err
			c.Log.Warn("reconcile listing failed", "attempt", attempt+1, "err", err)
			continue
		}
		listed = true
		if tr := matchTransfer(list, mv, since, before); tr != nil {
			return tr, nil
		}
	}
	if !listed {
		return nil, lastErr
	}
	return nil, nil
}

// since is the earliest creation time a submit's transfer can have: its
// start, minus reconcile_skew when the ids listed before it are known (so
// an older transfer cannot be taken for it anyway).
func (t *Transfer) since(started time.Time, before map[string]bool) time.Time {
	if before != nil {
		return started.Add(-t.cfg.ReconcileSkew)
	}
	return started
}

// sleep waits d, or less if ctx ends first (then it returns ctx's error).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// matchTransfer finds the movement among transfers: not among before (the
// ids listed before the submit), created since since, for the movement's
// amount — the transfer's amount or its subtotal, as the API's amount may
// include the fee — and to its recipient.
func matchTransfer(list []copperx.Transfer, mv *movement, since time.Time, before map[string]bool) *copperx.Transfer {
	for i := range list {
		tr := &list[i]
		if before[tr.ID] || tr.CreatedAt.Before(since) || !tr.Amount.Equal(mv.Amount) && !tr.AmountSubtotal.Equal(mv.Amount) {
			continue
		}
		d := tr.DestinationAccount
		if d == nil {
			d = &copperx.TransferAccount{}
		}
		switch mv.Kind {
		case kindEmail:
			if strings.EqualFold(d.PayeeEmail, mv.To) {
				return tr
			}
		case kindPayee:
			if d.PayeeID == mv.PayeeID || strings.EqualFold(d.PayeeEmail, mv.To) && mv.To != "" {
				return tr
			}
		case kindWallet:
			if strings.EqualFold(d.WalletAddress, mv.To) {
				return tr
			}
		case kindBank:
			if tr.DestinationAccountID == mv.AccountID || d.ID == mv.AccountID || d.AccountID == mv.AccountID {
				return tr
			}
		}
	}
	return nil
}
