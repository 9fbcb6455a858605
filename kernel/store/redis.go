package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store backed by Redis (single node, Sentinel or Cluster).
//
// Layout: the value for key k lives in the hash prefix+k with fields d (the
// data) and v (the version). The lock for k lives in the string
// prefix+"lock:"+k, so value keys must not start with "lock:". Scripts touch
// one key each, so the store works on Redis Cluster; put a {hash tag} in
// your keys if you need several of them in one slot.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedis returns a Store that keeps its keys under prefix in rdb. The
// caller owns rdb: Close does not close it.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// casScript: KEYS[1] hash; ARGV data, expected version, ttl ms (<= 0: persist).
// Returns the new version or -1 on conflict.
var casScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], 'd', ARGV[1])
local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return nv
`)

// setScript: KEYS[1] hash; ARGV data, ttl ms. Returns the new version.
var setScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'd', ARGV[1])
local nv = redis.call('HINCRBY', KEYS[1], 'v', 1)
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return nv
`)

// setNXScript: KEYS[1] hash; ARGV data, ttl ms. Returns 1 if written.
var setNXScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', 1)
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`)

// unlockScript: KEYS[1] lock; ARGV token. Deletes the lock only if it is ours.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func ms(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	if n := ttl.Milliseconds(); n > 0 {
		return n
	}
	return 1 // sub-millisecond ttl: expire as soon as Redis can
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string, ttl time.Duration) ([]byte, int64, error) {
	k := r.prefix + key
	var hm *redis.SliceCmd
	var err error
	if ttl > 0 {
		_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			hm = p.HMGet(ctx, k, "d", "v")
			p.PExpire(ctx, k, time.Duration(ms(ttl))*time.Millisecond)
			return nil
		})
	} else {
		hm = r.rdb.HMGet(ctx, k, "d", "v")
		err = hm.Err()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: get %q: %w", key, err)
	}
	vals := hm.Val()
	if len(vals) != 2 || vals[1] == nil {
		return nil, 0, nil
	}
	d, _ := vals[0].(string)
	vs, _ := vals[1].(string)
	ver, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("store: get %q: bad version %q", key, vs)
	}
	return []byte(d), ver, nil
}

// CompareAndSwap implements Store.
func (r *Redis) CompareAndSwap(ctx context.Context, key string, value []byte, version int64, ttl time.Duration) (int64, error) {
	nv, err := casScript.Run(ctx, r.rdb, []string{r.prefix + key}, value, version, ms(ttl)).Int64()
	if err != nil {
		return 0, fmt.Errorf("store: compare and swap %q: %w", key, err)
	}
	if nv < 0 {
		return 0, ErrConflict
	}
	return nv, nil
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := setScript.Run(ctx, r.rdb, []string{r.prefix + key}, value, ms(ttl)).Err(); err != nil {
		return fmt.Errorf("store: set %q: %w", key, err)
	}
	return nil
}

// SetNX implements Store.
func (r *Redis) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	n, err := setNXScript.Run(ctx, r.rdb, []string{r.prefix + key}, value, ms(ttl)).Int64()
	if err != nil {
		return false, fmt.Errorf("store: setnx %q: %w", key, err)
	}
	return n == 1, nil
}

// Delete implements Store. Several keys are deleted one DEL each in a
// single pipeline, so keys in different Cluster slots are fine.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	var err error
	switch len(keys) {
	case 0:
		return nil
	case 1:
		err = r.rdb.Del(ctx, r.prefix+keys[0]).Err()
	default:
		_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, r.prefix+k)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	return nil
}

// Lock backoff between attempts: starts here, doubles, capped, with jitter.
const (
	lockBackoffMin = 2 * time.Millisecond
	lockBackoffMax = 50 * time.Millisecond
	unlockTimeout  = 5 * time.Second
)

// AddMember implements Sets.
func (r *Redis) AddMember(ctx context.Context, key, member string) (bool, error) {
	n, err := r.rdb.SAdd(ctx, r.prefix+key, member).Result()
	if err != nil {
		return false, fmt.Errorf("store: add to %q: %w", key, err)
	}
	return n == 1, nil
}

// RemoveMember implements Sets: SREM and SCARD in one MULTI, so the count
// is the one this removal left.
func (r *Redis) RemoveMember(ctx context.Context, key, member string) (int64, error) {
	k := r.prefix + key
	var left *redis.IntCmd
	if _, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, k, member)
		left = p.SCard(ctx, k)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("store: remove from %q: %w", key, err)
	}
	return left.Val(), nil
}

// Members implements Sets.
func (r *Redis) Members(ctx context.Context, key string) ([]string, error) {
	members, err := r.rdb.SMembers(ctx, r.prefix+key).Result()
	if err != nil {
		return nil, fmt.Errorf("store: members of %q: %w", key, err)
	}
	if len(members) == 0 {
		return nil, nil
	}
	return members, nil
}

// Lock implements Store with SET NX PX and a random token, retrying with
// jittered exponential backoff (2ms to 50ms) until ctx ends. unlock deletes
// the key only if it still holds our token.
func (r *Redis) Lock(ctx context.Context, key string, ttl time.Duration) (*Lease, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("store: lock %q: %w", key, errBadTTL)
	}
	k := r.prefix + "lock:" + key
	var raw [16]byte
	_, _ = crand.Read(raw[:]) // crypto/rand.Read never fails (Go >= 1.24)
	token := hex.EncodeToString(raw[:])
	ttl = time.Duration(ms(ttl)) * time.Millisecond

	backoff := lockBackoffMin
	var timer *time.Timer
	for {
		ok, err := r.rdb.SetNX(ctx, k, token, ttl).Result()
		if err != nil {
			if ctx.Err() != nil {
				return nil, lockErr(key, ctx.Err())
			}
			return nil, fmt.Errorf("store: lock %q: %w", key, err)
		}
		if ok {
			break
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, lockBackoffMax)
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil, lockErr(key, ctx.Err())
		}
	}

	renew := func(ctx context.Context) error {
		n, err := renewScript.Run(ctx, r.rdb, []string{k}, token, ms(ttl)).Int()
		switch {
		case err != nil:
			return fmt.Errorf("store: renew lock %q: %w", key, err)
		case n == 0:
			return fmt.Errorf("store: renew lock %q: %w", key, ErrLockLost)
		}
		return nil
	}
	release := func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		// An error leaves the lock to expire after ttl; nobody else is
		// harmed, so there is nothing useful to report.
		_ = unlockScript.Run(uctx, r.rdb, []string{k}, token).Err()
	}
	return NewLease(renew, release), nil
}

// renewScript pushes a lock's expiry if it still holds the caller's token.
var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping redis: %w", err)
	}
	return nil
}

// evictionCheckTimeout bounds CheckEviction's one round trip.
const evictionCheckTimeout = 3 * time.Second

// CheckEviction logs, once at start, whether the server may evict the
// bot's keys. Sessions (with the dedupe record of each user's updates),
// locks and transfer outcomes all live here with TTLs, so any
// maxmemory-policy but noeviction — volatile-* ones included — can drop
// one under memory pressure, and a dropped outcome or dedupe record can
// let a Confirm or an update run twice: that is one WARN line naming the
// setting and the fix. A server that refuses CONFIG GET (managed Redis
// often does) is logged at INFO: it could not be checked. It never fails
// the start.
func (r *Redis) CheckEviction(ctx context.Context, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, evictionCheckTimeout)
	defer cancel()
	got, err := r.rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	policy, ok := got["maxmemory-policy"]
	switch {
	case err != nil || !ok:
		if err == nil {
			err = errors.New("CONFIG GET maxmemory-policy answered nothing")
		}
		log.Info("could not check the Redis eviction policy (CONFIG GET is refused on many managed Redis services): make sure maxmemory-policy is noeviction", "err", err)
	case policy != "noeviction":
		log.Warn("Redis may evict the bot's keys under memory pressure (sessions, duplicate-update records, transfer outcomes): set maxmemory-policy to noeviction",
			"maxmemory_policy", policy, "fix", "CONFIG SET maxmemory-policy noeviction, and maxmemory-policy noeviction in redis.conf")
	default:
		log.Debug("Redis eviction policy checked", "maxmemory_policy", policy)
	}
}

// Close implements Store; it does not close the client (the caller owns it).
func (r *Redis) Close() error { return nil }

var _ Store = (*Redis)(nil)

// LogTo routes go-redis's own log lines (connection errors it retries; it
// logs errors only by default) into l at WARN, as structured records,
// instead of unstructured lines on stderr. It is process-wide.
func LogTo(l *slog.Logger) { redis.SetLogger(redisLogger{l.With("component", "redis")}) }

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}
