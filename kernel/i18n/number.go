package i18n

import (
	"strings"

	"github.com/shopspring/decimal"
)

// FormatDecimal writes d exactly — never rounded, never through a float —
// with at least minPlaces decimals (padded with zeros), every decimal d has
// beyond them, and its whole part grouped by threes: 1234567.890123 with
// group "," and point "." is "1,234,567.890123"; 300 with minPlaces 2 is
// "300.00". The separators are the language's (a locale's choice).
func FormatDecimal(d decimal.Decimal, minPlaces int, group, point string) string {
	s := d.String() // exact: shopspring prints every significant digit
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) < minPlaces {
		frac += strings.Repeat("0", minPlaces-len(frac))
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}
