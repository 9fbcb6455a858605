package notify

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Replicas share the organizations. Each one heartbeats in the store:
//
//	notify:replica:<id>  "I am alive", written every heartbeat_interval with a TTL of three
//	notify:replicas      the ids of the replicas (JSON), updated with CompareAndSwap; an id
//	                     whose key has expired is dropped by whoever notices
//
// and so knows the live set. An organization is held, its channel
// subscribed, by the two live replicas that rank highest for it by
// rendezvous (highest random weight) hashing of (replica id, organization):
// every replica computes the same answer from the same live set, a replica
// that leaves moves only the organizations it held, and a deposit still
// reaches a chat when one of the two is down. Two holders both receive
// every event: the claim and seen marks make one of them announce it.
// A replica that stops removes its key, so the others take its
// organizations at their next heartbeat; one that crashes is missed when
// its key expires.

const (
	registryKey = "notify:replicas"
	// holdersPerOrg is how many live replicas subscribe each organization.
	holdersPerOrg = 2
	// heartbeatTTLs: a replica's key outlives this many missed heartbeats
	// minus one, so one late heartbeat does not move its organizations.
	heartbeatTTLs = 3
)

func replicaKey(id string) string { return "notify:replica:" + id }

// newReplicaID is a random id for this process.
func newReplicaID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// registry is the replicas' shared list.
type registry struct {
	store store.Store
	id    string
	ttl   time.Duration
}

// beat says this replica is alive and returns the live replicas (sorted,
// itself included); ids whose key expired are dropped from the list.
func (r registry) beat(ctx context.Context) ([]string, error) {
	// The key first: an id listed is then alive until its key expires.
	if err := r.store.Set(ctx, replicaKey(r.id), []byte("1"), r.ttl); err != nil {
		return nil, fmt.Errorf("heartbeat: %w", err)
	}
	ids, err := r.update(ctx, func(ids []string) []string {
		if slices.Contains(ids, r.id) {
			return nil
		}
		return append(ids, r.id)
	})
	if err != nil {
		return nil, err
	}
	var live, dead []string
	for _, id := range ids {
		raw, _, err := r.store.Get(ctx, replicaKey(id), 0)
		switch {
		case err != nil:
			return nil, fmt.Errorf("read replica %s: %w", id, err)
		case raw != nil || id == r.id:
			live = append(live, id)
		default:
			dead = append(dead, id)
		}
	}
	if len(dead) > 0 {
		_, err := r.update(ctx, func(ids []string) []string {
			return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(dead, id) })
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(live)
	return live, nil
}

// leave takes this replica out of the live set at once.
func (r registry) leave(ctx context.Context) error {
	if err := r.store.Delete(ctx, replicaKey(r.id)); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	_, err := r.update(ctx, func(ids []string) []string {
		i := slices.Index(ids, r.id)
		if i < 0 {
			return nil
		}
		return slices.Delete(slices.Clone(ids), i, i+1)
	})
	return err
}

// update changes the list with CompareAndSwap (change returns nil for
// "nothing to do") and returns it as it now stands.
func (r registry) update(ctx context.Context, change func([]string) []string) ([]string, error) {
	for range casTries {
		raw, ver, err := r.store.Get(ctx, registryKey, 0)
		if err != nil {
			return nil, fmt.Errorf("read replicas: %w", err)
		}
		var ids []string
		if raw != nil {
			if err := json.Unmarshal(raw, &ids); err != nil {
				ids = nil // unreadable: start the list again
			}
		}
		next := change(ids)
		if next == nil {
			return ids, nil
		}
		slices.Sort(next)
		b, _ := json.Marshal(next)
		_, err = r.store.CompareAndSwap(ctx, registryKey, b, ver, 0)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("save replicas: %w", err)
		}
		return next, nil
	}
	return nil, errors.New("save replicas: too many concurrent changes")
}

// weight is the rendezvous score of (replica, org): FNV-1a, then mixed
// (SplitMix64's finalizer) so that similar ids spread evenly.
func weight(replica, org string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(replica))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(org))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// holders are the replicas of live that hold org, best first.
func holders(live []string, org string) []string {
	type ranked struct {
		id string
		w  uint64
	}
	rank := make([]ranked, 0, len(live))
	for _, id := range live {
		rank = append(rank, ranked{id, weight(id, org)})
	}
	slices.SortFunc(rank, func(a, b ranked) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]string, 0, holdersPerOrg)
	for _, r := range rank[:min(holdersPerOrg, len(rank))] {
		out = append(out, r.id)
	}
	return out
}

// holds reports whether replica is one of org's holders among live.
func holds(replica string, live []string, org string) bool {
	if !slices.Contains(live, replica) {
		return false
	}
	if len(live) <= holdersPerOrg {
		return true
	}
	mine := weight(replica, org)
	above := 0
	for _, id := range live {
		if id == replica {
			continue
		}
		if w := weight(id, org); w > mine || (w == mine && id < replica) {
			above++
			if above >= holdersPerOrg {
				return false
			}
		}
	}
	return true
}
