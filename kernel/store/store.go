// Package store keeps small values (sessions, flow state, dedupe markers)
// by key and offers the coordination primitives the kernel needs: optimistic
// versioned writes (CompareAndSwap), write-once markers (SetNX) and
// exclusive per-key locks.
//
// Two implementations share one contract, checked by the conformance suite
// in package storetest: Memory (one process, tests, development) and Redis
// (production; several bot processes may share one Redis).
//
// Versions: every write bumps a key's version; a new key starts at 1.
// A deleted or expired key starts again at 1 when it is created anew, so
// a caller must not hold a version across a deletion it did not observe.
//
// TTLs: a ttl <= 0 means "no expiry" for writes and "leave the expiry alone"
// for Get.
package store

import (
	"sync"

	"context"
	"errors"
	"time"
)

// Store keeps small values by key. Implementations: Memory and Redis.
// All methods are safe for concurrent use.
type Store interface {
	// Get returns the value and its version; a missing key is (nil, 0, nil).
	// ttl > 0 slides the key's expiry (same round trip in Redis: pipeline).
	Get(ctx context.Context, key string, ttl time.Duration) ([]byte, int64, error)
	// CompareAndSwap writes value if the stored version equals version
	// (0 = key must not exist), sets ttl, returns the new version;
	// ErrConflict otherwise. One round trip in Redis (Lua script).
	CompareAndSwap(ctx context.Context, key string, value []byte, version int64, ttl time.Duration) (int64, error)
	// Set writes unconditionally (bumps the version).
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX writes only if the key is absent; reports whether it wrote.
	// Used for update dedupe and one-time confirmation ids.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	// Delete removes keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// Lock takes an exclusive lock on key (across processes for Redis),
	// waiting until it is free or ctx ends (then the error wraps both
	// ErrLockTimeout and ctx.Err()); the lock expires ttl after it was
	// taken or last renewed (Lease.Renew), so a holder that dies frees it
	// within ttl. Lease.Release is safe to call more than once; it releases
	// only the caller's own lock (token compare in Redis), so a holder whose
	// lock expired and was taken by another does not release the new one.
	// Locks live in their own namespace: Lock("k") does not touch value "k".
	Lock(ctx context.Context, key string, ttl time.Duration) (*Lease, error)
	// Sets keep sets of strings: for indexes that grow with the users.
	Sets
	// BeginTurn and EndTurn take and end a user's turn to handle an
	// update, in one round trip each (see Turns).
	Turns
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases resources held by the store itself (the Memory sweeper);
	// Redis does not close the client it was given.
	Close() error
}

// Sets keep unordered sets of strings by key. Adding or removing a member
// costs the same whatever the set's size (one round trip in Redis), where
// a value read, changed and written back grows with what it holds. Sets
// share the keys' namespace with values (Delete removes either; a key
// holds a value or a set, not both) and never expire.
type Sets interface {
	// AddMember adds member to the set at key, creating it; added is
	// false when it was there already.
	AddMember(ctx context.Context, key, member string) (added bool, err error)
	// RemoveMember takes member out of the set (a set with no member left
	// is gone) and returns how many members remain.
	RemoveMember(ctx context.Context, key, member string) (left int64, err error)
	// Members lists the set's members in no particular order; a missing
	// key has none.
	Members(ctx context.Context, key string) ([]string, error)
}

// ErrConflict is returned by CompareAndSwap when the stored version differs.
var ErrConflict = errors.New("store: version conflict")

// Lease is a lock its holder keeps: Renew pushes its expiry ttl from now
// (ErrLockLost when it had expired and another took it), Release frees it.
type Lease struct {
	renew   func(ctx context.Context) error
	release func()
	once    sync.Once
	token   string // the Redis lock's value, for a turn's end script
}

// NewLease is a Lease over the store's own renew and release (for Store
// implementations).
func NewLease(renew func(ctx context.Context) error, release func()) *Lease {
	return &Lease{renew: renew, release: release}
}

// Renew pushes the lock's expiry ttl from now.
func (l *Lease) Renew(ctx context.Context) error { return l.renew(ctx) }

// Release frees the lock; calling it again does nothing.
func (l *Lease) Release() { l.once.Do(l.release) }

// ErrLockLost is returned by Lease.Renew when the lock expired before it
// was renewed (and may be held by another now).
var ErrLockLost = errors.New("store: lock lost")

// ErrLockTimeout is returned (wrapping the context's error) when Lock gives
// up because its context ended before the lock became free.
var ErrLockTimeout = errors.New("store: lock not acquired")

// errBadTTL is returned by Lock for a ttl <= 0: a lock must always expire.
var errBadTTL = errors.New("store: lock ttl must be > 0")
