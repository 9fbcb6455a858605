package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// ctxBox holds a context.Context for atomic.Pointer.
type ctxBox struct{ context.Context }

func (c *Ctx) current() context.Context { return c.ctx.Load().Context }

func (c *Ctx) setContext(ctx context.Context) { c.ctx.Store(&ctxBox{ctx}) }

// Deadline, Done, Err and Value make a Ctx a context.Context.
func (c *Ctx) Deadline() (time.Time, bool) { return c.current().Deadline() }

// Done implements context.Context.
func (c *Ctx) Done() <-chan struct{} { return c.current().Done() }

// Err implements context.Context.
func (c *Ctx) Err() error { return c.current().Err() }

// Value implements context.Context.
func (c *Ctx) Value(key any) any { return c.current().Value(key) }

// Ctx is what a handler gets for one update: the user's language and
// messages, reply helpers (replies.go), the session, the running flow and
// the principal. It is a context.Context bounded by updates.handler_timeout.
type Ctx struct {
	// ctx is the context the update runs under, swapped for one bounded by
	// updates.handler_timeout while the handler runs. It is read by
	// contexts a handler derived from the Ctx, whose timers may fire after
	// the swap back, hence atomic.
	ctx atomic.Pointer[ctxBox]
	k   *Kernel

	// Update is the raw Telegram update.
	Update *gotgbot.Update
	// ChatID and UserID identify where and who.
	ChatID, UserID int64
	// Lang is the user's language (a locale file name).
	Lang string
	// Log carries the chat id and correlation id.
	Log *slog.Logger
	// Ref is the correlation id shown to the user with an apology.
	Ref string

	chatType string
	plugin   string // plugin whose handler runs
	action   string // full action, callback or flow step being handled
	command  string // the Telegram command that led here, if any
	args     []string
	text     string
	sess     *session
	flow     *flowRun   // the running flow's declaration and data, once loaded
	parked   *FlowState // the user's flow in another chat, out of reach of this update
	sessKey  string
	answered bool
	touched  map[int64]bool // messages sent or edited during this update
	// irreversible: the update did what cannot be undone (money moved).
	irreversible bool
}

// Irreversible marks the update as having done what cannot be undone (a
// transfer submitted): if its session then cannot be saved, the kernel
// logs it instead of telling the user to try again.
func (c *Ctx) Irreversible() { c.irreversible = true }

// WasIrreversible reports whether Irreversible was called during this
// update: an error hook must not tell the user "nothing was changed"
// about an update that moved money.
func (c *Ctx) WasIrreversible() bool { return c.irreversible }

// T returns the localized message key with data interpolated (values are
// HTML-escaped).
func (c *Ctx) T(key string, data map[string]any) string { return c.k.catalog.T(c.Lang, key, data) }

// Plural returns the plural form of key for count.
func (c *Ctx) Plural(key string, count any, data map[string]any) string {
	return c.k.catalog.Plural(c.Lang, key, count, data)
}

// Format is how the user's language writes numbers, dates and times.
func (c *Ctx) Format() i18n.Format { return c.k.catalog.Format(c.Lang) }

// FormatAmount writes an amount the user's way, exactly, with at least
// two decimals: "1,250.50" in English, "1.250,50" in Spanish.
func (c *Ctx) FormatAmount(d decimal.Decimal) string { return c.Format().Amount(d, 2) }

// FormatDecimal writes d the user's way with at least minPlaces decimals.
func (c *Ctx) FormatDecimal(d decimal.Decimal, minPlaces int) string {
	return c.Format().Amount(d, minPlaces)
}

// ParseDecimal reads a number the user typed, the user's way (see
// i18n.Format.Parse); refusals are *i18n.NumberError.
func (c *Ctx) ParseDecimal(s string) (decimal.Decimal, error) { return c.Format().Parse(s) }

// FormatDuration writes d for people in one unit, rounded up, with the
// language's plural forms: "45 seconds" under a minute, then minutes,
// hours or days ("5 minutes", "1 hour") — never "0 minutes".
func (c *Ctx) FormatDuration(d time.Duration) string {
	return formatDuration(c.k.catalog, c.Lang, d)
}

func formatDuration(cat *i18n.Catalog, lang string, d time.Duration) string {
	ceil := func(unit time.Duration) int64 { return int64((d + unit - 1) / unit) }
	unit, n := "seconds", max(1, ceil(time.Second))
	switch {
	case d >= 24*time.Hour:
		unit, n = "days", ceil(24*time.Hour)
	case d >= time.Hour:
		unit, n = "hours", ceil(time.Hour)
	case d >= time.Minute:
		unit, n = "minutes", ceil(time.Minute)
	}
	return cat.Plural(lang, "kernel.duration."+unit, n, map[string]any{"n": n})
}

// Text is the message text (without the command, for commands).
func (c *Ctx) Text() string { return c.text }

// Args are the command's words after the command, or the button's
// arguments.
func (c *Ctx) Args() []string { return c.args }

// Action is the full name of the action, callback or flow step being
// handled.
func (c *Ctx) Action() string { return c.action }

// Command is the Telegram command (or the button standing for one) that
// led to this handler, "" for a button or typed text.
func (c *Ctx) Command() string { return c.command }

