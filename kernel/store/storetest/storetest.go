// Package storetest gives tests a Redis to talk to and checks that a
// store.Store honours the contract.
//
// Redis returns a client for the real Redis named by the REDIS_URL
// environment variable (e.g. redis://127.0.0.1:6379/0) or, when it is
// unset, for an in-process miniredis. Each call gets a unique random key
// prefix and deletes its keys when the test ends, so test packages running
// in parallel against one Redis never collide.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the environment variable that selects a real Redis.
const EnvURL = "REDIS_URL"

// Redis returns a client and a fresh key prefix (see the package doc).
// It fails the test if REDIS_URL is set but Redis is unreachable.
func Redis(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	rdb, prefix, _ := RedisClock(t)
	return rdb, prefix
}

// RedisClock is Redis plus a function that lets key expiry advance by d:
// miniredis's FastForward, or time.Sleep against a real Redis.
func RedisClock(t testing.TB) (rdb redis.UniversalClient, prefix string, advance func(d time.Duration)) {
	t.Helper()
	prefix = Prefix()
	if u := os.Getenv(EnvURL); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("storetest: %s: %v", EnvURL, err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("storetest: %s is set but Redis at %s is unreachable: %v", EnvURL, opt.Addr, err)
		}
		t.Cleanup(func() { cleanup(t, c, prefix) })
		t.Logf("storetest: real Redis at %s db %d, key prefix %q", opt.Addr, opt.DB, prefix)
		return c, prefix, time.Sleep
	}
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	t.Logf("storetest: miniredis at %s (set %s to use a real Redis), key prefix %q", m.Addr(), EnvURL, prefix)
	return c, prefix, m.FastForward
}

// Prefix returns a unique key prefix such as "test:3f2a9c1b7d4e5f60:".
func Prefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "test:" + hex.EncodeToString(b[:]) + ":"
}

// cleanup deletes every key containing prefix (so also keys that a library
// stored as "lib:"+prefix+key, like redis_rate does).
func cleanup(t testing.TB, c *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, "*"+prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("storetest: scan %s*: %v", prefix, err)
		return
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := c.Unlink(ctx, keys[:n]...).Err(); err != nil {
			t.Errorf("storetest: unlink: %v", err)
			return
		}
		keys = keys[n:]
	}
}
