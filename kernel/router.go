package kernel

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Outcomes of an update, the "outcome" label of bot_updates_total.
const (
	outcomeOK        = "ok"
	outcomeDuplicate = "duplicate"
	outcomeLimited   = "rate_limited"
	outcomeError     = "error"
	outcomeIgnored   = "ignored"
	// outcomeRetry: not handled (the chat stayed locked, the store did not
	// answer); a webhook answers "deliver it again".
	outcomeRetry = "retry"
)

func updateKind(u *gotgbot.Update) string {
	switch {
	case u.Message != nil && strings.HasPrefix(u.Message.Text, "/"):
		return "command"
	case u.Message != nil:
		return "message"
	case u.CallbackQuery != nil:
		return "callback"
	}
	return "other"
}

func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// handle runs the whole pipeline for one update: dedupe, rate limit, chat
// lock, session load, route, guards, handler, save if changed. lastTry is
// false when a failure to lock or load may be answered with outcomeRetry
// (the update comes again); on the last try it is apologized for.
func (k *Kernel) handle(ctx context.Context, u *gotgbot.Update, lastTry bool) string {
	start := time.Now()
	kind := updateKind(u)
	outcome := k.handleUpdate(ctx, u, lastTry)
	k.metrics.updates.WithLabelValues(kind, outcome).Inc()
	k.metrics.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	return outcome
}

func (k *Kernel) handleUpdate(ctx context.Context, u *gotgbot.Update, lastTry bool) string {
	var chat *gotgbot.Chat
	var user *gotgbot.User
	switch {
	case u.Message != nil:
		chat, user = &u.Message.Chat, u.Message.From
	case u.CallbackQuery != nil:
		user = &u.CallbackQuery.From
		if u.CallbackQuery.Message != nil {
			c := u.CallbackQuery.Message.GetChat()
			chat = &c
		}
	}
	if chat == nil || user == nil || user.IsBot {
		return outcomeIgnored
	}
	ref := newRef()
	c := &Ctx{
		k: k, Update: u, ChatID: chat.Id, UserID: user.Id, Ref: ref,
		chatType: chat.Type, sess: &session{},
		Log: k.log.With("chat", chat.Id, "ref", ref),
	}
	c.setContext(ctx)
	c.Lang = k.catalog.Match(user.LanguageCode)

	// One update of a chat at a time, and of a user at a time, since the
	// session belongs to the user: a private chat is its user; a group takes
	// the chat's lock, then the user's turn (always in that order, so no two
	// updates wait for each other crosswise). Locks are short and renewed
	// while the update runs, so a replica that dies frees its chats within
	// updates.lock_ttl. Waiting is bounded: past handler_timeout the update
	// is handed back ("deliver it again").
	lockCtx, cancelLock := context.WithTimeout(ctx, k.cfg.Updates.HandlerTimeout)
	defer cancelLock()
	var held []renewer
	if user.Id != chat.Id {
		lease, err := k.store.Lock(lockCtx, "chat:"+strconv.FormatInt(chat.Id, 10), k.cfg.Updates.LockTTL)
		if err != nil {
			return k.notHandled(c, "lock", err, lastTry)
		}
		defer lease.Release()
		held = append(held, lease)
	}
	// The user's turn, in one round trip: the lock, then (a redelivery
	// handled already stops there, before it can use up the allowance)
	// the default rate limit, then the session.
	limit := k.limits["default"]
	turn, err := k.beginTurn(lockCtx, store.TurnStart{
		User: strconv.FormatInt(user.Id, 10), UpdateID: u.UpdateId, Window: k.cfg.Updates.DedupeWindow,
		LockTTL: k.cfg.Updates.LockTTL, SessionTTL: k.cfg.Session.TTL, Limit: &limit,
	})
	switch {
	case err != nil:
		return k.notHandled(c, "lock", err, lastTry)
	case turn.Seen:
		c.Log.Info("duplicate update ignored", "update_id", u.UpdateId)
		return outcomeDuplicate
	case turn.Limited:
		k.metrics.rateLimited.WithLabelValues("default").Inc()
		k.tellLimited(c, "default", turn.RetryAfter)
		return outcomeLimited
	}
	ended := false
	defer func() {
		if !ended {
			turn.Release()
		}
	}()
	defer k.keepLocks(c, append(held, turn))()

	c.sessKey = store.SessionKey(strconv.FormatInt(user.Id, 10))
	if c.sess, err = decodeSession(turn.Session); err != nil {
		c.Log.Warn("session does not decode; starting afresh", "err", err)
		c.sess = &session{}
	}
	c.parkForeignFlow()
	if c.sess.Lang != "" {
		c.Lang = c.sess.Lang
	}

	hctx, cancel := context.WithTimeout(withLogAttrs(ctx, slog.Int64("chat", chat.Id), slog.String("ref", ref)), k.cfg.Updates.HandlerTimeout)
	c.setContext(hctx)
	stopTyping := k.typingAfter(c, typingDelay)
	err = k.route(c)
	stopTyping()
	cancel()
	c.setContext(ctx)
	outcome := outcomeOK
	if err != nil {
		outcome = outcomeError
		k.handleError(c, err)
	}
	if c.IsCallback() {
		c.Answer("", false)
	}

	if err := c.saveFlow(); err != nil {
		c.Log.Error("flow data does not encode; ending the flow", "err", err)
		c.endFlowQuietly()
	}
	c.unparkFlow()
	out, err := c.sess.encode(k.sealer, []byte(c.sessKey))
	if err != nil {
		c.Log.Error("encode session", "err", err)
		return outcomeError
	}
	changed := !bytes.Equal(out, turn.Session) && !(turn.Session == nil && string(out) == emptySession)
	ended = true
	if err := k.store.EndTurn(context.WithoutCancel(ctx), turn, out, changed); err != nil {
		k.metrics.storeErrors.WithLabelValues("save").Inc()
		if c.irreversible {
			// Money moved and the user saw its receipt: the session that
			// could not be saved holds the flow before it, whose Confirm
			// answers with that receipt's outcome. Telling them to try
			// again would be wrong.
			c.Log.Error("session not saved after an irreversible step; its flow stays at the step before", "err", err)
			return outcome
		}
		if !lastTry {
			// The store failed (or a lock expired under a very slow
			// handler): what this update changed is not saved, nor that
			// it was handled. It comes again (a webhook answers 503) and
			// runs on the session as it was, so say nothing now.
			c.Log.Warn("session not saved; the update will come again", "err", err)
			return outcomeRetry
		}
		// Only a lock that expired under a very slow handler lets another
		// update in; what this one changed is lost, so say so.
		c.Log.Error("save session", "err", err)
		k.apologize(c)
		return outcomeError
	}
	return outcome
}

