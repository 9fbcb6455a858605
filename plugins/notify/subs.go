package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Who is subscribed lives in the shared store, so every replica sees it:
//
//	notify:sub:<userID>     one subscription (JSON): chat, organization, language, on/off, since
//	notify:orgs:<00..63>    the index, in shards: organization → its subscribed user ids
//	                        (JSON), each shard updated with CompareAndSwap
//	notify:orgs             written after every change of the index: its version tells
//	                        a replica that the index changed (one read per heartbeat)
//	notify:last:<org>       newest deposit time the catch-up has handled
//
// Tokens are never stored here: they stay in the kernel's sessions.
// (The deposit marks and the replicas' keys are described in delivery.go
// and replicas.go.)

const (
	indexKey = "notify:orgs"
	// indexShards splits the index so that a login rewrites one small
	// value and logins of different organizations rarely conflict.
	indexShards = 64
	// legacyIndexKey is the index of earlier versions (a list of user
	// ids); a replica that finds it moves it into the shards.
	legacyIndexKey = "notify:subs"
	// casTries bounds the retries of a CompareAndSwap under contention.
	casTries = 50
)

// subscription is one logged-in user who gets deposit messages.
type subscription struct {
	User  int64     `json:"user"`
	Chat  int64     `json:"chat"`
	Org   string    `json:"org"`
	Lang  string    `json:"lang,omitempty"` // the language at login (fallback)
	Off   bool      `json:"off,omitempty"`  // /notifications turned off
	Since time.Time `json:"since"`
}

func subscriptionKey(user int64) string { return "notify:sub:" + strconv.FormatInt(user, 10) }

func lastKey(org string) string { return "notify:last:" + org }

// shardOf is the index shard that lists org.
func shardOf(org string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(org))
	return int(h.Sum32() % indexShards)
}

func shardKey(shard int) string { return fmt.Sprintf("%s:%02d", indexKey, shard) }

// orgIndex is organization → subscribed user ids.
type orgIndex map[string][]int64

// subscriptionStore reads and writes subscriptions in the shared store.
// cache, when set, keeps the shards this replica decoded or wrote.
type subscriptionStore struct {
	store store.Store
	cache *shardCache
}

// shardCache holds decoded index shards with the bytes they were decoded
// from: a shard read again with the same bytes is not decoded again (the
// bytes, not the version, are compared: versions start again at 1 when a
// key is created anew, after a Redis restart say). Every login reads its
// organization's shard twice (to add the user, then to authorize the
// channel), and a shard holds users/64 organizations, so without it a
// login's cost grew with the number of users.
type shardCache struct {
	mu     sync.Mutex
	shards map[int]cachedShard
}

type cachedShard struct {
	raw  []byte
	orgs orgIndex
}

func newShardCache() *shardCache { return &shardCache{shards: map[int]cachedShard{}} }

// get returns the shard decoded from raw, if kept.
func (c *shardCache) get(shard int, raw []byte) (orgIndex, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.shards[shard]; ok && bytes.Equal(e.raw, raw) {
		return e.orgs, true
	}
	return nil, false
}

// put keeps orgs as the shard decoded from raw; neither is modified
// afterwards.
func (c *shardCache) put(shard int, raw []byte, orgs orgIndex) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shards[shard] = cachedShard{raw: raw, orgs: orgs}
}

// get returns the user's subscription, or nil.
func (s subscriptionStore) get(ctx context.Context, user int64) (*subscription, error) {
	raw, _, err := s.store.Get(ctx, subscriptionKey(user), 0)
	if err != nil || raw == nil {
		return nil, err
	}
	var out subscription
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode %s: %w", subscriptionKey(user), err)
	}
	return &out, nil
}

