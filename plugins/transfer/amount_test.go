package transfer

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseAmount(t *testing.T) {
	max := decimal.NewFromInt(10_000_000)
	tests := []struct {
		in, lang, want, reason string
	}{
		{"10.5", "en", "10.5", ""},
		{"1,000.50", "en", "1000.5", ""},
		{"1000.5", "en", "1000.5", ""},
		{"1 000.50", "en", "1000.5", ""},
		{"12,500", "en", "12500", ""},
		{"12,5", "en", "12.5", ""},
		{"$25", "en", "25", ""},
		{"25 usdc", "en", "25", ""},
		{".5", "en", "0.5", ""},
		{"0.000001", "en", "0.000001", ""},
		{"1.1000000000", "en", "1.1", ""},
		{"1.000,50", "es", "1000.5", ""},
		{"1000,5", "es", "1000.5", ""},
		{"1 000,50", "es", "1000.5", ""},
		{"12.5", "es", "12.5", ""},
		{"12.500", "es", "12500", ""},
		{"1.234.567", "es", "1234567", ""},
		{"1,234,567.25", "en", "1234567.25", ""},
		// A leading group "0" before a thousands separator could be a
		// fraction or thousands: refused, never guessed.
		{"0,500", "en", "", AmountAmbiguous},
		{"0,050", "en", "", AmountAmbiguous},
		{"0 500", "en", "", AmountAmbiguous},
		{"0,500.25", "en", "", AmountAmbiguous},
		{"00,500", "en", "", AmountAmbiguous},
		{"0,500,000", "en", "", AmountAmbiguous},
		{"0.500", "es", "", AmountAmbiguous},
		{"0.050", "es", "", AmountAmbiguous},
		{"0 500,5", "es", "", AmountAmbiguous},
		{"$0,500 USDC", "en", "", AmountAmbiguous},
		{"0.5", "en", "0.5", ""},
		{"0,5", "en", "0.5", ""},
		{"0,50", "en", "0.5", ""},
		{"0,5", "es", "0.5", ""},
		{"0.50", "es", "0.5", ""},
		{"0.500", "en", "0.5", ""},
		{"0,500", "es", "0.5", ""},
		{"0500", "en", "500", ""}, // no separator, nothing to misread
		{"1,000", "en", "1000", ""},
		{"1.000", "es", "1000", ""},
		{"1e3", "en", "", AmountExponent},
		{"1E-2", "en", "", AmountExponent},
		{"-5", "en", "", AmountNegative},
		{"0", "en", "", AmountZero},
		{"0,00", "es", "", AmountZero},
		{"0.0000001", "en", "", AmountPrecision},
		{"1.1234567", "en", "", AmountPrecision},
		{"10000001", "en", "", AmountTooLarge},
		{"abc", "en", "", AmountInvalid},
		{"", "en", "", AmountInvalid},
		{"1.2.3", "en", "", AmountInvalid},
		{"1,00,000", "en", "", AmountInvalid},
		{"1,000,50", "en", "", AmountInvalid},
		{"1 000,50", "en", "1000.5", ""}, // a lone comma before 2 digits is a decimal point
		{"10.", "en", "", AmountInvalid},
		{"+5", "en", "", AmountInvalid},
		{"0x10", "en", "", AmountInvalid},
		{"NaN", "en", "", AmountInvalid},
		{"Infinity", "en", "", AmountInvalid},
		{"１０", "en", "", AmountInvalid},
		{strings.Repeat("9", 60), "en", "", AmountInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.in, func(t *testing.T) {
			got, err := ParseAmount(tc.in, tc.lang, 6, "USDC", max)
			if tc.reason != "" {
				var ae *AmountError
				if !errors.As(err, &ae) || ae.Reason != tc.reason {
					t.Fatalf("ParseAmount(%q) = %v, %v; want reason %s", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || !got.Equal(decimal.RequireFromString(tc.want)) {
				t.Fatalf("ParseAmount(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"10.5", "1,000.50", "1.000,50", "1 000,50", "1e3", "-1", "0", "12.5", "$5 USDC", "٣", "1\u00a0000",
		"0,500", "0.500", "0,050", "0 500", "00,500", "0,5", "012,500", ",500", "1,5000", "1 000,500"} {
		f.Add(s, "en")
		f.Add(s, "es")
	}
	max := decimal.NewFromInt(50_000)
	f.Fuzz(func(t *testing.T, in, lang string) {
		d, err := ParseAmount(in, lang, 6, "USDC", max)
		if err != nil {
			var ae *AmountError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AmountError", err)
			}
			return
		}
		if !d.IsPositive() || d.GreaterThan(max) {
			t.Fatalf("ParseAmount(%q) = %s out of range", in, d)
		}
		if d.Exponent() < -6 {
			t.Fatalf("ParseAmount(%q) = %s has more than 6 decimals", in, d)
		}
		// A simple, independent reading of the same rules agrees.
		if want, ok := refParse(in, lang); !ok || !want.Equal(d) {
			t.Fatalf("ParseAmount(%q, %q) = %s; the reference parser reads %s (ok %v)", in, lang, d, want, ok)
		}
		// What we print we read back.
		back, err := ParseAmount(formatAmount(d, lang), lang, 6, "USDC", max)
		if err != nil || !back.Equal(d) {
			t.Fatalf("round trip of %s (%q): %v, %v", d, formatAmount(d, lang), back, err)
		}
	})
}

// FuzzParseAmountReference checks ParseAmount against refParse in both
// directions on inputs of digits, separators and spaces: every accepted
// amount is the reference's reading, and every well-formed positive amount
// in range is accepted.
func FuzzParseAmountReference(f *testing.F) {
	for _, s := range []string{"0,500", "0.500", "0,050", "0 500", "1,000", "1.000", "12,5", "12.5", "0,5", "1 000,50", "012,500", "1,2345", ".5", ",5"} {
		f.Add(s, "en")
		f.Add(s, "es")
	}
	max := decimal.NewFromInt(50_000)
	f.Fuzz(func(t *testing.T, in, lang string) {
		if strings.Trim(in, "0123456789., ") != "" {
			return // the reference reads only digits, separators and spaces
		}
		d, err := ParseAmount(in, lang, 6, "", max)
		want, ok := refParse(in, lang)
		if err == nil && (!ok || !want.Equal(d)) {
			t.Fatalf("ParseAmount(%q, %q) = %s; the reference reads %s (ok %v)", in, lang, d, want, ok)
		}
		inRange := ok && want.IsPositive() && !want.GreaterThan(max) && want.Truncate(6).Equal(want) && len(strings.TrimSpace(in)) <= maxAmountLen
		if err != nil && inRange {
			t.Fatalf("ParseAmount(%q, %q) refused (%v) what the reference reads as %s", in, lang, err, want)
		}
	})
}

// refParse is a reference reading of a typed amount, by regular expressions
// over the whole string (after the "$" and currency code ParseAmount strips):
// an integer part that is plain digits, or 1-3 digits not starting with 0
// followed by groups of 3 (one kind of separator: the language's group mark
// or a space); an optional decimal point with at least one digit; or a lone
// group mark followed by other than exactly 3 digits, read as the decimal
// point. ok is false when the input is none of these.
func refParse(in, lang string) (decimal.Decimal, bool) {
	s := strings.TrimSpace(in)
	if c := "USDC"; len(s) > len(c) && strings.EqualFold(s[len(s)-len(c):], c) {
		s = strings.TrimSpace(s[:len(s)-len(c)])
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	dec, grp := `\.`, `,`
	if lang == "es" || strings.HasPrefix(lang, "es-") {
		dec, grp = `,`, `\.`
	}
	for _, sp := range []string{"\u00a0", "\u202f", "\u2009"} {
		s = strings.ReplaceAll(s, sp, " ")
	}
	intPart := `(\d+|[1-9]\d{0,2}(?:` + grp + `\d{3})+|[1-9]\d{0,2}(?: \d{3})+)`
	spaced := `(\d+|[1-9]\d{0,2}(?: \d{3})+)`
	var whole, frac string
	if m := regexp.MustCompile(`^` + intPart + `?(?:` + dec + `(\d+))?$`).FindStringSubmatch(s); m != nil {
		whole, frac = m[1], m[2]
	} else if m := regexp.MustCompile(`^` + spaced + `?` + grp + `(\d+)$`).FindStringSubmatch(s); m != nil && len(m[2]) != 3 {
		whole, frac = m[1], m[2]
	} else {
		return decimal.Zero, false
	}
	whole = strings.NewReplacer(",", "", ".", "", " ", "").Replace(whole)
	if whole == "" && frac == "" {
		return decimal.Zero, false
	}
	if whole == "" {
		whole = "0"
	}
	if frac != "" {
		whole += "." + frac
	}
	d, err := decimal.NewFromString(whole)
	return d, err == nil
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct{ in, lang, want string }{
		{"1250.5", "en", "1,250.50"}, {"1250.5", "es", "1.250,50"}, {"10", "en", "10.00"},
		{"0.000001", "en", "0.000001"}, {"1234567.123", "en", "1,234,567.123"}, {"-3", "en", "-3.00"},
	} {
		if got := formatAmount(decimal.RequireFromString(tc.in), tc.lang); got != tc.want {
			t.Errorf("formatAmount(%s, %s) = %s, want %s", tc.in, tc.lang, got, tc.want)
		}
	}
}

func TestShortParty(t *testing.T) {
	for in, want := range map[string]string{
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": "0x5aAe…eAed",
		"bob@example.com":                              "bob@example.com",
		"christopher.columbus@example.com":             "chr…@example.com",
		"Chase Bank ••6789":                            "Chase Bank ••6789",
		"4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T": "4Nd1mB…DB4T",
		"": "",
	} {
		if got := shortParty(in); got != want {
			t.Errorf("shortParty(%q) = %q, want %q", in, got, want)
		}
	}
}
