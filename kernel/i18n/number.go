package i18n

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Format is how a language writes numbers, dates and times. It comes from
// the "format" section of the language's file, so adding a language never
// needs Go code:
//
//	format:
//	  decimal: ","          # the decimal mark
//	  group: "."            # the thousands separator (a space is fine)
//	  date: "DD/MM/YYYY"    # YYYY, MM and DD stand for the year, month and day
//	  time: "HH:mm"         # HH and mm for the hour (0-23) and minute
//
// A key a file leaves out comes from the default language.
type Format struct {
	Decimal string
	Group   string
	Date    string // the file's pattern, e.g. "DD/MM/YYYY"
	Time    string // e.g. "HH:mm"

	dateLayout, timeLayout string // Go layouts of Date and Time
}

// Format keys in a language file.
const (
	keyDecimal = "format.decimal"
	keyGroup   = "format.group"
	keyDate    = "format.date"
	keyTime    = "format.time"
)

// formatKeys are the keys every language file may define, with the rule
// each must follow.
var formatKeys = []string{keyDecimal, keyGroup, keyDate, keyTime}

// layoutTokens map the patterns translators write to Go's layout.
var layoutTokens = strings.NewReplacer("YYYY", "2006", "MM", "01", "DD", "02", "HH", "15", "mm", "04")

// checkFormatValue reports why value is no good for the format key.
func checkFormatValue(key, value string) error {
	switch key {
	case keyDecimal:
		if utf8.RuneCountInString(value) != 1 || !unicode.IsPunct([]rune(value)[0]) {
			return errors.New(`must be one punctuation mark, such as "." or ","`)
		}
	case keyGroup:
		if utf8.RuneCountInString(value) != 1 {
			return errors.New(`must be one character, such as ",", "." or a space`)
		}
		if r := []rune(value)[0]; !unicode.IsPunct(r) && !unicode.IsSpace(r) && r != '\'' {
			return errors.New(`must be a punctuation mark or a space`)
		}
	case keyDate:
		for _, tok := range []string{"YYYY", "MM", "DD"} {
			if strings.Count(value, tok) != 1 {
				return fmt.Errorf("must contain %s once (YYYY, MM and DD stand for year, month and day)", tok)
			}
		}
	case keyTime:
		for _, tok := range []string{"HH", "mm"} {
			if strings.Count(value, tok) != 1 {
				return fmt.Errorf("must contain %s once (HH and mm stand for hour and minute)", tok)
			}
		}
	}
	return nil
}

// newFormat builds a Format from the format values of a language (missing
// ones already filled from the default language).
func newFormat(v map[string]string) Format {
	f := Format{Decimal: v[keyDecimal], Group: v[keyGroup], Date: v[keyDate], Time: v[keyTime]}
	if f.Decimal == "" {
		f.Decimal = "."
	}
	if f.Group == "" || f.Group == f.Decimal {
		f.Group = ","
		if f.Decimal == "," {
			f.Group = "."
		}
	}
	if f.Date == "" {
		f.Date = "YYYY-MM-DD"
	}
	if f.Time == "" {
		f.Time = "HH:mm"
	}
	f.dateLayout, f.timeLayout = layoutTokens.Replace(f.Date), layoutTokens.Replace(f.Time)
	return f
}

// Amount writes d exactly (never rounded, never through a float) with at
// least minPlaces decimals and every decimal d has beyond them, its whole
// part grouped by threes: 1234567.890123 is "1,234,567.890123" in English,
// "1.234.567,890123" in Spanish; 300 with minPlaces 2 is "300.00".
func (f Format) Amount(d decimal.Decimal, minPlaces int) string {
	return FormatDecimal(d, minPlaces, f.Group, f.Decimal)
}

// FormatDate writes t's date (in t's location) the language's way.
func (f Format) FormatDate(t time.Time) string { return t.Format(f.dateLayout) }

// FormatTime writes t's hour and minute the language's way.
func (f Format) FormatTime(t time.Time) string { return t.Format(f.timeLayout) }

// FormatDecimal writes d exactly — never rounded, never through a float —
// with at least minPlaces decimals (padded with zeros), every decimal d has
// beyond them, and its whole part grouped by threes with group; point is
// the decimal mark.
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

// NumberError says why a typed number was refused. Reason is one of the
// Number* constants; callers turn it into a localized message.
type NumberError struct{ Reason string }

func (e *NumberError) Error() string { return "i18n: number: " + e.Reason }

