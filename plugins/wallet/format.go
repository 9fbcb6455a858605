package wallet

import (
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// numberFormat writes amounts the way a language does: its thousands
// separator and its decimal mark (from the locale keys wallet.number.*).
type numberFormat struct {
	group string // thousands separator: "," in English, "." in Spanish
	point string // decimal mark: "." in English, "," in Spanish
}

// formatAmount writes d exactly — never rounded, never through a float —
// with at least minPlaces decimals (padded with zeros) and every decimal d
// has beyond them: 1234567.890123 is "1,234,567.890123" in English and
// "1.234.567,890123" in Spanish; 300 with minPlaces 2 is "300.00".
func (f numberFormat) formatAmount(d decimal.Decimal, minPlaces int) string {
	return i18n.FormatDecimal(d, minPlaces, f.group, f.point)
}

// shortAddress keeps the start and the end of a long address: 0x1234…abcd.
func shortAddress(a string) string {
	r := []rune(a)
	if len(r) <= 14 {
		return a
	}
	return string(r[:6]) + "…" + string(r[len(r)-4:])
}
