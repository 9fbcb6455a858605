package notify

import (
	"context"
	"slices"
	"testing"
)

// TestStartDropsExpired: on start, a stored subscription whose login is
// gone is dropped instead of subscribed.
func TestStartDropsExpired(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noStart: true, noLogin: true})
	ctx := context.Background()
	stale := subscription{User: 7, Chat: 7, Org: w.org, Since: r.n.now().Add(-loginGrace - 1)}
	if _, err := r.n.subscriptions.save(ctx, stale); err != nil {
		t.Fatal(err)
	}
	r.start()
	waitFor(t, "the stale subscription dropped", func() bool { index, _, _ := r.n.subscriptions.index(ctx); return len(index) == 0 })
	if n := len(w.emu.CallsTo("POST", "/api/notifications/auth")); n != 0 {
		t.Errorf("%d channel auth calls for a logged-out user", n)
	}
}

// TestStartKeepsFreshLogin: a subscription younger than loginGrace is
// kept even though its session holds no login yet (the login's update
// saves the session when it ends).
func TestStartKeepsFreshLogin(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noStart: true, noLogin: true})
	ctx := context.Background()
	fresh := subscription{User: 7, Chat: 7, Org: w.org, Since: r.n.now()}
	if _, err := r.n.subscriptions.save(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.n.resync(ctx) // resyncs run one at a time: at least one whole resync has run when it returns
	if index, _, _ := r.n.subscriptions.index(ctx); len(index) != 1 || !slices.Equal(index[w.org], []int64{7}) {
		t.Fatalf("index = %v, want %s: [7]", index, w.org)
	}
}
