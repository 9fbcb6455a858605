package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Who is subscribed lives in the shared store, so every replica sees it:
//
//	notify:sub:<userID>  one subscription (JSON)
//	notify:subs          the index: user ids (JSON), updated with CompareAndSwap
//	notify:seen:<org>:<id>  a deposit already announced (SetNX, 48h)
//	notify:last:<org>    newest deposit time the catch-up has handled

const (
	indexKey = "notify:subs"
	seenTTL  = 48 * time.Hour
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

func seenKey(org, id string) string { return "notify:seen:" + org + ":" + id }

func lastKey(org string) string { return "notify:last:" + org }

// subscriptionStore reads and writes subscriptions in the shared store.
type subscriptionStore struct{ store store.Store }

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

// save writes the subscription and makes sure the index lists it.
func (s subscriptionStore) save(ctx context.Context, entry subscription) error {
	b, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	if err := s.store.Set(ctx, subscriptionKey(entry.User), b, 0); err != nil {
		return fmt.Errorf("save subscription: %w", err)
	}
	return s.updateIndex(ctx, func(ids []int64) []int64 {
		if slices.Contains(ids, entry.User) {
			return nil
		}
		return append(ids, entry.User)
	})
}

// remove deletes the user's subscription and index entry.
func (s subscriptionStore) remove(ctx context.Context, user int64) error {
	if err := s.store.Delete(ctx, subscriptionKey(user)); err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	return s.updateIndex(ctx, func(ids []int64) []int64 {
		i := slices.Index(ids, user)
		if i < 0 {
			return nil
		}
		return slices.Delete(ids, i, i+1)
	})
}

// index lists the subscribed user ids.
func (s subscriptionStore) index(ctx context.Context) ([]int64, int64, error) {
	raw, ver, err := s.store.Get(ctx, indexKey, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("load index: %w", err)
	}
	var ids []int64
	if raw != nil {
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, 0, fmt.Errorf("decode index: %w", err)
		}
	}
	return ids, ver, nil
}

// updateIndex changes the index with CompareAndSwap, retrying on conflicts;
// change returns nil for "nothing to do".
func (s subscriptionStore) updateIndex(ctx context.Context, change func([]int64) []int64) error {
	for range 20 {
		ids, ver, err := s.index(ctx)
		if err != nil {
			return err
		}
		next := change(ids)
		if next == nil {
			return nil
		}
		slices.Sort(next)
		b, _ := json.Marshal(next)
		if _, err := s.store.CompareAndSwap(ctx, indexKey, b, ver, 0); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("save index: %w", err)
		}
	}
	return errors.New("save index: too many concurrent changes")
}

// all returns every subscription listed in the index (missing records
// skipped).
func (s subscriptionStore) all(ctx context.Context) ([]subscription, error) {
	ids, _, err := s.index(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]subscription, 0, len(ids))
	for _, id := range ids {
		entry, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		if entry != nil {
			out = append(out, *entry)
		}
	}
	return out, nil
}

// ofOrg returns the subscriptions of one organization.
func (s subscriptionStore) ofOrg(ctx context.Context, org string) ([]subscription, error) {
	all, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(entry subscription) bool { return entry.Org != org }), nil
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
	for range 20 {
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
