package transfer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// The spending guard. /limits sets an optional daily limit per Telegram
// user (kept in the shared store under transfer:limit:<user>, so it
// outlives a logout): a send or withdrawal that would take the day's total
// above it is refused before its summary, and again at Confirm. The day is
// the UTC day, and its total is CopperX's, never a local counter: the
// user's outgoing transfers (GET /api/transfers?type=send&type=withdraw&
// startDate=<00:00 UTC>) that did not fail, summed exactly. Apart from it,
// a send or withdrawal above reconfirm_above asks for its amount to be
// typed again before its summary (the flows' step "retype").

func limitKey(user int64) string { return "transfer:limit:" + strconv.FormatInt(user, 10) }

// limitUnavailable is the refusal when today's total cannot be read.
const limitUnavailable = "transfer.limits.unavailable"

// spentPages bounds the listing of the day's transfers (pages of
// spentPageSize).
const (
	spentPages    = 20
	spentPageSize = 100
)

// limitEdit is the data of the flow that sets the limit (none: the amount
// is typed and saved).
type limitEdit struct{}

// setupLimits declares /limits, its buttons and the flow that sets it.
func (t *Transfer) setupLimits(r *kernel.Registrar) {
	opts := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	r.Action("limits", t.limits, opts...)
	r.Callback("limits", t.limitsButton, opts...)
	r.Flow("limit", kernel.Flow[limitEdit]{Version: 1, Steps: []kernel.Step[limitEdit]{
		{Name: "amount", Ask: t.askLimit, Text: t.takeLimit},
	}}, opts...)
}

// dailyLimit is the user's daily limit; false when none is set.
func (t *Transfer) dailyLimit(ctx context.Context, user int64) (decimal.Decimal, bool, error) {
	raw, _, err := t.st.Get(ctx, limitKey(user), 0)
	if err != nil {
		return decimal.Zero, false, fmt.Errorf("read the daily limit: %w", err)
	}
	if raw == nil {
		return decimal.Zero, false, nil
	}
	d, err := decimal.NewFromString(string(raw))
	if err != nil || !d.IsPositive() {
		return decimal.Zero, false, nil
	}
	return d, true, nil
}

// startOfDay is 00:00 UTC of now's UTC day.
func startOfDay(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// spentToday is what the user sent and withdrew since 00:00 UTC, as
// CopperX lists it: outgoing transfers of the currency that did not fail,
// cancel or get refunded, each by the amount sent (its subtotal, without
// the fee, else its amount).
func (t *Transfer) spentToday(c *kernel.Ctx) (decimal.Decimal, error) {
	since := startOfDay(c.Now())
	total := decimal.Zero
	for page := 1; page <= spentPages; page++ {
		p, err := t.api.Transfers(c, token(c), copperx.TransferQuery{Page: page, Limit: spentPageSize,
			Types: []string{"send", "withdraw"}, StartDate: &since})
		if err != nil {
			return decimal.Zero, fmt.Errorf("list today's transfers: %w", err)
		}
		for _, tr := range p.Data {
			if tr.CreatedAt.Before(since) || direction(tr) != dirOut || !sameCurrency(tr.Currency, t.cfg.Currency) {
				continue
			}
			switch tr.Status {
			case "failed", "canceled", "refunded":
				continue
			}
			amount := tr.AmountSubtotal.Decimal
			if !amount.IsPositive() {
				amount = tr.Amount.Decimal
			}
			total = total.Add(amount)
		}
		if !p.HasMore || len(p.Data) == 0 {
			return total, nil
		}
	}
	return decimal.Zero, errors.New("list today's transfers: more than fit in the pages read")
}

// sameCurrency compares a transfer's currency with the configured one
// (a transfer without one counts).
func sameCurrency(got, want string) bool { return got == "" || strings.EqualFold(got, want) }

// checkDailyLimit refuses amount (a kernel.Fail error) when it would take
// the day's total above the user's daily limit; exactly the limit is
// fine. Without a limit it does nothing; when today's total cannot be
// read, it refuses: the guard fails closed.
func (t *Transfer) checkDailyLimit(c *kernel.Ctx, amount decimal.Decimal) error {
	limit, ok, err := t.dailyLimit(c, c.UserID)
	if err != nil || !ok {
		return err
	}
	spent, err := t.spentToday(c)
	if errors.Is(err, copperx.ErrUnauthorized) {
		return err
	}
	if err != nil {
		c.Log.Warn("daily limit: today's total unavailable; refusing", "err", err)
		return kernel.Fail(limitUnavailable, nil)
	}
	if !spent.Add(amount).GreaterThan(limit) {
		return nil
	}
	left := decimal.Max(limit.Sub(spent), decimal.Zero)
	data := map[string]any{"limit": c.FormatAmount(limit), "spent": c.FormatAmount(spent), "left": c.FormatAmount(left),
		"amount": c.FormatAmount(amount), "currency": t.cfg.Currency}
	if !left.IsPositive() {
		return kernel.Fail("transfer.limits.reached", data)
	}
	return kernel.Fail("transfer.limits.over", data)
}

// limits is /limits: the limit with today's total, Change and Remove, or
// Set when there is none; "/limits 500" sets it at once.
func (t *Transfer) limits(c *kernel.Ctx) error {
	if len(c.Args()) > 0 {
		return t.setLimit(c, c.Text())
	}
	text, kb, err := t.limitsScreen(c)
	if err != nil {
		return err
	}
	_, err = c.Send(text, kb)
	return err
}

// limitsScreen is the /limits screen.
func (t *Transfer) limitsScreen(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
	limit, ok, err := t.dailyLimit(c, c.UserID)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return c.T("transfer.limits.none", nil), kernel.NewKeyboard().Row(c.Button("transfer.button.limit_set", "limits", "set")), nil
	}
	text := c.T("transfer.limits.current", map[string]any{"limit": c.FormatAmount(limit), "currency": t.cfg.Currency})
	spent, err := t.spentToday(c)
	switch {
	case errors.Is(err, copperx.ErrUnauthorized):
		return "", nil, err
	case err != nil:
		c.Log.Warn("limits: today's total unavailable", "err", err)
		text += "\n" + c.T("transfer.limits.today_unknown", nil)
	default:
		text += "\n" + c.T("transfer.limits.today", map[string]any{"spent": c.FormatAmount(spent),
			"left": c.FormatAmount(decimal.Max(limit.Sub(spent), decimal.Zero)), "currency": t.cfg.Currency})
	}
	kb := kernel.NewKeyboard().Row(c.Button("transfer.button.limit_change", "limits", "set"), c.Button("transfer.button.limit_remove", "limits", "off"))
	return text, kb, nil
}

