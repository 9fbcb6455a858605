package storetest

import (
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"

	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Advancer is implemented by stores whose notion of time a test can move
// forward (see WithAdvance). The suite sleeps for stores that are not
// Advancers, so their TTLs must follow the wall clock.
type Advancer interface {
	Advance(d time.Duration)
}

// WithAdvance wraps s so that the suite moves its time forward with
// advance (a fake clock's Add, miniredis's FastForward) instead of sleeping.
func WithAdvance(s store.Store, advance func(time.Duration)) store.Store {
	return advancing{Store: s, advance: advance}
}

type advancing struct {
	store.Store
	advance func(time.Duration)
}

func (a advancing) Advance(d time.Duration) { a.advance(d) }

// Run checks that the stores built by newStore honour the store.Store
// contract. Each subtest builds its own store (and closes it) and runs in
// parallel with the others; time-based subtests take well under 1.5s of
// wall time when the store has to sleep.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, advance func(time.Duration))
	}{
		{"GetMissing", testGetMissing},
		{"SetGet", testSetGet},
		{"CopiesValues", testCopiesValues},
		{"CompareAndSwap", testCAS},
		{"CompareAndSwapCreate", testCASCreate},
		{"CompareAndSwapConcurrentCreate", testCASConcurrentCreate},
		{"SetNX", testSetNX},
		{"SetNXConcurrent", testSetNXConcurrent},
		{"Delete", testDelete},
		{"TTLExpiry", testTTLExpiry},
		{"TTLZeroPersists", testTTLZeroPersists},
		{"SlidingTTL", testSlidingTTL},
		{"LockExclusion", testLockExclusion},
		{"LockBlocksUntilUnlock", testLockBlocks},
		{"LockExpires", testLockExpires},
		{"LockRenew", testLockRenew},
		{"UnlockForeignLock", testUnlockForeign},
		{"LockContextCancel", testLockCancel},
		{"LockNamespace", testLockNamespace},
		{"LockBadTTL", testLockBadTTL},
		{"Ping", testPing},
		{"Sets", testSets},
		{"SetsConcurrent", testSetsConcurrent},
		{"Turns", testTurns},
		{"TurnConflict", testTurnConflict},
		{"TurnWindow", testTurnWindow},
		{"TurnLimit", testTurnLimit},
		{"TurnRenew", testTurnRenew},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			advance := time.Sleep
			if a, ok := s.(Advancer); ok {
				advance = a.Advance
			}
			tc.fn(t, s, advance)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustGet(t *testing.T, s store.Store, key string, ttl time.Duration) ([]byte, int64) {
	t.Helper()
	v, ver, err := s.Get(ctxT(t), key, ttl)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v, ver
}

func wantValue(t *testing.T, s store.Store, key, want string, wantVer int64) {
	t.Helper()
	v, ver := mustGet(t, s, key, 0)
	if string(v) != want || ver != wantVer {
		t.Fatalf("Get(%q) = %q v%d, want %q v%d", key, v, ver, want, wantVer)
	}
}

func wantMissing(t *testing.T, s store.Store, key string) {
	t.Helper()
	v, ver := mustGet(t, s, key, 0)
	if v != nil || ver != 0 {
		t.Fatalf("Get(%q) = %q v%d, want missing (nil, 0)", key, v, ver)
	}
}

func testGetMissing(t *testing.T, s store.Store, _ func(time.Duration)) {
	wantMissing(t, s, "nope")
	if _, _, err := s.Get(ctxT(t), "nope", time.Minute); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "nope")
}

func testSetGet(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	if err := s.Set(ctx, "k", []byte("one"), time.Minute); err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, "k", "one", 1)
	if err := s.Set(ctx, "k", []byte("two"), time.Minute); err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, "k", "two", 2)
	bin := []byte{0, 1, 2, 0xff, '\n', 0}
	if err := s.Set(ctx, "bin", bin, 0); err != nil {
		t.Fatal(err)
	}
	if v, _ := mustGet(t, s, "bin", 0); !bytes.Equal(v, bin) {
		t.Fatalf("binary value = %x", v)
	}
	// An empty value is present, with a version.
	if err := s.Set(ctx, "empty", nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ver := mustGet(t, s, "empty", 0); len(v) != 0 || ver != 1 {
		t.Fatalf("empty value = %q v%d", v, ver)
	}
}

