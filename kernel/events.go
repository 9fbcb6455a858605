package kernel

import (
	"fmt"
	"reflect"
)

// LoggedIn is emitted (by the plugin that provides login) after a user
// logged in; Principal is the new identity, token included.
type LoggedIn struct {
	Principal *Principal
}

// LoggedOut is emitted with the identity that is no longer logged in: a
// logout, a switch to another account, or a token that expired or that
// CopperX refused.
type LoggedOut struct {
	Principal *Principal
	// Reason is why: "logout", "switch", "expired" or "refused".
	Reason string
}

// Reasons of LoggedOut.
const (
	LogoutAsked   = "logout"
	LogoutSwitch  = "switch"
	LogoutExpired = "expired"
	LogoutRefused = "refused"
)

// eventHandler is a listener with its event type erased.
type eventHandler func(c *Ctx, e any) error

// On listens to events of type E, such as kernel.LoggedIn, emitted by any
// plugin with Emit during an update. Listeners run in registration order,
// within the emitting update.
func On[E any](r *Registrar, h func(c *Ctx, e E) error) {
	t := reflect.TypeFor[E]()
	r.k.listeners[t] = append(r.k.listeners[t], func(c *Ctx, e any) error { return h(c, e.(E)) })
}

// Emit delivers e to every listener of its type, in registration order;
// the first error stops delivery.
func Emit[E any](c *Ctx, e E) error {
	t := reflect.TypeFor[E]()
	for _, h := range c.k.listeners[t] {
		if err := h(c, e); err != nil {
			return fmt.Errorf("event %s: %w", t, err)
		}
	}
	return nil
}
