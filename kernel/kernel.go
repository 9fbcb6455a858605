package kernel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
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
	// Locales is the folder of <lang>.yaml files.
	Locales fs.FS
	// Store and Limiter override the ones built from config (tests).
	Store   store.Store
	Limiter ratelimit.Limiter
	Logger  *slog.Logger
	// Registry receives the kernel's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Clock replaces time.Now (tests).
	Clock func() time.Time
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
	flows      map[string]*Flow
	guards     map[string]GuardFunc
	listeners  map[string][]EventHandler
	errorHooks []ErrorHook
	limits     map[string]ratelimit.Limit
	services   []Service
	commands   []*command
	byName     map[string]*command
	menu       []*command

	disp *dispatcher
}

// command is an enabled Telegram command.
type command struct {
	name    string
	aliases []string
	menu    bool
	route   *route // nil for a config-defined message command
	message string
	buttons []ButtonConfig
}

var commandPattern = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// builtins are always there; config may rename them or add aliases.
var builtins = []CommandConfig{
	{Name: "start", Action: "kernel.start"},
	{Name: "help", Action: "kernel.help", Menu: true},
	{Name: "cancel", Action: "kernel.cancel", Menu: true},
	{Name: "language", Action: "kernel.language", Menu: true},
}

// New sets up the enabled plugins and validates the configuration against
// what they declared. Every problem is reported, each naming its key.
func New(opts Options) (*Kernel, error) {
	cfg := opts.Config
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	k := &Kernel{
		cfg: cfg, log: opts.Logger, now: opts.Clock, registry: opts.Registry,
		plugins:   opts.Plugins,
		actions:   map[string]*route{},
		callbacks: map[string]*route{},
		flows:     map[string]*Flow{},
		guards:    map[string]GuardFunc{},
		listeners: map[string][]EventHandler{},
		limits:    map[string]ratelimit.Limit{},
		byName:    map[string]*command{},
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
	cat, err := i18n.Load(opts.Locales, cfg.I18n.Default)
	if err != nil {
		return nil, &ConfigError{Key: "i18n", Err: err}
	}
	if err := cat.Check(); err != nil {
		return nil, &ConfigError{Key: "i18n", Err: err}
	}
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

func (k *Kernel) registerBuiltins() {
	r := &Registrar{k: k, plugin: "kernel"}
	r.Action("start", k.start)
	r.Action("help", k.help)
	r.Action("cancel", k.cancel)
	r.Action("language", k.language)
	r.Callback("run", k.runMenu)
	r.Callback("lang", k.setLanguage)
	r.Callback("cancel", k.cancel)
}

func (k *Kernel) setupPlugins() error {
	var errs []error
	seen := map[string]bool{"kernel": true}
	dormant := map[string]bool{} // limits only disabled plugins declare
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
			for l := range k.dormantLimits(p, section) {
				dormant[l] = true
			}
			continue
		}
		r := &Registrar{k: k, plugin: name, section: section}
		if err := p.Setup(r); err != nil {
			errs = append(errs, fmt.Errorf("plugin %s: setup: %w", name, err))
		}
		r.finish()
		errs = append(errs, r.errs...)
		k.services = append(k.services, r.services...)
		k.enabled = append(k.enabled, name)
	}
	for name := range k.cfg.Plugins {
		if !seen[name] {
			errs = append(errs, cfgErr("plugins."+name, "no such plugin (known: %s)", strings.Join(k.pluginNames(), ", ")))
		}
	}
	for name, l := range k.cfg.RateLimits {
		if _, declared := k.limits[name]; !declared && name != "default" {
			// A plugin whose Setup failed may not have declared its limits:
			// its own error is the one to read, not this one.
			if !dormant[name] && len(errs) == 0 {
				errs = append(errs, cfgErr("rate_limits."+name, "no plugin uses this limit"))
			}
			continue
		}
		k.limits[name] = l
	}
	return errors.Join(errs...)
}

