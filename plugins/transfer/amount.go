package transfer

import (
	"strings"

	"github.com/shopspring/decimal"
)

// AmountError says why a typed amount was refused; Reason is the last
// segment of its locale key (transfer.amount.<reason>).
type AmountError struct{ Reason string }

func (e *AmountError) Error() string { return "transfer: amount: " + e.Reason }

// Reasons an amount is refused.
const (
	AmountInvalid   = "invalid"      // not a number (or badly grouped)
	AmountAmbiguous = "ambiguous"    // "0,500" in en, "0.500" in es: a thousands group after a leading 0
	AmountExponent  = "exponent"     // 1e3 and the like
	AmountNegative  = "negative"     // -5
	AmountZero      = "not_positive" // 0, 0.00
	AmountPrecision = "precision"    // more decimals than the currency allows
	AmountTooLarge  = "too_large"    // above max_amount
)

// apiDecimals is the API's precision (10^-8 units).
const apiDecimals = 8

// maxAmountLen bounds what is parsed at all.
const maxAmountLen = 48

// ParseAmount reads an amount as the user typed it, for the language lang:
//
//   - en (and any language but es): "1,000.50", "1000.5", "1 000.50" — comma
//     or space groups thousands, dot is the decimal point;
//   - es: "1.000,50", "1000,5", "1 000,50" — dot or space groups thousands,
//     comma is the decimal point;
//   - in both, a lone separator of the other kind followed by other than
//     exactly three digits is unambiguous and read as the decimal point
//     ("12.5" in es, "12,5" in en); "12.500" in es stays twelve thousand five
//     hundred, "12,500" in en twelve thousand five hundred;
//   - an optional "$" before or currency code after ("10 USDC") is ignored;
//   - when the integer part is grouped, its first group is 1-3 digits not
//     starting with 0: "0,500" in en (or "0.500" in es, "0 500" in both)
//     could be half a unit or five hundred, so it is refused as ambiguous
//     (AmountAmbiguous) rather than guessed; "0.5" (en) and "0,5" (es) are
//     how a fraction is typed.
//
// Refused: exponent notation, signs, zero, more than decimals (capped at the
// API's 8) significant decimal places, anything above max (when positive),
// ambiguous grouping and non-numbers. The result is exact; there is never a
// float.
func ParseAmount(input, lang string, decimals int, currency string, max decimal.Decimal) (decimal.Decimal, error) {
	s := strings.TrimSpace(input)
	if len(s) > maxAmountLen || s == "" {
		return decimal.Zero, &AmountError{AmountInvalid}
	}
	if currency != "" && len(s) > len(currency) && strings.EqualFold(s[len(s)-len(currency):], currency) {
		s = strings.TrimSpace(s[:len(s)-len(currency)])
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−") {
		return decimal.Zero, &AmountError{AmountNegative}
	}
	if exponent(s) {
		return decimal.Zero, &AmountError{AmountExponent}
	}
	dec, grp := byte('.'), byte(',')
	if lang == "es" || strings.HasPrefix(lang, "es-") {
		dec, grp = ',', '.'
	}
	// Normalize: digits, '.', ',' and spaces only; spaces become group marks.
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			b.WriteRune(r)
		case r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\u2009':
			b.WriteByte('_')
		default:
			return decimal.Zero, &AmountError{AmountInvalid}
		}
	}
	s = b.String()
	// The unambiguous other-kind decimal point.
	if strings.Count(s, string(grp)) == 1 && !strings.ContainsRune(s, rune(dec)) {
		if i := strings.IndexByte(s, grp); len(s)-i-1 != 3 {
			s = s[:i] + string(dec) + s[i+1:]
		}
	}
	intPart, frac, hasDec := strings.Cut(s, string(dec))
	if hasDec && (frac == "" || strings.ContainsAny(frac, ".,_")) {
		return decimal.Zero, &AmountError{AmountInvalid}
	}
	digits, reason := ungroup(intPart, grp)
	if reason != "" {
		return decimal.Zero, &AmountError{reason}
	}
	if digits == "" && frac == "" {
		return decimal.Zero, &AmountError{AmountInvalid}
	}
	if digits == "" {
		digits = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if decimals > apiDecimals || decimals < 0 {
		decimals = apiDecimals
	}
	if len(frac) > decimals {
		return decimal.Zero, &AmountError{AmountPrecision}
	}
	num := digits
	if frac != "" {
		num += "." + frac
	}
	d, err := decimal.NewFromString(num)
	if err != nil {
		return decimal.Zero, &AmountError{AmountInvalid}
	}
	if !d.IsPositive() {
		return decimal.Zero, &AmountError{AmountZero}
	}
	if max.IsPositive() && d.GreaterThan(max) {
		return decimal.Zero, &AmountError{AmountTooLarge}
	}
	return d, nil
}

// exponent reports a number in exponent notation ("1e3", "2.5E-4"): digits
// and separators, e or E, an optional sign and digits. Other text with an
// "e" in it (an email, a word) is just not a number.
func exponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 {
		return false
	}
	mant, exp := s[:i], s[i+1:]
	if strings.IndexFunc(mant, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 ||
		strings.IndexFunc(mant, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.' || r == ',' || r == ' ') }) >= 0 {
		return false
	}
	exp = strings.TrimLeft(exp, "+-")
	if exp == "" {
		return false
	}
	for i := 0; i < len(exp); i++ {
		if exp[i] < '0' || exp[i] > '9' {
			return false
		}
	}
	return true
}

// ungroup checks the integer part's thousands grouping (grp or a space,
// written '_'; one kind only; a first group of 1-3 digits not starting with
// 0, then groups of exactly 3) and returns its digits, or the reason it is
// refused (AmountInvalid, or AmountAmbiguous for a leading group "0…").
func ungroup(s string, grp byte) (string, string) {
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == grp || c == '_' {
			if sep != 0 && c != sep {
				return "", AmountInvalid
			}
			sep = c
		} else if c < '0' || c > '9' {
			return "", AmountInvalid
		}
	}
	if sep == 0 {
		return s, ""
	}
	groups := strings.Split(s, string(sep))
	for i, g := range groups {
		if i == 0 && (len(g) < 1 || len(g) > 3) || i > 0 && len(g) != 3 {
			return "", AmountInvalid
		}
	}
	if groups[0][0] == '0' {
		// "0,500": a leading zero is never written before a thousands
		// separator, so the separator was most likely meant as a decimal
		// point. Which one is not ours to guess with money.
		return "", AmountAmbiguous
	}
	return strings.Join(groups, ""), ""
}
