package transfer

import (
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/plugins/internal/dates"
)

// rangeSeparators stand between the two dates of a range, besides spaces.
var rangeSeparators = strings.NewReplacer("–", " ", "—", " ", "..", " ", "…", " ")

// ParseDateRange reads one date (that day) or two (from and to, in either
// order, both included) typed the language's way (see dates.Parse),
// separated by spaces, a dash between spaces, "–", "—", ".." or "…":
// "01/03/2026 15/03/2026", "2026-03-01 - 2026-03-15", "2026-03-01–2026-03-15".
// from and to are midnights, UTC.
func ParseDateRange(input, pattern string) (from, to time.Time, err error) {
	if len(input) > 2*dates.MaxInput {
		return time.Time{}, time.Time{}, dates.ErrDate
	}
	var days []time.Time
	for _, f := range strings.Fields(rangeSeparators.Replace(input)) {
		if f == "-" {
			continue
		}
		d, err := dates.Parse(f, pattern)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		days = append(days, d)
	}
	switch len(days) {
	case 1:
		return days[0], days[0], nil
	case 2:
		if days[1].Before(days[0]) {
			days[0], days[1] = days[1], days[0]
		}
		return days[0], days[1], nil
	}
	return time.Time{}, time.Time{}, dates.ErrDate
}
