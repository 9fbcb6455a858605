package kernel

import (
	"github.com/prometheus/client_golang/prometheus"

	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// ActionOption refines an action, callback or flow declared on the
// Registrar.
type ActionOption func(*route)

// Guard requires the named guards to pass before the handler runs (for a
// flow: before each text and tap). A guard is named after the plugin that
// provides it, "<plugin>" or "<plugin>.<name>" ("auth", "auth.kyc"), so a
// disabled provider is reported by name. Config cannot remove guards.
func Guard(names ...string) ActionOption {
	return func(r *route) { r.guards = append(r.guards, names...) }
}

// Private marks an action that answers only in private chats (financial
// actions); in a group the kernel replies with a link to a private chat.
func Private() ActionOption { return func(r *route) { r.private = true } }

// Limit applies the plugin's named rate limit (declared with
// Registrar.RateLimit) on top of the default one.
func Limit(name string) ActionOption { return func(r *route) { r.limit = name } }

// route is a declared action or callback, or the options of a flow.
type route struct {
	plugin  string
	name    string // full name: "<plugin>.<action>"
	handler Handler
	guards  []string
	private bool
	limit   string // full name: "<plugin>.<limit>"
	offer   func(c *Ctx) bool
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Registrar is what a plugin declares itself on during Setup.
type Registrar struct {
	k        *Kernel
	plugin   string
	section  map[string]any
	decoded  bool
	errs     []error
	services []Service
}

func (r *Registrar) fail(format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("plugin %s: "+format, append([]any{r.plugin}, args...)...))
}

// Name is the plugin's name.
func (r *Registrar) Name() string { return r.plugin }

// Config decodes the plugin's section plugins.<name> (without "enabled")
// into v strictly, then calls v's Validate() error when it has one: an
// unknown key, a wrong type, a duration without a unit or a value Validate
// refuses is a start-up error naming the key (Validate names keys relative
// to the section with ConfigErrorf). Set defaults on v before calling it.
func (r *Registrar) Config(v any) error {
	r.decoded = true
	in := make(map[string]any, len(r.section))
	for key, val := range r.section {
		if key != "enabled" {
			in[key] = val
		}
	}
	prefix := "plugins." + r.plugin
	if err := decodeStrict(in, v, prefix); err != nil {
		return err
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return withPrefix(prefix, err)
		}
	}
	return nil
}

// Action declares a command handler named "<plugin>.<name>", bound to a
// Telegram command by the commands list in config.
func (r *Registrar) Action(name string, h Handler, opts ...ActionOption) {
	r.addRoute(r.k.actions, "action", name, h, opts)
}

// Callback declares the handler of inline-button data "<plugin>:<name>[:args]"
// (Ctx.Button) for screens outside flows: Refresh, paging, details.
func (r *Registrar) Callback(name string, h Handler, opts ...ActionOption) {
	r.addRoute(r.k.callbacks, "callback", name, h, opts)
}

func (r *Registrar) addRoute(m map[string]*route, kind, name string, h Handler, opts []ActionOption) {
	if !namePattern.MatchString(name) {
		r.fail("%s name %q: want 1-32 of a-z0-9_ starting with a letter", kind, name)
		return
	}
	if h == nil {
		r.fail("%s %q: nil handler", kind, name)
		return
	}
	full := r.plugin + "." + name
	if _, dup := m[full]; dup {
		r.fail("%s %q declared twice", kind, name)
		return
	}
	rt := r.newRoute(full, opts)
	rt.handler = h
	m[full] = rt
}

func (r *Registrar) newRoute(full string, opts []ActionOption) *route {
	rt := &route{plugin: r.plugin, name: full}
	for _, o := range opts {
		o(rt)
	}
	if rt.limit != "" && !strings.Contains(rt.limit, ".") {
		rt.limit = r.plugin + "." + rt.limit
	}
	return rt
}

// Flow declares the flow "<plugin>.<name>" (a kernel.Flow of the flow's
// data type); opts (Guard, Private) apply to every text and tap it takes.
// Start it from an action with Ctx.StartFlow.
func (r *Registrar) Flow(name string, f FlowSpec, opts ...ActionOption) {
	if !namePattern.MatchString(name) {
		r.fail("flow name %q: want 1-32 of a-z0-9_ starting with a letter", name)
		return
	}
	full := r.plugin + "." + name
	if _, dup := r.k.flows[full]; dup {
		r.fail("flow %q declared twice", name)
		return
	}
	def, err := f.compile(name)
	if err != nil {
		r.fail("%v", err)
		return
	}
	def.name, def.plugin = full, r.plugin
	def.opts = *r.newRoute(full, opts)
	r.k.flows[full] = def
}

// Guard provides a guard other plugins name in kernel.Guard: name is the
// plugin's own name or "<plugin>.<name>" ("auth", "auth.kyc"). Quietly
// gives it a check without replies or calls, so menus offer only what the
// user may do now.
func (r *Registrar) Guard(name string, g GuardFunc, opts ...GuardOption) {
	if name != r.plugin && !strings.HasPrefix(name, r.plugin+".") {
		r.fail("guard %q: name it %q or %q.<name>", name, r.plugin, r.plugin)
		return
	}
	if _, dup := r.k.guards[name]; dup {
		r.fail("guard %q provided twice", name)
		return
	}
	gd := &guard{plugin: r.plugin, run: g}
	for _, o := range opts {
		o(gd)
	}
	r.k.guards[name] = gd
}

