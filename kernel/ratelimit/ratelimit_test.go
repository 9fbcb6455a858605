package ratelimit_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// limiter is a Limiter under test with a way to let time pass: a fake clock
// for Memory, real sleeping for Redis (whose script reads Redis's clock).
type limiter struct {
	ratelimit.Limiter
	advance func(time.Duration)
	exact   bool // time does not pass between calls
}

func limiters() map[string]func(t *testing.T) limiter {
	return map[string]func(t *testing.T) limiter{
		"Memory": func(t *testing.T) limiter {
			clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			return limiter{ratelimit.NewMemory(ratelimit.WithClock(clk.Now)), clk.Add, true}
		},
		"Redis": func(t *testing.T) limiter {
			rdb, prefix := storetest.Redis(t)
			return limiter{ratelimit.NewRedis(rdb, prefix), time.Sleep, false}
		},
	}
}

type step struct {
	key        string
	allowed    bool
	remaining  int
	retryAfter time.Duration // when denied: exact for Memory, upper bound (and > 0) for Redis
}

func TestSequencesAgree(t *testing.T) {
	seqs := []struct {
		name  string
		limit ratelimit.Limit
		steps []step
	}{
		{
			name:  "burst then deny",
			limit: ratelimit.Limit{Rate: 2, Period: time.Second, Burst: 3},
			steps: []step{
				{"u1", true, 2, 0}, {"u1", true, 1, 0}, {"u1", true, 0, 0},
				{"u1", false, 0, 500 * time.Millisecond}, {"u1", false, 0, 500 * time.Millisecond},
				{"u2", true, 2, 0}, // other keys are independent
			},
		},
		{
			name:  "burst 0 means rate",
			limit: ratelimit.Limit{Rate: 3, Period: time.Minute},
			steps: []step{
				{"u", true, 2, 0}, {"u", true, 1, 0}, {"u", true, 0, 0},
				{"u", false, 0, 20 * time.Second},
			},
		},
		{
			name:  "one per minute",
			limit: ratelimit.Limit{Rate: 1, Period: time.Minute},
			steps: []step{{"u", true, 0, 0}, {"u", false, 0, time.Minute}, {"v", true, 0, 0}},
		},
		{
			name:  "burst smaller than rate",
			limit: ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 1},
			steps: []step{{"u", true, 0, 0}, {"u", false, 0, 12 * time.Minute}},
		},
	}
	for name, mk := range limiters() {
		t.Run(name, func(t *testing.T) {
			for _, sq := range seqs {
				t.Run(sq.name, func(t *testing.T) {
					t.Parallel()
					l := mk(t)
					for i, st := range sq.steps {
						res, err := l.Allow(t.Context(), st.key, sq.limit)
						if err != nil {
							t.Fatal(err)
						}
						if res.Allowed != st.allowed || res.Remaining != st.remaining {
							t.Fatalf("step %d (%s): %+v, want allowed %v remaining %d", i, st.key, res, st.allowed, st.remaining)
						}
						switch {
						case st.allowed && res.RetryAfter != 0:
							t.Fatalf("step %d: allowed with RetryAfter %s", i, res.RetryAfter)
						case !st.allowed && l.exact && res.RetryAfter != st.retryAfter:
							t.Fatalf("step %d: RetryAfter %s, want %s", i, res.RetryAfter, st.retryAfter)
						case !st.allowed && (res.RetryAfter <= 0 || res.RetryAfter > st.retryAfter):
							t.Fatalf("step %d: RetryAfter %s, want in (0, %s]", i, res.RetryAfter, st.retryAfter)
						}
					}
				})
			}
		})
	}
}

func TestRecovery(t *testing.T) {
	lim := ratelimit.Limit{Rate: 20, Period: time.Second, Burst: 2} // one event per 50ms
	for name, mk := range limiters() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := mk(t)
			ctx := t.Context()
			allow := func() ratelimit.Result {
				t.Helper()
				r, err := l.Allow(ctx, "u", lim)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			allow()
			allow()
			r := allow()
			if r.Allowed {
				t.Fatal("third event allowed")
			}
			l.advance(r.RetryAfter + 5*time.Millisecond)
			if r := allow(); !r.Allowed {
				t.Fatalf("after RetryAfter: %+v", r)
			}
			// A long idle period refills the whole burst, never more.
			l.advance(200 * time.Millisecond)
			if r := allow(); !r.Allowed || r.Remaining != 1 {
				t.Fatalf("after idle: %+v, want allowed with 1 remaining", r)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	lim := ratelimit.Limit{Rate: 10, Period: time.Hour}
	for name, mk := range limiters() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := mk(t)
			var allowed atomic.Int32
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(func() {
					r, err := l.Allow(t.Context(), "u", lim)
					if err != nil {
						t.Error(err)
					}
					if r.Allowed {
						allowed.Add(1)
					}
				})
			}
			wg.Wait()
			if allowed.Load() != 10 {
				t.Fatalf("%d allowed, want 10", allowed.Load())
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		l       ratelimit.Limit
		wantErr string
	}{
		{ratelimit.Limit{Rate: 1, Period: time.Second}, ""},
		{ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 10}, ""},
		{ratelimit.Limit{Rate: 0, Period: time.Second}, "rate: must be > 0, got 0"},
		{ratelimit.Limit{Rate: 1}, "period: must be > 0, got 0s"},
		{ratelimit.Limit{Rate: 1, Period: time.Second, Burst: -1}, "burst: must be >= 0, got -1"},
		{ratelimit.Limit{Rate: 10, Period: 5 * time.Nanosecond}, "more than one event per nanosecond"},
	}
	for _, tc := range tests {
		err := tc.l.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tc.l, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: err = %v, want %q", tc.l, err, tc.wantErr)
		}
	}
	for name, mk := range limiters() {
		if _, err := mk(t).Allow(context.Background(), "u", ratelimit.Limit{}); err == nil {
			t.Errorf("%s: Allow with zero Limit succeeded", name)
		}
	}
	if s := (ratelimit.Limit{Rate: 5, Period: time.Minute}).String(); s != "5/1m0s (burst 5)" {
		t.Errorf("String = %q", s)
	}
}

func TestMemoryEvictsIdleKeys(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := ratelimit.NewMemory(ratelimit.WithClock(clk.Now), ratelimit.WithEvictInterval(time.Minute))
	lim := ratelimit.Limit{Rate: 1, Period: time.Second}
	for _, k := range []string{"a", "b", "c"} {
		if _, err := m.Allow(context.Background(), k, lim); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() != 3 {
		t.Fatalf("Len = %d", m.Len())
	}
	clk.Add(2 * time.Minute)
	if _, err := m.Allow(context.Background(), "d", lim); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Fatalf("Len after eviction = %d, want 1", m.Len())
	}
}

func TestMemoryCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ratelimit.NewMemory().Allow(ctx, "u", ratelimit.Limit{Rate: 1, Period: time.Second}); err == nil {
		t.Fatal("no error")
	}
}

func TestRedisKeys(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	l := ratelimit.NewRedis(rdb, prefix)
	if _, err := l.Allow(context.Background(), "user:1", ratelimit.Limit{Rate: 1, Period: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	key := "rate:" + prefix + "user:1"
	if ttl := rdb.TTL(context.Background(), key).Val(); ttl <= 0 || ttl > 10*time.Second {
		t.Fatalf("TTL(%s) = %s, want (0, 10s]", key, ttl)
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := ratelimit.NewMemory()
	lim := ratelimit.Limit{Rate: 1000000, Period: time.Second}
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Allow(ctx, "u", lim); err != nil {
			b.Fatal(err)
		}
	}
}
