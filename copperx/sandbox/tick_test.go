package sandbox

import (
	"testing"
	"time"
)

// TestTickDuration: :tick takes Go durations and whole days, from zero to
// 400 days, and nothing else.
func TestTickDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "90m": 90 * time.Minute, "24h": 24 * time.Hour, "1h30m": 90 * time.Minute,
		"7d": 7 * 24 * time.Hour, "400d": 400 * 24 * time.Hour, "0d": 0,
	} {
		if got, err := TickDuration(in); err != nil || got != want {
			t.Errorf("TickDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "1.5d", "-1h", "-2d", "401d", "10000h", "tomorrow", "7 d"} {
		if got, err := TickDuration(bad); err == nil {
			t.Errorf("TickDuration(%q) = %v, want refused", bad, got)
		}
	}
}
