// Package dates reads dates typed the way the user's language writes them
// (its locale's format.date), for the plugins that ask for one (transfer's
// statements, payouts' schedules). It is not a plugin: plugins never
// import each other, and share only such plain helpers.
package dates

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrDate is a typed date that does not read.
var ErrDate = errors.New("not a date")

// MaxInput bounds what Parse reads at all.
const MaxInput = 64

// Parse reads a date typed the way the user's language writes dates:
// pattern is the language's format.date ("DD/MM/YYYY", "YYYY-MM-DD"), whose
// order of day, month and year the three numbers follow, separated by
// "-", "/" or "." (the separator need not be the pattern's). Day and month
// may have one digit; the year has four, from 1970. A first number of four
// digits reads as year-month-day whatever the pattern (ISO dates always
// work). The result is that day's midnight, UTC.
func Parse(input, pattern string) (time.Time, error) {
	s := strings.TrimSpace(input)
	if s == "" || len(s) > MaxInput {
		return time.Time{}, ErrDate
	}
	var groups []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i < len(s) && !strings.ContainsRune("-/.", rune(s[i])) {
			return time.Time{}, ErrDate
		}
		if i == start { // empty group: a separator first, last or doubled
			return time.Time{}, ErrDate
		}
		groups = append(groups, s[start:i])
		start = i + 1
	}
	if len(groups) != 3 {
		return time.Time{}, ErrDate
	}
	order := Order(pattern)
	if len(groups[0]) == 4 {
		order = "YMD"
	}
	var year, month, day int
	for i, part := range order {
		n, err := strconv.Atoi(groups[i])
		if err != nil {
			return time.Time{}, ErrDate
		}
		switch part {
		case 'Y':
			if len(groups[i]) != 4 {
				return time.Time{}, ErrDate
			}
			year = n
		case 'M':
			if len(groups[i]) > 2 {
				return time.Time{}, ErrDate
			}
			month = n
		case 'D':
			if len(groups[i]) > 2 {
				return time.Time{}, ErrDate
			}
			day = n
		}
	}
	if year < 1970 || month < 1 || month > 12 || day < 1 {
		return time.Time{}, ErrDate
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || t.Month() != time.Month(month) { // 31/02 is no date
		return time.Time{}, ErrDate
	}
	return t, nil
}

// Order is the order of year, month and day in a format.date pattern
// ("DMY" for "DD/MM/YYYY"); year-month-day when the pattern does not say.
func Order(pattern string) string {
	pos := map[byte]int{'Y': strings.Index(pattern, "YYYY"), 'M': strings.Index(pattern, "MM"), 'D': strings.Index(pattern, "DD")}
	if pos['Y'] < 0 || pos['M'] < 0 || pos['D'] < 0 {
		return "YMD"
	}
	order := []byte("YMD")
	for i := range order {
		for j := i + 1; j < len(order); j++ {
			if pos[order[j]] < pos[order[i]] {
				order[i], order[j] = order[j], order[i]
			}
		}
	}
	return string(order)
}
