package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

func TestRedisConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		rdb, prefix, advance := storetest.RedisClock(t)
		return storetest.WithAdvance(store.NewRedis(rdb, prefix), advance)
	})
}

func TestRedisPrefixIsolation(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	a := store.NewRedis(rdb, prefix+"a:")
	b := store.NewRedis(rdb, prefix+"b:")
	if err := a.Set(ctx, "k", []byte("from a"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ver, err := b.Get(ctx, "k", 0); err != nil || v != nil || ver != 0 {
		t.Fatalf("b sees a's key: %q v%d %v", v, ver, err)
	}
	if ok, err := b.SetNX(ctx, "k", []byte("from b"), time.Minute); err != nil || !ok {
		t.Fatalf("b SetNX = %v, %v", ok, err)
	}
	leaseA, err := a.Lock(ctx, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer leaseA.Release()
	leaseB, err := b.Lock(ctx, "k", time.Second)
	if err != nil {
		t.Fatalf("b cannot lock while a holds its own lock: %v", err)
	}
	leaseB.Release()
	for _, k := range []string{prefix + "a:k", prefix + "b:k", prefix + "a:lock:k"} {
		if n, err := rdb.Exists(ctx, k).Result(); err != nil || n != 1 {
			t.Errorf("key %q: exists = %d, %v", k, n, err)
		}
	}
	if n, err := rdb.Exists(ctx, "k", "lock:k").Result(); err != nil || n != 0 {
		t.Errorf("unprefixed keys exist: %d, %v", n, err)
	}
}

func TestRedisTTLInRedis(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	ctx := context.Background()
	s := store.NewRedis(rdb, prefix)
	if err := s.Set(ctx, "k", []byte("x"), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "k", time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := rdb.PTTL(ctx, prefix+"k").Val(); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("PTTL after sliding Get = %s, want ~1h", d)
	}
	if err := s.Set(ctx, "k", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if d := rdb.PTTL(ctx, prefix+"k").Val(); d != -1 {
		t.Fatalf("PTTL after Set with ttl 0 = %s, want -1 (persistent)", d)
	}
	if err := s.Set(ctx, "sub", []byte("x"), 100*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if d := rdb.PTTL(ctx, prefix+"sub").Val(); d > time.Millisecond {
		t.Fatalf("PTTL after sub-millisecond ttl = %s", d)
	}
}

func TestRedisRoundTrips(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	var rt store.RoundTrips
	rdb.AddHook(&rt)
	ctx := context.Background()
	s := store.NewRedis(rdb, prefix)
	// Warm up: load the scripts (so EVALSHA hits) and open the command and
	// pipeline connections (their handshakes count as round trips too).
	if _, err := s.CompareAndSwap(ctx, "warm", nil, 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	_ = s.Set(ctx, "warm", nil, time.Minute)
	_, _ = s.SetNX(ctx, "warm", nil, time.Minute)
	_, _, _ = s.Get(ctx, "warm", time.Minute)
	if u, err := s.Lock(ctx, "warm", time.Second); err == nil {
		u.Release()
	}

	steps := []struct {
		name string
		fn   func() error
		want int64
	}{
		{"Get", func() error { _, _, err := s.Get(ctx, "k", 0); return err }, 1},
		{"Get sliding", func() error { _, _, err := s.Get(ctx, "k", time.Minute); return err }, 1},
		{"CompareAndSwap", func() error { _, err := s.CompareAndSwap(ctx, "k", []byte("x"), 0, time.Minute); return err }, 1},
		{"Set", func() error { return s.Set(ctx, "k", []byte("y"), time.Minute) }, 1},
		{"SetNX", func() error { _, err := s.SetNX(ctx, "n", []byte("y"), time.Minute); return err }, 1},
		{"Delete 3", func() error { return s.Delete(ctx, "a", "b", "c") }, 1},
		{"Lock+unlock", func() error {
			u, err := s.Lock(ctx, "l", time.Second)
			if err == nil {
				u.Release()
			}
			return err
		}, 2},
	}
	for _, st := range steps {
		rt.Reset()
		if err := st.fn(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := rt.Count(); got != st.want {
			t.Errorf("%s: %d round trips, want %d", st.name, got, st.want)
		}
	}
}

func TestRedisClosedClient(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	s := store.NewRedis(rdb, prefix)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Close closed the caller's client: %v", err)
	}
}

func BenchmarkRedisGetCAS(b *testing.B) {
	rdb, prefix := storetest.Redis(b)
	var rt store.RoundTrips
	rdb.AddHook(&rt)
	s := store.NewRedis(rdb, prefix)
	ctx := context.Background()
	val := make([]byte, 512)
	if _, err := s.CompareAndSwap(ctx, "session:42", val, 0, time.Hour); err != nil {
		b.Fatal(err)
	}
	_, _, _ = s.Get(ctx, "session:42", time.Hour) // open the pipeline connection
	rt.Reset()
	b.ReportAllocs()
	for b.Loop() {
		_, ver, err := s.Get(ctx, "session:42", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.CompareAndSwap(ctx, "session:42", val, ver, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rt.Count())/float64(b.N), "roundtrips/op")
}
