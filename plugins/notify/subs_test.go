package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// TestIndexConcurrent: the index survives concurrent logins and logouts
// in a few organizations.
func TestIndexConcurrent(t *testing.T) {
	s := subscriptionStore{store: store.NewMemory()}
	ctx := context.Background()
	done := make(chan error)
	for i := range 30 {
		go func() {
			_, err := s.save(ctx, subscription{User: int64(i + 1), Org: fmt.Sprint("org-", i%3)})
			done <- err
		}()
	}
	for range 30 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		if i%2 == 0 {
			continue
		}
		go func() { _, _, err := s.remove(ctx, int64(i+1)); done <- err }()
	}
	for range 15 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	index, _, err := s.index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for org, users := range index {
		for _, u := range users {
			if (u-1)%2 != 0 || fmt.Sprint("org-", (u-1)%3) != org {
				t.Errorf("%s lists user %d", org, u)
			}
		}
	}
	if n := len(index["org-0"]) + len(index["org-1"]) + len(index["org-2"]); n != 15 || len(index) != 3 {
		b, _ := json.Marshal(index)
		t.Fatalf("index = %s, want the 15 even users in 3 organizations", b)
	}
}

// TestIndexChanges: a save lists the user under their organization, a
// change of organization moves them (reporting the one left empty), a
// removal takes them off; the index version moves with every change and
// only then.
func TestIndexChanges(t *testing.T) {
	s := subscriptionStore{store: store.NewMemory()}
	ctx := context.Background()
	version := func() int64 {
		v, err := s.indexVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name        string
		do          func() (emptied string, err error)
		want        orgIndex
		wantEmptied string
		moves       bool
	}{
		{"login", func() (string, error) { return s.save(ctx, subscription{User: 1, Org: "a"}) }, orgIndex{"a": {1}}, "", true},
		{"second user", func() (string, error) { return s.save(ctx, subscription{User: 2, Org: "a"}) }, orgIndex{"a": {1, 2}}, "", true},
		{"toggle", func() (string, error) { return s.save(ctx, subscription{User: 2, Org: "a", Off: true}) }, orgIndex{"a": {1, 2}}, "", false},
		{"switch", func() (string, error) { return s.save(ctx, subscription{User: 1, Org: "b"}) }, orgIndex{"a": {2}, "b": {1}}, "", true},
		{"last one switches", func() (string, error) { return s.save(ctx, subscription{User: 2, Org: "b"}) }, orgIndex{"b": {1, 2}}, "a", true},
		{"logout", func() (string, error) {
			_, emptied, err := s.remove(ctx, 1)
			if emptied {
				return "b", err
			}
			return "", err
		}, orgIndex{"b": {2}}, "", true},
		{"logout of nobody", func() (string, error) { _, _, err := s.remove(ctx, 99); return "", err }, orgIndex{"b": {2}}, "", false},
	} {
		before := version()
		emptied, err := tc.do()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		index, _, err := s.index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(index) != fmt.Sprint(tc.want) || emptied != tc.wantEmptied {
			t.Errorf("%s: index %v, emptied %q; want %v, %q", tc.name, index, emptied, tc.want, tc.wantEmptied)
		}
		if moved := version() != before; moved != tc.moves {
			t.Errorf("%s: index version moved = %v, want %v", tc.name, moved, tc.moves)
		}
	}
	if subs, err := s.ofOrg(ctx, "b"); err != nil || len(subs) != 1 || subs[0].User != 2 {
		t.Fatalf("ofOrg(b) = %+v, %v", subs, err)
	}
}

