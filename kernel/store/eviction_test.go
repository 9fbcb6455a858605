package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"

	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// checkEviction runs the start-up check against rdb and returns its log
// records.
func checkEviction(t *testing.T, rdb redis.UniversalClient) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store.NewRedis(rdb, "x:").CheckEviction(context.Background(), log)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// TestCheckEviction: issue 15 — exactly-once rests on Redis never dropping
// an acknowledged key, so a server whose maxmemory-policy can evict the
// bot's keys (any but noeviction: the bot's keys have TTLs, so volatile-*
// policies evict them too) gets one WARN line at start naming the setting
// and the fix; a server that refuses CONFIG GET (managed Redis) one INFO
// line saying it could not be checked.
func TestCheckEviction(t *testing.T) {
	for _, tc := range []struct {
		policy string // "" : CONFIG is refused
		level  string
		want   []string
	}{
		{"noeviction", "DEBUG", []string{"noeviction"}},
		{"allkeys-lru", "WARN", []string{"maxmemory-policy", "noeviction", "CONFIG SET maxmemory-policy noeviction", "allkeys-lru"}},
		{"volatile-ttl", "WARN", []string{"maxmemory-policy", "noeviction", "volatile-ttl"}},
		{"volatile-lru", "WARN", []string{"volatile-lru"}},
		{"", "INFO", []string{"could not check", "maxmemory-policy", "noeviction"}},
	} {
		t.Run("policy="+tc.policy, func(t *testing.T) {
			m := miniredis.RunT(t)
			if tc.policy != "" {
				// miniredis has no CONFIG: answer CONFIG GET as a server
				// with this policy does.
				err := m.Server().Register("CONFIG", func(c *server.Peer, _ string, args []string) {
					if len(args) != 2 || !strings.EqualFold(args[0], "GET") || args[1] != "maxmemory-policy" {
						c.WriteError("ERR unexpected CONFIG " + strings.Join(args, " "))
						return
					}
					c.WriteMapLen(1)
					c.WriteBulk("maxmemory-policy")
					c.WriteBulk(tc.policy)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { _ = rdb.Close() })
			recs := checkEviction(t, rdb)
			if len(recs) != 1 {
				t.Fatalf("%d log lines, want 1: %v", len(recs), recs)
			}
			line, _ := json.Marshal(recs[0])
			if recs[0]["level"] != tc.level {
				t.Errorf("level %v, want %s: %s", recs[0]["level"], tc.level, line)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(line), w) {
					t.Errorf("log line lacks %q: %s", w, line)
				}
			}
		})
	}
}

// TestCheckEvictionRealRedis reads the policy of the Redis the tests run
// against (REDIS_URL; miniredis refuses CONFIG) without changing it: a
// WARN exactly when it is not noeviction.
func TestCheckEvictionRealRedis(t *testing.T) {
	rdb, _ := storetest.Redis(t)
	recs := checkEviction(t, rdb)
	if len(recs) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(recs), recs)
	}
	got, err := rdb.ConfigGet(context.Background(), "maxmemory-policy").Result()
	want := "WARN"
	switch {
	case err != nil:
		want = "INFO"
	case got["maxmemory-policy"] == "noeviction":
		want = "DEBUG"
	}
	if recs[0]["level"] != want {
		t.Errorf("policy %v (%v): logged %v, want %s", got, err, recs[0], want)
	}
}
