package transfer

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/plugins/internal/money"
)

// The fee before Confirm. A bank withdrawal's fee is its quote's. For a
// send, CopperX gives no preview, so the summary estimates it from the
// user's recent transfers of the same kind (their feePercentage and
// totalFee in GET /api/transfers), says it is an estimate, or says plainly
// that none is known. All of it is exact decimal arithmetic.

// feeSample is how many of the newest transfers of the kind are read for
// an estimate (not 10, the page Confirm lists, so tests tell them apart).
const feeSample = 5

// feeEstimate is a fee as a recent transfer charged it: a percentage of
// the amount and a fixed part.
type feeEstimate struct {
	Percent decimal.Decimal `json:"percent"`
	Fixed   decimal.Decimal `json:"fixed"`
}

// fee is the estimate for amount: amount × Percent / 100, cut to the API's
// 8 decimals as CopperX rounds it, plus the fixed part.
func (f *feeEstimate) fee(amount decimal.Decimal) decimal.Decimal {
	return amount.Mul(f.Percent).Shift(-2).Truncate(money.APIDecimals).Add(f.Fixed)
}

// estimateFee reads the newest transfers of mv's kind and estimates the fee
// from the newest one that says what it charged; nil when none does (or
// the listing failed: an estimate is never worth an error).
func (t *Transfer) estimateFee(c *kernel.Ctx, mv *movement) *feeEstimate {
	typ := "send"
	if mv.Kind == kindWallet {
		typ = "withdraw"
	}
	page, err := t.api.Transfers(c, token(c), copperx.TransferQuery{Page: 1, Limit: feeSample, Types: []string{typ}})
	if err != nil {
		c.Log.Warn("fee estimate: list transfers", "err", err)
		return nil
	}
	for _, tr := range page.Data {
		if tr.Type != typ || bankWithdrawal(tr) || !strings.EqualFold(tr.Currency, t.cfg.Currency) {
			continue
		}
		if est, ok := feeOf(tr); ok {
			return est
		}
	}
	return nil
}

// feeOf is the fee a transfer charged, as a percentage and a fixed part:
// feePercentage when it reads as a number (the rest of totalFee is fixed),
// else totalFee as a share of the amount; false when it says neither.
func feeOf(tr copperx.Transfer) (*feeEstimate, bool) {
	base := tr.AmountSubtotal.Decimal
	if !base.IsPositive() {
		base = tr.Amount.Decimal
	}
	total := tr.TotalFee.Decimal
	if pct, err := decimal.NewFromString(strings.TrimSpace(tr.FeePercentage)); err == nil && !pct.IsNegative() &&
		!strings.ContainsAny(tr.FeePercentage, "eE") && pct.LessThan(decimal.NewFromInt(100)) {
		est := &feeEstimate{Percent: pct}
		if fixed := total.Sub(est.fee(base)); fixed.IsPositive() {
			est.Fixed = fixed
		}
		return est, true
	}
	if !base.IsPositive() || total.IsNegative() || total.GreaterThan(base) {
		return nil, false
	}
	return &feeEstimate{Percent: total.Shift(2).DivRound(base, money.APIDecimals)}, true
}

// feeLines are a send summary's fee line and its balance after: the
// estimate and what is left with it, or that no fee is known and what is
// left before it.
func (t *Transfer) feeLines(c *kernel.Ctx, mv *movement) []string {
	cur := t.cfg.Currency
	est := mv.FeeEstimate
	if est == nil {
		lines := []string{c.T("transfer.fee.unknown", nil)}
		if mv.Balance != nil {
			lines = append(lines, c.T("transfer.summary.balance_after_send", map[string]any{"balance": c.FormatAmount(mv.Balance.Sub(mv.Amount)), "currency": cur}))
		}
		return lines
	}
	fee := est.fee(mv.Amount)
	rate := c.T("transfer.fee.percent", map[string]any{"percent": c.FormatDecimal(est.Percent, 0)})
	if est.Fixed.IsPositive() {
		rate = c.T("transfer.fee.percent_fixed", map[string]any{"percent": c.FormatDecimal(est.Percent, 0), "fixed": c.FormatAmount(est.Fixed), "currency": cur})
	}
	lines := []string{c.T("transfer.fee.estimate", map[string]any{"fee": c.FormatAmount(fee), "currency": cur, "rate": i18n.HTML(rate)})}
	if mv.Balance != nil {
		lines = append(lines, c.T("transfer.summary.balance_after_estimate", map[string]any{"balance": c.FormatAmount(mv.Balance.Sub(mv.Amount).Sub(fee)), "currency": cur}))
	}
	return lines
}
