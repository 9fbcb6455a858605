// Package kernel is the small, domain-free core of the bot: it loads plugins,
// routes Telegram updates to their commands, callbacks and flows, keeps
// sessions, and applies the cross-cutting rules (dedupe, rate limits, one
// update per chat at a time, guards, localized errors).
//
// The kernel imports no plugin and no CopperX code; plugins reach it only
// through the Registrar they are handed in Setup and the Ctx of each update.
package kernel

import "context"

// Plugin is one feature of the bot. Its life cycle, in order:
//
//  1. main.go builds the value (explicit list, no init magic);
//  2. if plugins.<Name>.enabled is true, the kernel calls Setup with a
//     Registrar, on which the plugin decodes its config section strictly
//     (defaults, decode, its Validate) and declares actions, callbacks,
//     flows, links to other plugins' actions, guards, limits, services and
//     event listeners (no network I/O in Setup);
//  3. the kernel validates the whole configuration against what all
//     enabled plugins declared (commands, guards, links, limits, locales)
//     and fails start-up listing every problem, one line each;
//  4. services (Service) start in plugin list order;
//  5. on shutdown, services stop in reverse order.
type Plugin interface {
	// Name is the plugin's one name everywhere: config section
	// plugins.<name>, button data "<name>:", locale keys "<name>.",
	// actions, flows, guards and rate limits "<name>.".
	Name() string
	// Setup declares everything the plugin provides.
	Setup(r *Registrar) error
}

// Service is a background task owned by a plugin, such as a websocket
// subscriber. Start must return once the service is running; Stop must
// release everything Start acquired.
type Service interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Handler handles one update for an action, callback or flow step. Errors it
// returns become a localized apology with a correlation id (or, for a
// *UserError, the localized message it names).
type Handler func(c *Ctx) error

// GuardFunc decides whether the current update may reach a handler. A guard
// that refuses replies to the user itself and returns false. It runs as
// the plugin that provides it (its Ctx.Button and Ctx.Allow are that
// plugin's), whichever plugin's action it guards.
type GuardFunc func(c *Ctx) (bool, error)

// ErrorHook may take over an error returned by a handler (for example the
// auth plugin turns an expired credential into "please log in again"). It
// returns true when it handled the error; it runs as the plugin that
// registered it.
type ErrorHook func(c *Ctx, err error) bool
