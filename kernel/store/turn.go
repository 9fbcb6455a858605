package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/redis/go-redis/v9"
)

// Turns take one user's turn to handle an update in one round trip and end
// it in another — the kernel's two round trips per update:
//
//	BeginTurn: take the user's lock; if the update was handled already,
//	           stop (Seen); apply the rate limit (Limited); read the session,
//	           sliding its expiry.
//	EndTurn:   save the session if it changed (compare-and-set on the version
//	           BeginTurn read), record the update as handled, in the same
//	           step, and release the lock.
//
// The session, the lock, the handled updates and the limit of one user
// share a Redis Cluster slot (their keys carry the user's {hash tag}).
// Seen and Limited turns hold no lock.
type Turns interface {
	BeginTurn(ctx context.Context, t TurnStart) (*Turn, error)
	EndTurn(ctx context.Context, t *Turn, session []byte, changed bool) error
}

// TurnStart says whose turn to take.
type TurnStart struct {
	// User is the owner of the session ("42"); the keys derive from it.
	User string
	// UpdateID is the update to handle; Window how many handled ids are
	// remembered (older redeliveries are not recognized).
	UpdateID int64
	Window   int
	// LockTTL is how long the lock lasts unless renewed (Turn.Renew).
	LockTTL time.Duration
	// SessionTTL slides the session's expiry (and the handled ids').
	SessionTTL time.Duration
	// Limit, when set, is applied to the user (the "default" limit).
	Limit *ratelimit.Limit
}

// Turn is a taken turn.
type Turn struct {
	// Seen: the update was handled already; nothing else was done.
	Seen bool
	// Limited: the rate limit refused it; RetryAfter says when it would not.
	Limited    bool
	RetryAfter time.Duration
	// Session is the stored session (nil when there is none) at Version.
	Session []byte
	Version int64

	start TurnStart
	lease *Lease
}

// Renew pushes the turn's lock expiry LockTTL from now.
func (t *Turn) Renew(ctx context.Context) error {
	if t.lease == nil {
		return nil
	}
	return t.lease.Renew(ctx)
}

// Release frees the turn's lock without saving (a failed update); EndTurn
// releases it otherwise.
func (t *Turn) Release() {
	if t.lease != nil {
		t.lease.Release()
	}
}

// ErrBusy is returned by BeginTurn when another update of the user holds
// the lock; callers wait and try again.
var ErrBusy = errors.New("store: the user's turn is taken")

// Turn keys. A session is "sess:{<user>}".
func sessionKey(user string) string  { return "sess:{" + user + "}" }
func turnLockKey(user string) string { return "user:{" + user + "}" }
func seenKey(user string) string     { return "seen:{" + user + "}" }
func limitKey(user string) string    { return "rate:default:{" + user + "}" }

// SessionKey is the key BeginTurn reads a user's session from, for code
// that reads a session outside a turn (Get).
func SessionKey(user string) string { return sessionKey(user) }

// gcra applies a GCRA limit at now to a theoretical arrival time (zero:
// none yet): whether the event is allowed, the new arrival time to store,
// and when a refused event would be allowed.
func gcra(l ratelimit.Limit, tat, now time.Time) (ok bool, newTAT time.Time, retryAfter time.Duration) {
	burst := l.Burst
	if burst == 0 {
		burst = l.Rate
	}
	interval := l.Period / time.Duration(l.Rate)
	if tat.Before(now) {
		tat = now
	}
	newTAT = tat.Add(interval)
	allowAt := newTAT.Add(-time.Duration(burst) * interval)
	if diff := now.Sub(allowAt); diff < 0 {
		return false, tat, -diff
	}
	return true, newTAT, 0
}

