// Package ratelimit enforces named per-user limits ("5 transfers per
// minute") with GCRA (generic cell rate algorithm) semantics.
//
// A Limit allows Rate events per Period on average, with Burst events
// allowed at once from idle; after a burst, one event is allowed every
// Period/Rate. Memory implements GCRA by hand for one process and tests;
// Redis uses github.com/go-redis/redis_rate so several bot processes share
// one budget. Both give the same answers for the same sequence of events.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limit allows Rate events per Period, with Burst events allowed at once
// (Burst 0 means Burst = Rate).
type Limit struct {
	// Rate is the number of events allowed per Period.
	Rate int `koanf:"rate"`
	// Period is the window Rate applies to, e.g. 1m.
	Period time.Duration `koanf:"period"`
	// Burst is how many events may happen at once from idle (0: Rate).
	Burst int `koanf:"burst"`
}

// Validate reports a Limit that cannot be enforced.
func (l Limit) Validate() error {
	var errs []error
	if l.Rate <= 0 {
		errs = append(errs, fmt.Errorf("rate: must be > 0, got %d", l.Rate))
	}
	if l.Period <= 0 {
		errs = append(errs, fmt.Errorf("period: must be > 0, got %s", l.Period))
	}
	if l.Burst < 0 {
		errs = append(errs, fmt.Errorf("burst: must be >= 0, got %d", l.Burst))
	}
	if l.Rate > 0 && l.Period > 0 && l.Period/time.Duration(l.Rate) <= 0 {
		errs = append(errs, fmt.Errorf("rate: %d per %s is more than one event per nanosecond", l.Rate, l.Period))
	}
	return errors.Join(errs...)
}

// String formats the limit as "5/1m0s (burst 5)".
func (l Limit) String() string {
	return fmt.Sprintf("%d/%s (burst %d)", l.Rate, l.Period, l.burst())
}

func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// interval is the time one event "costs": Period/Rate.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// Result is the outcome of one Allow call.
type Result struct {
	// Allowed reports whether the event may happen now.
	Allowed bool
	// RetryAfter is how long to wait before the next event would be
	// allowed; 0 when Allowed.
	RetryAfter time.Duration
	// Remaining is how many more events would be allowed right now.
	Remaining int
}

// Limiter decides whether an event for key may happen now under l. A
// denied event does not use up any allowance.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) (Result, error)
}