func testCopiesValues(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	in := []byte("abc")
	if err := s.Set(ctx, "k", in, time.Minute); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out, _ := mustGet(t, s, "k", 0)
	out[1] = 'Y'
	wantValue(t, s, "k", "abc", 1)
}

func testCAS(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	v1, err := s.CompareAndSwap(ctx, "k", []byte("a"), 0, time.Minute)
	if err != nil || v1 != 1 {
		t.Fatalf("create: %d, %v", v1, err)
	}
	v2, err := s.CompareAndSwap(ctx, "k", []byte("b"), v1, time.Minute)
	if err != nil || v2 != 2 {
		t.Fatalf("update: %d, %v", v2, err)
	}
	for _, stale := range []int64{0, 1, 3, -1} {
		if _, err := s.CompareAndSwap(ctx, "k", []byte("stale"), stale, time.Minute); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CAS with version %d: err = %v, want ErrConflict", stale, err)
		}
	}
	wantValue(t, s, "k", "b", 2)
	if err := s.Set(ctx, "k", []byte("c"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompareAndSwap(ctx, "k", []byte("d"), 2, time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CAS after Set: err = %v", err)
	}
	if v, err := s.CompareAndSwap(ctx, "k", []byte("d"), 3, time.Minute); err != nil || v != 4 {
		t.Fatalf("CAS after Set with new version: %d, %v", v, err)
	}
	wantValue(t, s, "k", "d", 4)
}

func testCASCreate(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	if _, err := s.CompareAndSwap(ctx, "k", []byte("x"), 5, time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CAS on missing key with version 5: err = %v", err)
	}
	wantMissing(t, s, "k")
	if _, err := s.CompareAndSwap(ctx, "k", []byte("x"), 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompareAndSwap(ctx, "k", []byte("y"), 0, time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("create twice: err = %v", err)
	}
	wantValue(t, s, "k", "x", 1)
}

func testCASConcurrentCreate(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, err := s.CompareAndSwap(ctx, "k", []byte(strconv.Itoa(i)), 0, time.Minute)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 19 {
		t.Fatalf("wins %d conflicts %d, want 1 and 19", wins.Load(), conflicts.Load())
	}
}

func testSetNX(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	ok, err := s.SetNX(ctx, "k", []byte("first"), time.Minute)
	if err != nil || !ok {
		t.Fatalf("first SetNX = %v, %v", ok, err)
	}
	ok, err = s.SetNX(ctx, "k", []byte("second"), time.Minute)
	if err != nil || ok {
		t.Fatalf("second SetNX = %v, %v", ok, err)
	}
	wantValue(t, s, "k", "first", 1)
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SetNX(ctx, "k", []byte("third"), time.Minute); err != nil || !ok {
		t.Fatalf("SetNX after Delete = %v, %v", ok, err)
	}
	wantValue(t, s, "k", "third", 1)
}

func testSetNXConcurrent(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ok, err := s.SetNX(ctx, "update:1", []byte("seen"), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d SetNX calls won, want 1", wins.Load())
	}
}

func testDelete(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "a", "b", "missing"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "a")
	wantMissing(t, s, "b")
	wantValue(t, s, "c", "c", 1)
	if err := s.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "c")
	// A recreated key starts again at version 1.
	if v, err := s.CompareAndSwap(ctx, "c", []byte("new"), 0, time.Minute); err != nil || v != 1 {
		t.Fatalf("recreate: %d, %v", v, err)
	}
}