// dormantLimits runs a disabled plugin's Setup against a scratch kernel,
// only to learn the rate limits it would declare, so that their config
// stays valid while the plugin is off. Setup declares and does no I/O, so
// this has no effect; its errors are the disabled plugin's business.
func (k *Kernel) dormantLimits(p Plugin, section map[string]any) (names map[string]bool) {
	names = map[string]bool{}
	scratch := &Kernel{
		cfg: k.cfg, log: slog.New(slog.DiscardHandler), now: k.now, catalog: k.catalog, store: k.store,
		actions: map[string]*route{}, callbacks: map[string]*route{}, flows: map[string]*Flow{},
		guards: map[string]GuardFunc{}, listeners: map[string][]EventHandler{}, limits: map[string]ratelimit.Limit{},
	}
	defer func() { _ = recover() }()
	_ = p.Setup(&Registrar{k: scratch, plugin: p.Name(), section: section})
	for l := range scratch.limits {
		names[l] = true
	}
	return names
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

// bindCommands turns the commands list into the command table.
func (k *Kernel) bindCommands() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, cfgErr(key, format, args...)) }
	list := slices.Clone(k.cfg.Commands)
	for _, b := range builtins {
		if !slices.ContainsFunc(list, func(c CommandConfig) bool { return c.Action == b.Action }) {
			list = append(list, b)
		}
	}
	known := map[string]bool{}
	for _, p := range k.plugins {
		known[p.Name()] = true
	}
	taken := map[string]string{}
	claim := func(key, name string) {
		if !commandPattern.MatchString(name) {
			add(key, "%q is not a Telegram command name (1-32 of a-z 0-9 _)", name)
			return
		}
		if other, dup := taken[name]; dup {
			add(key, "/%s is already used by %s", name, other)
			return
		}
		taken[name] = key
	}
	for i, cc := range list {
		key := fmt.Sprintf("commands[%d]", i)
		if cc.Name != "" {
			key = fmt.Sprintf("commands[%d] (%s)", i, cc.Name)
		}
		claim(key+".name", cc.Name)
		for _, a := range cc.Aliases {
			claim(key+".aliases", a)
		}
		if strings.HasPrefix(cc.Action, "kernel.") && !cc.IsEnabled() {
			add(key+".enabled", "built-in /%s cannot be disabled", cc.Name)
		}
		if (cc.Action == "") == (cc.Message == "") {
			add(key, "needs exactly one of action or message")
			continue
		}
		if !cc.IsEnabled() {
			continue
		}
		cmd := &command{name: cc.Name, aliases: cc.Aliases, menu: cc.Menu, message: cc.Message, buttons: cc.Buttons}
		if cc.Action != "" {
			plugin, _, _ := strings.Cut(cc.Action, ".")
			rt, ok := k.actions[cc.Action]
			switch {
			case ok:
				cmd.route = rt
			case plugin != "kernel" && known[plugin] && !slices.Contains(k.enabled, plugin):
				continue // its plugin is disabled: the command vanishes
			default:
				add(key+".action", "unknown action %q", cc.Action)
				continue
			}
		} else {
			if !k.catalog.Has(cc.Message) {
				add(key+".message", "locale key %q is missing from %s.yaml", cc.Message, k.catalog.Default())
			}
			for j, b := range cc.Buttons {
				bkey := fmt.Sprintf("%s.buttons[%d]", key, j)
				if !k.catalog.Has(b.Label) {
					add(bkey+".label", "locale key %q is missing from %s.yaml", b.Label, k.catalog.Default())
				}
				if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "tg") || u.Host == "" && u.Scheme != "tg" {
					add(bkey+".url", "%q is not an absolute URL", b.URL)
				}
			}
		}
		if descKey := "commands." + cc.Name; !k.catalog.Has(descKey) {
			add(key, "locale key %q (its description) is missing from %s.yaml", descKey, k.catalog.Default())
		}
		k.commands = append(k.commands, cmd)
		k.byName[cmd.name] = cmd
		for _, a := range cmd.aliases {
			k.byName[a] = cmd
		}
		if cmd.menu {
			k.menu = append(k.menu, cmd)
		}
	}
	return errors.Join(errs...)
}

