package payouts

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// errWhen is a typed date and time that does not read.
var errWhen = errors.New("payouts: not a date and time")

// maxWhenInput bounds what is parsed at all.
const maxWhenInput = 64

// parseWhen reads a date and a time typed the user's way, in UTC: the date
// as the language's format.date pattern orders day, month and year
// ("DD/MM/YYYY"), separated by "-", "/" or "." (a first number of four
// digits reads as year-month-day whatever the pattern: ISO dates always
// work); then the time as hours and minutes on a 24-hour clock, "9:00"
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
	day, err := parseDate(date, pattern)
	if err != nil {
		return time.Time{}, err
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

// parseDate reads a date in the order of pattern (see parseWhen); the
// result is that day's midnight, UTC.
func parseDate(s, pattern string) (time.Time, error) {
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(groups) != 3 || strings.Count(s, "-")+strings.Count(s, "/")+strings.Count(s, ".") != 2 {
		return time.Time{}, errWhen
	}
	order := dateOrder(pattern)
	if len(groups[0]) == 4 {
		order = "YMD"
	}
	var year, month, day int
	for i, part := range order {
		g := groups[i]
		if !digits(g) {
			return time.Time{}, errWhen
		}
		n, _ := strconv.Atoi(g)
		switch part {
		case 'Y':
			if len(g) != 4 {
				return time.Time{}, errWhen
			}
			year = n
		case 'M':
			if len(g) > 2 {
				return time.Time{}, errWhen
			}
			month = n
		case 'D':
			if len(g) > 2 {
				return time.Time{}, errWhen
			}
			day = n
		}
	}
	if year < 2000 || month < 1 || month > 12 || day < 1 {
		return time.Time{}, errWhen
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || t.Month() != time.Month(month) { // 31/02 is no date
		return time.Time{}, errWhen
	}
	return t, nil
}

// dateOrder is the order of year, month and day in a format.date pattern
// ("DMY" for "DD/MM/YYYY"); year-month-day when the pattern does not say.
func dateOrder(pattern string) string {
	y, m, d := strings.Index(pattern, "YYYY"), strings.Index(pattern, "MM"), strings.Index(pattern, "DD")
	if y < 0 || m < 0 || d < 0 {
		return "YMD"
	}
	type pos struct {
		at   int
		part byte
	}
	ps := []pos{{y, 'Y'}, {m, 'M'}, {d, 'D'}}
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if ps[j].at < ps[i].at {
				ps[i], ps[j] = ps[j], ps[i]
			}
		}
	}
	return string([]byte{ps[0].part, ps[1].part, ps[2].part})
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
