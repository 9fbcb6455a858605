package kernel

import (
	"maps"
	"net"
	"reflect"
	"slices"
	"strconv"

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
	"ADMIN_ADDR":             "http.admin_addr",
	"REDIS_URL":              "redis.url",
	"SESSION_ENCRYPTION_KEY": "session.encryption_key",
	"SESSION_PREVIOUS_KEYS":  "session.previous_keys",
	"COPPERX_API_URL":        "copperx.api_url",
	"LOG_LEVEL":              "log.level",
	"LOG_FORMAT":             "log.format",
}

// Config is the kernel's part of config.yaml. Sections owned by others
// (copperx, sandbox) are decoded by LoadConfig into the values passed as
// extra sections.
type Config struct {
	Telegram TelegramConfig    `koanf:"telegram"`
	HTTP     HTTPConfig        `koanf:"http"`
	Log      LogConfig         `koanf:"log"`
	Redis    store.RedisConfig `koanf:"redis"`
	Session  SessionConfig     `koanf:"session"`
	Updates  UpdatesConfig     `koanf:"updates"`
	Flows    FlowsConfig       `koanf:"flows"`
	I18n     I18nConfig        `koanf:"i18n"`
	// RateLimits by full name: "default", and "<plugin>.<name>" for the
	// limits plugins declare (rate_limits.<plugin>.<name> in the file).
	RateLimits map[string]ratelimit.Limit `koanf:"-"`
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

// HTTPConfig is the servers for health, metrics and the webhook.
type HTTPConfig struct {
	// ListenAddr serves /healthz, /readyz, the webhook, and /metrics when
	// there is no admin listener.
	ListenAddr string `koanf:"listen_addr"`
	// AdminAddr, when set, serves /metrics and net/http/pprof (and health)
	// instead of the public listener; keep it on a private address.
	AdminAddr string `koanf:"admin_addr"`
	// ShutdownTimeout bounds how long in-flight updates may finish after
	// SIGINT/SIGTERM; it must exceed updates.handler_timeout.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// ReadTimeout, WriteTimeout and IdleTimeout bound a request's body, its
	// answer, and a kept-alive connection's silence.
	ReadTimeout  time.Duration `koanf:"read_timeout"`
	WriteTimeout time.Duration `koanf:"write_timeout"`
	IdleTimeout  time.Duration `koanf:"idle_timeout"`
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int `koanf:"max_header_bytes"`
	// MaxConnections bounds the public listener's open connections (0: no
	// bound), so idle clients cannot use up the process's file descriptors.
	MaxConnections int `koanf:"max_connections"`
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
	// PreviousKeys still open tokens sealed before a key rotation; each
	// session is sealed again with EncryptionKey when its user comes back.
	// Drop a key once session.ttl has passed since the rotation.
	PreviousKeys []string `koanf:"previous_keys"`
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
	// Dir is a folder of partial <lang>.yaml files laid over the built-in
	// locales: the keys they define replace those messages, a new language
	// file adds a language (see kernel/i18n).
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
			MaxRetryAfter:  60 * time.Second,
			SendRetries:    3,
			Webhook:        WebhookConfig{MaxConnections: 40, MaxBodyBytes: 1 << 20},
		},
		HTTP: HTTPConfig{ListenAddr: ":8080", ShutdownTimeout: 90 * time.Second,
			ReadTimeout: 10 * time.Second, WriteTimeout: 90 * time.Second, IdleTimeout: 60 * time.Second,
			MaxHeaderBytes: 16 << 10, MaxConnections: 512},
		Log:     LogConfig{Level: "info", Format: "auto"},
		Redis:   store.RedisConfig{KeyPrefix: "cxbot:"},
		Session: SessionConfig{TTL: 30 * 24 * time.Hour},
		Updates: UpdatesConfig{
			DedupeWindow: 64, LockTTL: 15 * time.Second, HandlerTimeout: 60 * time.Second,
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

// PathEnv names the config file (the --config flag wins); it is a path,
// not a config key, so the environment loader skips it.
const PathEnv = EnvPrefix + "CONFIG"

// kernelSections are the top-level sections the kernel decodes itself.
var kernelSections = []string{"telegram", "http", "log", "redis", "session", "updates", "flows", "i18n", "rate_limits", "commands", "plugins"}

// LoadConfig reads YAML then environment overrides, and decodes the kernel's
// sections into cfg and every other top-level section into the value named
// in extra (for example "copperx": &copperxCfg), calling a section value's
// Validate() error when it has one. Every problem is reported, one
// *ConfigError per line, each naming its key: an unknown key or section, a
// wrong type, a duration without a unit.
func LoadConfig(src Source, cfg *Config, extra map[string]any) error {
	k := koanf.New(".")
	switch {
	case src.YAML != nil:
		if err := k.Load(rawbytes.Provider(src.YAML), yaml.Parser()); err != nil {
			return &ConfigError{Key: "(file)", Err: fmt.Errorf("not valid YAML: %w", err)}
		}
	case src.Path != "":
		if err := k.Load(file.Provider(src.Path), yaml.Parser()); err != nil {
			return &ConfigError{Key: "(file)", Err: fmt.Errorf("read %s: %w", src.Path, err)}
		}
	}
	environ := src.Environ
	if environ == nil {
		environ = os.Environ()
	}
	if err := k.Load(env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(key, v string) (string, any) {
			if key == PathEnv {
				return "", nil // the file's path, not a key
			}
			return envKey(key), v
		},
	}), nil); err != nil {
		return &ConfigError{Key: "(environment)", Err: err}
	}
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if key, ok := ShortEnv[name]; ok && val != "" {
			if err := k.Set(key, val); err != nil {
				return &ConfigError{Key: key, Err: fmt.Errorf("from %s: %w", name, err)}
			}
		}
	}

	all := k.Raw()
	own := map[string]any{}
	var errs []error
	names := slices.Sorted(maps.Keys(all))
	for _, key := range names {
		switch {
		case key == "rate_limits":
			errs = append(errs, decodeRateLimits(all[key], cfg.RateLimits)...)
		case slices.Contains(kernelSections, key):
			own[key] = all[key]
		case extra[key] != nil:
		default:
			known := append(slices.Clone(kernelSections), slices.Sorted(maps.Keys(extra))...)
			slices.Sort(known)
			errs = append(errs, cfgErr(key, "unknown section (known: %s)", strings.Join(known, ", ")))
		}
	}
	if err := decodeStrict(own, cfg, ""); err != nil {
		errs = append(errs, err)
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		target := extra[name]
		section, ok := all[name]
		if ok {
			if err := decodeStrict(section, target, name); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if v, ok := target.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				errs = append(errs, withPrefix(name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// decodeRateLimits reads rate_limits: "default", and the plugins' limits
// under their plugin's name (rate_limits.auth.otp), into out by full name.
func decodeRateLimits(raw any, out map[string]ratelimit.Limit) []error {
	section, ok := raw.(map[string]any)
	if !ok {
		return []error{cfgErr("rate_limits", "want a section of limits, not %s", describeValue(raw))}
	}
	var errs []error
	one := func(key string, v any) {
		l := out[strings.TrimPrefix(key, "rate_limits.")]
		if err := decodeStrict(v, &l, key); err != nil {
			errs = append(errs, err)
			return
		}
		if err := l.Validate(); err != nil {
			errs = append(errs, withPrefix(key, err))
			return
		}
		out[strings.TrimPrefix(key, "rate_limits.")] = l
	}
	for _, name := range slices.Sorted(maps.Keys(section)) {
		v := section[name]
		if name == "default" {
			one("rate_limits.default", v)
			continue
		}
		limits, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, cfgErr("rate_limits."+name, "want the limits of plugin %s by name (rate_limits.%s.<limit>), not %s", name, name, describeValue(v)))
			continue
		}
		if _, flat := limits["rate"]; flat {
			errs = append(errs, cfgErr("rate_limits."+name, "a limit is named after its plugin: rate_limits.<plugin>.%s (such as rate_limits.auth.otp)", name))
			continue
		}
		for _, l := range slices.Sorted(maps.Keys(limits)) {
			one("rate_limits."+name+"."+l, limits[l])
		}
	}
	return errs
}

// envKey turns COPPERX_BOT_TELEGRAM__API_URL into telegram.api_url.
func envKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)), "__", ".")
}