func testTTLExpiry(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxT(t)
	const ttl = 200 * time.Millisecond
	if err := s.Set(ctx, "set", []byte("x"), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetNX(ctx, "setnx", []byte("x"), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompareAndSwap(ctx, "cas", []byte("x"), 0, ttl); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "long", []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, "set", "x", 1)
	advance(ttl + 100*time.Millisecond)
	for _, k := range []string{"set", "setnx", "cas"} {
		wantMissing(t, s, k)
	}
	wantValue(t, s, "long", "x", 1)
	if ok, err := s.SetNX(ctx, "setnx", []byte("again"), time.Minute); err != nil || !ok {
		t.Fatalf("SetNX after expiry = %v, %v", ok, err)
	}
	if v, err := s.CompareAndSwap(ctx, "cas", []byte("again"), 0, time.Minute); err != nil || v != 1 {
		t.Fatalf("CAS create after expiry = %d, %v", v, err)
	}
}

func testTTLZeroPersists(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxT(t)
	const ttl = 200 * time.Millisecond
	if err := s.Set(ctx, "set", []byte("x"), ttl); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "set", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompareAndSwap(ctx, "cas", []byte("x"), 0, ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompareAndSwap(ctx, "cas", []byte("y"), 1, 0); err != nil {
		t.Fatal(err)
	}
	advance(ttl + 100*time.Millisecond)
	wantValue(t, s, "set", "y", 2)
	wantValue(t, s, "cas", "y", 2)
}

func testSlidingTTL(t *testing.T, s store.Store, advance func(time.Duration)) {
	ctx := ctxT(t)
	const ttl = 400 * time.Millisecond
	_, fake := s.(Advancer)
	// alive reports whether a check that the key is still there is
	// meaningful: with a real clock an overloaded machine may oversleep.
	alive := func(since time.Time) bool {
		if fake || time.Since(since) < ttl-50*time.Millisecond {
			return true
		}
		t.Logf("slept too long (%s since the last write or slide); not checking presence", time.Since(since))
		return false
	}
	start := time.Now()
	if err := s.Set(ctx, "k", []byte("x"), ttl); err != nil {
		t.Fatal(err)
	}
	advance(250 * time.Millisecond)
	slid := time.Now()
	if v, _ := mustGet(t, s, "k", ttl); alive(start) && string(v) != "x" { // slides expiry to now+400ms
		t.Fatalf("before expiry: %q", v)
	}
	advance(250 * time.Millisecond) // 500ms after Set: alive only thanks to the slide
	if alive(slid) {
		wantValue(t, s, "k", "x", 1) // ttl 0: does not slide
	}
	advance(250 * time.Millisecond) // 500ms after the slide
	wantMissing(t, s, "k")
}

func lock(t *testing.T, s store.Store, key string, ttl time.Duration) func() {
	t.Helper()
	lease, err := s.Lock(ctxT(t), key, ttl)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	return lease.Release
}

// wantLocked checks that key is held by someone else right now.
func wantLocked(t *testing.T, s store.Store, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Millisecond)
	defer cancel()
	lease, err := s.Lock(ctx, key, time.Second)
	if err == nil {
		lease.Release()
		t.Fatalf("Lock(%q) succeeded, want it held", key)
	}
	if !errors.Is(err, store.ErrLockTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock(%q) err = %v, want ErrLockTimeout wrapping DeadlineExceeded", key, err)
	}
}

func testLockExclusion(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	const n = 20
	var inside atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			lease, err := s.Lock(ctx, "counter", 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer lease.Release()
			if inside.Add(1) != 1 {
				t.Error("two holders inside the lock")
			}
			defer inside.Add(-1)
			v, ver, err := s.Get(ctx, "counter", 0)
			if err != nil {
				t.Error(err)
				return
			}
			c, _ := strconv.Atoi(string(v))
			if _, err := s.CompareAndSwap(ctx, "counter", []byte(strconv.Itoa(c+1)), ver, time.Minute); err != nil {
				t.Errorf("CAS under lock: %v", err)
			}
		})
	}
	wg.Wait()
	wantValue(t, s, "counter", strconv.Itoa(n), n)
}