// emptySession is how a session with nothing in it encodes.
const emptySession = "{}"

// beginTurn takes the user's turn, waiting (with backoff) while another
// update of theirs holds it, until ctx ends.
func (k *Kernel) beginTurn(ctx context.Context, start store.TurnStart) (*store.Turn, error) {
	backoff := 2 * time.Millisecond
	for {
		turn, err := k.store.BeginTurn(ctx, start)
		if !errors.Is(err, store.ErrBusy) {
			return turn, err
		}
		t := time.NewTimer(backoff/2 + mrand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: %w", store.ErrLockTimeout, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// renewer is a held lock or turn.
type renewer interface {
	Renew(ctx context.Context) error
}

// typingDelay is how long an update runs before the chat shows "typing…".
const typingDelay = 800 * time.Millisecond

// keepLocks renews held locks every third of updates.lock_ttl until the
// returned stop is called (the update is done).
func (k *Kernel) keepLocks(c *Ctx, leases []renewer) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(k.cfg.Updates.LockTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, l := range leases {
					ctx, cancel := context.WithTimeout(context.WithoutCancel(c), k.cfg.Updates.LockTTL/3)
					if err := l.Renew(ctx); err != nil {
						c.Log.Error("could not renew the lock of a running update", "err", err)
					}
					cancel()
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// notHandled is an update the store kept from being handled (its chat
// stayed locked, the store did not answer): handed back to be delivered
// again, or, on its last try, apologized for.
func (k *Kernel) notHandled(c *Ctx, op string, err error, lastTry bool) string {
	if !lastTry {
		k.metrics.storeErrors.WithLabelValues(op).Inc()
		c.Log.Warn("update not handled; it will come again", "op", op, "err", err)
		return outcomeRetry
	}
	return k.storeFailed(c, op, err)
}

func (k *Kernel) storeFailed(c *Ctx, op string, err error) string {
	k.metrics.storeErrors.WithLabelValues(op).Inc()
	c.Log.Error("store failed", "op", op, "err", err)
	k.apologize(c)
	return outcomeError
}

// route picks the handler for the update.
func (k *Kernel) route(c *Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	u := c.Update
	if u.CallbackQuery != nil {
		k.expireFlow(c)
		plugin, action, args, ok := parseCallbackData(u.CallbackQuery.Data)
		if !ok {
			c.Log.Info("unreadable callback data")
			return ErrStaleCallback
		}
		if strings.Contains(action, ".") {
			return k.runFlowTap(c, plugin, action, args)
		}
		rt := k.callbacks[plugin+"."+action]
		if rt == nil {
			c.Log.Info("unknown callback", "plugin", plugin, "action", action)
			return ErrStaleCallback
		}
		return k.runRoute(c, rt, args)
	}

	msg := u.Message
	text := msg.Text
	if utf8.RuneCountInString(text) > k.cfg.Updates.MaxTextLength {
		max := k.cfg.Updates.MaxTextLength
		_, err := c.Send(c.Plural("kernel.too_long", max, map[string]any{"max": max}), nil)
		return err
	}
	if strings.HasPrefix(text, "/") {
		k.expireFlow(c)
		head, rest, _ := strings.Cut(text[1:], " ")
		name, at, addressed := strings.Cut(head, "@")
		if addressed && k.bot.Username != "" && !strings.EqualFold(at, k.bot.Username) {
			return nil // a command for another bot in a group
		}
		c.text = strings.TrimSpace(rest)
		cmd := k.byName[strings.ToLower(name)]
		if cmd == nil {
			if !c.IsPrivate() && !addressed {
				return nil // in a group, likely another bot's command
			}
			_, err := c.Say("kernel.unknown_command", map[string]any{"command": "/" + name}, nil)
			return err
		}
		if c.sess.Flow != nil && (cmd.route == nil || cmd.route.name != "kernel.cancel") {
			c.endFlowQuietly() // any command interrupts an open flow
		}
		return k.runCommand(c, cmd, strings.Fields(c.text))
	}
	c.text = strings.TrimSpace(text)
	if k.expireFlow(c) {
		if text == "" || !c.IsPrivate() {
			return nil
		}
		_, err := k.strayText(c) // the timeout was told; a leftover may need more
		return err
	}
	if c.sess.Flow != nil {
		return k.runFlowText(c)
	}
	if text == "" || !c.IsPrivate() {
		return nil // stickers and the like, and a group's own conversation
	}
	if took, err := k.strayText(c); took || err != nil {
		return err
	}
	_, err = c.Say("kernel.fallback", nil, nil)
	return err
}

// strayText offers text no flow takes to the plugins' StrayText, in
// order, each running as its plugin; true when one took it.
func (k *Kernel) strayText(c *Ctx) (bool, error) {
	for _, s := range k.strays {
		c.plugin, c.action = s.plugin, s.plugin+".stray_text"
		if took, err := s.take(c); took || err != nil {
			return took, err
		}
	}
	c.plugin, c.action = "", ""
	return false, nil
}

// expireFlow ends a flow that timed out, or that a deploy changed, telling
// the user so; it reports whether it did.
func (k *Kernel) expireFlow(c *Ctx) bool {
	fs := c.sess.Flow
	if fs == nil {
		return false
	}
	f, ok := k.flows[fs.Name]
	switch {
	case !ok || f.version != fs.Version || f.steps[fs.Step] == nil:
		c.endFlowQuietly()
		_, _ = c.Say("kernel.flow.outdated", nil, nil)
		return true
	case k.now().After(fs.Expires):
		c.endFlowQuietly()
		_, _ = c.Say("kernel.flow.expired", nil, nil)
		return true
	}
	return false
}

// runRoute applies the route's private-chat rule, limit and guards, then
// runs its handler.
func (k *Kernel) runRoute(c *Ctx, rt *route, args []string) error {
	c.plugin, c.action, c.args = rt.plugin, rt.name, args
	if ok, err := k.admit(c, rt); !ok || err != nil {
		return err
	}
	return rt.handler(c)
}

// admit applies a route's (or a flow's) private-chat rule, rate limit and
// guards; false means the user was told why not.
func (k *Kernel) admit(c *Ctx, rt *route) (bool, error) {
	if rt.private && !c.IsPrivate() {
		kb := NewKeyboard()
		if c.Username() != "" {
			link := "https://t.me/" + c.Username()
			if c.command != "" {
				link += "?start=" + c.command // /start <command> runs it in the private chat
			}
			kb.Row(c.URLButton("kernel.private_only_button", link))
		}
		if c.IsCallback() {
			c.Answer(c.T("kernel.private_only", nil), true)
			return false, nil
		}
		_, err := c.Say("kernel.private_only", nil, kb)
		return false, err
	}
	if rt.limit != "" {
		ok, wait, err := k.allow(c, rt.limit)
		if err != nil {
			return false, err
		}
		if !ok {
			k.tellLimited(c, rt.limit, wait)
			return false, nil
		}
	}
	for _, g := range rt.guards {
		// A guard runs as its own plugin: its buttons and limits are its own.
		gd := k.guards[g]
		plugin := c.plugin
		c.plugin = gd.plugin
		ok, err := gd.run(c)
		if c.plugin == gd.plugin {
			c.plugin = plugin
		}
		if err != nil {
			return false, fmt.Errorf("guard %s: %w", g, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// handleError turns a handler's error into something the user can read.
func (k *Kernel) handleError(c *Ctx, err error) {
	for _, h := range k.errorHooks {
		// A hook runs as the plugin that registered it.
		plugin := c.plugin
		c.plugin = h.plugin
		handled := h.hook(c, err)
		c.plugin = plugin
		if handled {
			return
		}
	}
	var ue *UserError
	switch {
	case errors.As(err, &ue):
		c.Log.Debug("user error", "key", ue.Key)
		text := c.T(ue.Key, ue.Data)
		if c.IsCallback() && c.MessageID() == 0 {
			c.Answer(text, true)
			return
		}
		_, _ = c.Send(text, nil)
	case errors.Is(err, ErrStaleCallback):
		c.Log.Info("stale or forged callback refused", "action", c.action)
		c.Answer(c.T("kernel.stale_button", nil), true)
	default:
		c.Log.Error("handler failed", "action", c.action, "err", err)
		k.apologize(c)
	}
}

func (k *Kernel) apologize(c *Ctx) {
	text := c.T("kernel.error", map[string]any{"ref": c.Ref})
	if _, err := c.Send(text, nil); err != nil {
		c.Log.Error("could not apologize", "err", err)
	}
}

// allow applies a named limit to the user.
func (k *Kernel) allow(c *Ctx, name string) (bool, time.Duration, error) {
	l, ok := k.limits[name]
	if !ok {
		return false, 0, fmt.Errorf("rate limit %q is not declared", name)
	}
	res, err := k.limiter.Allow(c, name+":"+strconv.FormatInt(c.UserID, 10), l)
	if err != nil {
		k.metrics.storeErrors.WithLabelValues("rate_limit").Inc()
		return false, 0, fmt.Errorf("rate limit %s: %w", name, err)
	}
	if !res.Allowed {
		k.metrics.rateLimited.WithLabelValues(name).Inc()
	}
	return res.Allowed, res.RetryAfter, nil
}

// tellLimited replies "slow down" once per window, not once per message.
func (k *Kernel) tellLimited(c *Ctx, name string, wait time.Duration) {
	if wait < time.Second {
		wait = time.Second
	}
	key := "rlnote:" + name + ":" + strconv.FormatInt(c.UserID, 10)
	first, err := k.store.SetNX(c, key, []byte{1}, wait)
	if err != nil || !first {
		c.Answer("", false)
		return
	}
	secs := int(math.Ceil(wait.Seconds()))
	text := c.Plural("kernel.rate_limited", secs, map[string]any{"seconds": secs})
	if c.IsCallback() {
		c.Answer(text, true)
		return
	}
	_, _ = c.Send(text, nil)
}
