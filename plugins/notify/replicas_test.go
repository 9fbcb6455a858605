package notify

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// TestRendezvous: every organization has two holders among the live
// replicas (one when only one is live), each replica holds its share, and
// a replica that leaves moves only the organizations it held.
func TestRendezvous(t *testing.T) {
	live := []string{"a1", "b2", "c3", "d4"}
	orgs := make([]string, 4000)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("0b6f3c1e-4a55-4d2e-9a0c-%012d", i)
	}
	share := map[string]int{}
	for _, org := range orgs {
		h := holders(live, org)
		if len(h) != 2 || h[0] == h[1] {
			t.Fatalf("holders of %s: %v", org, h)
		}
		for _, id := range live {
			if holds(id, live, org) != slices.Contains(h, id) {
				t.Fatalf("holds(%s, %s) disagrees with holders %v", id, org, h)
			}
		}
		for _, id := range h {
			share[id]++
		}
		// b2 leaves: an organization it did not hold keeps its holders;
		// one it held keeps the other and gains one.
		after := holders([]string{"a1", "c3", "d4"}, org)
		if !slices.Contains(h, "b2") && !slices.Equal(after, h) {
			t.Fatalf("%s moved from %v to %v though b2 did not hold it", org, h, after)
		}
		if slices.Contains(h, "b2") {
			kept := h[0]
			if kept == "b2" {
				kept = h[1]
			}
			if !slices.Contains(after, kept) {
				t.Fatalf("%s: %v became %v", org, h, after)
			}
		}
	}
	for id, n := range share { // 2000 each on average
		if n < 1700 || n > 2300 {
			t.Errorf("%s holds %d of %d organizations (×2 holders): unbalanced %v", id, n, len(orgs), share)
		}
	}
	if h := holders([]string{"solo"}, "o"); !slices.Equal(h, []string{"solo"}) || !holds("solo", []string{"solo"}, "o") {
		t.Errorf("one replica: holders %v", h)
	}
	if holds("gone", live, "o") {
		t.Error("a replica that is not live holds an organization")
	}
}

// TestRegistry: a heartbeat lists the replica; one that leaves is gone at
// once; one whose heartbeat expired is dropped by the next heartbeat of
// another.
func TestRegistry(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := store.NewMemory(store.WithClock(clock))
	ctx := context.Background()
	a := registry{store: st, id: "a", ttl: 3 * time.Second}
	b := registry{store: st, id: "b", ttl: 3 * time.Second}
	c := registry{store: st, id: "c", ttl: 3 * time.Second}
	step := func(r registry, want ...string) {
		t.Helper()
		live, err := r.beat(ctx)
		if err != nil || !slices.Equal(live, want) {
			t.Fatalf("%s sees %v, %v; want %v", r.id, live, err, want)
		}
	}
	step(a, "a")
	step(b, "a", "b")
	step(c, "a", "b", "c")
	if err := b.leave(ctx); err != nil {
		t.Fatal(err)
	}
	step(a, "a", "c")
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	step(a, "a", "c") // c's key still lives
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	step(a, "a") // c missed its heartbeats
	raw, _, _ := st.Get(ctx, registryKey, 0)
	if string(raw) != `["a"]` {
		t.Fatalf("registry = %s", raw)
	}
	step(c, "a", "c") // back
}

// TestTwoReplicas: two bot processes sharing one store both hold the
// channel; each deposit is announced exactly once.
func TestTwoReplicas(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	shared := store.NewRedis(rdb, prefix)
	w := newWorld(t)
	a := w.replica(replicaOptions{store: shared})
	w.ready(a)
	b := w.replica(replicaOptions{store: shared, noStart: true, noLogin: true})
	b.start() // finds the index written by a's login, subscribes with the session's token
	w.ready(b)
	for i, amount := range []string{"10", "2.5", "7"} {
		w.deposit(amount, "137")
		waitDeposits(t, i+1, a, b)
	}
	// Both replicas got every event (a catch-up after a late subscription
	// may see one again); the store let exactly one of them send each.
	count := func(outcome string) float64 { return a.deposited(outcome) + b.deposited(outcome) }
	waitFor(t, "both replicas handled every event", func() bool {
		return count(outcomeAnnounced) >= 3 && count(outcomeDuplicate) >= 3
	})
	if n := count(outcomeAnnounced); n != 3 || a.logs("deposit announced")+b.logs("deposit announced") != 3 {
		t.Errorf("%v announcements, want 3", n)
	}
	exactDeposits(t, 3, a, b)
	for _, r := range []*replica{a, b} {
		waitFor(t, "a heartbeat that sees both", func() bool { return len(r.liveReplicas()) == 2 })
		if got := r.metric("bot_notify_replicas_live"); got != 2 {
			t.Errorf("replica %s: replicas_live = %v, want 2 (live %v)", r.n.replicas.id, got, r.liveReplicas())
		}
	}
}

