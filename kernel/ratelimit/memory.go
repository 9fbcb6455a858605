package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Memory is an in-process GCRA Limiter. Keys whose allowance is back to
// full are evicted every so often, so idle users cost nothing.
type Memory struct {
	now        func() time.Time
	evictEvery time.Duration

	mu        sync.Mutex
	tat       map[string]time.Time // theoretical arrival time per key
	lastEvict time.Time
}

// MemoryOption configures NewMemory.
type MemoryOption func(*Memory)

// WithClock makes the limiter read time from now (tests inject a fake clock).
func WithClock(now func() time.Time) MemoryOption { return func(m *Memory) { m.now = now } }

// WithEvictInterval sets how often Allow sweeps idle keys (default 1m).
func WithEvictInterval(d time.Duration) MemoryOption {
	return func(m *Memory) { m.evictEvery = d }
}

// NewMemory returns an empty Memory limiter. It starts no goroutine.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{now: time.Now, evictEvery: time.Minute, tat: make(map[string]time.Time)}
	for _, o := range opts {
		o(m)
	}
	m.lastEvict = m.now()
	return m
}

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, fmt.Errorf("ratelimit: %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("ratelimit: %s: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.evict(now)

	t := l.interval()
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(t)
	allowAt := newTAT.Add(-time.Duration(l.burst()) * t)
	diff := now.Sub(allowAt)
	if diff < 0 {
		return Result{Allowed: false, RetryAfter: -diff}, nil
	}
	m.tat[key] = newTAT
	return Result{Allowed: true, Remaining: int(diff / t)}, nil
}

// evict drops keys whose allowance is full again. m.mu held.
func (m *Memory) evict(now time.Time) {
	if m.evictEvery <= 0 || now.Sub(m.lastEvict) < m.evictEvery {
		return
	}
	m.lastEvict = now
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
}

// Len reports how many keys are tracked (for tests and metrics).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

var _ Limiter = (*Memory)(nil)