// TestMigrateLegacyIndex: the list of user ids of earlier versions moves
// into the shards once, and is gone afterwards.
func TestMigrateLegacyIndex(t *testing.T) {
	st := store.NewMemory()
	s := subscriptionStore{store: st}
	ctx := context.Background()
	for _, sub := range []subscription{{User: 1, Org: "a"}, {User: 2, Org: "a"}, {User: 3, Org: "b"}} {
		b, _ := json.Marshal(sub)
		if err := st.Set(ctx, subscriptionKey(sub.User), b, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Set(ctx, legacyIndexKey, []byte(`[1,2,3,4]`), 0); err != nil { // 4 has no record
		t.Fatal(err)
	}
	moved, err := s.migrate(ctx)
	if err != nil || moved != 3 {
		t.Fatalf("migrate = %d, %v; want 3", moved, err)
	}
	index, _, _ := s.index(ctx)
	if !slices.Equal(index["a"], []int64{1, 2}) || !slices.Equal(index["b"], []int64{3}) || len(index) != 2 {
		t.Fatalf("index = %v", index)
	}
	if raw, _, _ := st.Get(ctx, legacyIndexKey, 0); raw != nil {
		t.Fatal("the legacy index is still there")
	}
	if moved, err := s.migrate(ctx); moved != 0 || err != nil {
		t.Fatalf("second migrate = %d, %v", moved, err)
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

// opStore records what a subscriptionStore asks of the store: each call,
// and the bytes of each value written.
type opStore struct {
	store.Store
	calls   int
	written int
}

func (o *opStore) Get(ctx context.Context, key string, ttl time.Duration) ([]byte, int64, error) {
	o.calls++
	return o.Store.Get(ctx, key, ttl)
}

func (o *opStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	o.calls++
	o.written += len(value)
	return o.Store.Set(ctx, key, value, ttl)
}

func (o *opStore) CompareAndSwap(ctx context.Context, key string, value []byte, version int64, ttl time.Duration) (int64, error) {
	o.calls++
	o.written += len(value)
	return o.Store.CompareAndSwap(ctx, key, value, version, ttl)
}

func (o *opStore) AddMember(ctx context.Context, key, member string) (bool, error) {
	o.calls++
	o.written += len(member)
	return o.Store.AddMember(ctx, key, member)
}

func (o *opStore) RemoveMember(ctx context.Context, key, member string) (int64, error) {
	o.calls++
	return o.Store.RemoveMember(ctx, key, member)
}

func (o *opStore) Members(ctx context.Context, key string) ([]string, error) {
	o.calls++
	members, err := o.Store.Members(ctx, key)
	for _, m := range members {
		o.written += len(m) // read, but counted: it grows with the set
	}
	return members, err
}

// TestLoginCostIsConstant: a login, an organization switch and a logout
// ask the same of the store, call for call and byte for byte, whether 10
// or 5,000 others are subscribed (the previous index rewrote a shard of
// users/64 organizations at each login).
func TestLoginCostIsConstant(t *testing.T) {
	ctx := context.Background()
	measure := func(others int) [3][2]int {
		st := &opStore{Store: store.NewMemory()}
		s := subscriptionStore{store: st}
		for i := range others {
			if _, err := s.save(ctx, subscription{User: int64(1000 + i), Org: fmt.Sprintf("org-%04d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var out [3][2]int
		for i, step := range []func() error{
			func() error { _, err := s.save(ctx, subscription{User: 1, Org: "org-0001"}); return err },
			func() error { _, err := s.save(ctx, subscription{User: 1, Org: "org-0002"}); return err },
			func() error { _, _, err := s.remove(ctx, 1); return err },
		} {
			st.calls, st.written = 0, 0
			if err := step(); err != nil {
				t.Fatal(err)
			}
			out[i] = [2]int{st.calls, st.written}
		}
		return out
	}
	small, large := measure(10), measure(5000)
	if small != large {
		t.Fatalf("store calls and bytes of login, switch, logout: %v with 10 others, %v with 5,000", small, large)
	}
}

// TestMigrateJSONShards: the previous version's index (JSON shards under
// notify:orgs:NN) moves into the sets once, and its shards are emptied.
func TestMigrateJSONShards(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	s := subscriptionStore{store: st}
	old := map[int]orgIndex{}
	for org, users := range (orgIndex{"a": {1, 2}, "b": {3}, "c:with:colons": {4}}) {
		if old[shardOf(org)] == nil {
			old[shardOf(org)] = orgIndex{}
		}
		old[shardOf(org)][org] = users
	}
	for shard, orgs := range old {
		b, _ := json.Marshal(orgs)
		if err := st.Set(ctx, fmt.Sprintf(legacyShardKey, shard), b, 0); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := s.migrate(ctx)
	if err != nil || moved != 4 {
		t.Fatalf("migrate = %d, %v; want 4", moved, err)
	}
	index, _, err := s.index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (orgIndex{"a": {1, 2}, "b": {3}, "c:with:colons": {4}}); fmt.Sprint(index) != fmt.Sprint(want) {
		t.Fatalf("index = %v, want %v", index, want)
	}
	if users, err := s.members(ctx, "c:with:colons"); err != nil || !slices.Equal(users, []int64{4}) {
		t.Fatalf("members = %v, %v", users, err)
	}
	for shard := range old {
		if raw, _, _ := st.Get(ctx, fmt.Sprintf(legacyShardKey, shard), 0); string(raw) != "{}" {
			t.Fatalf("shard %d of the previous index is %s, want emptied", shard, raw)
		}
	}
	if moved, err := s.migrate(ctx); moved != 0 || err != nil {
		t.Fatalf("second migrate = %d, %v", moved, err)
	}
}

func FuzzParsePair(f *testing.F) {
	f.Add("org-1", int64(7))
	f.Add("a:b:c", int64(-1))
	f.Add("", int64(0))
	f.Fuzz(func(t *testing.T, org string, user int64) {
		got, u, ok := parsePair(pair(org, user))
		if ok != (org != "") || ok && (got != org || u != user) {
			t.Fatalf("parsePair(pair(%q, %d)) = %q, %d, %v", org, user, got, u, ok)
		}
	})
}

// TestResyncMigrates: an index of the previous version written after the
// replica started (by a replica not yet upgraded) is moved into the sets
// at the next resync. (Its user has no session here, so the replica then
// drops the subscription, as for any login that is gone.)
func TestResyncMigrates(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noLogin: true, config: `plugins: {notify: {resync_interval: 100ms}}`})
	ctx := context.Background()
	// The first heartbeat comes after the start's migration.
	waitFor(t, "the first heartbeat", func() bool { return len(r.liveReplicas()) > 0 })
	legacy := fmt.Sprintf(legacyShardKey, shardOf("org-late"))
	b, _ := json.Marshal(orgIndex{"org-late": {77}})
	if err := r.H.Store.Set(ctx, legacy, b, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the late shard moved", func() bool {
		return r.logs("subscriptions=1") == 1
	})
	if raw, _, _ := r.H.Store.Get(ctx, legacy, 0); string(raw) != "{}" {
		t.Fatalf("the previous version's shard is %s, want emptied", raw)
	}
	if n := r.logs("subscriptions of an earlier version moved into the index"); n != 1 {
		t.Fatalf("%d log lines about the move, want 1", n)
	}
}

// interloper is a replica of the previous version: it saves a login into
// a JSON shard just before the first emptying of that shard.
type interloper struct {
	store.Store
	done bool
}

func (i *interloper) CompareAndSwap(ctx context.Context, key string, value []byte, version int64, ttl time.Duration) (int64, error) {
	if !i.done && string(value) == "{}" {
		i.done = true
		b, _ := json.Marshal(orgIndex{"a": {1, 99}})
		if err := i.Store.Set(ctx, key, b, 0); err != nil {
			return 0, err
		}
	}
	return i.Store.CompareAndSwap(ctx, key, value, version, ttl)
}

// TestMigrateKeepsConcurrentLogin: a login an old replica saves into a
// shard while it is being moved is moved too, not wiped.
func TestMigrateKeepsConcurrentLogin(t *testing.T) {
	ctx := context.Background()
	st := &interloper{Store: store.NewMemory()}
	s := subscriptionStore{store: st}
	b, _ := json.Marshal(orgIndex{"a": {1}})
	if err := st.Set(ctx, fmt.Sprintf(legacyShardKey, shardOf("a")), b, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if users, err := s.members(ctx, "a"); err != nil || !slices.Equal(users, []int64{1, 99}) {
		t.Fatalf("members of a = %v, %v; want [1 99]", users, err)
	}
}

// TestOfOrgPrunesStaleEntries: an entry whose subscription is gone or
// names another organization (a logout the index missed) is taken off the
// lists when the organization is read; a current one stays.
func TestOfOrgPrunesStaleEntries(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	s := subscriptionStore{store: st}
	for _, sub := range []subscription{{User: 1, Org: "a"}, {User: 2, Org: "a"}, {User: 3, Org: "a"}} {
		if _, err := s.save(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	// 2 logged out and 3 moved to b, on replicas whose index changes were lost.
	if err := st.Delete(ctx, subscriptionKey(2)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(subscription{User: 3, Org: "b"})
	if err := st.Set(ctx, subscriptionKey(3), b, 0); err != nil {
		t.Fatal(err)
	}
	subs, err := s.ofOrg(ctx, "a")
	if err != nil || len(subs) != 1 || subs[0].User != 1 {
		t.Fatalf("ofOrg(a) = %+v, %v; want user 1", subs, err)
	}
	if users, _ := s.members(ctx, "a"); !slices.Equal(users, []int64{1}) {
		t.Fatalf("members of a after the read: %v, want [1]", users)
	}
	index, _, _ := s.index(ctx)
	if !slices.Equal(index["a"], []int64{1}) {
		t.Fatalf("index lists %v under a, want [1]", index["a"])
	}
}
