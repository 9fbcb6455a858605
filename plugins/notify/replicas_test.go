package notify

import (
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// TestTwoReplicas: two bot processes sharing one store both hold the
// channel; each deposit is announced exactly once.
func TestTwoReplicas(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	shared := store.NewRedis(rdb, prefix)
	w := newWorld(t)
	a := w.replica(replicaOptions{store: shared})
	w.ready(a)
	b := w.replica(replicaOptions{store: shared, noStart: true, noLogin: true})
	b.start() // loads the index written by a's login, subscribes with the session's token
	w.ready(b)
	for i, amount := range []string{"10", "2.5", "7"} {
		w.deposit(amount, "137")
		waitDeposits(t, i+1, a, b)
	}
	// Both replicas got every event (a catch-up after a late subscription
	// may see one again); the store let exactly one of them send each.
	count := func(s string) int { return a.logs(s) + b.logs(s) }
	waitFor(t, "both replicas handled every event", func() bool {
		return count("deposit announced") >= 3 && count("deposit already announced") >= 3
	})
	if n := count("deposit announced"); n != 3 {
		t.Errorf("%d announcements, want 3", n)
	}
	exactDeposits(t, 3, a, b)
}