var durationType = reflect.TypeFor[time.Duration]()

// durationHook reads a duration only with a unit: "15s", "2m", "1h30m".
// A bare number would be nanoseconds (flows.timeout: 15 would end every
// flow at the next message), so it is refused.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != durationType {
		return data, nil
	}
	switch v := data.(type) {
	case time.Duration:
		return v, nil
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("want a duration with a unit, like 30s, 5m or 1h (got %q)", v)
		}
		return d, nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return nil, fmt.Errorf("a duration needs a unit, like %vs or %vm (a bare %v would be nanoseconds)", v, v, v)
	}
	return nil, fmt.Errorf("want a duration with a unit, like 30s, not %s", describeValue(data))
}

func decoderConfig(out any, md *mapstructure.Metadata) *mapstructure.DecoderConfig {
	return &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			durationHook,
			mapstructure.StringToSliceHookFunc(","),
			mapstructure.TextUnmarshallerHookFunc(),
		),
		Metadata:         md,
		Result:           out,
		TagName:          "koanf",
		WeaklyTypedInput: true,
	}
}

// decodeStrict decodes in into out; every unknown key, wrong type or
// duration without a unit becomes a *ConfigError naming its full key
// (prefix + the key inside in), joined.
func decodeStrict(in, out any, prefix string) error {
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(decoderConfig(out, &md))
	if err != nil {
		return err
	}
	var errs []error
	if err := dec.Decode(in); err != nil {
		errs = append(errs, decodeErrors(err, prefix)...)
	}
	slices.Sort(md.Unused)
	for _, key := range md.Unused {
		errs = append(errs, cfgErr(joinKey(prefix, tidyKey(key)), "unknown key"))
	}
	return errors.Join(errs...)
}

