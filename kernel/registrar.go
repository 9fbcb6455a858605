package kernel

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"

	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// ActionOption refines an action or callback declared on the Registrar.
type ActionOption func(*route)

// Guard requires the named guards (provided by some enabled plugin) to pass
// before the handler runs. Config cannot remove them.
func Guard(names ...string) ActionOption {
	return func(r *route) { r.guards = append(r.guards, names...) }
}

// Private marks an action that answers only in private chats (financial
// actions); in a group the kernel replies with a link to a private chat.
func Private() ActionOption { return func(r *route) { r.private = true } }

// Limit applies the named rate limit (declared with Registrar.RateLimit and
// tunable under rate_limits in config) on top of the default one.
func Limit(name string) ActionOption { return func(r *route) { r.limit = name } }

// route is a declared action or callback.
type route struct {
	plugin  string
	name    string // full name: "<plugin>.<action>"
	handler Handler
	guards  []string
	private bool
	limit   string
}

// Flow is a conversation collected over several messages: named steps, each
// with the handler of the text typed at that step and the steps it may move
// to. A flow is started by an action (Ctx.StartFlow) and moved with
// Ctx.Next; a move that was not declared is an error.
type Flow struct {
	// Version is stored with a running flow; bump it when the steps change
	// so a flow saved before a deploy ends politely.
	Version int
	// Steps by name.
	Steps map[string]Step
}

// Step is one state of a Flow.
type Step struct {
	// Text handles plain text typed at this step; nil means the step expects
	// a button and text gets a localized "please use the buttons".
	Text Handler
	// Next lists the steps this step may move to.
	Next []string
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
// into v strictly: an unknown key or a wrong type is a start-up error naming
// the key. Set defaults on v before calling it.
func (r *Registrar) Config(v any) error {
	r.decoded = true
	in := make(map[string]any, len(r.section))
	for key, val := range r.section {
		if key != "enabled" {
			in[key] = val
		}
	}
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(decoderConfig(v, &md))
	if err != nil {
		return err
	}
	if err := dec.Decode(in); err != nil {
		return &ConfigError{Key: "plugins." + r.plugin, Err: tidyDecodeError(err)}
	}
	return nil
}

// Action declares a command handler named "<plugin>.<name>", bound to a
// Telegram command by the commands list in config.
func (r *Registrar) Action(name string, h Handler, opts ...ActionOption) {
	r.addRoute(r.k.actions, "action", name, h, opts)
}

// Callback declares the handler of inline-button data "<plugin>:<name>[:args]".
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
	rt := &route{plugin: r.plugin, name: full, handler: h}
	for _, o := range opts {
		o(rt)
	}
	m[full] = rt
}

// Flow declares a flow named "<plugin>.<name>"; every Next target must be a
// declared step.
func (r *Registrar) Flow(name string, f Flow) {
	if !namePattern.MatchString(name) {
		r.fail("flow name %q: want a-z0-9_", name)
		return
	}
	full := r.plugin + "." + name
	if _, dup := r.k.flows[full]; dup {
		r.fail("flow %q declared twice", name)
		return
	}
	if len(f.Steps) == 0 {
		r.fail("flow %q has no steps", name)
		return
	}
	steps := make([]string, 0, len(f.Steps))
	for s := range f.Steps {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	for _, s := range steps {
		for _, next := range f.Steps[s].Next {
			if _, ok := f.Steps[next]; !ok {
				r.fail("flow %q step %q: next step %q is not declared", name, s, next)
			}
		}
	}
	r.k.flows[full] = &f
}

// Guard provides a named guard (such as "auth") to every plugin.
func (r *Registrar) Guard(name string, g GuardFunc) {
	if _, dup := r.k.guards[name]; dup {
		r.fail("guard %q provided twice", name)
		return
	}
	r.k.guards[name] = g
}

// Service registers a background service started after validation.
func (r *Registrar) Service(s Service) { r.services = append(r.services, s) }

// On listens to an in-process event ("auth.login", "auth.logout", ...).
func (r *Registrar) On(event string, h EventHandler) {
	r.k.listeners[event] = append(r.k.listeners[event], h)
}

// OnError lets the plugin take over errors returned by any handler.
func (r *Registrar) OnError(h ErrorHook) { r.k.errorHooks = append(r.k.errorHooks, h) }

// RateLimit declares a named limit with its default; rate_limits.<name> in
// config overrides it.
func (r *Registrar) RateLimit(name string, def ratelimit.Limit) {
	if _, ok := r.k.limits[name]; !ok {
		r.k.limits[name] = def
	}
}

// Logger returns a logger tagged with the plugin's name.
func (r *Registrar) Logger() *slog.Logger { return r.k.log.With("plugin", r.plugin) }

// Store is the shared store, for plugin data that is not per session (such
// as one-time confirmation ids). Keys should start with the plugin's name.
func (r *Registrar) Store() store.Store { return r.k.store }

// Notifier sends messages outside of an update, for background services.
func (r *Registrar) Notifier() *Notifier { return &Notifier{k: r.k} }

// Sessions reads users' sessions (principal, language) outside of an
// update, for background services.
func (r *Registrar) Sessions() *Sessions { return &Sessions{k: r.k} }

// HasLocaleKey reports whether the default locale has key, so plugins can
// validate keys named in their config.
func (r *Registrar) HasLocaleKey(key string) bool { return r.k.catalog.Has(key) }

func (r *Registrar) finish() {
	if r.decoded {
		return
	}
	var extra []string
	for key := range r.section {
		if key != "enabled" {
			extra = append(extra, key)
		}
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		r.errs = append(r.errs, cfgErr("plugins."+r.plugin, "unknown keys: %s", strings.Join(extra, ", ")))
	}
}
