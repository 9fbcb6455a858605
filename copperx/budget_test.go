package copperx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that only the recorded backoff sleeps move.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	f.sleeps = append(f.sleeps, d)
	return ctx.Err()
}

// budgetClient is a client of h with cfg adjusted by mutate.
func budgetClient(t *testing.T, h http.Handler, mutate func(*Config), opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := DefaultConfig()
	cfg.APIURL = srv.URL
	mutate(&cfg)
	c, err := New(cfg, append([]Option{WithJitter(func(d time.Duration) time.Duration { return d })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRetryBudgetBoundsBackoff: retries stop once the next backoff would end
// past the budget, whatever max_retries allows.
func TestRetryBudgetBoundsBackoff(t *testing.T) {
	tests := []struct {
		name       string
		budget     time.Duration
		steps      []func(http.ResponseWriter)
		wantCalls  int32
		wantSleeps []time.Duration
		wantErr    error
	}{
		{"5xx until the budget is spent", time.Second, []func(http.ResponseWriter){status(503)}, 3,
			[]time.Duration{200 * time.Millisecond, 400 * time.Millisecond}, ErrServer},
		{"a larger budget allows more", 4 * time.Second, []func(http.ResponseWriter){status(503)}, 5,
			[]time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}, ErrServer},
		{"success within the budget", time.Second, []func(http.ResponseWriter){status(502), okJSON(`["137"]`)}, 2,
			[]time.Duration{200 * time.Millisecond}, nil},
		{"Retry-After past the budget is not waited", 500 * time.Millisecond, []func(http.ResponseWriter){status(429, "Retry-After", "1"), okJSON(`["137"]`)}, 1,
			nil, ErrRateLimited},
		{"backoff exactly at the budget is not waited", 200 * time.Millisecond, []func(http.ResponseWriter){status(500), okJSON(`["137"]`)}, 1,
			nil, ErrServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			clock := &fakeClock{t: time.Date(2025, 4, 20, 10, 0, 0, 0, time.UTC)}
			c := budgetClient(t, sequence(&calls, tt.steps...), func(cfg *Config) {
				cfg.MaxRetries = 10
				cfg.RetryBudget = tt.budget
			}, WithClock(clock.now), WithSleep(clock.sleep))
			_, err := c.Networks(context.Background(), testToken)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls = %d, want %d", got, tt.wantCalls)
			}
			if got := clock.sleeps; len(got) != len(tt.wantSleeps) || !equalDurations(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantSleeps)
			}
		})
	}
}

// hang answers nothing until the client gives up, and counts requests.
func hang(calls *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-r.Context().Done()
	}
}

// TestRetryBudgetCutsAnAttempt: a GET whose attempt would outlive the
// budget is cut when the budget runs out (per-attempt timeout = min(timeout,
// what is left)), and is not retried afterwards.
func TestRetryBudgetCutsAnAttempt(t *testing.T) {
	var calls atomic.Int32
	c := budgetClient(t, hang(&calls), func(cfg *Config) {
		cfg.Timeout = 30 * time.Second
		cfg.MaxRetries = 5
		cfg.RetryBudget = 200 * time.Millisecond
	})
	start := time.Now()
	_, err := c.Networks(context.Background(), testToken)
	elapsed := time.Since(start)
	var ne *NetworkError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout NetworkError", err)
	}
	if elapsed < 200*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("the call took %v, want about the 200ms budget", elapsed)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1 (no retry once the budget is spent)", n)
	}
}

// TestRetryBudgetSparesPOSTs: a money-moving POST makes one attempt bounded
// by the timeout alone, never cut by the (shorter) retry budget.
func TestRetryBudgetSparesPOSTs(t *testing.T) {
	var calls atomic.Int32
	c := budgetClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select { // a slow API, slower than the budget
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte(`{"id":"t1","amount":"100000000"}`))
	}), func(cfg *Config) {
		cfg.Timeout = 10 * time.Second
		cfg.RetryBudget = 50 * time.Millisecond
	})
	tr, err := c.Send(context.Background(), testToken, SendRequest{Email: "f@x.com", Amount: dec("1"), PurposeCode: "self"})
	if err != nil || tr.ID != "t1" {
		t.Fatalf("Send = %+v, %v", tr, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("calls = %d", n)
	}
}
