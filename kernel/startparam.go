package kernel

import (
	"regexp"
	"strings"
)

// Deep links: Telegram opens https://t.me/<bot>?start=<payload> as the
// message "/start <payload>" in the private chat with the bot. A payload
// that names a command runs it (/start send); one that begins with a prefix
// a plugin declared with StartParam runs that plugin's action with the
// rest of the payload (a payment link, /start pay_<id>).

// startParamPattern is a deep-link prefix: lower-case letters, digits,
// "_" and "-", starting with a letter and ending in "_" or "-" (Telegram's payloads are 1-64 of A-Z a-z 0-9 _ -).
var startParamPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,14}[_-]$`)

// startParam is a plugin's deep-link prefix and the action it runs.
type startParam struct {
	prefix string
	route  *route
}

// StartParam declares that a /start payload beginning with prefix
// ("pay_") runs the plugin's action (declared before with Action; it need
// not be bound to a command) with c.Args() = [the rest of the payload], as
// the command would: private-chat rule, rate limit and guards included, and
// c.Command() is "start", so a guard that asks for a login remembers it
// and the action resumes after the login. A payload that is exactly a
// command's name still runs that command; an empty rest, or a prefix no
// enabled plugin declared, shows the home screen. Two plugins cannot claim
// overlapping prefixes.
func (r *Registrar) StartParam(prefix, action string) {
	if !startParamPattern.MatchString(prefix) {
		r.fail("start param %q: want 2-16 of a-z 0-9 _ - starting with a letter and ending in _ or -", prefix)
		return
	}
	rt := r.k.actions[r.plugin+"."+action]
	if rt == nil {
		r.fail("start param %q: action %q is not declared (declare it with Action first)", prefix, action)
		return
	}
	for _, sp := range r.k.startParams {
		if strings.HasPrefix(sp.prefix, prefix) || strings.HasPrefix(prefix, sp.prefix) {
			r.fail("start param %q overlaps %q of plugin %s", prefix, sp.prefix, sp.route.plugin)
			return
		}
	}
	r.k.startParams = append(r.k.startParams, startParam{prefix: prefix, route: rt})
}

// runStartParam runs the action whose prefix payload begins with; false
// when none claims it (or nothing follows the prefix).
func (k *Kernel) runStartParam(c *Ctx, payload string) (bool, error) {
	for _, sp := range k.startParams {
		if rest, ok := strings.CutPrefix(payload, sp.prefix); ok && rest != "" {
			return true, k.runRoute(c, sp.route, []string{rest})
		}
	}
	return false, nil
}
