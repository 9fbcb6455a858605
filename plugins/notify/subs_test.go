package notify

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// TestIndexConcurrent: the index survives concurrent logins (CompareAndSwap).
func TestIndexConcurrent(t *testing.T) {
	s := subscriptionStore{store: store.NewMemory()}
	ctx := context.Background()
	done := make(chan error)
	for i := range 20 {
		go func() { done <- s.save(ctx, subscription{User: int64(i + 1), Org: "o"}) }()
	}
	for range 20 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	ids, _, err := s.index(ctx)
	if err != nil || len(ids) != 20 {
		b, _ := json.Marshal(ids)
		t.Fatalf("index = %s, %v", b, err)
	}
}

// TestCatchUpMark: the mark only moves forward.
func TestCatchUpMark(t *testing.T) {
	s := subscriptionStore{store: store.NewMemory()}
	ctx := context.Background()
	if _, _, ok, err := s.lastSeen(ctx, "o"); ok || err != nil {
		t.Fatalf("a mark before any catch-up: %v, %v", ok, err)
	}
	t0 := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		advance, want time.Time
	}{
		{t0, t0},
		{t0.Add(time.Minute), t0.Add(time.Minute)},
		{t0, t0.Add(time.Minute)}, // never back
	} {
		if err := s.advance(ctx, "o", tc.advance); err != nil {
			t.Fatal(err)
		}
		got, _, ok, err := s.lastSeen(ctx, "o")
		if err != nil || !ok || !got.Equal(tc.want) {
			t.Fatalf("after advance(%v): %v, %v, %v; want %v", tc.advance, got, ok, err, tc.want)
		}
	}
}
