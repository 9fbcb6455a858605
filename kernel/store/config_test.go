package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/redis/go-redis/v9"
)

func TestOpenRedis(t *testing.T) {
	const pw = "s3cr3t-pw"
	tests := []struct {
		name    string
		cfg     store.RedisConfig
		wantErr string // substring; "" = no error
		check   func(t *testing.T, c redis.UniversalClient)
	}{
		{
			name: "url",
			cfg:  store.RedisConfig{URL: "redis://user:" + pw + "@cache:6380/3", PoolSize: 7, ReadTimeout: 2 * time.Second},
			check: func(t *testing.T, c redis.UniversalClient) {
				o := c.(*redis.Client).Options()
				if o.Addr != "cache:6380" || o.DB != 3 || o.Username != "user" || o.Password != pw || o.PoolSize != 7 || o.ReadTimeout != 2*time.Second {
					t.Errorf("options = addr %s db %d user %s pool %d read %s", o.Addr, o.DB, o.Username, o.PoolSize, o.ReadTimeout)
				}
			},
		},
		{
			name: "url with overrides",
			cfg:  store.RedisConfig{URL: "rediss://cache:6380/1", Username: "u2", Password: pw, DB: 4, DialTimeout: time.Second, WriteTimeout: time.Second},
			check: func(t *testing.T, c redis.UniversalClient) {
				o := c.(*redis.Client).Options()
				if o.TLSConfig == nil || o.Username != "u2" || o.Password != pw || o.DB != 4 || o.DialTimeout != time.Second || o.WriteTimeout != time.Second {
					t.Errorf("options = tls %v user %s db %d", o.TLSConfig != nil, o.Username, o.DB)
				}
			},
		},
		{
			name: "single addr",
			cfg:  store.RedisConfig{Addrs: []string{"a:6379"}, DB: 2},
			check: func(t *testing.T, c redis.UniversalClient) {
				if o := c.(*redis.Client).Options(); o.Addr != "a:6379" || o.DB != 2 {
					t.Errorf("addr %s db %d", o.Addr, o.DB)
				}
			},
		},
		{
			name: "sentinel",
			cfg:  store.RedisConfig{Addrs: []string{"s1:26379", "s2:26379"}, MasterName: "mymaster", Password: pw, DB: 1},
			check: func(t *testing.T, c redis.UniversalClient) {
				if _, ok := c.(*redis.Client); !ok {
					t.Errorf("sentinel client is %T", c)
				}
			},
		},
		{
			name: "cluster",
			cfg:  store.RedisConfig{Addrs: []string{"n1:7000", "n2:7000", "n3:7000"}, PoolSize: 3},
			check: func(t *testing.T, c redis.UniversalClient) {
				cc, ok := c.(*redis.ClusterClient)
				if !ok {
					t.Fatalf("cluster client is %T", c)
				}
				if o := cc.Options(); len(o.Addrs) != 3 || o.PoolSize != 3 {
					t.Errorf("cluster options %v %d", o.Addrs, o.PoolSize)
				}
			},
		},
		{name: "nothing", cfg: store.RedisConfig{}, wantErr: "redis.url: required"},
		{name: "both", cfg: store.RedisConfig{URL: "redis://a:6379", Addrs: []string{"b:6379"}}, wantErr: "redis.url: set either"},
		{name: "bad scheme", cfg: store.RedisConfig{URL: "http://user:" + pw + "@a:6379"}, wantErr: "redis.url: scheme must be redis:// or rediss://"},
		{name: "no scheme", cfg: store.RedisConfig{URL: "a:6379"}, wantErr: "redis.url: scheme"},
		{name: "bad db", cfg: store.RedisConfig{URL: "redis://user:" + pw + "@a:6379/x"}, wantErr: "redis.url: redis: invalid database number"},
		{name: "unparsable", cfg: store.RedisConfig{URL: "redis://user:" + pw + "@a:6379/%zz"}, wantErr: "redis.url: "},
		{name: "bad port", cfg: store.RedisConfig{URL: "redis://user:" + pw + "@a:port/0", Password: pw}, wantErr: "redis.url: "},
		{name: "bad option", cfg: store.RedisConfig{URL: "redis://:" + pw + "@a:6379/0?nope=" + pw}, wantErr: "redis.url: redis: unexpected option: nope"},
		{name: "empty addr", cfg: store.RedisConfig{Addrs: []string{"a:1", " "}}, wantErr: "redis.addrs[1]: empty address"},
		{name: "master without addrs", cfg: store.RedisConfig{URL: "redis://a:1", MasterName: "m"}, wantErr: "redis.master_name: needs redis.addrs"},
		{name: "cluster db", cfg: store.RedisConfig{Addrs: []string{"a:1", "b:1"}, DB: 2}, wantErr: "redis.db: must be 0 in Cluster mode"},
		{name: "negative db", cfg: store.RedisConfig{URL: "redis://a:1", DB: -1}, wantErr: "redis.db: must be >= 0"},
		{name: "negative timeout", cfg: store.RedisConfig{URL: "redis://a:1", ReadTimeout: -time.Second}, wantErr: "redis.read_timeout: must be >= 0"},
		{name: "negative pool", cfg: store.RedisConfig{URL: "redis://a:1", PoolSize: -1}, wantErr: "redis.pool_size: must be >= 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := store.OpenRedis(tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				tc.check(t, c)
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("no error, want %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error leaks the password: %v", err)
			}
			if err := tc.cfg.Validate(); err == nil {
				t.Error("Validate accepts what OpenRedis rejects")
			}
		})
	}
}
