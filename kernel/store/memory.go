package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Memory is an in-process Store: a map under a mutex. Expired keys are
// dropped when touched and by a periodic sweep that Close stops.
type Memory struct {
	now func() time.Time

	mu     sync.Mutex
	items  map[string]*item
	locks  map[string]*memLock
	sets   map[string]map[string]struct{}
	seen   map[string]*seenSet  // turns: handled update ids per user
	tat    map[string]time.Time // turns: the default limit per user
	closed bool

	stop chan struct{}
	done chan struct{}
}

type item struct {
	data    []byte
	version int64
	expires time.Time // zero: never
}

type memLock struct {
	expires  time.Time
	released chan struct{} // closed when the lock is released or replaced after expiry
}

// MemoryOption configures NewMemory.
type MemoryOption func(*memoryConfig)

type memoryConfig struct {
	now   func() time.Time
	sweep time.Duration
}

// WithClock makes the store read time from now (tests inject a fake clock).
// Lock waits still use real timers, re-checking the clock when they fire.
func WithClock(now func() time.Time) MemoryOption {
	return func(c *memoryConfig) { c.now = now }
}

// WithSweepInterval sets how often expired keys are swept (default 1m;
// <= 0 disables the sweeper, leaving only lazy expiry).
func WithSweepInterval(d time.Duration) MemoryOption {
	return func(c *memoryConfig) { c.sweep = d }
}

// NewMemory returns an empty Memory store. Call Close to stop its sweeper.
func NewMemory(opts ...MemoryOption) *Memory {
	cfg := memoryConfig{now: time.Now, sweep: time.Minute}
	for _, o := range opts {
		o(&cfg)
	}
	m := &Memory{
		now:   cfg.now,
		items: make(map[string]*item),
		locks: make(map[string]*memLock),
		sets:  make(map[string]map[string]struct{}),
		seen:  make(map[string]*seenSet),
		tat:   make(map[string]time.Time),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if cfg.sweep > 0 {
		go m.sweeper(cfg.sweep)
	} else {
		close(m.done)
	}
	return m
}

func (m *Memory) sweeper(every time.Duration) {
	defer close(m.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.Sweep()
		}
	}
}

// Sweep drops every expired key and lock now. The background sweeper calls
// it; tests may too.
func (m *Memory) Sweep() {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for k, it := range m.items {
		if it.expired(now) {
			delete(m.items, k)
		}
	}
	for k, l := range m.locks {
		if !now.Before(l.expires) {
			delete(m.locks, k)
			close(l.released)
		}
	}
	for k, s := range m.seen {
		if !now.Before(s.expires) {
			delete(m.seen, k)
		}
	}
	for k, tat := range m.tat {
		if !tat.After(now) {
			delete(m.tat, k)
		}
	}
}

// Len reports how many keys are stored, expired ones included until swept.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

func (it *item) expired(now time.Time) bool {
	return !it.expires.IsZero() && !now.Before(it.expires)
}

func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}

// lookup returns the live item for key, dropping it if expired. m.mu held.
func (m *Memory) lookup(key string, now time.Time) *item {
	it, ok := m.items[key]
	if !ok {
		return nil
	}
	if it.expired(now) {
		delete(m.items, key)
		return nil
	}
	return it
}

func (m *Memory) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.closed {
		return errClosed
	}
	return nil
}

var errClosed = errors.New("store: memory store closed")

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string, ttl time.Duration) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return nil, 0, fmt.Errorf("store: get %q: %w", key, err)
	}
	if err := m.notASet(key); err != nil {
		return nil, 0, fmt.Errorf("store: get %q: %w", key, err)
	}
	now := m.now()
	it := m.lookup(key, now)
	if it == nil {
		return nil, 0, nil
	}
	if ttl > 0 {
		it.expires = now.Add(ttl)
	}
	return clone(it.data), it.version, nil
}

// CompareAndSwap implements Store.
func (m *Memory) CompareAndSwap(ctx context.Context, key string, value []byte, version int64, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return 0, fmt.Errorf("store: compare and swap %q: %w", key, err)
	}
	if err := m.notASet(key); err != nil {
		return 0, fmt.Errorf("store: compare and swap %q: %w", key, err)
	}
	now := m.now()
	it := m.lookup(key, now)
	var cur int64
	if it != nil {
		cur = it.version
	}
	if cur != version {
		return 0, ErrConflict
	}
	m.items[key] = &item{data: clone(value), version: cur + 1, expires: expiry(now, ttl)}
	return cur + 1, nil
}

// Set implements Store.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("store: set %q: %w", key, err)
	}
	if err := m.notASet(key); err != nil {
		return fmt.Errorf("store: set %q: %w", key, err)
	}
	now := m.now()
	var cur int64
	if it := m.lookup(key, now); it != nil {
		cur = it.version
	}
	m.items[key] = &item{data: clone(value), version: cur + 1, expires: expiry(now, ttl)}
	return nil
}

