package wallet

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

var (
	english = numberFormat{group: ",", point: "."}
	spanish = numberFormat{group: ".", point: ","}
)

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		in        string
		minPlaces int
		en, es    string
	}{
		{"1234567.890123", 2, "1,234,567.890123", "1.234.567,890123"},
		{"1250.50", 2, "1,250.50", "1.250,50"},
		{"300", 2, "300.00", "300,00"},
		{"0", 2, "0.00", "0,00"},
		{"0.000001", 2, "0.000001", "0,000001"},
		{"999.999", 2, "999.999", "999,999"},
		{"1000", 2, "1,000.00", "1.000,00"},
		{"100000", 0, "100,000", "100.000"},
		{"12345678901234567890.123456789012345678", 2, "12,345,678,901,234,567,890.123456789012345678", "12.345.678.901.234.567.890,123456789012345678"},
		{"-1234.5", 2, "-1,234.50", "-1.234,50"},
		{"5", 1, "5.0", "5,0"},
		{"1e3", 2, "1,000.00", "1.000,00"},
		{"0.1", 0, "0.1", "0,1"},
	} {
		d := decimal.RequireFromString(tc.in)
		if got := english.formatAmount(d, tc.minPlaces); got != tc.en {
			t.Errorf("en %s: got %q, want %q", tc.in, got, tc.en)
		}
		if got := spanish.formatAmount(d, tc.minPlaces); got != tc.es {
			t.Errorf("es %s: got %q, want %q", tc.in, got, tc.es)
		}
	}
}

func TestShortAddress(t *testing.T) {
	for in, want := range map[string]string{
		"0xa6b35531f3df836abb275fcdea46cc9e52084ad6":   "0xa6b3…4ad6",
		"CDjHH98wTCvuAdpTKtFxVi6DbiUkKukF1wocmEPAa6cE": "CDjHH9…a6cE",
		"short":           "short",
		"ñññññññññññññññ": "ññññññ…ññññ",
	} {
		if got := shortAddress(in); got != want {
			t.Errorf("shortAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzFormatAmount checks that formatting never panics and keeps every
// digit: removing the separators gives back the same number.
func FuzzFormatAmount(f *testing.F) {
	for _, s := range []string{"0", "1234567.890123", "-0.5", "1e10", "123456789012345678901234567890.1", "0.00000001"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, minPlaces int) {
		d, err := decimal.NewFromString(s)
		if err != nil || d.Exponent() > 200 || d.Exponent() < -200 {
			t.Skip()
		}
		minPlaces = min(max(minPlaces, 0), 20)
		for _, nf := range []numberFormat{english, spanish} {
			out := nf.formatAmount(d, minPlaces)
			plain := strings.ReplaceAll(out, nf.group, "")
			plain = strings.Replace(plain, nf.point, ".", 1)
			back, err := decimal.NewFromString(plain)
			if err != nil {
				t.Fatalf("%q formatted as %q does not parse back: %v", s, out, err)
			}
			if !back.Equal(d) {
				t.Fatalf("%q formatted as %q reads back as %s", s, out, back)
			}
			if _, frac, ok := strings.Cut(out, nf.point); minPlaces > 0 && (!ok || len(frac) < minPlaces) {
				t.Fatalf("%q formatted as %q has fewer than %d decimals", s, out, minPlaces)
			}
		}
	})
}