// BeginTurn implements Turns.
func (m *Memory) BeginTurn(ctx context.Context, s TurnStart) (*Turn, error) {
	if s.LockTTL <= 0 {
		return nil, fmt.Errorf("store: begin turn %s: %w", s.User, errBadTTL)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return nil, fmt.Errorf("store: begin turn %s: %w", s.User, err)
	}
	now := m.now()
	key := turnLockKey(s.User)
	if held := m.locks[key]; held != nil && now.Before(held.expires) {
		return nil, ErrBusy
	} else if held != nil {
		delete(m.locks, key)
		close(held.released)
	}
	if set := m.seen[seenKey(s.User)]; set != nil && now.Before(set.expires) && slices.Contains(set.ids, s.UpdateID) {
		return &Turn{Seen: true}, nil
	}
	if s.Limit != nil {
		ok, tat, wait := gcra(*s.Limit, m.tat[limitKey(s.User)], now)
		if !ok {
			return &Turn{Limited: true, RetryAfter: wait}, nil
		}
		m.tat[limitKey(s.User)] = tat
	}
	l := &memLock{expires: now.Add(s.LockTTL), released: make(chan struct{})}
	m.locks[key] = l
	t := &Turn{start: s, lease: NewLease(func(context.Context) error { return m.renew(key, l, s.LockTTL) }, func() { m.unlock(key, l) })}
	if it := m.lookup(sessionKey(s.User), now); it != nil {
		t.Session, t.Version = append([]byte(nil), it.data...), it.version
		if s.SessionTTL > 0 {
			it.expires = now.Add(s.SessionTTL)
		}
	}
	return t, nil
}

// EndTurn implements Turns.
func (m *Memory) EndTurn(ctx context.Context, t *Turn, session []byte, changed bool) error {
	defer t.Release()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("store: end turn %s: %w", t.start.User, err)
	}
	now := m.now()
	s := t.start
	if changed {
		key := sessionKey(s.User)
		it := m.lookup(key, now)
		cur := int64(0)
		if it != nil {
			cur = it.version
		}
		if cur != t.Version {
			return fmt.Errorf("store: end turn %s: %w", s.User, ErrConflict)
		}
		next := &item{data: append([]byte(nil), session...), version: cur + 1}
		if s.SessionTTL > 0 {
			next.expires = now.Add(s.SessionTTL)
		}
		m.items[key] = next
	}
	set := m.seen[seenKey(s.User)]
	if set == nil || !now.Before(set.expires) {
		set = &seenSet{}
		m.seen[seenKey(s.User)] = set
	}
	set.ids = append(set.ids, s.UpdateID)
	if len(set.ids) > max(s.Window, 1) {
		set.ids = slices.Clone(set.ids[len(set.ids)-max(s.Window, 1):])
	}
	set.expires = now.Add(max(s.SessionTTL, time.Hour))
	return nil
}

// seenSet is a user's newest handled update ids.
type seenSet struct {
	ids     []int64
	expires time.Time
}

var _ Turns = (*Memory)(nil)

// beginScript takes a user's turn in one round trip. The lock is set
// last: a script that fails half-way (Redis runs no rollback) leaves no
// lock behind.
// KEYS: lock, session hash, handled ids (zset), limit.
// ARGV: token, lock ttl ms, update id, session ttl ms, limit rate,
// burst and period ms ("" rate: no limit).
// Returns {"busy"}, {"seen"}, {"limited", retry after ms} or
// {"ok", data, version} (version "0": no session).
var beginScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {'busy'} end
if redis.call('ZSCORE', KEYS[3], ARGV[3]) then return {'seen'} end
if ARGV[5] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local interval = tonumber(ARGV[7]) / tonumber(ARGV[5])
  local tat = tonumber(redis.call('GET', KEYS[4]) or '0')
  if tat < now then tat = now end
  local new_tat = tat + interval
  local diff = now - (new_tat - tonumber(ARGV[6]) * interval)
  if diff < 0 then return {'limited', tostring(math.ceil(-diff))} end
  redis.call('SET', KEYS[4], string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local d = redis.call('HMGET', KEYS[2], 'd', 'v')
if d[2] and tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {'ok', d[1] or '', d[2] or '0'}
`)

// endScript ends a turn in one round trip: save the session if it
// changed and still is at the version read, record the update as handled
// (unless the save conflicted), and release the lock if still ours.
// KEYS: lock, session hash, handled ids. ARGV: token, update id, window,
// session ttl ms, changed ("1"), data, version read.
// Returns the new version, 0 when unchanged, -1 on a conflict.
var endScript = redis.NewScript(`
local nv = 0
if ARGV[5] == '1' then
  local cur = tonumber(redis.call('HGET', KEYS[2], 'v') or '0')
  if cur ~= tonumber(ARGV[7]) then
    nv = -1
  else
    redis.call('HSET', KEYS[2], 'd', ARGV[6])
    nv = redis.call('HINCRBY', KEYS[2], 'v', 1)
    if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) else redis.call('PERSIST', KEYS[2]) end
  end
