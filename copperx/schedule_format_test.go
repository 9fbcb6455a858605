package copperx_test

import (
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestScheduleFormat pins the one format of a schedule's first occurrence:
// RFC 3339 in UTC to the second, whatever the time's zone, and read back
// by ScheduleTime (which also takes what a schedule made elsewhere may
// carry: fractions, offsets, a bare date).
func TestScheduleFormat(t *testing.T) {
	madrid := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC), "2026-03-27T09:00:00Z"},
		{time.Date(2026, 3, 27, 10, 30, 0, 0, madrid), "2026-03-27T09:30:00Z"},
		{time.Date(2026, 12, 31, 23, 59, 59, 999, time.UTC), "2026-12-31T23:59:59Z"},
	} {
		got := copperx.ScheduleAt(tc.at)
		if got != tc.want {
			t.Errorf("ScheduleAt(%v) = %q, want %q", tc.at, got, tc.want)
		}
		back, ok := copperx.ScheduleTime(got)
		if !ok || !back.Equal(tc.at.Truncate(time.Second)) || back.Location() != time.UTC {
			t.Errorf("ScheduleTime(%q) = %v, %v; want %v in UTC", got, back, ok, tc.at.Truncate(time.Second))
		}
	}
	for in, want := range map[string]time.Time{
		"2026-03-27T09:00:00.500Z":  time.Date(2026, 3, 27, 9, 0, 0, 5e8, time.UTC),
		"2026-03-27T11:00:00+02:00": time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC),
		" 2026-03-27 ":              time.Date(2026, 3, 27, 0, 0, 0, 0, time.UTC),
	} {
		if got, ok := copperx.ScheduleTime(in); !ok || !got.Equal(want) {
			t.Errorf("ScheduleTime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "every monday", "27/03/2026", "2026-03-27 09:00", "0 9 * * 1"} {
		if got, ok := copperx.ScheduleTime(bad); ok {
			t.Errorf("ScheduleTime(%q) = %v, want refused", bad, got)
		}
	}
}
