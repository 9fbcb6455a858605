package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// fakeClock is a settable clock for Memory.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

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

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		clk := newFakeClock()
		return storetest.WithAdvance(store.NewMemory(store.WithClock(clk.Now)), clk.Add)
	})
}

func TestMemoryConformanceRealClock(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return store.NewMemory(store.WithSweepInterval(10 * time.Millisecond))
	})
}

func TestMemorySweep(t *testing.T) {
	clk := newFakeClock()
	m := store.NewMemory(store.WithClock(clk.Now), store.WithSweepInterval(0))
	defer m.Close()
	ctx := context.Background()
	for i := range 10 {
		if err := m.Set(ctx, strconv.Itoa(i), []byte("x"), time.Duration(i+1)*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Set(ctx, "forever", nil, 0); err != nil {
		t.Fatal(err)
	}
	_, _ = m.Lock(ctx, "l", time.Second)
	clk.Add(5 * time.Second)
	m.Sweep()
	if n := m.Len(); n != 6 {
		t.Fatalf("Len after sweep = %d, want 6", n)
	}
	// The expired lock was swept, so it is free.
	lctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	lease, err := m.Lock(lctx, "l", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	lease.Release()
}

func TestMemoryBackgroundSweep(t *testing.T) {
	m := store.NewMemory(store.WithSweepInterval(5 * time.Millisecond))
	defer m.Close()
	if err := m.Set(context.Background(), "k", []byte("x"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for m.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("sweeper did not drop the expired key")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMemoryClosed(t *testing.T) {
	m := store.NewMemory()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	ctx := context.Background()
	if _, _, err := m.Get(ctx, "k", 0); err == nil {
		t.Error("Get after Close succeeded")
	}
	if err := m.Set(ctx, "k", nil, 0); err == nil {
		t.Error("Set after Close succeeded")
	}
	if _, err := m.SetNX(ctx, "k", nil, 0); err == nil {
		t.Error("SetNX after Close succeeded")
	}
	if _, err := m.CompareAndSwap(ctx, "k", nil, 0, 0); err == nil {
		t.Error("CAS after Close succeeded")
	}
	if err := m.Delete(ctx, "k"); err == nil {
		t.Error("Delete after Close succeeded")
	}
	if err := m.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if _, err := m.Lock(ctx, "k", time.Second); err == nil || errors.Is(err, store.ErrLockTimeout) {
		t.Errorf("Lock after Close: err = %v", err)
	}
}

func TestMemoryCanceledContext(t *testing.T) {
	m := store.NewMemory()
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := m.Get(ctx, "k", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkMemoryGetCAS(b *testing.B) {
	m := store.NewMemory()
	defer m.Close()
	ctx := context.Background()
	val := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		_, ver, err := m.Get(ctx, "session:42", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.CompareAndSwap(ctx, "session:42", val, ver, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