func testLockBlocks(t *testing.T, s store.Store, _ func(time.Duration)) {
	unlock := lock(t, s, "k", 5*time.Second)
	wantLocked(t, s, "k")
	got := make(chan error, 1)
	go func() {
		u, err := s.Lock(ctxT(t), "k", 5*time.Second)
		if err == nil {
			u.Release()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("waiter got the lock while held (err %v)", err)
	case <-time.After(30 * time.Millisecond):
	}
	unlock()
	unlock() // safe twice
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("waiter did not get the lock after unlock")
	}
	lock(t, s, "k", time.Second)() // free again
}

func testLockExpires(t *testing.T, s store.Store, advance func(time.Duration)) {
	const ttl = 200 * time.Millisecond
	_ = lock(t, s, "k", ttl) // never released
	wantLocked(t, s, "k")
	advance(ttl + 100*time.Millisecond)
	lock(t, s, "k", time.Second)()
}

func testLockRenew(t *testing.T, s store.Store, advance func(time.Duration)) {
	const ttl = 300 * time.Millisecond
	lease, err := s.Lock(ctxT(t), "k", ttl)
	if err != nil {
		t.Fatal(err)
	}
	advance(200 * time.Millisecond)
	if err := lease.Renew(ctxT(t)); err != nil {
		t.Fatalf("Renew while held: %v", err)
	}
	advance(200 * time.Millisecond) // 400ms after the lock, 200ms after the renewal
	wantLocked(t, s, "k")
	advance(200 * time.Millisecond) // past the renewed expiry
	other := lock(t, s, "k", 5*time.Second)
	if err := lease.Renew(ctxT(t)); !errors.Is(err, store.ErrLockLost) {
		t.Fatalf("Renew of a lock another holds = %v, want ErrLockLost", err)
	}
	wantLocked(t, s, "k") // and the other's lock is untouched
	other()
}

func testUnlockForeign(t *testing.T, s store.Store, advance func(time.Duration)) {
	const ttl = 200 * time.Millisecond
	unlockA := lock(t, s, "k", ttl)
	advance(ttl + 100*time.Millisecond) // A's lock expires...
	unlockB := lock(t, s, "k", 5*time.Second)
	unlockA() // ...so A must not release B's lock
	wantLocked(t, s, "k")
	unlockB()
	lock(t, s, "k", time.Second)()
}

func testLockCancel(t *testing.T, s store.Store, _ func(time.Duration)) {
	unlock := lock(t, s, "k", 5*time.Second)
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.Lock(ctx, "k", time.Second)
	if !errors.Is(err, store.ErrLockTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrLockTimeout wrapping Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Lock returned %s after cancel", d)
	}
	// A context that is already done fails at once.
	if _, err := s.Lock(ctx, "free", time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("done ctx: err = %v", err)
	}
}

func testLockNamespace(t *testing.T, s store.Store, _ func(time.Duration)) {
	unlock := lock(t, s, "k", 5*time.Second)
	defer unlock()
	wantMissing(t, s, "k")
	if ok, err := s.SetNX(ctxT(t), "k", []byte("v"), time.Minute); err != nil || !ok {
		t.Fatalf("SetNX on a locked key's name = %v, %v", ok, err)
	}
	if err := s.Delete(ctxT(t), "k"); err != nil {
		t.Fatal(err)
	}
	wantLocked(t, s, "k")
	lock(t, s, "other", time.Second)() // other keys are independent
}

func testLockBadTTL(t *testing.T, s store.Store, _ func(time.Duration)) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		if u, err := s.Lock(ctxT(t), "k", ttl); err == nil {
			u.Release()
			t.Fatalf("Lock with ttl %s succeeded", ttl)
		}
	}
}

