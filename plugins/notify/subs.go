package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Who is subscribed lives in the shared store, so every replica sees it:
//
//	notify:sub:<userID>     one subscription (JSON): chat, organization, language, on/off, since
//	notify:members:<org>    set: the organization's subscribed user ids
//	notify:index:<00..63>   sets: the index, "<user>:<org>" pairs in 64 shards by
//	                        organization, read whole by the resync
//	notify:orgs             written after every change of the index: its version tells
//	                        a replica that the index changed (one read per heartbeat)
//	notify:last:<org>       newest deposit time the catch-up has handled
//
// A login or logout adds or removes one member of two sets: its cost does
// not grow with the number of users.
//
// Tokens are never stored here: they stay in the kernel's sessions.
// (The deposit marks and the replicas' keys are described in delivery.go
// and replicas.go.)

const (
	indexKey = "notify:orgs"
	// indexShards splits the index so that no set holds every user.
	indexShards = 64
	// legacyShardKey is the index of the previous version: JSON values
	// (organization → user ids) under notify:orgs:<00..63>, rewritten
	// whole at each login; legacyIndexKey the one before (a list of user
	// ids). A replica that finds either moves it into the sets.
	legacyShardKey = "notify:orgs:%02d"
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

func membersKey(org string) string { return "notify:members:" + org }

// shardOf is the index shard that lists org.
func shardOf(org string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(org))
	return int(h.Sum32() % indexShards)
}

func shardKey(shard int) string { return fmt.Sprintf("notify:index:%02d", shard) }

// pair is an index entry: the user first, as an organization id could
// hold any character.
func pair(org string, user int64) string { return strconv.FormatInt(user, 10) + ":" + org }

func parsePair(p string) (org string, user int64, ok bool) {
	u, org, found := strings.Cut(p, ":")
	user, err := strconv.ParseInt(u, 10, 64)
	return org, user, found && err == nil && org != ""
}

// orgIndex is organization → subscribed user ids (ascending).
type orgIndex map[string][]int64

// subscriptionStore reads and writes subscriptions in the shared store.
type subscriptionStore struct {
	store store.Store
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

// addMember lists user under org: in the organization's set first, then in
// the index, so that an organization the index lists has its members.
func (s subscriptionStore) addMember(ctx context.Context, org string, user int64) error {
	inOrg, err := s.store.AddMember(ctx, membersKey(org), strconv.FormatInt(user, 10))
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	inIndex, err := s.store.AddMember(ctx, shardKey(shardOf(org)), pair(org, user))
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	if inOrg || inIndex {
		return s.changed(ctx)
	}
	return nil
}

// removeMember takes user off org's lists (the index first); left is how
// many remain in org.
func (s subscriptionStore) removeMember(ctx context.Context, org string, user int64) (left int, err error) {
	if _, err := s.store.RemoveMember(ctx, shardKey(shardOf(org)), pair(org, user)); err != nil {
		return 0, fmt.Errorf("save index: %w", err)
	}
	n, err := s.store.RemoveMember(ctx, membersKey(org), strconv.FormatInt(user, 10))
	if err != nil {
		return 0, fmt.Errorf("save index: %w", err)
	}
	return int(n), s.changed(ctx)
}

// changed marks the index as changed: a replica that read the index before
// reads it again when it sees the version move.
func (s subscriptionStore) changed(ctx context.Context) error {
	if err := s.store.Set(ctx, indexKey, []byte("1"), 0); err != nil {
		return fmt.Errorf("mark the index changed: %w", err)
	}
	return nil
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
		pairs, err := s.store.Members(ctx, shardKey(shard))
		if err != nil {
			return nil, 0, fmt.Errorf("load index: %w", err)
		}
		for _, p := range pairs {
			if org, user, ok := parsePair(p); ok {
				all[org] = append(all[org], user)
			}
		}
	}
	for _, users := range all {
		slices.Sort(users)
	}
	return all, ver, nil
}

// members lists the users subscribed in org, ascending.
func (s subscriptionStore) members(ctx context.Context, org string) ([]int64, error) {
	ids, err := s.store.Members(ctx, membersKey(org))
	if err != nil {
		return nil, fmt.Errorf("load index: %w", err)
	}
	users := make([]int64, 0, len(ids))
	for _, id := range ids {
		if user, err := strconv.ParseInt(id, 10, 64); err == nil {
			users = append(users, user)
		}
	}
	slices.Sort(users)
	return users, nil
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
			continue
		}
		// Best effort: a failure leaves the entry for the next read.
		_ = s.prune(ctx, org, user)
	}
	return out, nil
}

// prune takes user off org's lists, found there though their subscription
// is gone or names another organization: a logout or a switch whose index
// change was lost (a replica stopped half-way, or one of the previous
// version removed it from its JSON shard during an upgrade). Left alone,
// such an entry would keep org's channel subscribed for good. The
// subscription is read again after the removal, and the user listed again
// when a login to org saved it meanwhile (a login writes the subscription
// before the lists).
func (s subscriptionStore) prune(ctx context.Context, org string, user int64) error {
	if _, err := s.removeMember(ctx, org, user); err != nil {
		return err
	}
	entry, err := s.get(ctx, user)
	if err != nil {
		return err
	}
	if entry != nil && entry.Org == org {
		return s.addMember(ctx, org, user)
	}
	return nil
}

// migrate moves the indexes of earlier versions into the sets, once: the
// JSON shards of the previous version (notify:orgs:NN) and the list of
// user ids before it (notify:subs). It reports how many entries it moved.
func (s subscriptionStore) migrate(ctx context.Context) (int, error) {
	moved := 0
	for shard := range indexShards {
		n, err := s.migrateShard(ctx, fmt.Sprintf(legacyShardKey, shard))
		moved += n
		if err != nil {
			return moved, err
		}
	}
	raw, _, err := s.store.Get(ctx, legacyIndexKey, 0)
	if err != nil || raw == nil {
		return moved, err
	}
	var users []int64
	if err := json.Unmarshal(raw, &users); err != nil {
		return moved, fmt.Errorf("decode %s: %w", legacyIndexKey, err)
	}
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

// migrateShard moves one JSON shard of the previous version into the sets
// and empties it, only if no replica of that version changed it meanwhile
// (else it is read and moved again): a login saved there between the read
// and the emptying is not lost. An emptied shard stays as {}, which a
// replica of the previous version reads as an empty shard.
func (s subscriptionStore) migrateShard(ctx context.Context, key string) (int, error) {
	moved := 0
	for range casTries {
		raw, ver, err := s.store.Get(ctx, key, 0)
		if err != nil || raw == nil {
			return moved, err
		}
		orgs := orgIndex{}
		if err := json.Unmarshal(raw, &orgs); err != nil {
			return moved, fmt.Errorf("decode %s: %w", key, err)
		}
		if len(orgs) == 0 {
			return moved, nil
		}
		for org, users := range orgs {
			for _, user := range users {
				if err := s.addMember(ctx, org, user); err != nil {
					return moved, err
				}
			}
		}
		_, err = s.store.CompareAndSwap(ctx, key, []byte("{}"), ver, 0)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return moved, fmt.Errorf("empty %s: %w", key, err)
		}
		for _, users := range orgs {
			moved += len(users)
		}
		return moved, nil
	}
	return moved, fmt.Errorf("empty %s: too many concurrent changes", key)
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
