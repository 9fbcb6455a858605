package payouts

import (
	"testing"
	"time"
)

// TestParseWhen: dates in the language's order (ISO always), a 24-hour
// time, UTC.
func TestParseWhen(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	for _, tc := range []struct {
		in, pattern string
		want        time.Time
	}{
		{"2026-03-27 09:00", "YYYY-MM-DD", at(2026, 3, 27, 9, 0)},
		{"2026-03-27T9:05", "YYYY-MM-DD", at(2026, 3, 27, 9, 5)},
		{" 2026/3/7  23:59 UTC ", "YYYY-MM-DD", at(2026, 3, 7, 23, 59)},
		{"27/03/2026 09:00", "DD/MM/YYYY", at(2026, 3, 27, 9, 0)},
		{"7.3.2026 0:00 utc", "DD/MM/YYYY", at(2026, 3, 7, 0, 0)},
		{"2026-03-27 09:00", "DD/MM/YYYY", at(2026, 3, 27, 9, 0)},
		{"03/27/2026 18:30", "MM/DD/YYYY", at(2026, 3, 27, 18, 30)},
		{"29/02/2028 12:00", "DD/MM/YYYY", at(2028, 2, 29, 12, 0)},
	} {
		got, err := parseWhen(tc.in, tc.pattern)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseWhen(%q, %q) = %v, %v; want %v", tc.in, tc.pattern, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "2026-03-27", "tomorrow 9:00", "2026-03-27 9", "2026-03-27 24:00", "2026-03-27 09:60",
		"2026-03-27 09:0", "31/02/2026 09:00", "27/13/2026 09:00", "27-03-26 09:00", "2026--03-27 09:00", "1999-01-01 09:00",
		"2026-03-27 09:00:00", "2026-03-27 -9:00", "2026-03-27 +9:00", "٢٠٢٦-03-27 09:00"} {
		if got, err := parseWhen(bad, "DD/MM/YYYY"); err == nil {
			t.Errorf("parseWhen(%q) = %v, want refused", bad, got)
		}
	}
}

// FuzzParseWhen: whatever is typed is refused, or is a time in UTC to the
// minute that reads back from how the date and time are written.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2026-03-27 09:00", "27/03/2026 9:05 UTC", "2026-03-27T23:59", "7.3.2026 0:00", "x", ""} {
		f.Add(s, "DD/MM/YYYY")
		f.Add(s, "YYYY-MM-DD")
	}
	f.Fuzz(func(t *testing.T, in, pattern string) {
		got, err := parseWhen(in, pattern)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.Second() != 0 || got.Nanosecond() != 0 || got.Year() < 2000 {
			t.Fatalf("parseWhen(%q, %q) = %v", in, pattern, got)
		}
		back, err := parseWhen(got.Format("2006-01-02 15:04"), pattern)
		if err != nil || !back.Equal(got) {
			t.Fatalf("%v does not read back (%v, %v)", got, back, err)
		}
	})
}

// TestSoon: the quick choices of the when step.
func TestSoon(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 30, 0, time.UTC)
	if got, _ := soon(now, "hour"); !got.Equal(time.Date(2026, 3, 20, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("in an hour = %v", got)
	}
	if got, _ := soon(now, "tomorrow"); !got.Equal(time.Date(2026, 3, 21, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("tomorrow = %v", got)
	}
	if got, _ := soon(now.Add(14*time.Hour), "tomorrow"); !got.Equal(time.Date(2026, 3, 22, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("tomorrow = %v", got)
	}
	if _, ok := soon(now, "later"); ok {
		t.Error("an unknown choice was taken")
	}
}