func testPing(t *testing.T, s store.Store, _ func(time.Duration)) {
	if err := s.Ping(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func turnStart(user string, update int64) store.TurnStart {
	return store.TurnStart{User: user, UpdateID: update, Window: 3, LockTTL: 5 * time.Second, SessionTTL: time.Hour}
}

func beginTurn(t *testing.T, s store.Store, st store.TurnStart) *store.Turn {
	t.Helper()
	turn, err := s.BeginTurn(ctxT(t), st)
	if err != nil {
		t.Fatalf("BeginTurn(%s, %d): %v", st.User, st.UpdateID, err)
	}
	return turn
}

func testTurns(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	first := beginTurn(t, s, turnStart("7", 1))
	if first.Seen || first.Limited || first.Session != nil || first.Version != 0 {
		t.Fatalf("first turn = %+v", first)
	}
	if _, err := s.BeginTurn(ctx, turnStart("7", 2)); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("a second turn while the first runs: %v, want ErrBusy", err)
	}
	if err := s.EndTurn(ctx, first, []byte("state 1"), true); err != nil {
		t.Fatal(err)
	}
	if again := beginTurn(t, s, turnStart("7", 1)); !again.Seen {
		t.Fatalf("a redelivery of a handled update = %+v, want Seen", again)
	}
	next := beginTurn(t, s, turnStart("7", 2))
	if next.Seen || string(next.Session) != "state 1" || next.Version != 1 {
		t.Fatalf("next turn = %+v", next)
	}
	if err := s.EndTurn(ctx, next, nil, false); err != nil { // a read-only update
		t.Fatal(err)
	}
	if v, ver, _ := s.Get(ctx, store.SessionKey("7"), 0); string(v) != "state 1" || ver != 1 {
		t.Fatalf("an unchanged session was written: %q v%d", v, ver)
	}
	if again := beginTurn(t, s, turnStart("7", 2)); !again.Seen {
		t.Fatal("a handled read-only update is not recorded")
	}
	other := beginTurn(t, s, turnStart("8", 2)) // users are independent
	other.Release()
}

func testTurnConflict(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	turn := beginTurn(t, s, turnStart("9", 1))
	if err := s.Set(ctx, store.SessionKey("9"), []byte("written meanwhile"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.EndTurn(ctx, turn, []byte("mine"), true); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("EndTurn over a newer session = %v, want ErrConflict", err)
	}
	again := beginTurn(t, s, turnStart("9", 1)) // not recorded: it runs again
	if again.Seen || string(again.Session) != "written meanwhile" {
		t.Fatalf("after a conflict = %+v", again)
	}
	again.Release()
	beginTurn(t, s, turnStart("9", 1)).Release() // Release freed the lock
}

func testTurnWindow(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	for id := int64(1); id <= 4; id++ {
		if err := s.EndTurn(ctx, beginTurn(t, s, turnStart("10", id)), nil, false); err != nil {
			t.Fatal(err)
		}
	}
	if old := beginTurn(t, s, turnStart("10", 1)); old.Seen {
		t.Fatal("an update older than the window is still recognized")
	} else {
		old.Release()
	}
	if recent := beginTurn(t, s, turnStart("10", 4)); !recent.Seen {
		t.Fatal("a recent update is not recognized")
	}
}

func testTurnLimit(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	limit := &ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 1}
	st := turnStart("11", 1)
	st.Limit = limit
	if err := s.EndTurn(ctx, beginTurn(t, s, st), nil, false); err != nil {
		t.Fatal(err)
	}
	st.UpdateID = 2
	limited := beginTurn(t, s, st)
	if !limited.Limited || limited.RetryAfter <= 0 || limited.RetryAfter > time.Hour {
		t.Fatalf("second update within the limit's period = %+v", limited)
	}
	st.Limit = nil // a limited turn holds no lock
	beginTurn(t, s, st).Release()

	// A limit far finer than a millisecond is applied, and each turn
	// ends: none leaves its lock behind.
	fine := &ratelimit.Limit{Rate: 1_000_000_000, Period: time.Second, Burst: 1_000_000_000}
	for id := int64(10); id < 13; id++ {
		st := turnStart("13", id)
		st.Limit = fine
		turn := beginTurn(t, s, st)
		if turn.Limited {
			t.Fatalf("update %d refused by a limit of a billion a second", id)
		}
		if err := s.EndTurn(ctx, turn, nil, false); err != nil {
			t.Fatal(err)
		}
	}
}

func testTurnRenew(t *testing.T, s store.Store, advance func(time.Duration)) {
	st := turnStart("12", 1)
	st.LockTTL = 300 * time.Millisecond
	turn := beginTurn(t, s, st)
	advance(200 * time.Millisecond)
	if err := turn.Renew(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	advance(200 * time.Millisecond)
	if _, err := s.BeginTurn(ctxT(t), turnStart("12", 2)); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("after a renewal the turn is free: %v", err)
	}
	advance(300 * time.Millisecond)
	beginTurn(t, s, turnStart("12", 2)).Release() // a holder that stopped renewing lost it
}

func wantMembers(t *testing.T, s store.Store, key string, want ...string) {
	t.Helper()
	got, err := s.Members(ctxT(t), key)
	if err != nil {
		t.Fatalf("Members(%q): %v", key, err)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("Members(%q) = %q, want %q", key, got, want)
	}
}

func testSets(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	wantMembers(t, s, "set")
	for _, step := range []struct {
		member string
		added  bool
	}{{"a", true}, {"b", true}, {"a", false}, {"", true}} {
		if added, err := s.AddMember(ctx, "set", step.member); err != nil || added != step.added {
			t.Fatalf("AddMember(%q) = %v, %v; want %v", step.member, added, err, step.added)
		}
	}
	wantMembers(t, s, "set", "", "a", "b")
	for _, step := range []struct {
		member string
		left   int64
	}{{"a", 2}, {"a", 2}, {"missing", 2}, {"", 1}, {"b", 0}, {"b", 0}} {
		left, err := s.RemoveMember(ctx, "set", step.member)
		if err != nil || left != step.left {
			t.Fatalf("RemoveMember(%q) = %d, %v; want %d", step.member, left, err, step.left)
		}
	}
	wantMembers(t, s, "set")
	if left, err := s.RemoveMember(ctx, "never", "x"); err != nil || left != 0 {
		t.Fatalf("RemoveMember of a missing set = %d, %v", left, err)
	}
	// Delete removes a set; a value key is not a set.
	if _, err := s.AddMember(ctx, "gone", "x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	wantMembers(t, s, "gone")
	if err := s.Set(ctx, "value", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, "value", "x"); err == nil {
		t.Fatal("AddMember on a key holding a value succeeded")
	}
	wantValue(t, s, "value", "v", 1)
	// and a set key is not a value: every value operation on it fails.
	if _, err := s.AddMember(ctx, "aset", "x"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "aset", 0); err == nil {
		t.Error("Get on a set succeeded")
	}
	if err := s.Set(ctx, "aset", []byte("v"), 0); err == nil {
		t.Error("Set on a set succeeded")
	}
	if ok, err := s.SetNX(ctx, "aset", []byte("v"), 0); err == nil && ok {
		t.Error("SetNX on a set wrote")
	}
	if _, err := s.CompareAndSwap(ctx, "aset", []byte("v"), 0, 0); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("CompareAndSwap on a set: %v, want an error other than a conflict", err)
	}
	wantMembers(t, s, "aset", "x")
}

// testSetsConcurrent: concurrent adds and removes of distinct members lose
// nothing, and each removal reports what it left.
func testSetsConcurrent(t *testing.T, s store.Store, _ func(time.Duration)) {
	ctx := ctxT(t)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if added, err := s.AddMember(ctx, "c", strconv.Itoa(i)); err != nil || !added {
				t.Error(added, err)
			}
		})
	}
	wg.Wait()
	want := make([]string, 0, n)
	for i := range n {
		want = append(want, strconv.Itoa(i))
	}
	wantMembers(t, s, "c", want...)
	lefts := make(chan int64, n/2)
	for i := range n / 2 {
		wg.Go(func() {
			left, err := s.RemoveMember(ctx, "c", strconv.Itoa(i))
			if err != nil {
				t.Error(err)
			}
			lefts <- left
		})
	}
	wg.Wait()
	close(lefts)
	var got []int64
	for l := range lefts {
		got = append(got, l)
	}
	slices.Sort(got)
	for i, l := range got {
		if l != int64(i+n/2) {
			t.Fatalf("the removals left %v, want each of %d..%d once", got, n/2, n-1)
		}
	}
	wantMembers(t, s, "c", want[n/2:]...)
}
