package kernel

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"

	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// EnvPrefix starts the environment variable that overrides any config key:
// COPPERX_BOT_ + the upper-case key path with "__" between levels
// (COPPERX_BOT_TELEGRAM__TOKEN sets telegram.token).
const EnvPrefix = "COPPERX_BOT_"

// ShortEnv maps the short environment names operators set most to the
// config keys they override. They win over COPPERX_BOT_* forms.
var ShortEnv = map[string]string{
	"TELEGRAM_BOT_TOKEN":     "telegram.token",
	"TELEGRAM_API_URL":       "telegram.api_url",
	"WEBHOOK_URL":            "telegram.webhook.url",
	"WEBHOOK_SECRET":         "telegram.webhook.secret",
	"LISTEN_ADDR":            "http.listen_addr",
	"REDIS_URL":              "redis.url",
	"SESSION_ENCRYPTION_KEY": "session.encryption_key",
	"COPPERX_API_URL":        "copperx.api_url",
	"LOG_LEVEL":              "log.level",
	"LOG_FORMAT":             "log.format",
}

// Config is the kernel's part of config.yaml. Sections owned by others
// (copperx, sandbox) are decoded by LoadConfig into the values passed as
// extra sections.
type Config struct {
	Telegram   TelegramConfig             `koanf:"telegram"`
	HTTP       HTTPConfig                 `koanf:"http"`
	Log        LogConfig                  `koanf:"log"`
	Redis      store.RedisConfig          `koanf:"redis"`
	Session    SessionConfig              `koanf:"session"`
	Updates    UpdatesConfig              `koanf:"updates"`
	Flows      FlowsConfig                `koanf:"flows"`
	I18n       I18nConfig                 `koanf:"i18n"`
	RateLimits map[string]ratelimit.Limit `koanf:"rate_limits"`
	Commands   []CommandConfig            `koanf:"commands"`
	Plugins    map[string]map[string]any  `koanf:"plugins"`
}

// TelegramConfig is how the bot reaches the Bot API.
type TelegramConfig struct {
	Token          string        `koanf:"token"`
	APIURL         string        `koanf:"api_url"`
	RequestTimeout time.Duration `koanf:"request_timeout"`
	PollTimeout    time.Duration `koanf:"poll_timeout"`
	// MaxRetryAfter caps how long a send waits when Telegram answers 429.
	MaxRetryAfter time.Duration `koanf:"max_retry_after"`
	SendRetries   int           `koanf:"send_retries"`
	DropPending   bool          `koanf:"drop_pending"`
	Webhook       WebhookConfig `koanf:"webhook"`
}

// WebhookConfig switches the transport to a webhook when URL is set.
type WebhookConfig struct {
	URL            string `koanf:"url"`
	Secret         string `koanf:"secret"`
	MaxConnections int    `koanf:"max_connections"`
	MaxBodyBytes   int64  `koanf:"max_body_bytes"`
}

// HTTPConfig is the server for health, metrics and the webhook.
type HTTPConfig struct {
	ListenAddr      string        `koanf:"listen_addr"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
}

// LogConfig selects the log level and format (auto, text or json).
type LogConfig struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"`
}

// SessionConfig tunes sessions.
type SessionConfig struct {
	TTL           time.Duration `koanf:"ttl"`
	EncryptionKey string        `koanf:"encryption_key"`
}

// UpdatesConfig tunes the update pipeline.
type UpdatesConfig struct {
	// DedupeWindow is how many recent update ids each user's session
	// remembers; a redelivered update among them is not handled again.
	DedupeWindow   int           `koanf:"dedupe_window"`
	LockTTL        time.Duration `koanf:"lock_ttl"`
	HandlerTimeout time.Duration `koanf:"handler_timeout"`
	Workers        int           `koanf:"workers"`
	MaxTextLength  int           `koanf:"max_text_length"`
	// PollAckWait bounds how long polling waits for a batch to be handled
	// before fetching (and so acknowledging) the next one.
	PollAckWait time.Duration `koanf:"poll_ack_wait"`
}

// FlowsConfig tunes flows.
type FlowsConfig struct {
	Timeout time.Duration `koanf:"timeout"`
}

// I18nConfig selects the default language and where locales come from.
type I18nConfig struct {
	Default string `koanf:"default"`
	// Dir loads locales from disk instead of the embedded copy.
	Dir string `koanf:"dir"`
}