// GuardOption refines a guard.
type GuardOption func(*guard)

// Quietly is the guard's check without side effects (no reply, no API
// call): whether the user would pass right now, for menus.
func Quietly(check func(c *Ctx) bool) GuardOption { return func(g *guard) { g.check = check } }

// guard is a provided guard.
type guard struct {
	plugin string
	run    GuardFunc
	check  func(c *Ctx) bool // nil: menus assume it passes
}

// Offer says when menus offer the action (log in: while logged out; log
// out: while logged in); the guards' quiet checks apply too.
func Offer(when func(c *Ctx) bool) ActionOption { return func(r *route) { r.offer = when } }

// Home adds a line to the /start screen, in plugin order: who is logged
// in, a balance. "" adds nothing. It runs as the plugin, must be quick,
// and should not fail the screen (log and return "" instead).
func (r *Registrar) Home(line func(c *Ctx) string) {
	r.k.home = append(r.k.home, homeLine{plugin: r.plugin, line: line})
}

// homeLine is a plugin's line of the /start screen.
type homeLine struct {
	plugin string
	line   func(c *Ctx) string
}

// StrayText declares what the plugin does with text typed in a private
// chat that no flow takes: no flow runs, the one that ran has just timed
// out (a login code typed after its login ended must still be deleted from
// the chat), or its current step wants a button (a one-line send typed at
// a summary; a taker that starts a flow replaces the open one). take reports whether it took the text; plugins
// are asked in order, and what none takes gets the kernel's "I didn't
// understand" (after a timeout, the kernel's "that conversation timed
// out" is answer enough; at a button step, "please use the buttons"). It runs as the plugin, without guards: keep it
// to recognizing leftovers.
func (r *Registrar) StrayText(take func(c *Ctx) (bool, error)) {
	r.k.strays = append(r.k.strays, strayText{plugin: r.plugin, take: take})
}

// strayText is a plugin's taker of text no flow takes.
type strayText struct {
	plugin string
	take   func(c *Ctx) (bool, error)
}

// Link declares the actions of other plugins (or the kernel) that the
// plugin's screens link to with Ctx.ActionButton ("transfer.send",
// "wallet.wallets"). Start-up fails on an action no plugin declares; a
// link whose plugin is disabled, or whose action no command binds, is
// simply not shown.
func (r *Registrar) Link(actions ...string) { r.ConfigLinks("", actions) }

// ConfigLinks is Link for actions listed in the plugin's config under key
// (such as the auth plugin's menu), so errors name that key.
func (r *Registrar) ConfigLinks(key string, actions []string) {
	for _, a := range actions {
		r.k.links = append(r.k.links, link{plugin: r.plugin, key: key, action: a})
	}
}

// link is an action a plugin's buttons point at.
type link struct {
	plugin, key, action string
}

// Service registers a background service started after validation.
func (r *Registrar) Service(s Service) { r.services = append(r.services, s) }

// OnError lets the plugin take over errors returned by any handler.
func (r *Registrar) OnError(h ErrorHook) {
	r.k.errorHooks = append(r.k.errorHooks, errorHook{plugin: r.plugin, hook: h})
}

// errorHook is an ErrorHook with the plugin that registered it.
type errorHook struct {
	plugin string
	hook   ErrorHook
}

// RateLimit declares the limit "<plugin>.<name>" with its default;
// rate_limits.<plugin>.<name> in config overrides it. Actions name it
// with Limit(name), handlers with Ctx.Allow(name).
func (r *Registrar) RateLimit(name string, def ratelimit.Limit) {
	if !namePattern.MatchString(name) {
		r.fail("rate limit name %q: want a-z0-9_", name)
		return
	}
	full := r.plugin + "." + name
	if l, ok := r.k.cfg.RateLimits[full]; ok {
		def = l
	}
	r.k.limits[full] = def
}

// Metrics is where the plugin registers its own metrics: the process's
// one registry, served at /metrics, with every name prefixed
// "bot_<plugin>_". Labels must take bounded values only (never a user,
// chat, email or id); document each metric in the plugin's README.
func (r *Registrar) Metrics() prometheus.Registerer {
	return prometheus.WrapRegistererWithPrefix("bot_"+r.plugin+"_", r.k.registry)
}

// Logger returns a logger tagged with the plugin's name.
func (r *Registrar) Logger() *slog.Logger { return r.k.log.With("plugin", r.plugin) }

// Store is the shared store, for plugin data that is not per session (such
// as one-time confirmation ids). Keys should start with the plugin's name.
func (r *Registrar) Store() store.Store { return r.k.store }

// Notifier sends messages outside of an update, for background services.
func (r *Registrar) Notifier() *Notifier { return &Notifier{k: r.k, plugin: r.plugin} }

// Sessions reads users' sessions (principal, language) outside of an
// update, for background services.
func (r *Registrar) Sessions() *Sessions { return &Sessions{k: r.k} }

func (r *Registrar) finish() {
	if r.decoded {
		return
	}
	for key := range r.section {
		if key != "enabled" {
			r.errs = append(r.errs, cfgErr("plugins."+r.plugin+"."+key, "unknown key (the plugin has no settings)"))
		}
	}
}