// IsPrivate reports a private chat.
func (c *Ctx) IsPrivate() bool { return c.chatType == gotgbot.ChatTypePrivate }

// IsCallback reports whether the update is a button tap.
func (c *Ctx) IsCallback() bool { return c.Update.CallbackQuery != nil }

// MessageID is the id of the user's message, or of the message whose button
// was tapped.
func (c *Ctx) MessageID() int64 {
	switch {
	case c.Update.Message != nil:
		return c.Update.Message.MessageId
	case c.Update.CallbackQuery != nil && c.Update.CallbackQuery.Message != nil:
		return c.Update.CallbackQuery.Message.GetMessageId()
	}
	return 0
}

// Username is the bot's username (for deep links).
func (c *Ctx) Username() string { return c.k.bot.Username }

// Get decodes the durable session value key into v; false when absent.
func (c *Ctx) Get(key string, v any) bool {
	raw, ok := c.sess.Values[key]
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		c.Log.Warn("session value does not decode; dropping it", "key", key, "err", err)
		delete(c.sess.Values, key)
		return false
	}
	return true
}

// Set stores a durable session value (by convention "<plugin>.<name>").
func (c *Ctx) Set(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("session value %s: %w", key, err)
	}
	if c.sess.Values == nil {
		c.sess.Values = map[string]json.RawMessage{}
	}
	if !bytes.Equal(c.sess.Values[key], raw) {
		c.sess.Values[key] = raw
	}
	return nil
}

// Del removes a durable session value.
func (c *Ctx) Del(key string) { delete(c.sess.Values, key) }

// Principal is the logged-in identity, or nil.
func (c *Ctx) Principal() *Principal {
	p, err := c.sess.principal(c.k.sealer, []byte(c.sessKey))
	if err != nil {
		c.Log.Warn("principal does not open; logging out", "err", err)
		c.sess.setPrincipal(nil)
		return nil
	}
	return p
}

// SetPrincipal logs a user in (nil logs out).
func (c *Ctx) SetPrincipal(p *Principal) { c.sess.setPrincipal(p) }

// ResetSession wipes the principal, the flow and every durable value; the
// chosen language stays.
func (c *Ctx) ResetSession() {
	c.sess.reset()
	c.parked, c.flow = nil, nil
}

// SetFlowSecret keeps a secret of the running flow (such as a login's
// session id) sealed with the session key; it ends with the flow.
func (c *Ctx) SetFlowSecret(key string, v secret.Secret) error {
	f := c.sess.Flow
	if f == nil {
		return fmt.Errorf("flow secret %s: %w", key, errNoFlow)
	}
	ct, err := c.k.sealer.Seal(v, c.flowAAD(key))
	if err != nil {
		return fmt.Errorf("flow secret %s: %w", key, err)
	}
	if f.Sealed == nil {
		f.Sealed = map[string][]byte{}
	}
	f.Sealed[key] = ct
	return nil
}

// FlowSecret opens a secret of the running flow (zero when absent or when
// it does not open).
func (c *Ctx) FlowSecret(key string) secret.Secret {
	f := c.sess.Flow
	if f == nil || f.Sealed[key] == nil {
		return secret.Secret{}
	}
	v, rotated, err := c.k.sealer.OpenRotated(f.Sealed[key], c.flowAAD(key))
	if err != nil {
		c.Log.Warn("flow secret does not open", "key", key)
		return secret.Secret{}
	}
	if rotated {
		_ = c.SetFlowSecret(key, v) // sealed again with the current key
	}
	return v
}

// flowAAD binds a flow secret to its session, flow and key.
func (c *Ctx) flowAAD(key string) []byte {
	return []byte(c.sessKey + "\x00" + c.sess.Flow.Name + "\x00" + key)
}

// Invoke runs another action (guards included) within this update, as if
// its command had been sent: used to resume the command a guard blocked.
func (c *Ctx) Invoke(action string, args []string) error {
	rt, ok := c.k.actions[action]
	if !ok {
		return fmt.Errorf("invoke %s: unknown action", action)
	}
	// The invoked action sees its own arguments, never the text of the
	// update that led here (which may be an OTP).
	c.text = strings.Join(args, " ")
	if cmd := c.k.bound[action]; cmd != nil {
		c.command = cmd.name
	}
	return c.k.runRoute(c, rt, args)
}

// Allow applies a rate limit of the current plugin (by its local name, or
// a full "<plugin>.<name>") to the user; when refused it reports how long
// to wait.
func (c *Ctx) Allow(limit string) (bool, time.Duration, error) {
	if !strings.Contains(limit, ".") {
		limit = c.plugin + "." + limit
	}
	return c.k.allow(c, limit)
}

// Needs reports whether action's route requires guard (say "auth.kyc"),
// so a menu can leave out what the user cannot do yet.
func (c *Ctx) Needs(action, guard string) bool {
	rt := c.k.actions[action]
	if rt == nil {
		return false
	}
	for _, g := range rt.guards {
		if g == guard {
			return true
		}
	}
	return false
}

// CommandFor is the command that runs action ("/send"), "" when no enabled
// command binds it. Messages say {{cmd "transfer.send"}} instead.
func (c *Ctx) CommandFor(action string) string { return c.k.commandFor(action) }

// Now is the kernel's clock.
func (c *Ctx) Now() time.Time { return c.k.now() }