// save writes the subscription and lists it in the index (moving it when
// the user's organization changed). emptied is the former organization
// when it has nobody left.
func (s subscriptionStore) save(ctx context.Context, entry subscription) (emptied string, err error) {
	previous, err := s.get(ctx, entry.User)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(entry)
	if err != nil {
		return "", err
	}
	if err := s.store.Set(ctx, subscriptionKey(entry.User), b, 0); err != nil {
		return "", fmt.Errorf("save subscription: %w", err)
	}
	if previous != nil && previous.Org != entry.Org {
		left, err := s.removeMember(ctx, previous.Org, entry.User)
		if err != nil {
			return "", err
		}
		if left == 0 {
			emptied = previous.Org
		}
	}
	return emptied, s.addMember(ctx, entry.Org, entry.User)
}

// remove deletes the user's subscription and index entry; it returns the
// subscription removed (nil when there was none) and whether its
// organization has nobody left.
func (s subscriptionStore) remove(ctx context.Context, user int64) (removed *subscription, emptied bool, err error) {
	removed, err = s.get(ctx, user)
	if err != nil || removed == nil {
		return nil, false, err
	}
	if err := s.store.Delete(ctx, subscriptionKey(user)); err != nil {
		return nil, false, fmt.Errorf("delete subscription: %w", err)
	}
	left, err := s.removeMember(ctx, removed.Org, user)
	return removed, err == nil && left == 0, err
}

// addMember lists user under org.
func (s subscriptionStore) addMember(ctx context.Context, org string, user int64) error {
	_, err := s.updateShard(ctx, org, func(orgs orgIndex) bool {
		if slices.Contains(orgs[org], user) {
			return false
		}
		orgs[org] = append(orgs[org], user)
		slices.Sort(orgs[org])
		return true
	})
	return err
}

// removeMember takes user off org's list; left is how many remain.
func (s subscriptionStore) removeMember(ctx context.Context, org string, user int64) (left int, err error) {
	orgs, err := s.updateShard(ctx, org, func(orgs orgIndex) bool {
		i := slices.Index(orgs[org], user)
		if i < 0 {
			return false
		}
		orgs[org] = slices.Delete(orgs[org], i, i+1)
		if len(orgs[org]) == 0 {
			delete(orgs, org)
		}
		return true
	})
	return len(orgs[org]), err
}

// readShard returns one shard of the index and its version. The shard may
// be shared with the cache: callers must not modify it.
func (s subscriptionStore) readShard(ctx context.Context, shard int) (orgIndex, int64, error) {
	raw, ver, err := s.store.Get(ctx, shardKey(shard), 0)
	if err != nil {
		return nil, 0, fmt.Errorf("load index: %w", err)
	}
	if raw == nil {
		return orgIndex{}, ver, nil
	}
	if orgs, ok := s.cache.get(shard, raw); ok {
		return orgs, ver, nil
	}
	orgs := orgIndex{}
	if err := json.Unmarshal(raw, &orgs); err != nil {
		return nil, 0, fmt.Errorf("decode %s: %w", shardKey(shard), err)
	}
	s.cache.put(shard, raw, orgs)
	return orgs, ver, nil
}

// updateShard changes org's shard with CompareAndSwap, retrying on
// conflicts; change may touch only orgs[org] (the one list copied from
// the cached shard) and reports whether it changed anything. It returns the
// shard as it now stands, and marks the index as changed.
func (s subscriptionStore) updateShard(ctx context.Context, org string, change func(orgIndex) bool) (orgIndex, error) {
	shard := shardOf(org)
	for range casTries {
		read, ver, err := s.readShard(ctx, shard)
		if err != nil {
			return nil, err
		}
		// change edits a copy: the shard read may be the cache's. Only
		// org's list changes, so only it is copied deeply.
		orgs := maps.Clone(read)
		if users, ok := read[org]; ok {
			orgs[org] = slices.Clone(users)
		}
		if !change(orgs) {
			return orgs, nil
		}
		b, _ := json.Marshal(orgs)
		_, err = s.store.CompareAndSwap(ctx, shardKey(shard), b, ver, 0)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("save index: %w", err)
		}
		s.cache.put(shard, b, orgs)
		// After the shard: a replica that read this version first reads
		// the new shard when it sees the version move.
		if err := s.store.Set(ctx, indexKey, []byte("1"), 0); err != nil {
			return nil, fmt.Errorf("mark the index changed: %w", err)
		}
		return orgs, nil
	}
	return nil, errors.New("save index: too many concurrent changes")
}

