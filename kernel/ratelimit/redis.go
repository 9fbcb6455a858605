package ratelimit

import (
	"context"
	"fmt"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is a GCRA Limiter shared by every process using the same Redis,
// built on redis_rate (one EVALSHA per Allow). Its keys are
// "rate:"+prefix+key (redis_rate adds "rate:") and expire once the
// allowance is full again.
type Redis struct {
	lim    *redis_rate.Limiter
	prefix string
}

// NewRedis returns a Limiter that keeps its state in rdb under prefix.
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{lim: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, fmt.Errorf("ratelimit: %s: %w", key, err)
	}
	res, err := r.lim.Allow(ctx, r.prefix+key, redis_rate.Limit{Rate: l.Rate, Burst: l.burst(), Period: l.Period})
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: %s: %w", key, err)
	}
	if res.Allowed > 0 {
		return Result{Allowed: true, Remaining: res.Remaining}, nil
	}
	return Result{RetryAfter: max(res.RetryAfter, 0)}, nil
}

var _ Limiter = (*Redis)(nil)