// TestRefusedReplicaLeaves: a replica whose websocket Pusher refuses
// (over quota: it retries slowly) leaves the live set, so the other
// replica holds the organization alone and announces its deposits.
func TestRefusedReplicaLeaves(t *testing.T) {
	w := newWorld(t)
	refusing := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, _ int32, _ <-chan frame) {
		say(ctx, ws, established)
		_ = ws.Close(4004, "Over connection quota")
	})
	shared := store.NewMemory()
	a := w.replica(replicaOptions{store: shared, wsURL: refusing.url()})
	b := w.replica(replicaOptions{store: shared, noLogin: true})
	waitFor(t, "the refused replica out of the live set", func() bool {
		return slices.Equal(b.liveReplicas(), []string{b.n.replicas.id}) && len(a.liveReplicas()) == 0 && !a.n.pusher.usable()
	})
	w.ready(b)
	w.deposit("5", "137")
	waitDeposits(t, 1, a, b)
	waitFor(t, "announced", func() bool { return b.deposited(outcomeAnnounced) == 1 })
	if refusing.conns.Load() != 1 {
		t.Errorf("%d connections to the refusing Pusher, want 1 (the retry is slow)", refusing.conns.Load())
	}
}

// TestLoginSubscribesOneOrganization: a login subscribes its own
// organization with one channel auth, reading no other user's
// subscription or session; a full resync reads the index, not the
// sessions.
func TestLoginSubscribesOneOrganization(t *testing.T) {
	counting := newCountingStore(store.NewMemory())
	w := newWorld(t)
	r := w.replica(replicaOptions{store: counting, noLogin: true})
	ctx := context.Background()
	login := func(i int) string {
		email := fmt.Sprintf("user%d@example.com", i)
		_, org := w.emu.SeedUser(email, copperxtest.SeedBare())
		r.H.Private(int64(1000+i)).Send("/fakelogin "+w.emu.IssueToken(email)+" approved "+org).Expect(t, "Logged in (test).")
		return org
	}
	var orgs []string
	for i := range 20 { // other organizations, subscribed
		orgs = append(orgs, login(i))
	}
	waitFor(t, "20 organizations subscribed", func() bool {
		for _, org := range orgs {
			if !r.n.pusher.subscribed(copperx.PrivateOrgChannel(org)) {
				return false
			}
		}
		return true
	})
	waitFor(t, "idle", func() bool { return r.n.queued.Load() == 0 })
	counting.count("sess:")
	counting.count("notify:sub:")
	auths := len(w.emu.CallsTo("POST", "/api/notifications/auth"))
	org := login(20)
	waitFor(t, "subscribed", func() bool { return r.n.pusher.subscribed(copperx.PrivateOrgChannel(org)) })
	waitFor(t, "idle", func() bool { return r.n.queued.Load() == 0 })
	if n := len(w.emu.CallsTo("POST", "/api/notifications/auth")) - auths; n != 1 {
		t.Errorf("%d channel auths for one login, want 1", n)
	}
	// The login's update reads its own session; the catch-up reads the
	// one subscriber's session and record.
	if n := counting.count("sess:"); n > 4 {
		t.Errorf("%d session reads for one login: it read other users' sessions", n)
	}
	if n := counting.count("notify:sub:"); n > 3 {
		t.Errorf("%d subscription reads for one login", n)
	}
	r.n.heartbeat(ctx, true)
	r.n.rebalance(ctx, true, true) // what a resync does, now: the heartbeat asks for it
	if n := counting.count("sess:") + counting.count("notify:sub:"); n != 0 {
		t.Errorf("a full resync read %d sessions and subscriptions", n)
	}
}