// decodeErrors turns the decoder's structured errors into ConfigErrors
// whose messages name no Go type.
func decodeErrors(err error, prefix string) []error {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range multi.Unwrap() {
			out = append(out, decodeErrors(e, prefix)...)
		}
		return out
	}
	var de *mapstructure.DecodeError
	if !errors.As(err, &de) {
		return []error{&ConfigError{Key: joinKey(prefix, "(root)"), Err: err}}
	}
	key := joinKey(prefix, tidyKey(de.Name()))
	inner := de.Unwrap()
	if multi, ok := inner.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range multi.Unwrap() {
			out = append(out, decodeErrors(e, prefix)...)
		}
		return out
	}
	var nested *mapstructure.DecodeError
	if errors.As(inner, &nested) {
		return decodeErrors(inner, prefix)
	}
	var pe *mapstructure.ParseError
	var ue *mapstructure.UnconvertibleTypeError
	switch {
	case errors.As(inner, &pe):
		return []error{cfgErr(key, "want %s, not %s", describeType(pe.Expected.Type()), describeValue(pe.Value))}
	case errors.As(inner, &ue):
		return []error{cfgErr(key, "want %s, not %s", describeType(ue.Expected.Type()), describeValue(ue.Value))}
	}
	return []error{&ConfigError{Key: key, Err: inner}}
}

// tidyKey writes the decoder's map keys as config paths:
// networks[137].name is networks.137.name; list indexes stay.
func tidyKey(key string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(key, '[')
		if i < 0 {
			b.WriteString(key)
			return b.String()
		}
		j := strings.IndexByte(key[i:], ']')
		if j < 0 {
			b.WriteString(key)
			return b.String()
		}
		inside := key[i+1 : i+j]
		b.WriteString(key[:i])
		if _, err := strconv.Atoi(inside); err == nil {
			b.WriteString("[" + inside + "]")
		} else {
			b.WriteString("." + inside)
		}
		key = key[i+j+1:]
	}
}

func joinKey(prefix, key string) string {
	switch {
	case prefix == "":
		return key
	case key == "":
		return prefix
	case strings.HasPrefix(key, "["):
		return prefix + key
	}
	return prefix + "." + key
}

// describeType names what a setting of type t takes, in words.
func describeType(t reflect.Type) string {
	if t == durationType {
		return "a duration with a unit, like 30s"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a section of keys"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "another kind of value"
}

// describeValue names a value read from YAML or the environment.
func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int, int64, uint64, float64:
		return fmt.Sprint(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a section of keys"
	}
	return "a value of another kind"
}

