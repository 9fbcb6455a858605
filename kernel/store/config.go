package store

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig selects and tunes the Redis deployment. Set either URL (one
// node) or Addrs (Sentinel with MasterName, Cluster with several addresses
// and no MasterName, or one node).
type RedisConfig struct {
	// URL of a single node: redis://[user:password@]host:port/db, or
	// rediss:// for TLS. Query options of redis.ParseURL are accepted.
	URL string `koanf:"url"`
	// Addrs lists Sentinel or Cluster seed addresses (host:port).
	Addrs []string `koanf:"addrs"`
	// MasterName is the Sentinel master name; with Addrs it selects Sentinel.
	MasterName string `koanf:"master_name"`
	// Username and Password authenticate (they override those in URL).
	Username string `koanf:"username"`
	Password string `koanf:"password"`
	// DB selects the database (single node and Sentinel only; overrides URL when non-zero).
	DB int `koanf:"db"`
	// KeyPrefix is put in front of every key the bot writes (e.g. "payoutbot:").
	KeyPrefix string `koanf:"key_prefix"`
	// DialTimeout, ReadTimeout and WriteTimeout bound network operations
	// (0: go-redis defaults, 5s dial and 3s read/write).
	DialTimeout  time.Duration `koanf:"dial_timeout"`
	ReadTimeout  time.Duration `koanf:"read_timeout"`
	WriteTimeout time.Duration `koanf:"write_timeout"`
	// PoolSize is the number of connections per node (0: 10 per CPU).
	PoolSize int `koanf:"pool_size"`
}

// Validate checks the configuration without connecting. Errors name the
// config key and never contain the password.
func (c RedisConfig) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch {
	case c.URL == "" && len(c.Addrs) == 0:
		add("redis.url: required (or set redis.addrs)")
	case c.URL != "" && len(c.Addrs) > 0:
		add("redis.url: set either redis.url or redis.addrs, not both")
	case c.URL != "":
		if _, err := c.parseURL(); err != nil {
			errs = append(errs, err)
		}
	}
	for i, a := range c.Addrs {
		if strings.TrimSpace(a) == "" {
			add("redis.addrs[%d]: empty address", i)
		}
	}
	if c.MasterName != "" && len(c.Addrs) == 0 {
		add("redis.master_name: needs redis.addrs (the Sentinel addresses)")
	}
	if c.DB < 0 {
		add("redis.db: must be >= 0, got %d", c.DB)
	}
	if c.DB != 0 && c.MasterName == "" && len(c.Addrs) > 1 {
		add("redis.db: must be 0 in Cluster mode, got %d", c.DB)
	}
	for name, d := range map[string]time.Duration{"dial_timeout": c.DialTimeout, "read_timeout": c.ReadTimeout, "write_timeout": c.WriteTimeout} {
		if d < 0 {
			add("redis.%s: must be >= 0, got %s", name, d)
		}
	}
	if c.PoolSize < 0 {
		add("redis.pool_size: must be >= 0, got %d", c.PoolSize)
	}
	return errors.Join(errs...)
}

// parseURL parses c.URL, scrubbing credentials out of any error.
func (c RedisConfig) parseURL() (*redis.Options, error) {
	scheme, _, _ := strings.Cut(c.URL, "://")
	if scheme != "redis" && scheme != "rediss" {
		return nil, errors.New("redis.url: scheme must be redis:// or rediss://")
	}
	opt, err := redis.ParseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("redis.url: %s", c.scrub(err.Error()))
	}
	return opt, nil
}

// scrub removes the URL's userinfo and the configured password from msg.
func (c RedisConfig) scrub(msg string) string {
	red := redactURL(c.URL)
	msg = strings.ReplaceAll(msg, c.URL, red)
	if q := fmt.Sprintf("%q", c.URL); q != c.URL {
		msg = strings.ReplaceAll(msg, strings.Trim(q, `"`), red)
	}
	for _, p := range []string{c.Password, urlPassword(c.URL)} {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
			if e := url.PathEscape(p); e != p {
				msg = strings.ReplaceAll(msg, e, "xxxxx")
			}
		}
	}
	return msg
}

// userinfo returns the bounds of the userinfo in raw ("" if none).
func userinfo(raw string) (start, end int) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return 0, 0
	}
	start = i + 3
	at := strings.LastIndex(raw[start:], "@")
	if at < 0 {
		return 0, 0
	}
	return start, start + at
}

func redactURL(raw string) string {
	s, e := userinfo(raw)
	if e <= s {
		return raw
	}
	return raw[:s] + "xxxxx" + raw[e:]
}

func urlPassword(raw string) string {
	s, e := userinfo(raw)
	if e <= s {
		return ""
	}
	_, p, ok := strings.Cut(raw[s:e], ":")
	if !ok {
		return ""
	}
	return p
}

// OpenRedis returns a client for cfg (see RedisConfig) without connecting;
// check reachability with Store.Ping. The caller closes the client.
func OpenRedis(cfg RedisConfig) (redis.UniversalClient, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.URL != "" {
		opt, err := cfg.parseURL()
		if err != nil {
			return nil, err
		}
		if cfg.Username != "" {
			opt.Username = cfg.Username
		}
		if cfg.Password != "" {
			opt.Password = cfg.Password
		}
		if cfg.DB != 0 {
			opt.DB = cfg.DB
		}
		if cfg.DialTimeout > 0 {
			opt.DialTimeout = cfg.DialTimeout
		}
		if cfg.ReadTimeout > 0 {
			opt.ReadTimeout = cfg.ReadTimeout
		}
		if cfg.WriteTimeout > 0 {
			opt.WriteTimeout = cfg.WriteTimeout
		}
		if cfg.PoolSize > 0 {
			opt.PoolSize = cfg.PoolSize
		}
		return redis.NewClient(opt), nil
	}
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:        cfg.Addrs,
		MasterName:   cfg.MasterName,
		Username:     cfg.Username,
		Password:     cfg.Password,
		DB:           cfg.DB,
		DialTimeout:  cfg.DialTimeout,
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		PoolSize:     cfg.PoolSize,
	}), nil
}
