package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// Ctx is what a handler gets for one update: the user's language and
// messages, reply helpers (HTML, escaped values), the session, the flow and
// the principal. It is a context.Context bounded by updates.handler_timeout.
type Ctx struct {
	context.Context
	k *Kernel

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
	action   string // full action or callback name
	command  string // the Telegram command that led here, if any
	args     []string
	text     string
	sess     *session
	parked   *FlowState // the user's flow in another chat, out of reach of this update
	sessKey  string
	answered bool
}

// T returns the localized message key with data interpolated (values are
// HTML-escaped).
func (c *Ctx) T(key string, data map[string]any) string { return c.k.catalog.T(c.Lang, key, data) }

// Plural returns the plural form of key for count.
func (c *Ctx) Plural(key string, count any, data map[string]any) string {
	return c.k.catalog.Plural(c.Lang, key, count, data)
}

// Text is the message text (without the command, for commands).
func (c *Ctx) Text() string { return c.text }

// Args are the command's words after the command, or the callback's
// arguments after "<plugin>:<action>".
func (c *Ctx) Args() []string { return c.args }

// Action is the full name of the action or callback being handled.
func (c *Ctx) Action() string { return c.action }

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

// Button is a localized callback button for the current plugin's callback
// action with args. A bad button makes the send fail, not the user's chat.
func (c *Ctx) Button(labelKey, action string, args ...string) Button {
	d, err := CallbackData(c.plugin, action, args...)
	if err != nil {
		c.Log.Error("bad callback button", "err", err)
		d = string(make([]byte, MaxCallbackData+1)) // rejected by markup
	}
	return Button{Text: c.T(labelKey, nil), Data: d}
}

// URLButton is a localized link button.
func (c *Ctx) URLButton(labelKey, url string) Button {
	return Button{Text: c.T(labelKey, nil), URL: url}
}

// CopyButton is a localized copy-to-clipboard button.
func (c *Ctx) CopyButton(labelKey, text string) Button {
	return Button{Text: c.T(labelKey, nil), Copy: text}
}

// Send sends an HTML message to the chat and returns its id.
func (c *Ctx) Send(text string, kb *Keyboard) (int64, error) {
	id, err := c.k.send(c, c.ChatID, text, kb)
	c.notePrompt(id, kb)
	return id, err
}

// notePrompt remembers the newest flow message with buttons; the one it
// replaces loses its buttons, so only the current step's stay live.
func (c *Ctx) notePrompt(id int64, kb *Keyboard) {
	f := c.sess.Flow
	if id == 0 || f == nil || kb.Empty() {
		return
	}
	if f.Prompt != 0 && f.Prompt != id && (f.Chat == 0 || f.Chat == c.ChatID) {
		if err := c.k.removeButtons(c, c.ChatID, f.Prompt); err != nil {
			c.Log.Debug("could not remove the previous prompt's buttons", "err", err)
		}
	}
	f.Prompt = id
}

// parkForeignFlow hides a flow that runs in another of the user's chats
// from this update; unparkFlow puts it back before the session is saved.
func (c *Ctx) parkForeignFlow() {
	if f := c.sess.Flow; f != nil && f.Chat != 0 && f.Chat != c.ChatID {
		c.parked, c.sess.Flow = f, nil
	}
}

func (c *Ctx) unparkFlow() {
	if c.parked != nil && c.sess.Flow == nil {
		c.sess.Flow = c.parked
	}
	c.parked = nil
}

// endFlowQuietly ends the flow and removes its prompt's buttons.
func (c *Ctx) endFlowQuietly() {
	f := c.sess.Flow
	c.sess.Flow = nil
	if f != nil && f.Prompt != 0 {
		chat := f.Chat
		if chat == 0 {
			chat = c.ChatID
		}
		if err := c.k.removeButtons(c, chat, f.Prompt); err != nil {
			c.Log.Debug("could not remove the buttons of an ended flow", "err", err)
		}
	}
}

// Say sends the localized message key.
func (c *Ctx) Say(key string, data map[string]any, kb *Keyboard) (int64, error) {
	return c.Send(c.T(key, data), kb)
}

// Edit replaces the text and buttons of one of the bot's messages.
func (c *Ctx) Edit(messageID int64, text string, kb *Keyboard) error {
	return c.k.edit(c, c.ChatID, messageID, text, kb)
}

// Show edits the message whose button was tapped, or sends a new message
// when the update is not a button tap (Refresh, paging, back).
func (c *Ctx) Show(text string, kb *Keyboard) (int64, error) {
	if c.IsCallback() && c.MessageID() != 0 {
		id := c.MessageID()
		if err := c.Edit(id, text, kb); err == nil {
			c.notePrompt(id, kb)
			return id, nil
		}
	}
	return c.Send(text, kb)
}

// EditButtons replaces the inline keyboard of a message, keeping its text.
func (c *Ctx) EditButtons(messageID int64, kb *Keyboard) error {
	return c.k.editButtons(c, c.ChatID, messageID, kb)
}

// RemoveButtons removes the inline keyboard of a message.
func (c *Ctx) RemoveButtons(messageID int64) error {
	return c.k.removeButtons(c, c.ChatID, messageID)
}

