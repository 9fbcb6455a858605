package kernel

import (
	"sync"

	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Options are what New needs besides the plugins' own code.
type Options struct {
	Config  Config
	Plugins []Plugin
	// Locales is the folder of <lang>.yaml files; LocaleOverlay, when set
	// (i18n.dir), holds partial files whose keys replace those messages.
	Locales       fs.FS
	LocaleOverlay fs.FS
	// Store and Limiter override the ones built from config (tests).
	Store   store.Store
	Limiter ratelimit.Limiter
	Logger  *slog.Logger
	// Registry receives the kernel's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Clock replaces time.Now (tests).
	Clock func() time.Time
	// CheckOnly builds the kernel to validate the configuration
	// (check-config): required secrets may be unset (MissingSecrets lists
	// them), and nothing connects anywhere.
	CheckOnly bool
}

// Kernel is a configured bot: plugins set up, configuration validated,
// ready to Run.
type Kernel struct {
	cfg      Config
	log      *slog.Logger
	bot      *gotgbot.Bot
	store    store.Store
	limiter  ratelimit.Limiter
	sealer   *secret.Sealer
	catalog  *i18n.Catalog
	metrics  *metrics
	registry *prometheus.Registry
	now      func() time.Time

	plugins    []Plugin
	enabled    []string
	actions    map[string]*route
	callbacks  map[string]*route
	flows      map[string]*flowDef
	guards     map[string]*guard
	home       []homeLine
	strays     []strayText
	listeners  map[reflect.Type][]eventHandler
	errorHooks []errorHook
	limits     map[string]ratelimit.Limit
	links      []link
	services   []Service
	commands   []*command
	byName     map[string]*command // by command name and alias
	bound      map[string]*command // by action: the command that runs it
	menu       []*command
	missing    []Secret
	ready      *readiness

	// startParams are the plugins' deep-link prefixes (StartParam).
	startParams []startParam

	mu    sync.Mutex
	addrs []string // where Run listens

	disp *dispatcher
}

// New sets up the enabled plugins and validates the configuration against
// what they declared. Every problem is reported, each naming its key.
func New(opts Options) (*Kernel, error) {
	cfg := opts.Config
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	missing := cfg.missingSecrets()
	if !opts.CheckOnly && len(missing) > 0 {
		var errs []error
		for _, m := range missing {
			errs = append(errs, cfgErr(m.Key, "must be set (%s): %s", m.Env, m.Why))
		}
		return nil, errors.Join(errs...)
	}
	if opts.CheckOnly {
		// Validate without secrets and without connecting anywhere.
		cfg.Telegram.Token = "0:check-config"
		if opts.Store == nil {
			opts.Store, opts.Limiter = store.NewMemory(), ratelimit.NewMemory()
		}
	}
	k := &Kernel{
		cfg: cfg, log: opts.Logger, now: opts.Clock, registry: opts.Registry,
		plugins:   opts.Plugins,
		actions:   map[string]*route{},
		callbacks: map[string]*route{},
		flows:     map[string]*flowDef{},
		guards:    map[string]*guard{},
		listeners: map[reflect.Type][]eventHandler{},
		limits:    map[string]ratelimit.Limit{"default": cfg.RateLimits["default"]},
		byName:    map[string]*command{},
		bound:     map[string]*command{},
		missing:   missing,
		ready:     newReadiness(),
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.now == nil {
		k.now = time.Now
	}
	if k.registry == nil {
		k.registry = prometheus.NewRegistry()
	}
	k.metrics = newMetrics(k.registry)

	if opts.Locales == nil {
		return nil, cfgErr("i18n.dir", "no locales given")
	}
	var overlays []fs.FS
	if opts.LocaleOverlay != nil {
		overlays = append(overlays, opts.LocaleOverlay)
	}
	cat, err := i18n.Load(opts.Locales, cfg.I18n.Default, overlays...)
	if err != nil {
		return nil, &ConfigError{Key: "i18n", Err: err}
	}
	if err := cat.Check(); err != nil {
		return nil, localeErrors(err)
	}
	cat.SetCommands(k.commandFor)
	k.catalog = cat

	if err := k.openStore(opts); err != nil {
		return nil, err
	}
	if err := k.newBot(); err != nil {
		return nil, err
	}
	k.registerBuiltins()
	if err := k.setupPlugins(); err != nil {
		return nil, err
	}
	if err := k.bindCommands(); err != nil {
		return nil, err
	}
	if err := k.checkRoutes(); err != nil {
		return nil, err
	}
	if err := k.checkLinks(); err != nil {
		return nil, err
	}
	for name := range k.limits {
		k.metrics.rateLimited.WithLabelValues(name)
	}
	k.disp = newDispatcher(cfg.Updates.Workers, k.handle)
	return k, nil
}

func (k *Kernel) openStore(opts Options) error {
	cfg := k.cfg
	var key []byte
	if cfg.Session.EncryptionKey != "" {
		b, err := secret.ParseKey(cfg.Session.EncryptionKey)
		if err != nil {
			return &ConfigError{Key: "session.encryption_key", Err: err}
		}
		key = b
	} else {
		// Memory sessions die with the process, so an ephemeral key loses nothing.
		hexKey, err := secret.GenerateKey()
		if err != nil {
			return err
		}
		if key, err = secret.ParseKey(hexKey); err != nil {
			return err
		}
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return &ConfigError{Key: "session.encryption_key", Err: err}
	}
	for i, prev := range cfg.Session.PreviousKeys {
		b, err := secret.ParseKey(prev)
		if err != nil {
			return &ConfigError{Key: fmt.Sprintf("session.previous_keys[%d]", i), Err: err}
		}
		if sealer, err = sealer.WithPrevious(b); err != nil {
			return &ConfigError{Key: fmt.Sprintf("session.previous_keys[%d]", i), Err: err}
		}
	}
	k.sealer = sealer

	k.store, k.limiter = opts.Store, opts.Limiter
	redisOn := cfg.Redis.URL != "" || len(cfg.Redis.Addrs) > 0
	if k.store == nil || k.limiter == nil {
		if redisOn {
			rdb, err := store.OpenRedis(cfg.Redis)
			if err != nil {
				return err
			}
			if k.store == nil {
				k.store = store.NewRedis(rdb, cfg.Redis.KeyPrefix)
			}
			if k.limiter == nil {
				k.limiter = ratelimit.NewRedis(rdb, cfg.Redis.KeyPrefix)
			}
		} else {
			if k.store == nil {
				k.store = store.NewMemory()
			}
			if k.limiter == nil {
				k.limiter = ratelimit.NewMemory()
			}
		}
	}
	return nil
}

func (k *Kernel) setupPlugins() error {
	var errs []error
	seen := map[string]bool{"kernel": true}
	for _, p := range k.plugins {
		name := p.Name()
		if !namePattern.MatchString(name) || seen[name] {
			errs = append(errs, fmt.Errorf("plugin %q: invalid or duplicate name", name))
			continue
		}
		seen[name] = true
		section := k.cfg.Plugins[name]
		on, err := enabledFlag(section)
		if err != nil {
			errs = append(errs, cfgErr("plugins."+name+".enabled", "%v", err))
			continue
		}
		if !on {
			continue
		}
		r := &Registrar{k: k, plugin: name, section: section}
		if err := p.Setup(r); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				errs = append(errs, err) // it names its key already
			} else {
				errs = append(errs, fmt.Errorf("plugin %s: setup: %w", name, err))
			}
		}
		r.finish()
		errs = append(errs, r.errs...)
		k.services = append(k.services, r.services...)
		k.enabled = append(k.enabled, name)
	}
	for _, name := range slices.Sorted(maps.Keys(k.cfg.Plugins)) {
		if !seen[name] {
			errs = append(errs, cfgErr("plugins."+name, "no such plugin (known: %s)", strings.Join(k.pluginNames(), ", ")))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // a plugin whose Setup failed may not have declared its limits
	}
	// Rate limits belong to their plugin by name (rate_limits.auth.otp), so
	// a disabled plugin's limits stay valid config without running it.
	for _, name := range slices.Sorted(maps.Keys(k.cfg.RateLimits)) {
		owner, limit, _ := strings.Cut(name, ".")
		switch {
		case name == "default":
		case !slices.Contains(k.pluginNames(), owner):
			errs = append(errs, cfgErr("rate_limits."+name, "no plugin %s (known: %s)", owner, strings.Join(k.pluginNames(), ", ")))
		case slices.Contains(k.enabled, owner):
			if _, ok := k.limits[name]; !ok {
				errs = append(errs, cfgErr("rate_limits."+name, "plugin %s has no rate limit %s (it has: %s)", owner, limit, strings.Join(k.limitsOf(owner), ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

// limitsOf lists a plugin's declared limits by their local names.
func (k *Kernel) limitsOf(plugin string) []string {
	var out []string
	for name := range k.limits {
		if l, ok := strings.CutPrefix(name, plugin+"."); ok {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func (k *Kernel) pluginNames() []string {
	names := make([]string, 0, len(k.plugins))
	for _, p := range k.plugins {
		names = append(names, p.Name())
	}
	return names
}

func enabledFlag(section map[string]any) (bool, error) {
	v, ok := section["enabled"]
	if !ok {
		return false, nil
	}
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch strings.ToLower(t) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("want true or false, got %v", v)
}

// Enabled lists the enabled plugins in start order.
func (k *Kernel) Enabled() []string { return slices.Clone(k.enabled) }

// Bot is the Bot API client (for transports and tests). The Message that
// its sendMessage, editMessageText and editMessageReplyMarkup return holds
// only the message id, date and chat (see messageIDOnly).
func (k *Kernel) Bot() *gotgbot.Bot { return k.bot }

// Store is the session store.
func (k *Kernel) Store() store.Store { return k.store }

// Close releases the store.
func (k *Kernel) Close() error { return k.store.Close() }

// LocaleOverrides lists the messages the locale overlay (i18n.dir)
// replaced, as "<lang>: <key>".
func (k *Kernel) LocaleOverrides() []string { return k.catalog.Overridden() }

// MissingSecrets lists the required secrets that are not set (a kernel
// built with CheckOnly).
func (k *Kernel) MissingSecrets() []Secret { return slices.Clone(k.missing) }

// localeErrors reports the catalog's problems one per line, each as a
// ConfigError of the locale file (i18n.dir when set).
func localeErrors(err error) error {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range multi.Unwrap() {
			out = append(out, &ConfigError{Key: "locales", Err: e})
		}
		return errors.Join(out...)
	}
	return &ConfigError{Key: "locales", Err: err}
}
