package money

import (
	"errors"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// AmountError says why a typed amount was refused; Reason is the last
// segment of the locale key a plugin words it with (e.g.
// transfer.amount.<reason>).
type AmountError struct{ Reason string }

func (e *AmountError) Error() string { return "money: amount: " + e.Reason }

// Reasons an amount is refused: the number reader's (i18n.Number*) and
// these.
const (
	AmountInvalid   = i18n.NumberInvalid   // not a number (or badly grouped)
	AmountAmbiguous = i18n.NumberAmbiguous // "0,500" in English: thousands or a fraction?
	AmountExponent  = i18n.NumberExponent  // 1e3 and the like
	AmountNegative  = i18n.NumberNegative  // -5
	AmountZero      = "not_positive"       // 0, 0.00
	AmountPrecision = "precision"          // more decimals than the currency allows
	AmountTooLarge  = "too_large"          // above max_amount
)

// APIDecimals is the API's precision (amounts in 10^-8 units).
const APIDecimals = 8

// maxAmountLen bounds what is parsed at all.
const maxAmountLen = 48

// ParseAmount reads an amount as the user typed it, the way their language
// writes numbers (f: i18n.Format.Parse — grouping, the decimal mark, the
// refused "0,500"), with an optional "$" before or the currency code
// after ("10 USDC"). Refused: zero, more than decimals (capped at the API's
// 8) significant decimal places, anything above max (when positive), and
// what the number reader refuses. The result is exact; there is never a
// float.
func ParseAmount(input string, f i18n.Format, decimals int, currency string, max decimal.Decimal) (decimal.Decimal, error) {
	s := strings.TrimSpace(input)
	if len(s) > maxAmountLen || s == "" {
		return decimal.Zero, &AmountError{AmountInvalid}
	}
	if currency != "" && len(s) > len(currency) && strings.EqualFold(s[len(s)-len(currency):], currency) {
		s = strings.TrimSpace(s[:len(s)-len(currency)])
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	d, err := f.Parse(s)
	var ne *i18n.NumberError
	if errors.As(err, &ne) {
		return decimal.Zero, &AmountError{ne.Reason}
	}
	if err != nil {
		return decimal.Zero, &AmountError{AmountInvalid}
	}
	if decimals > APIDecimals || decimals < 0 {
		decimals = APIDecimals
	}
	if !d.Truncate(int32(decimals)).Equal(d) {
		return decimal.Zero, &AmountError{AmountPrecision}
	}
	if !d.IsPositive() {
		return decimal.Zero, &AmountError{AmountZero}
	}
	if max.IsPositive() && d.GreaterThan(max) {
		return decimal.Zero, &AmountError{AmountTooLarge}
	}
	return d, nil
}
