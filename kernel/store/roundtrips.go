package store

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RoundTrips is a redis.Hook that counts round trips: one per command and
// one per pipeline (or MULTI/EXEC transaction). Install it with
// rdb.AddHook(&rt). A script run that misses the script cache (EVALSHA
// then EVAL) counts two, and so do the handshake commands (HELLO, CLIENT
// SETINFO, ...) go-redis sends on each new connection: warm the pool up
// before measuring. Safe for concurrent use.
type RoundTrips struct {
	n atomic.Int64
}

// Count returns the round trips seen so far.
func (r *RoundTrips) Count() int64 { return r.n.Load() }

// Reset sets the count back to zero and returns the previous count.
func (r *RoundTrips) Reset() int64 { return r.n.Swap(0) }

// DialHook implements redis.Hook (dials are not counted).
func (r *RoundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (r *RoundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (r *RoundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*RoundTrips)(nil)