// CommandConfig binds a Telegram command to a plugin action, or defines a
// command by config alone (Message plus optional URL Buttons).
type CommandConfig struct {
	Name    string         `koanf:"name"`
	Action  string         `koanf:"action"`
	Message string         `koanf:"message"`
	Buttons []ButtonConfig `koanf:"buttons"`
	Enabled *bool          `koanf:"enabled"`
	Aliases []string       `koanf:"aliases"`
	Menu    bool           `koanf:"menu"`
}

// ButtonConfig is a URL button of a config-defined command.
type ButtonConfig struct {
	Label string `koanf:"label"`
	URL   string `koanf:"url"`
}

// IsEnabled reports whether the command is on (the default).
func (c CommandConfig) IsEnabled() bool { return c.Enabled == nil || *c.Enabled }

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{
		Telegram: TelegramConfig{
			APIURL:         "https://api.telegram.org",
			RequestTimeout: 15 * time.Second,
			PollTimeout:    30 * time.Second,
			MaxRetryAfter:  30 * time.Second,
			SendRetries:    3,
			Webhook:        WebhookConfig{MaxConnections: 40, MaxBodyBytes: 1 << 20},
		},
		HTTP:    HTTPConfig{ListenAddr: ":8080", ShutdownTimeout: 20 * time.Second},
		Log:     LogConfig{Level: "info", Format: "auto"},
		Redis:   store.RedisConfig{KeyPrefix: "cxbot:"},
		Session: SessionConfig{TTL: 30 * 24 * time.Hour},
		Updates: UpdatesConfig{
			DedupeWindow: 64, LockTTL: 90 * time.Second, HandlerTimeout: 60 * time.Second,
			Workers: 64, MaxTextLength: 1024, PollAckWait: 2 * time.Second,
		},
		Flows: FlowsConfig{Timeout: 15 * time.Minute},
		I18n:  I18nConfig{Default: "en"},
		RateLimits: map[string]ratelimit.Limit{
			"default": {Rate: 30, Period: time.Minute, Burst: 10},
		},
	}
}

// Source says where configuration comes from.
type Source struct {
	// Path of the YAML file; empty reads none.
	Path string
	// YAML, when set, is used instead of the file (tests).
	YAML []byte
	// Environ is the environment as "K=V" pairs; nil means os.Environ().
	Environ []string
}

// LoadConfig reads YAML then environment overrides, and decodes the kernel's
// sections into cfg and every other top-level section into the value named
// in extra (for example "copperx": &copperxCfg). Unknown keys and wrong types
// fail, naming the key.
func LoadConfig(src Source, cfg *Config, extra map[string]any) error {
	k := koanf.New(".")
	switch {
	case src.YAML != nil:
		if err := k.Load(rawbytes.Provider(src.YAML), yaml.Parser()); err != nil {
			return fmt.Errorf("config: parse yaml: %w", err)
		}
	case src.Path != "":
		if err := k.Load(file.Provider(src.Path), yaml.Parser()); err != nil {
			return fmt.Errorf("config: read %s: %w", src.Path, err)
		}
	}
	environ := src.Environ
	if environ == nil {
		environ = os.Environ()
	}
	if err := k.Load(env.Provider(".", env.Opt{
		Prefix:        EnvPrefix,
		EnvironFunc:   func() []string { return environ },
		TransformFunc: func(key, v string) (string, any) { return envKey(key), v },
	}), nil); err != nil {
		return fmt.Errorf("config: environment: %w", err)
	}
	short := map[string]any{}
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if key, ok := ShortEnv[name]; ok && val != "" {
			short[key] = val
		}
	}
	for key, val := range short {
		if err := k.Set(key, val); err != nil {
			return fmt.Errorf("config: %s: %w", key, err)
		}
	}

	all := k.Raw()
	own := map[string]any{}
	known := map[string]bool{"telegram": true, "http": true, "log": true, "redis": true, "session": true,
		"updates": true, "flows": true, "i18n": true, "rate_limits": true, "commands": true, "plugins": true}
	for key, val := range all {
		switch {
		case known[key]:
			own[key] = val
		case extra[key] != nil:
		default:
			return cfgErr(key, "unknown section")
		}
	}
	if err := decodeStrict(own, cfg); err != nil {
		return err
	}
	for name, target := range extra {
		section, ok := all[name]
		if !ok {
			continue
		}
		if err := decodeStrict(section, target); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				return &ConfigError{Key: name + "." + ce.Key, Err: ce.Err}
			}
			return &ConfigError{Key: name, Err: err}
		}
	}
	return nil
}

