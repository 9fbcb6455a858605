package dates

import (
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, pattern, want string // want "" = refused
	}{
		{"2026-03-01", "YYYY-MM-DD", "2026-03-01"},
		{"2026/3/1", "YYYY-MM-DD", "2026-03-01"},
		{"01/03/2026", "DD/MM/YYYY", "2026-03-01"},
		{"1.3.2026", "DD/MM/YYYY", "2026-03-01"},
		{"03/01/2026", "MM/DD/YYYY", "2026-03-01"},
		{"2026-03-01", "DD/MM/YYYY", "2026-03-01"}, // ISO always reads
		{" 29/02/2028 ", "DD/MM/YYYY", "2028-02-29"},
		{"29/02/2026", "DD/MM/YYYY", ""}, // no 29 February in 2026
		{"31/04/2026", "DD/MM/YYYY", ""},
		{"01/13/2026", "DD/MM/YYYY", ""},
		{"00/01/2026", "DD/MM/YYYY", ""},
		{"01/03/26", "DD/MM/YYYY", ""}, // the year has four digits
		{"001/03/2026", "DD/MM/YYYY", ""},
		{"01//03/2026", "DD/MM/YYYY", ""},
		{"/01/03/2026", "DD/MM/YYYY", ""},
		{"01/03/2026/", "DD/MM/YYYY", ""},
		{"01 03 2026", "DD/MM/YYYY", ""},
		{"1969-12-31", "YYYY-MM-DD", ""},
		{"2026-03", "YYYY-MM-DD", ""},
		{"２０２６-03-01", "YYYY-MM-DD", ""}, // full-width digits
		{"2026-03-01x", "YYYY-MM-DD", ""},
		{"", "YYYY-MM-DD", ""},
		{strings.Repeat("1", 100), "YYYY-MM-DD", ""},
	} {
		got, err := Parse(tc.in, tc.pattern)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("Parse(%q, %q) = %s, want it refused", tc.in, tc.pattern, got)
		case tc.want != "" && (err != nil || !got.Equal(day(tc.want))):
			t.Errorf("Parse(%q, %q) = %s, %v; want %s", tc.in, tc.pattern, got, err, tc.want)
		}
	}
}

func TestOrder(t *testing.T) {
	for pattern, want := range map[string]string{
		"DD/MM/YYYY": "DMY", "YYYY-MM-DD": "YMD", "MM.DD.YYYY": "MDY", "": "YMD", "DD/MM": "YMD",
	} {
		if got := Order(pattern); got != want {
			t.Errorf("Order(%q) = %s, want %s", pattern, got, want)
		}
	}
}

// FuzzParse: whatever is typed, Parse never panics, and a date it reads is
// a midnight UTC that reads back the same written as ISO.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"01/03/2026", "2026-03-01", "1.3.2026", "29/02/2028", "0/0/0", "9999-12-31", "//"} {
		f.Add(s, "DD/MM/YYYY")
		f.Add(s, "MM.DD.YYYY")
	}
	f.Fuzz(func(t *testing.T, in, pattern string) {
		d, err := Parse(in, pattern)
		if err != nil {
			return
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Year() < 1970 {
			t.Fatalf("%q: %s", in, d)
		}
		if back, err := Parse(d.Format("2006-01-02"), pattern); err != nil || !back.Equal(d) {
			t.Fatalf("%q: %s reads back as %s, %v", in, d, back, err)
		}
	})
}
