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
// in a few organizations (CompareAndSwap per shard).
func TestIndexConcurrent(t *testing.T) {
	s := subscriptionStore{store: store.NewMemory(), cache: newShardCache()}
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

// TestShardCache: two replicas, each with its cache, on one store: each
// sees the other's changes; a shard deleted and written anew (versions
// start again at 1, as after a Redis restart) is not mistaken for the one
// cached at the same version; and what a reader gets from the cache is
// never changed by a later write.
func TestShardCache(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	a := subscriptionStore{store: st, cache: newShardCache()}
	b := subscriptionStore{store: st, cache: newShardCache()}
	members := func(s subscriptionStore, org string) []int64 {
		t.Helper()
		got, err := s.members(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if err := a.addMember(ctx, "org-x", 1); err != nil {
		t.Fatal(err)
	}
	seen := members(a, "org-x") // from a's cache
	if err := b.addMember(ctx, "org-x", 2); err != nil {
		t.Fatal(err)
	}
	if got := members(a, "org-x"); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("a sees %v after b's change, want [1 2]", got)
	}
	if !slices.Equal(seen, []int64{1}) {
		t.Fatalf("a list read earlier changed under its reader: %v", seen)
	}
	if _, err := a.removeMember(ctx, "org-x", 1); err != nil {
		t.Fatal(err)
	}
	if got := members(b, "org-x"); !slices.Equal(got, []int64{2}) {
		t.Fatalf("b sees %v after a's removal, want [2]", got)
	}

	// A removal by the same replica, whose cache holds the list a reader
	// has: the reader's list stays as it was (slices.Delete would shift it
	// in place were the cached list edited).
	for _, u := range []int64{3, 4} {
		if err := a.addMember(ctx, "org-y", u); err != nil {
			t.Fatal(err)
		}
	}
	before := members(a, "org-y")
	if _, err := a.removeMember(ctx, "org-y", 3); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, []int64{3, 4}) {
		t.Fatalf("a list read before a removal became %v", before)
	}
	if got := members(a, "org-y"); !slices.Equal(got, []int64{4}) {
		t.Fatalf("after the removal a sees %v, want [4]", got)
	}

	// Recreated at the same version with other contents.
	shard := shardOf("org-x")
	_, ver, err := a.readShard(ctx, shard)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, shardKey(shard)); err != nil {
		t.Fatal(err)
	}
	for i := range ver {
		other, _ := json.Marshal(orgIndex{"org-x": {int64(100 + i)}})
		if err := st.Set(ctx, shardKey(shard), other, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, now, _ := a.readShard(ctx, shard); now != ver {
		t.Fatalf("the test needs the same version again: %d, was %d", now, ver)
	}
	if got := members(a, "org-x"); !slices.Equal(got, []int64{100 + ver - 1}) {
		t.Fatalf("after the shard was written anew a sees %v", got)
	}
}