// envKey turns COPPERX_BOT_TELEGRAM__API_URL into telegram.api_url.
func envKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)), "__", ".")
}

func decoderConfig(out any, md *mapstructure.Metadata) *mapstructure.DecoderConfig {
	return &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
			mapstructure.TextUnmarshallerHookFunc(),
		),
		Metadata:         md,
		Result:           out,
		TagName:          "koanf",
		WeaklyTypedInput: true,
		ErrorUnused:      true,
	}
}

// decodeStrict decodes in into out, rejecting unknown keys and wrong types.
func decodeStrict(in, out any) error {
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(decoderConfig(out, &md))
	if err != nil {
		return err
	}
	if err := dec.Decode(in); err != nil {
		return &ConfigError{Key: firstKey(err), Err: tidyDecodeError(err)}
	}
	return nil
}

// tidyDecodeError turns mapstructure's multi-line report into one line:
// "'flows.timeout' time: invalid duration; ...".
func tidyDecodeError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "decoding failed due to the following error(s):")
	var parts []string
	for _, line := range strings.Split(msg, "\n") {
		if line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "* ")); line != "" {
			parts = append(parts, line)
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// firstKey digs the offending key out of a mapstructure error for the
// "config: <key>: <problem>" message.
func firstKey(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "'"); i >= 0 {
		if j := strings.Index(msg[i+1:], "'"); j >= 0 {
			return msg[i+1 : i+1+j]
		}
	}
	return "(root)"
}

// validate checks the kernel's own settings; the cross-checks against
// plugins happen in New.
func (c *Config) validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, cfgErr(key, format, args...)) }
	if c.Telegram.APIURL == "" {
		add("telegram.api_url", "must be set")
	} else if u, err := url.Parse(c.Telegram.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("telegram.api_url", "must be an absolute http(s) URL")
	}
	if c.Telegram.RequestTimeout <= 0 {
		add("telegram.request_timeout", "must be positive")
	}
	if c.Telegram.PollTimeout < time.Second {
		add("telegram.poll_timeout", "must be at least 1s")
	}
	if c.Telegram.SendRetries < 0 {
		add("telegram.send_retries", "must not be negative")
	}
	if w := c.Telegram.Webhook; w.URL != "" {
		u, err := url.Parse(w.URL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			add("telegram.webhook.url", "must be an absolute http(s) URL")
		}
		if len(w.Secret) < 16 || len(w.Secret) > 256 || strings.Trim(w.Secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			add("telegram.webhook.secret", "must be 16-256 characters of A-Z a-z 0-9 _ - when a webhook is used")
		}
		if w.MaxBodyBytes <= 0 {
			add("telegram.webhook.max_body_bytes", "must be positive")
		}
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		add("http.shutdown_timeout", "must be positive")
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		add("log.format", "must be auto, text or json, not %q", c.Log.Format)
	}
	redisOn := c.Redis.URL != "" || len(c.Redis.Addrs) > 0
	if redisOn && c.Session.EncryptionKey == "" {
		add("session.encryption_key", "is required when Redis is configured (set SESSION_ENCRYPTION_KEY; `go run . genkey` prints one)")
	}
	if c.Session.TTL <= 0 {
		add("session.ttl", "must be positive")
	}
	if c.Updates.DedupeWindow < 1 || c.Updates.DedupeWindow > 1000 {
		add("updates.dedupe_window", "must be between 1 and 1000")
	}
	if c.Updates.HandlerTimeout <= 0 {
		add("updates.handler_timeout", "must be positive")
	}
	if c.Updates.LockTTL <= c.Updates.HandlerTimeout {
		add("updates.lock_ttl", "must be longer than updates.handler_timeout (%s)", c.Updates.HandlerTimeout)
	}
	if c.Updates.Workers < 1 {
		add("updates.workers", "must be at least 1")
	}
	if c.Updates.PollAckWait < 0 {
		add("updates.poll_ack_wait", "must not be negative")
	}
	if c.Updates.MaxTextLength < 1 {
		add("updates.max_text_length", "must be at least 1")
	}
	if c.Flows.Timeout <= 0 {
		add("flows.timeout", "must be positive")
	}
	for name, l := range c.RateLimits {
		if err := l.Validate(); err != nil {
			add("rate_limits."+name, "%v", err)
		}
	}
	if _, ok := c.RateLimits["default"]; !ok {
		add("rate_limits.default", "must be set")
	}
	return errors.Join(errs...)
}
