package transfer

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/plugins/internal/dates"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseDateRange(t *testing.T) {
	for _, tc := range []struct {
		in, from, to string // from "" = refused
	}{
		{"01/03/2026 15/03/2026", "2026-03-01", "2026-03-15"},
		{"01/03/2026 - 15/03/2026", "2026-03-01", "2026-03-15"},
		{"01/03/2026–15/03/2026", "2026-03-01", "2026-03-15"},
		{"01/03/2026 — 15/03/2026", "2026-03-01", "2026-03-15"},
		{"01/03/2026..15/03/2026", "2026-03-01", "2026-03-15"},
		{"15/03/2026 01/03/2026", "2026-03-01", "2026-03-15"}, // either order
		{"2026-03-05", "2026-03-05", "2026-03-05"},
		{"01/03/2026 15/03/2026 20/03/2026", "", ""},
		{"01/03/2026 -", "2026-03-01", "2026-03-01"},
		{"-", "", ""},
		{"", "", ""},
		{"yesterday", "", ""},
	} {
		from, to, err := ParseDateRange(tc.in, "DD/MM/YYYY")
		switch {
		case tc.from == "" && err == nil:
			t.Errorf("ParseDateRange(%q) = %s..%s, want it refused", tc.in, from, to)
		case tc.from != "" && (err != nil || !from.Equal(day(tc.from)) || !to.Equal(day(tc.to))):
			t.Errorf("ParseDateRange(%q) = %s..%s, %v; want %s..%s", tc.in, from, to, err, tc.from, tc.to)
		}
	}
}

// FuzzParseDateRange: whatever is typed, the parser never panics, a range
// it reads is ordered and made of midnights UTC, and each date it reads
// reads back the same when written the language's way.
func FuzzParseDateRange(f *testing.F) {
	for _, s := range []string{"01/03/2026 15/03/2026", "2026-03-01", "1.3.2026–2.3.2026", "29/02/2028", "..", "– —", "9999-12-31", "0/0/0"} {
		f.Add(s, "DD/MM/YYYY")
		f.Add(s, "YYYY-MM-DD")
		f.Add(s, "MM.DD.YYYY")
	}
	f.Fuzz(func(t *testing.T, in, pattern string) {
		from, to, err := ParseDateRange(in, pattern)
		if err != nil {
			return
		}
		if to.Before(from) {
			t.Fatalf("%q: %s after %s", in, from, to)
		}
		for _, d := range []time.Time{from, to} {
			if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
				t.Fatalf("%q: %s is no midnight UTC", in, d)
			}
			written := d.Format("2006-01-02")
			back, err := dates.Parse(written, pattern)
			if err != nil || !back.Equal(d) {
				t.Fatalf("%q: %s written %q reads %s, %v", in, d, written, back, err)
			}
		}
	})
}