// indexVersion changes whenever the index does.
func (s subscriptionStore) indexVersion(ctx context.Context) (int64, error) {
	_, ver, err := s.store.Get(ctx, indexKey, 0)
	if err != nil {
		return 0, fmt.Errorf("load index version: %w", err)
	}
	return ver, nil
}

// index reads every shard: who is subscribed in each organization, and
// the index version it is at least as new as.
func (s subscriptionStore) index(ctx context.Context) (orgIndex, int64, error) {
	ver, err := s.indexVersion(ctx) // first: a change made meanwhile moves it again
	if err != nil {
		return nil, 0, err
	}
	all := orgIndex{}
	for shard := range indexShards {
		orgs, _, err := s.readShard(ctx, shard)
		if err != nil {
			return nil, 0, err
		}
		for org, users := range orgs {
			all[org] = slices.Clip(users) // the cache's: an append must not write into it
		}
	}
	return all, ver, nil
}

// members lists the users subscribed in org.
func (s subscriptionStore) members(ctx context.Context, org string) ([]int64, error) {
	orgs, _, err := s.readShard(ctx, shardOf(org))
	if err != nil {
		return nil, err
	}
	return orgs[org], nil
}

// ofOrg returns the subscriptions of one organization.
func (s subscriptionStore) ofOrg(ctx context.Context, org string) ([]subscription, error) {
	users, err := s.members(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]subscription, 0, len(users))
	for _, user := range users {
		entry, err := s.get(ctx, user)
		if err != nil {
			return nil, err
		}
		if entry != nil && entry.Org == org {
			out = append(out, *entry)
		}
	}
	return out, nil
}

// migrate moves the index of earlier versions (notify:subs, user ids)
// into the shards, once; it reports how many subscriptions it moved.
func (s subscriptionStore) migrate(ctx context.Context) (int, error) {
	raw, _, err := s.store.Get(ctx, legacyIndexKey, 0)
	if err != nil || raw == nil {
		return 0, err
	}
	var users []int64
	if err := json.Unmarshal(raw, &users); err != nil {
		return 0, fmt.Errorf("decode %s: %w", legacyIndexKey, err)
	}
	moved := 0
	for _, user := range users {
		entry, err := s.get(ctx, user)
		if err != nil {
			return moved, err
		}
		if entry == nil || entry.Org == "" {
			continue
		}
		if err := s.addMember(ctx, entry.Org, user); err != nil {
			return moved, err
		}
		moved++
	}
	return moved, s.store.Delete(ctx, legacyIndexKey)
}

// lastSeen is the newest deposit time the catch-up handled for org; ok is
// false when there is none yet (no baseline).
func (s subscriptionStore) lastSeen(ctx context.Context, org string) (t time.Time, version int64, ok bool, err error) {
	raw, ver, err := s.store.Get(ctx, lastKey(org), 0)
	if err != nil || raw == nil {
		return time.Time{}, 0, false, err
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return time.Time{}, ver, true, nil // unreadable: treat as a baseline of zero
	}
	return t, ver, true, nil
}

// advance moves notify:last:<org> forward to t (never back).
func (s subscriptionStore) advance(ctx context.Context, org string, t time.Time) error {
	for range casTries {
		cur, ver, ok, err := s.lastSeen(ctx, org)
		if err != nil {
			return err
		}
		if ok && !t.After(cur) {
			return nil
		}
		b, _ := json.Marshal(t.UTC())
		if _, err := s.store.CompareAndSwap(ctx, lastKey(org), b, ver, 0); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("save last: %w", err)
		}
	}
	return errors.New("save last: too many concurrent changes")
}