end
if nv ~= -1 then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[3]) + 1))
  local keep = tonumber(ARGV[4])
  if keep < 3600000 then keep = 3600000 end
  redis.call('PEXPIRE', KEYS[3], keep)
end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return nv
`)

func (r *Redis) turnKeys(user string) []string {
	return []string{r.prefix + "lock:" + turnLockKey(user), r.prefix + sessionKey(user), r.prefix + seenKey(user), r.prefix + limitKey(user)}
}

// BeginTurn implements Turns.
func (r *Redis) BeginTurn(ctx context.Context, s TurnStart) (*Turn, error) {
	if s.LockTTL <= 0 {
		return nil, fmt.Errorf("store: begin turn %s: %w", s.User, errBadTTL)
	}
	var raw [16]byte
	_, _ = crand.Read(raw[:])
	token := hex.EncodeToString(raw[:])
	rate, burst, period := "", "", ""
	if l := s.Limit; l != nil {
		b := l.Burst
		if b == 0 {
			b = l.Rate
		}
		rate, burst, period = strconv.Itoa(l.Rate), strconv.Itoa(b), strconv.FormatInt(l.Period.Milliseconds(), 10)
	}
	keys := r.turnKeys(s.User)
	res, err := beginScript.Run(ctx, r.rdb, keys, token, ms(s.LockTTL), s.UpdateID, ms(s.SessionTTL), rate, burst, period).Slice()
	if err != nil {
		return nil, fmt.Errorf("store: begin turn %s: %w", s.User, err)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("store: begin turn %s: empty answer", s.User)
	}
	switch res[0] {
	case "busy":
		return nil, ErrBusy
	case "seen":
		return &Turn{Seen: true}, nil
	case "limited":
		wait, _ := strconv.ParseInt(fmt.Sprint(res[1]), 10, 64)
		return &Turn{Limited: true, RetryAfter: time.Duration(wait) * time.Millisecond}, nil
	}
	t := &Turn{start: s, lease: r.lease(ctx, s.User, keys[0], token, s.LockTTL)}
	t.lease.token = token
	if len(res) == 3 {
		ver, _ := strconv.ParseInt(fmt.Sprint(res[2]), 10, 64)
		if ver > 0 {
			t.Session, t.Version = []byte(fmt.Sprint(res[1])), ver
		}
	}
	return t, nil
}

// lease is the turn's lock as a Lease.
func (r *Redis) lease(ctx context.Context, user, key, token string, ttl time.Duration) *Lease {
	return NewLease(func(ctx context.Context) error {
		n, err := renewScript.Run(ctx, r.rdb, []string{key}, token, ms(ttl)).Int()
		switch {
		case err != nil:
			return fmt.Errorf("store: renew turn %s: %w", user, err)
		case n == 0:
			return fmt.Errorf("store: renew turn %s: %w", user, ErrLockLost)
		}
		return nil
	}, func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		_ = unlockScript.Run(uctx, r.rdb, []string{key}, token).Err()
	})
}

// EndTurn implements Turns.
func (r *Redis) EndTurn(ctx context.Context, t *Turn, session []byte, changed bool) error {
	s := t.start
	keys := r.turnKeys(s.User)[:3]
	flag := "0"
	if changed {
		flag = "1"
	}
	token := ""
	if t.lease != nil {
		token = t.lease.token
	}
	nv, err := endScript.Run(ctx, r.rdb, keys, token, s.UpdateID, max(s.Window, 1), ms(s.SessionTTL), flag, session, t.Version).Int64()
	if err != nil {
		t.Release()
		return fmt.Errorf("store: end turn %s: %w", s.User, err)
	}
	if t.lease != nil {
		t.lease.once.Do(func() {}) // released by the script
	}
	if nv < 0 {
		return fmt.Errorf("store: end turn %s: %w", s.User, ErrConflict)
	}
	return nil
}

var _ Turns = (*Redis)(nil)
