package payouts

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/plugins/internal/dates"
)

// errWhen is a typed date and time that does not read.
var errWhen = errors.New("payouts: not a date and time")

// maxWhenInput bounds what is parsed at all.
const maxWhenInput = 64

// parseWhen reads a date and a time typed the user's way, in UTC: the date
// as dates.Parse reads it (the language's format.date order, ISO always),
// from the year 2000; then the time as hours and minutes on a 24-hour clock, "9:00"
// or "09:00" (a "T" between them, as in ISO's "2026-03-27T09:00", and a
// trailing "UTC" are fine).
func parseWhen(input, pattern string) (time.Time, error) {
	s := strings.TrimSpace(input)
	if s == "" || len(s) > maxWhenInput {
		return time.Time{}, errWhen
	}
	if len(s) >= 3 && strings.EqualFold(s[len(s)-3:], "utc") {
		s = strings.TrimSpace(s[:len(s)-3])
	}
	date, clock, ok := strings.Cut(s, " ")
	if !ok {
		date, clock, ok = strings.Cut(s, "T")
	}
	if !ok {
		return time.Time{}, errWhen
	}
	day, err := dates.Parse(date, pattern)
	if err != nil || day.Year() < 2000 {
		return time.Time{}, errWhen
	}
	h, m, err := parseClock(strings.TrimSpace(clock))
	if err != nil {
		return time.Time{}, err
	}
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute), nil
}

// parseClock reads "9:00", "09:05" or "23:59".
func parseClock(s string) (hour, minute int, err error) {
	hs, ms, ok := strings.Cut(s, ":")
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 || !digits(hs) || !digits(ms) {
		return 0, 0, errWhen
	}
	hour, _ = strconv.Atoi(hs)
	minute, _ = strconv.Atoi(ms)
	if hour > 23 || minute > 59 {
		return 0, 0, errWhen
	}
	return hour, minute, nil
}

// digits reports a non-empty string of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