// Delete deletes a message in the chat (the user's too, in private chats).
func (c *Ctx) Delete(messageID int64) error { return c.k.deleteMessage(c, c.ChatID, messageID) }

// SendPhoto sends a PNG with an HTML caption.
func (c *Ctx) SendPhoto(name string, png []byte, caption string, kb *Keyboard) (int64, error) {
	id, err := c.k.sendPhoto(c, c.ChatID, name, png, caption, kb)
	c.notePrompt(id, kb)
	return id, err
}

// Answer answers the button tap with a short notice (or an alert); only the
// first answer counts, later ones are ignored.
func (c *Ctx) Answer(text string, alert bool) {
	if c.Update.CallbackQuery == nil || c.answered {
		return
	}
	c.answered = true
	c.k.answer(c, c.Update.CallbackQuery.Id, text, alert)
}

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
	c.parked = nil
}

// Flow is the running flow, or nil.
func (c *Ctx) Flow() *FlowState { return c.sess.Flow }

// InFlow reports whether the named flow ("<plugin>.<flow>" or a name local
// to the current plugin) is running at one of steps (any step when none).
func (c *Ctx) InFlow(name string, steps ...string) bool {
	f := c.sess.Flow
	if f == nil || (f.Name != name && f.Name != c.plugin+"."+name) {
		return false
	}
	return len(steps) == 0 || slices.Contains(steps, f.Step)
}

// StartFlow starts a flow of the current plugin at step, replacing any open
// flow.
func (c *Ctx) StartFlow(name, step string) error {
	full := c.plugin + "." + name
	f, ok := c.k.flows[full]
	if !ok {
		return fmt.Errorf("start flow %s: not declared", full)
	}
	if _, ok := f.Steps[step]; !ok {
		return fmt.Errorf("start flow %s at %s: %w", full, step, ErrUndeclaredTransition)
	}
	if c.parked != nil { // one flow per user: this one replaces the other chat's
		c.sess.Flow, c.parked = c.parked, nil
		c.endFlowQuietly()
	}
	c.sess.Flow = &FlowState{Name: full, Step: step, Version: f.Version, Data: map[string]string{},
		Expires: c.k.now().Add(c.k.cfg.Flows.Timeout), Chat: c.ChatID}
	return nil
}

// Next moves the running flow to step, which the current step must have
// declared.
func (c *Ctx) Next(step string) error {
	fs := c.sess.Flow
	if fs == nil {
		return fmt.Errorf("next %s: no flow running: %w", step, ErrUndeclaredTransition)
	}
	f := c.k.flows[fs.Name]
	if f == nil || !slices.Contains(f.Steps[fs.Step].Next, step) {
		return fmt.Errorf("flow %s: %s → %s: %w", fs.Name, fs.Step, step, ErrUndeclaredTransition)
	}
	fs.Step = step
	fs.Expires = c.k.now().Add(c.k.cfg.Flows.Timeout)
	return nil
}

// FlowData returns a value of the running flow's scratch data.
func (c *Ctx) FlowData(key string) string {
	if c.sess.Flow == nil {
		return ""
	}
	return c.sess.Flow.Data[key]
}

// SetFlowData sets a value in the running flow's scratch data.
func (c *Ctx) SetFlowData(key, value string) {
	if c.sess.Flow == nil {
		return
	}
	if c.sess.Flow.Data == nil {
		c.sess.Flow.Data = map[string]string{}
	}
	c.sess.Flow.Data[key] = value
}

// SetFlowSecret keeps a secret of the running flow (such as a login's
// session id) sealed with the session key; it ends with the flow.
func (c *Ctx) SetFlowSecret(key string, v secret.Secret) error {
	f := c.sess.Flow
	if f == nil {
		return fmt.Errorf("flow secret %s: no flow running", key)
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
	v, err := c.k.sealer.Open(f.Sealed[key], c.flowAAD(key))
	if err != nil {
		c.Log.Warn("flow secret does not open", "key", key)
		return secret.Secret{}
	}
	return v
}

// flowAAD binds a flow secret to its session, flow and key.
func (c *Ctx) flowAAD(key string) []byte {
	return []byte(c.sessKey + "\x00" + c.sess.Flow.Name + "\x00" + key)
}

// EndFlow ends the running flow.
func (c *Ctx) EndFlow() { c.sess.Flow = nil }

// Emit delivers an in-process event to every listener, in registration
// order; the first error stops delivery.
func (c *Ctx) Emit(event string, payload any) error {
	for _, h := range c.k.listeners[event] {
		if err := h(c, payload); err != nil {
			return fmt.Errorf("event %s: %w", event, err)
		}
	}
	return nil
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
	return c.k.runRoute(c, rt, args)
}

// Allow applies the named rate limit to the user; when refused it reports
// how long to wait.
func (c *Ctx) Allow(limit string) (bool, time.Duration, error) {
	return c.k.allow(c, limit)
}

// Now is the kernel's clock.
func (c *Ctx) Now() time.Time { return c.k.now() }
