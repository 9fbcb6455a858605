package transfer

import (
	"errors"
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
	for _, s := range []string{"10.5", "1,000.50", "1.000,50", "1 000,50", "1e3", "-1", "0", "12.5", "$5 USDC", "٣", "1\u00a0000"} {
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
		// What we print we read back.
		back, err := ParseAmount(formatAmount(d, lang), lang, 6, "USDC", max)
		if err != nil || !back.Equal(d) {
			t.Fatalf("round trip of %s (%q): %v, %v", d, formatAmount(d, lang), back, err)
		}
	})
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