// TestReplicasShareOrganizations: many organizations, four replicas on one
// store, one stopped mid-run: after a heartbeat every organization is held
// by exactly two live replicas (those rendezvous hashing names), and every
// deposit is announced exactly once. NOTIFY_SCALE_ORGS=10000 runs it at
// full size (go test -run TestReplicasShareOrganizations -timeout 30m).
func TestReplicasShareOrganizations(t *testing.T) {
	orgs := 300
	if testing.Short() {
		orgs = 60
	}
	if v := os.Getenv("NOTIFY_SCALE_ORGS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("NOTIFY_SCALE_ORGS=%q: want a positive number", v)
		}
		orgs = n
	}
	started := time.Now()
	w := newWorld(t)
	shared := store.NewMemory() // real time: heartbeats expire as in production
	const beat = 200 * time.Millisecond
	config := fmt.Sprintf("plugins: {notify: {heartbeat_interval: %s}}", beat)
	replicas := make([]*replica, 4)
	for i := range replicas {
		replicas[i] = w.replica(replicaOptions{store: shared, noLogin: true, config: config})
	}
	// Deposit messages by chat, across the replicas' Telegrams.
	var mu sync.Mutex
	got := map[int64]int{}
	for _, r := range replicas {
		r.H.API.OnEvent(func(chat int64, e fakebot.Event) {
			if e.Kind == "send" && strings.Contains(e.Message.Text, "Deposit received") {
				mu.Lock()
				got[chat]++
				mu.Unlock()
			}
		})
	}
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, c := range got {
			n += c
		}
		return n
	}
	ids := func(group []*replica) []string {
		var out []string
		for _, r := range group {
			out = append(out, r.n.replicas.id)
		}
		slices.Sort(out)
		return out
	}
	deadline := time.Duration(orgs)*20*time.Millisecond + 15*time.Second
	wait := func(what string, cond func() bool) {
		t.Helper()
		end := time.Now().Add(deadline)
		for !cond() {
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond) // polling interval, not synchronization
		}
	}
	wait("four live replicas", func() bool {
		for _, r := range replicas {
			if len(r.liveReplicas()) != 4 {
				return false
			}
		}
		return true
	})

	// One user per organization logs in (on the first replica).
	type member struct {
		org  string
		chat int64
	}
	members := make([]member, orgs)
	for i := range members {
		email := fmt.Sprintf("user%d@scale.test", i)
		_, org := w.emu.SeedUser(email, copperxtest.SeedBare())
		members[i] = member{org: org, chat: int64(10_000 + i)}
		chat := replicas[0].H.Private(members[i].chat)
		chat.Send("/fakelogin "+w.emu.IssueToken(email)+" approved "+org).Expect(t, "Logged in (test).")
	}
	// heldRight: every organization is subscribed by exactly the two live
	// replicas rendezvous hashing names, and by no one else.
	heldRight := func(live []*replica, all []*replica) func() bool {
		liveIDs := ids(live)
		return func() bool {
			for _, m := range members {
				channel := copperx.PrivateOrgChannel(m.org)
				want := holders(liveIDs, m.org)
				for _, r := range all {
					if r.n.pusher.subscribed(channel) != slices.Contains(want, r.n.replicas.id) {
						return false
					}
				}
				if raw, _, _ := shared.Get(context.Background(), lastKey(m.org), 0); raw == nil {
					return false // its first catch-up has not set the mark yet
				}
			}
			return true
		}
	}
	wait("every organization held by its two replicas", heldRight(replicas, replicas))
	t.Logf("%d organizations held by 4 replicas after %v", orgs, time.Since(started).Round(time.Millisecond))

	deposits := 0
	depositAll := func(round int) {
		t.Helper()
		const batch = 40 // the emulator's Pusher drops events a client does not read in time, as Pusher does
		for i, m := range members {
			if _, err := w.emu.Deposit(m.org, decimal.NewFromInt(int64(round*1000+i+1)), "USDC", copperxtest.NetworkPolygon); err != nil {
				t.Fatal(err)
			}
			deposits++
			if deposits%batch == 0 || i == len(members)-1 {
				wait(fmt.Sprintf("%d deposit messages", deposits), func() bool { return total() >= deposits })
			}
		}
	}
	depositAll(1)

	stopped := replicas[1]
	stopped.stop()
	stopAt := time.Now()
	rest := []*replica{replicas[0], replicas[2], replicas[3]}
	wait("three live replicas", func() bool {
		for _, r := range rest {
			if len(r.liveReplicas()) != 3 {
				return false
			}
		}
		return true
	})
	if took := time.Since(stopAt); took > 5*beat { // one heartbeat, and room for a busy machine
		t.Errorf("the others saw the stop after %v, want within a heartbeat (%v)", took, beat)
	}
	wait("every organization held by two of the three", heldRight(rest, rest))
	if conn, _ := stopped.n.pusher.current(); conn != nil {
		t.Error("the stopped replica is still connected")
	}
	t.Logf("taken over %v after the stop", time.Since(stopAt).Round(time.Millisecond))

	depositAll(2)
	// Exactly once: when every replica is idle, each organization got its
	// two messages, and the replicas counted one announcement per deposit.
	wait("the replicas idle", func() bool {
		for _, r := range rest {
			if r.n.queued.Load() != 0 {
				return false
			}
		}
		return true
	})
	announced := 0.0
	for _, r := range replicas {
		announced += r.deposited(outcomeAnnounced)
	}
	if int(announced) != deposits {
		t.Errorf("%v announcements for %d deposits", announced, deposits)
	}
	if n := total(); n != deposits {
		t.Errorf("%d deposit messages for %d deposits", n, deposits)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range members {
		if got[m.chat] != 2 {
			t.Errorf("organization %s: %d deposit messages, want 2", m.org, got[m.chat])
		}
	}
	t.Logf("%d organizations, %d deposits, in %v", orgs, deposits, time.Since(started).Round(time.Millisecond))
}