// limitsButton is the /limits screen's Set, Change ("set": the flow that
// asks the amount) and Remove ("off").
func (t *Transfer) limitsButton(c *kernel.Ctx) error {
	if len(c.Args()) != 1 {
		return kernel.ErrStaleCallback
	}
	switch c.Args()[0] {
	case "set":
		return c.StartFlow("limit", nil)
	case "off":
		if err := t.st.Delete(c, limitKey(c.UserID)); err != nil {
			return fmt.Errorf("remove the daily limit: %w", err)
		}
		c.Log.Info("daily limit removed")
		c.Answer(c.T("transfer.limits.removed_short", nil), false)
		_, err := c.Show(c.T("transfer.limits.removed", nil), nil)
		return err
	}
	return kernel.ErrStaleCallback
}

// askLimit asks for the daily limit.
func (t *Transfer) askLimit(c *kernel.Ctx, _ *limitEdit) error {
	_, err := c.Prompt(c.T("transfer.limits.ask", map[string]any{"currency": t.cfg.Currency, "example": c.FormatAmount(decimal.NewFromInt(500))}),
		kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

// takeLimit takes the daily limit typed.
func (t *Transfer) takeLimit(c *kernel.Ctx, _ *limitEdit) (kernel.Move, error) {
	if err := t.setLimit(c, c.Text()); err != nil {
		return kernel.Stay, err
	}
	return kernel.Done, nil
}

// setLimit saves the daily limit typed as text and shows it with today's
// total.
func (t *Transfer) setLimit(c *kernel.Ctx, text string) error {
	d, err := t.amountOf(c, text)
	if err != nil {
		return err
	}
	if err := t.st.Set(c, limitKey(c.UserID), []byte(d.String()), 0); err != nil {
		return fmt.Errorf("save the daily limit: %w", err)
	}
	c.Log.Info("daily limit set")
	screen, kb, err := t.limitsScreen(c)
	if err != nil {
		return err
	}
	_, err = c.Send(c.T("transfer.limits.saved", nil)+"\n\n"+screen, kb)
	return err
}

// needsRetype reports a movement above reconfirm_above whose amount was not
// typed again yet.
func (t *Transfer) needsRetype(mv *movement) bool {
	above := t.cfg.reconfirmAbove
	return above.IsPositive() && mv.Amount.GreaterThan(above) && (mv.Retyped == nil || !mv.Retyped.Equal(mv.Amount))
}

// summaryStep is the step before Confirm: the amount typed again for a
// large movement, else the summary.
func (t *Transfer) summaryStep(mv *movement) string {
	if t.needsRetype(mv) {
		return "retype"
	}
	return "confirm"
}

// askRetype asks for a large movement's amount again.
func (t *Transfer) askRetype(c *kernel.Ctx, mv *movement) error {
	text := c.T("transfer.retype.ask", map[string]any{"amount": c.FormatAmount(mv.Amount), "currency": t.cfg.Currency,
		"to": t.recipientLabel(mv), "above": c.FormatAmount(t.cfg.reconfirmAbove)})
	_, err := c.Prompt(withNote(mv, text), kernel.NewKeyboard().Row(c.CancelButton()))
	return err
}

// takeRetype takes the amount typed again: the same amount goes on to the
// summary; anything else says so, and the question stands.
func (t *Transfer) takeRetype(c *kernel.Ctx, mv *movement) (kernel.Move, error) {
	d, err := t.amountOf(c, c.Text())
	if err != nil || !d.Equal(mv.Amount) {
		return kernel.Stay, kernel.Fail("transfer.retype.mismatch", map[string]any{"amount": c.FormatAmount(mv.Amount), "currency": t.cfg.Currency})
	}
	mv.Retyped = &d
	return kernel.Next("confirm"), nil
}
