package i18n

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var (
	english = newFormat(map[string]string{keyDecimal: ".", keyGroup: ","})
	spanish = newFormat(map[string]string{keyDecimal: ",", keyGroup: ".", keyDate: "DD/MM/YYYY"})
	french  = newFormat(map[string]string{keyDecimal: ",", keyGroup: "\u202f"})
)

func TestFormatDecimal(t *testing.T) {
	tests := []struct {
		in         string
		places     int
		group, pnt string
		want       string
	}{
		{"1234567.890123", 2, ",", ".", "1,234,567.890123"},
		{"1234567.890123", 2, ".", ",", "1.234.567,890123"},
		{"300", 2, ",", ".", "300.00"},
		{"0.5", 2, ",", ".", "0.50"},
		{"-1250.5", 2, ",", ".", "-1,250.50"},
		{"0.92", 0, ".", ",", "0,92"},
		{"1000000", 0, ",", ".", "1,000,000"},
		{"0.00000001", 2, ",", ".", "0.00000001"},
	}
	for _, tt := range tests {
		if got := FormatDecimal(decimal.RequireFromString(tt.in), tt.places, tt.group, tt.pnt); got != tt.want {
			t.Errorf("FormatDecimal(%s, %d) = %q, want %q", tt.in, tt.places, got, tt.want)
		}
	}
}