// validate checks the kernel's own settings (secrets apart: see
// missingSecrets); the cross-checks against plugins happen in New.
func (c *Config) validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, cfgErr(key, format, args...)) }
	if c.Telegram.APIURL == "" {
		add("telegram.api_url", "must be set")
	} else if u, err := url.Parse(c.Telegram.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("telegram.api_url", "must be an absolute http(s) URL")
	}
	if c.Telegram.RequestTimeout < time.Second || c.Telegram.RequestTimeout > 5*time.Minute {
		add("telegram.request_timeout", "must be between 1s and 5m, not %s", c.Telegram.RequestTimeout)
	}
	if c.Telegram.PollTimeout < time.Second || c.Telegram.PollTimeout > 5*time.Minute {
		add("telegram.poll_timeout", "must be between 1s and 5m, not %s", c.Telegram.PollTimeout)
	}
	if c.Telegram.MaxRetryAfter < 0 {
		add("telegram.max_retry_after", "must not be negative")
	}
	if c.Telegram.SendRetries < 0 || c.Telegram.SendRetries > 10 {
		add("telegram.send_retries", "must be between 0 and 10")
	}
	if w := c.Telegram.Webhook; w.URL != "" {
		u, err := url.Parse(w.URL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			add("telegram.webhook.url", "must be an absolute https URL")
		case u.Scheme == "http" && !loopback(u.Hostname()):
			add("telegram.webhook.url", "must be https (Telegram delivers only to https; http is allowed on loopback only, for tests)")
		}
		if w.Secret != "" && (len(w.Secret) < 16 || len(w.Secret) > 256 || strings.Trim(w.Secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "") {
			add("telegram.webhook.secret", "must be 16-256 characters of A-Z a-z 0-9 _ -")
		}
		if w.MaxConnections < 1 || w.MaxConnections > 100 {
			add("telegram.webhook.max_connections", "must be between 1 and 100 (Telegram's range)")
		}
		if w.MaxBodyBytes <= 0 {
			add("telegram.webhook.max_body_bytes", "must be positive")
		}
	}
	if c.HTTP.ShutdownTimeout <= c.Updates.HandlerTimeout {
		add("http.shutdown_timeout", "must be longer than updates.handler_timeout (%s), so an update running at a shutdown can finish", c.Updates.HandlerTimeout)
	}
	if c.HTTP.AdminAddr != "" && c.HTTP.AdminAddr == c.HTTP.ListenAddr {
		add("http.admin_addr", "must differ from http.listen_addr")
	}
	for key, d := range map[string]time.Duration{"http.read_timeout": c.HTTP.ReadTimeout, "http.idle_timeout": c.HTTP.IdleTimeout} {
		if d < time.Second {
			add(key, "must be at least 1s, not %s", d)
		}
	}
	if c.HTTP.WriteTimeout <= c.Updates.HandlerTimeout {
		add("http.write_timeout", "must be longer than updates.handler_timeout (%s): the webhook answers once the update is handled", c.Updates.HandlerTimeout)
	}
	if c.HTTP.MaxHeaderBytes < 1024 {
		add("http.max_header_bytes", "must be at least 1024")
	}
	if c.HTTP.MaxConnections < 0 {
		add("http.max_connections", "must not be negative (0: no bound)")
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
	if c.redisOn() {
		if err := c.Redis.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Session.TTL < time.Minute {
		add("session.ttl", "must be at least 1m, not %s", c.Session.TTL)
	}
	if c.Updates.DedupeWindow < 1 || c.Updates.DedupeWindow > 1000 {
		add("updates.dedupe_window", "must be between 1 and 1000")
	}
	if c.Updates.HandlerTimeout < time.Second {
		add("updates.handler_timeout", "must be at least 1s, not %s", c.Updates.HandlerTimeout)
	}
	if c.Updates.LockTTL < 3*time.Second || c.Updates.LockTTL > 5*time.Minute {
		add("updates.lock_ttl", "must be between 3s and 5m (it is renewed every third of it while an update runs), not %s", c.Updates.LockTTL)
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
	if c.Flows.Timeout < 10*time.Second {
		add("flows.timeout", "must be at least 10s, not %s", c.Flows.Timeout)
	}
	if _, ok := c.RateLimits["default"]; !ok {
		add("rate_limits.default", "must be set")
	}
	return errors.Join(errs...)
}

func (c *Config) redisOn() bool { return c.Redis.URL != "" || len(c.Redis.Addrs) > 0 }

// Secret is a required secret that is not set.
type Secret struct {
	Key, Env, Why string
}

// missingSecrets lists the secrets the bot needs to run with this
// configuration and that are not set.
func (c *Config) missingSecrets() []Secret {
	var out []Secret
	if c.Telegram.Token == "" {
		out = append(out, Secret{"telegram.token", "TELEGRAM_BOT_TOKEN", "the bot's token from @BotFather"})
	}
	if c.Telegram.Webhook.URL != "" && c.Telegram.Webhook.Secret == "" {
		out = append(out, Secret{"telegram.webhook.secret", "WEBHOOK_SECRET", "checked on every webhook request, because telegram.webhook.url is set"})
	}
	if c.redisOn() && c.Session.EncryptionKey == "" {
		out = append(out, Secret{"session.encryption_key", "SESSION_ENCRYPTION_KEY", "seals CopperX tokens in Redis (`payoutbot genkey` prints one)"})
	}
	return out
}

// loopback reports a host name that stays on this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