// Reasons a typed number is refused.
const (
	NumberInvalid   = "invalid"   // not a number, or badly grouped
	NumberAmbiguous = "ambiguous" // "0,500" in English: a thousands separator after a leading 0
	NumberExponent  = "exponent"  // 1e3 and the like
	NumberNegative  = "negative"  // -5
)

// maxNumberLen bounds what is parsed at all.
const maxNumberLen = 48

// Parse reads a non-negative decimal number as a person of this language
// types it, exactly (never through a float):
//
//   - the language's decimal mark and thousands separator ("1,000.50" in
//     English, "1.000,50" in Spanish), or spaces as thousands separators;
//   - the other of "." and "," alone, followed by other than exactly three
//     digits, cannot be a thousands separator and is read as the decimal
//     mark ("12.5" in Spanish, "12,5" in English); followed by exactly three
//     it is a thousands separator ("12,500" in English is twelve thousand
//     five hundred);
//   - when the whole part is grouped, its first group is 1-3 digits not
//     starting with 0: "0,500" in English could mean half or five hundred,
//     so it is refused (NumberAmbiguous) rather than guessed.
//
// Refused with a *NumberError: signs (NumberNegative), exponent notation
// (NumberExponent), ambiguous grouping, and anything else that is not a
// number (NumberInvalid).
func (f Format) Parse(input string) (decimal.Decimal, error) {
	s := strings.TrimSpace(input)
	if s == "" || len(s) > maxNumberLen {
		return decimal.Zero, &NumberError{NumberInvalid}
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "−") {
		return decimal.Zero, &NumberError{NumberNegative}
	}
	if strings.HasPrefix(s, "+") {
		return decimal.Zero, &NumberError{NumberInvalid}
	}
	if exponent(s) {
		return decimal.Zero, &NumberError{NumberExponent}
	}
	point, _ := utf8.DecodeRuneInString(f.Decimal)
	group, _ := utf8.DecodeRuneInString(f.Group)
	other := '.' // the one of "." and "," that is not the decimal mark
	if point == '.' {
		other = ','
	}
	// Normalize to digits, 'd' (decimal mark), 'g' (a grouping mark of the
	// language or "other") and '_' (a space).
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == point:
			b.WriteByte('d')
		case unicode.IsSpace(r) || r == '\u202f':
			b.WriteByte('_')
		case r == group || r == other:
			b.WriteByte('g')
		default:
			return decimal.Zero, &NumberError{NumberInvalid}
		}
	}
	s = b.String()
	// A lone grouping mark not followed by exactly three digits, with no
	// decimal mark, can only be a decimal mark.
	if strings.Count(s, "g") == 1 && !strings.Contains(s, "d") {
		if i := strings.IndexByte(s, 'g'); len(s)-i-1 != 3 {
			s = s[:i] + "d" + s[i+1:]
		}
	}
	whole, frac, hasPoint := strings.Cut(s, "d")
	if hasPoint && (frac == "" || strings.ContainsAny(frac, "dg_")) {
		return decimal.Zero, &NumberError{NumberInvalid}
	}
	digits, reason := ungroup(whole)
	if reason != "" {
		return decimal.Zero, &NumberError{reason}
	}
	if digits == "" && frac == "" {
		return decimal.Zero, &NumberError{NumberInvalid}
	}
	if digits == "" {
		digits = "0"
	}
	num := digits
	if frac != "" {
		num += "." + frac
	}
	d, err := decimal.NewFromString(num)
	if err != nil {
		return decimal.Zero, &NumberError{NumberInvalid}
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

// ungroup checks the whole part's grouping (one kind of mark: 'g' or '_';
// a first group of 1-3 digits not starting with 0, then groups of exactly
// 3) and returns its digits, or the reason it is refused.
func ungroup(s string) (string, string) {
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 'g' || c == '_' {
			if sep != 0 && c != sep {
				return "", NumberInvalid
			}
			sep = c
		} else if c < '0' || c > '9' {
			return "", NumberInvalid
		}
	}
	if sep == 0 {
		return s, ""
	}
	groups := strings.Split(s, string(sep))
	for i, g := range groups {
		if i == 0 && (len(g) < 1 || len(g) > 3) || i > 0 && len(g) != 3 {
			return "", NumberInvalid
		}
	}
	if groups[0][0] == '0' {
		// "0,500": a leading zero is never written before a thousands
		// separator, so the separator was most likely meant as a decimal
		// mark. Which one is not ours to guess with money.
		return "", NumberAmbiguous
	}
	return strings.Join(groups, ""), ""
}