// checkRoutes verifies guards and limits named by routes exist.
func (k *Kernel) checkRoutes() error {
	var errs []error
	for _, m := range []map[string]*route{k.actions, k.callbacks} {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			rt := m[n]
			for _, g := range rt.guards {
				if _, ok := k.guards[g]; !ok {
					errs = append(errs, fmt.Errorf("plugin %s: %s needs guard %q, which no enabled plugin provides", rt.plugin, rt.name, g))
				}
			}
			if rt.limit != "" {
				if _, ok := k.limits[rt.limit]; !ok {
					errs = append(errs, fmt.Errorf("plugin %s: %s uses rate limit %q, which is not declared", rt.plugin, rt.name, rt.limit))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Enabled lists the enabled plugins in start order.
func (k *Kernel) Enabled() []string { return slices.Clone(k.enabled) }

// Commands lists the enabled commands as "/name → action" lines, for
// check-config.
func (k *Kernel) Commands() []string {
	out := make([]string, 0, len(k.commands))
	for _, c := range k.commands {
		target := "message " + c.message
		if c.route != nil {
			target = c.route.name
		}
		line := "/" + c.name + " → " + target
		if len(c.aliases) > 0 {
			line += " (aliases: /" + strings.Join(c.aliases, ", /") + ")"
		}
		if c.menu {
			line += " [menu]"
		}
		out = append(out, line)
	}
	return out
}

// Bot is the Bot API client (for transports and tests).
func (k *Kernel) Bot() *gotgbot.Bot { return k.bot }

// Store is the session store.
func (k *Kernel) Store() store.Store { return k.store }

// Close releases the store.
func (k *Kernel) Close() error { return k.store.Close() }

// Notifier sends messages outside of an update, for background services.
type Notifier struct{ k *Kernel }

// Send sends the localized key to a chat in lang ("" = default language).
func (n *Notifier) Send(ctx context.Context, chatID int64, lang, key string, data map[string]any) error {
	lang = n.k.catalog.Match(lang) // "" and unknown codes give the default
	c := &Ctx{Context: ctx, k: n.k, ChatID: chatID, Lang: lang, Log: n.k.log.With("chat", chatID), sess: &session{}}
	_, err := n.k.send(c, chatID, n.k.catalog.T(lang, key, data), nil)
	return err
}

// Sessions reads users' sessions outside of an update, for background
// services (such as a deposit subscriber) that act for a logged-in user.
type Sessions struct{ k *Kernel }

// Principal returns the user's logged-in identity with its token opened,
// or nil when the user is not logged in (or the token has expired).
func (s *Sessions) Principal(ctx context.Context, userID int64) (*Principal, error) {
	key := "sess:" + strconv.FormatInt(userID, 10)
	raw, _, err := s.k.store.Get(ctx, key, 0)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	sess, err := decodeSession(raw)
	if err != nil {
		return nil, err
	}
	p, err := sess.principal(s.k.sealer, []byte(key))
	if err != nil || p == nil || !s.k.now().Before(p.ExpiresAt) {
		return nil, err
	}
	return p, nil
}

// Lang is the user's chosen language ("" when they never chose one).
func (s *Sessions) Lang(ctx context.Context, userID int64) (string, error) {
	raw, _, err := s.k.store.Get(ctx, "sess:"+strconv.FormatInt(userID, 10), 0)
	if err != nil {
		return "", fmt.Errorf("load session: %w", err)
	}
	sess, err := decodeSession(raw)
	if err != nil {
		return "", err
	}
	return sess.Lang, nil
}