func TestFormatDates(t *testing.T) {
	at := time.Date(2026, 3, 7, 9, 5, 0, 0, time.UTC)
	if got := english.FormatDate(at); got != "2026-03-07" {
		t.Errorf("english date = %q", got)
	}
	if got := spanish.FormatDate(at); got != "07/03/2026" {
		t.Errorf("spanish date = %q", got)
	}
	if got := spanish.FormatTime(at); got != "09:05" {
		t.Errorf("spanish time = %q", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		f      Format
		want   string
		reason string
	}{
		{"10.5", english, "10.5", ""},
		{"1,000.50", english, "1000.5", ""},
		{"1000.5", english, "1000.5", ""},
		{"1 000.50", english, "1000.5", ""},
		{"12,500", english, "12500", ""},
		{"12,5", english, "12.5", ""},
		{".5", english, "0.5", ""},
		{"0.000001", english, "0.000001", ""},
		{"1.1000000000", english, "1.1000000000", ""},
		{"1.000,50", spanish, "1000.5", ""},
		{"1000,5", spanish, "1000.5", ""},
		{"1 000,50", spanish, "1000.5", ""},
		{"12.5", spanish, "12.5", ""},
		{"12.500", spanish, "12500", ""},
		{"1.234.567", spanish, "1234567", ""},
		{"1,234,567.25", english, "1234567.25", ""},
		{"1\u202f234,5", french, "1234.5", ""},
		{"1 234,5", french, "1234.5", ""},
		{"12.5", french, "12.5", ""},
		// A leading group "0" before a thousands separator could be a
		// fraction or thousands: refused, never guessed.
		{"0,500", english, "", NumberAmbiguous},
		{"0,050", english, "", NumberAmbiguous},
		{"0 500", english, "", NumberAmbiguous},
		{"0,500.25", english, "", NumberAmbiguous},
		{"00,500", english, "", NumberAmbiguous},
		{"0,500,000", english, "", NumberAmbiguous},
		{"0.500", spanish, "", NumberAmbiguous},
		{"0.050", spanish, "", NumberAmbiguous},
		{"0 500,5", spanish, "", NumberAmbiguous},
		{"0.5", english, "0.5", ""},
		{"0,5", english, "0.5", ""},
		{"0,50", english, "0.5", ""},
		{"0,5", spanish, "0.5", ""},
		{"0.50", spanish, "0.5", ""},
		{"0.500", english, "0.5", ""},
		{"0,500", spanish, "0.5", ""},
		{"0500", english, "500", ""}, // no separator, nothing to misread
		{"1,000", english, "1000", ""},
		{"1.000", spanish, "1000", ""},
		{"0", english, "0", ""},
		{"1e3", english, "", NumberExponent},
		{"1E-2", english, "", NumberExponent},
		{"-5", english, "", NumberNegative},
		{"abc", english, "", NumberInvalid},
		{"", english, "", NumberInvalid},
		{"1.2.3", english, "", NumberInvalid},
		{"1,00,000", english, "", NumberInvalid},
		{"1,000,50", english, "", NumberInvalid},
		{"1 000,50", english, "1000.5", ""}, // a lone comma before 2 digits is a decimal point
		{"10.", english, "", NumberInvalid},
		{"+5", english, "", NumberInvalid},
		{"0x10", english, "", NumberInvalid},
		{"NaN", english, "", NumberInvalid},
		{"Infinity", english, "", NumberInvalid},
		{"１０", english, "", NumberInvalid},
		{strings.Repeat("9", 60), english, "", NumberInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.f.Decimal+"/"+tc.in, func(t *testing.T) {
			got, err := tc.f.Parse(tc.in)
			if tc.reason != "" {
				var ne *NumberError
				if !errors.As(err, &ne) || ne.Reason != tc.reason {
					t.Fatalf("Parse(%q) = %v, %v; want reason %s", tc.in, got, err, tc.reason)
				}
				return
			}
			if err != nil || !got.Equal(decimal.RequireFromString(tc.want)) {
				t.Fatalf("Parse(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

// FuzzParse checks Parse against refParse in both directions on inputs of
// digits, separators and spaces, and that what Amount prints, Parse reads
// back.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0,500", "0.500", "0,050", "0 500", "1,000", "1.000", "12,5", "12.5", "0,5", "1 000,50",
		"012,500", "1,2345", ".5", ",5", "1e3", "-1", "٣", "1\u00a0000"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, en bool) {
		form := spanish
		if en {
			form = english
		}
		d, err := form.Parse(in)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %v is not a *NumberError", err)
			}
		} else {
			if d.IsNegative() {
				t.Fatalf("Parse(%q) = %s is negative", in, d)
			}
			printed := form.Amount(d, 2)
			back, err := form.Parse(printed)
			if len(printed) <= maxNumberLen && (err != nil || !back.Equal(d)) {
				t.Fatalf("round trip of %s (%q): %v, %v", d, form.Amount(d, 2), back, err)
			}
		}
		if strings.Trim(in, "0123456789., ") != "" {
			return // the reference reads only digits, separators and spaces
		}
		want, ok := refParse(in, en)
		if err == nil && (!ok || !want.Equal(d)) {
			t.Fatalf("Parse(%q) = %s; the reference reads %s (ok %v)", in, d, want, ok)
		}
		if err != nil && ok && len(strings.TrimSpace(in)) <= maxNumberLen {
			t.Fatalf("Parse(%q) refused (%v) what the reference reads as %s", in, err, want)
		}
	})
}

// refParse is a reference reading of a typed number, by regular expressions
// over the whole string: a whole part that is plain digits, or 1-3 digits
// not starting with 0 followed by groups of 3 (one kind of separator: the
// language's group mark or a space); an optional decimal mark with at least
// one digit; or a lone group mark followed by other than exactly 3 digits,
// read as the decimal mark. ok is false when the input is none of these.
func refParse(in string, en bool) (decimal.Decimal, bool) {
	s := strings.TrimSpace(in)
	dec, grp := `,`, `\.`
	if en {
		dec, grp = `\.`, `,`
	}
	whole := `(\d+|[1-9]\d{0,2}(?:` + grp + `\d{3})+|[1-9]\d{0,2}(?: \d{3})+)`
	spaced := `(\d+|[1-9]\d{0,2}(?: \d{3})+)`
	var w, frac string
	if m := regexp.MustCompile(`^` + whole + `?(?:` + dec + `(\d+))?$`).FindStringSubmatch(s); m != nil {
		w, frac = m[1], m[2]
	} else if m := regexp.MustCompile(`^` + spaced + `?` + grp + `(\d+)$`).FindStringSubmatch(s); m != nil && len(m[2]) != 3 {
		w, frac = m[1], m[2]
	} else {
		return decimal.Zero, false
	}
	w = strings.NewReplacer(",", "", ".", "", " ", "").Replace(w)
	if w == "" && frac == "" {
		return decimal.Zero, false
	}
	if w == "" {
		w = "0"
	}
	if frac != "" {
		w += "." + frac
	}
	d, err := decimal.NewFromString(w)
	return d, err == nil
}