// SetNX implements Store.
func (m *Memory) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return false, fmt.Errorf("store: setnx %q: %w", key, err)
	}
	if err := m.notASet(key); err != nil {
		return false, fmt.Errorf("store: setnx %q: %w", key, err)
	}
	now := m.now()
	if m.lookup(key, now) != nil {
		return false, nil
	}
	m.items[key] = &item{data: clone(value), version: 1, expires: expiry(now, ttl)}
	return true, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	for _, k := range keys {
		delete(m.items, k)
		delete(m.sets, k)
	}
	return nil
}

// setUsable is the check before a set operation (what: "add to"…): the
// store is up and key holds no value.
func (m *Memory) setUsable(ctx context.Context, what, key string) error {
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("store: %s %q: %w", what, key, err)
	}
	if m.lookup(key, m.now()) != nil {
		return fmt.Errorf("store: %s %q: %w", what, key, errNotASet)
	}
	return nil
}

// AddMember implements Sets.
func (m *Memory) AddMember(ctx context.Context, key, member string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.setUsable(ctx, "add to", key); err != nil {
		return false, err
	}
	set, ok := m.sets[key]
	if !ok {
		set = map[string]struct{}{}
		m.sets[key] = set
	}
	if _, ok := set[member]; ok {
		return false, nil
	}
	set[member] = struct{}{}
	return true, nil
}

// RemoveMember implements Sets.
func (m *Memory) RemoveMember(ctx context.Context, key, member string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.setUsable(ctx, "remove from", key); err != nil {
		return 0, err
	}
	set := m.sets[key]
	delete(set, member)
	if len(set) == 0 {
		delete(m.sets, key)
	}
	return int64(len(set)), nil
}

// Members implements Sets.
func (m *Memory) Members(ctx context.Context, key string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.setUsable(ctx, "members of", key); err != nil {
		return nil, err
	}
	set := m.sets[key]
	if len(set) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(set))
	for member := range set {
		out = append(out, member)
	}
	return out, nil
}

// notASet refuses a value operation on a key that holds a set, as Redis
// does (WRONGTYPE). m.mu held.
func (m *Memory) notASet(key string) error {
	if _, ok := m.sets[key]; ok {
		return errASet
	}
	return nil
}

// errASet is the Memory store's answer to a value operation on a key that
// holds a set.
var errASet = errors.New("the key holds a set, not a value")

// errNotASet is the Memory store's answer to a set operation on a key that
// holds a value (Redis answers WRONGTYPE).
var errNotASet = errors.New("the key holds a value, not a set")

// Lock implements Store. Waiters block on a channel that is closed when
// the holder unlocks (or on a timer until the holder's lock expires); there
// is no polling.
func (m *Memory) Lock(ctx context.Context, key string, ttl time.Duration) (*Lease, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("store: lock %q: %w", key, errBadTTL)
	}
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, fmt.Errorf("store: lock %q: %w", key, errClosed)
		}
		if err := ctx.Err(); err != nil {
			m.mu.Unlock()
			return nil, lockErr(key, err)
		}
		now := m.now()
		held := m.locks[key]
		if held != nil && !now.Before(held.expires) {
			delete(m.locks, key)
			close(held.released)
			held = nil
		}
		if held == nil {
			l := &memLock{expires: now.Add(ttl), released: make(chan struct{})}
			m.locks[key] = l
			m.mu.Unlock()
			return NewLease(func(context.Context) error { return m.renew(key, l, ttl) }, func() { m.unlock(key, l) }), nil
		}
		wait := held.expires.Sub(now)
		m.mu.Unlock()

		timer := time.NewTimer(wait)
		select {
		case <-held.released:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, lockErr(key, ctx.Err())
		}
		timer.Stop()
	}
}

func lockErr(key string, err error) error {
	return fmt.Errorf("store: lock %q: %w: %w", key, ErrLockTimeout, err)
}

// unlock releases l if it is still the lock held on key.
// renew pushes l's expiry, if l still holds key.
func (m *Memory) renew(key string, l *memLock, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.locks[key] != l || !now.Before(l.expires) {
		return fmt.Errorf("store: renew lock %q: %w", key, ErrLockLost)
	}
	l.expires = now.Add(ttl)
	return nil
}

func (m *Memory) unlock(key string, l *memLock) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[key] == l {
		delete(m.locks, key)
		close(l.released)
	}
}

// Ping implements Store.
func (m *Memory) Ping(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.check(ctx)
}

// Close stops the sweeper; later calls fail. Close is idempotent.
func (m *Memory) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	close(m.stop)
	<-m.done
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return append([]byte(nil), b...)
}

var _ Store = (*Memory)(nil)
