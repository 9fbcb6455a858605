package notify

import (
	"context"
	"strings"

	"github.com/copperx-bot/payoutbot/kernel"
)

// What the plugin reacts to: the websocket's callbacks (which run on its
// read loop and must not block, so network work goes through async) and
// the login and logout of a user (kernel events, within that update).

// connected: a new websocket; subscribe everything again.
func (n *Notify) connected(string) {
	n.mu.Lock()
	clear(n.pending)
	n.mu.Unlock()
	n.async(n.resync)
}

// subscribed: a channel is live; catch up what it may have missed.
func (n *Notify) subscribed(channel string) {
	n.mu.Lock()
	delete(n.pending, channel)
	n.mu.Unlock()
	org, ok := strings.CutPrefix(channel, channelPrefix)
	if !ok || !n.cfg.CatchUp {
		return
	}
	n.async(func(ctx context.Context) { n.catchUp(ctx, org) })
}

// event handles an app event on a channel.
func (n *Notify) event(channel, event string, data []byte) {
	org, ok := strings.CutPrefix(channel, channelPrefix)
	if !ok || org == "" {
		n.log.Debug("event on an unexpected channel ignored", "channel", channel, "event", event)
		return
	}
	if event != "deposit" {
		n.log.Debug("event ignored", "channel", channel, "event", event)
		return
	}
	d, err := parseDeposit(data)
	if err != nil {
		n.log.Warn("malformed deposit event ignored", "org", org, "bytes", len(data), "err", err)
		return
	}
	n.async(func(ctx context.Context) {
		if err := n.announce(ctx, org, d); err != nil {
			n.log.Error("deposit not announced", "org", org, "id", d.ID, "err", err)
		}
	})
}

// loggedIn records the user's subscription and subscribes their
// organization. A failure here never fails the login.
func (n *Notify) loggedIn(c *kernel.Ctx, e kernel.LoggedIn) error {
	p := e.Principal
	if p == nil || p.OrgID == "" || p.Token.IsZero() {
		c.Log.Warn("notify: login without an organization or token; no deposit messages")
		return nil
	}
	s := subscription{User: c.UserID, Chat: c.ChatID, Org: p.OrgID, Lang: c.Lang, Since: n.now()}
	previous, err := n.subscriptions.get(c, c.UserID)
	if err != nil {
		c.Log.Error("notify: read subscription", "err", err)
	}
	if previous != nil {
		s.Off = previous.Off
	}
	if err := n.subscriptions.save(c, s); err != nil {
		c.Log.Error("notify: save subscription", "err", err)
		return nil
	}
	n.rememberToken(c.UserID, p)
	if previous != nil && previous.Org != s.Org {
		oldOrg := previous.Org
		n.async(func(ctx context.Context) { n.forgetOrg(ctx, oldOrg) })
	}
	n.async(n.resync)
	return nil
}

// loggedOut removes the user's subscription (whatever the reason: a
// logout, a switch of account, an expired or refused token).
func (n *Notify) loggedOut(c *kernel.Ctx, _ kernel.LoggedOut) error {
	previous, err := n.subscriptions.get(c, c.UserID)
	if err != nil {
		c.Log.Error("notify: read subscription", "err", err)
	}
	if err := n.subscriptions.remove(c, c.UserID); err != nil {
		c.Log.Error("notify: remove subscription", "err", err)
		return nil
	}
	n.forgetToken(c.UserID)
	if previous != nil {
		org := previous.Org
		n.async(func(ctx context.Context) { n.forgetOrg(ctx, org) })
	}
	return nil
}
