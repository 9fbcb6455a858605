package money

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/locales"
)

// formats are the project's languages' number formats, as the kernel reads
// them from the locale files.
func formats(t testing.TB) map[string]i18n.Format {
	t.Helper()
	cat, err := i18n.Load(locales.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]i18n.Format{}
	for _, lang := range cat.Languages() {
		out[lang] = cat.Format(lang)
	}
	if len(out) < 2 {
		t.Fatalf("languages %v: want en and es at least", cat.Languages())
	}
	return out
}

// TestParseAmount covers what ParseAmount adds to the language's number
// reader (kernel/i18n, tested there): the "$" and the currency code, the
// currency's precision, zero, max_amount, and the reader's refusals passed
// on as the reasons of transfer.amount.<reason>.
func TestParseAmount(t *testing.T) {
	byLang := formats(t)
	max := decimal.NewFromInt(10_000_000)
	tests := []struct {
		in, lang, want, reason string
	}{
		{"10.5", "en", "10.5", ""},
		{"1,000.50", "en", "1000.5", ""},
		{"1.000,50", "es", "1000.5", ""},
		{"12.5", "es", "12.5", ""},
		{"0.000001", "en", "0.000001", ""},
		{"1.1000000000", "en", "1.1", ""}, // trailing zeros are not precision
		// "$" before and the currency code after, in any case.
		{"$25", "en", "25", ""},
		{"$ 25", "en", "25", ""},
		{"25 usdc", "en", "25", ""},
		{"25USDC", "en", "25", ""},
		{"$1.000,5 USDC", "es", "1000.5", ""},
		{"  7  ", "en", "7", ""},
		{"USDC", "en", "", AmountInvalid},
		{"$", "en", "", AmountInvalid},
		{"25 EUR", "en", "", AmountInvalid},
		{"€25", "en", "", AmountInvalid},
		// The reader's refusals.
		{"abc", "en", "", AmountInvalid},
		{"bob@example.com", "en", "", AmountInvalid},
		{"5 euros", "en", "", AmountInvalid},
		{"", "en", "", AmountInvalid},
		{"1,00,000", "en", "", AmountInvalid},
		{"0,500", "en", "", AmountAmbiguous},
		{"$0,500 USDC", "en", "", AmountAmbiguous},
		{"0.500", "es", "", AmountAmbiguous},
		{"1e3", "en", "", AmountExponent},
		{"2.5E-4", "en", "", AmountExponent},
		{"1,5e+3", "es", "", AmountExponent},
		{"-5", "en", "", AmountNegative},
		// Transfer's own.
		{"0", "en", "", AmountZero},
		{"0,00", "es", "", AmountZero},
		{"$0 USDC", "en", "", AmountZero},
		{"0.0000001", "en", "", AmountPrecision},
		{"1.1234567", "en", "", AmountPrecision},
		{"1,1234567", "es", "", AmountPrecision},
		{"10000000", "en", "10000000", ""},
		{"10000001", "en", "", AmountTooLarge},
		{"10.000.000,01", "es", "", AmountTooLarge},
		{strings.Repeat("9", 60), "en", "", AmountInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.in, func(t *testing.T) {
			got, err := ParseAmount(tc.in, byLang[tc.lang], 6, "USDC", max)
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

// Decimals are the currency's, never more than the API's 8; max 0 is no
// maximum.
func TestParseAmountLimits(t *testing.T) {
	en := formats(t)["en"]
	for _, tc := range []struct {
		in       string
		decimals int
		max      string
		reason   string
	}{
		{"1.25", 2, "0", ""},
		{"1.255", 2, "0", AmountPrecision},
		{"1", 0, "0", ""},
		{"1.5", 0, "0", AmountPrecision},
		{"0.00000001", 12, "0", ""},
		{"0.000000001", 12, "0", AmountPrecision},
		{"0.000000001", -1, "0", AmountPrecision},
		{"99999999999", 6, "0", ""},
		{"5", 6, "4.99", AmountTooLarge},
	} {
		_, err := ParseAmount(tc.in, en, tc.decimals, "USDC", decimal.RequireFromString(tc.max))
		var ae *AmountError
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("ParseAmount(%q, decimals %d, max %s) = %v", tc.in, tc.decimals, tc.max, err)
		case tc.reason != "" && (!errors.As(err, &ae) || ae.Reason != tc.reason):
			t.Errorf("ParseAmount(%q, decimals %d, max %s) = %v, want %s", tc.in, tc.decimals, tc.max, err, tc.reason)
		}
	}
}

// FuzzParseAmount: whatever is typed, the answer is an amount in range
// with the currency's precision, or an *AmountError; an accepted amount is
// the language's reading of the text without "$" and the currency, and
// what the bot prints of it reads back the same.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"10.5", "1,000.50", "1.000,50", "1 000,50", "1e3", "-1", "0", "12.5", "$5 USDC", "٣", "1\u00a0000",
		"0,500", "0.500", "25usdc", "$", "USDC", "1.1234567", "99999999", "1 000,500"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	byLang := formats(f)
	max := decimal.NewFromInt(50_000)
	f.Fuzz(func(t *testing.T, in string, english bool) {
		lang := "es"
		if english {
			lang = "en"
		}
		format := byLang[lang]
		d, err := ParseAmount(in, format, 6, "USDC", max)
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
		if !d.Truncate(6).Equal(d) {
			t.Fatalf("ParseAmount(%q) = %s has more than 6 decimals", in, d)
		}
		s := strings.TrimSpace(in)
		if len(s) > len("USDC") && strings.EqualFold(s[len(s)-4:], "USDC") {
			s = s[:len(s)-4]
		}
		s = strings.TrimPrefix(strings.TrimSpace(s), "$")
		if want, err := format.Parse(s); err != nil || !want.Equal(d) {
			t.Fatalf("ParseAmount(%q, %s) = %s; the language reads %q as %s, %v", in, lang, d, s, want, err)
		}
		back, err := ParseAmount(format.Amount(d, 2), format, 6, "USDC", max)
		if err != nil || !back.Equal(d) {
			t.Fatalf("round trip of %s (%q): %v, %v", d, format.Amount(d, 2), back, err)
		}
	})
}
