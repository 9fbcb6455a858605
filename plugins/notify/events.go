package notify

import (
	"context"
	"slices"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// What the plugin reacts to: the websocket's callbacks (which run on its
// read loop and must not block, so network work goes through async) and
// the login and logout of a user (kernel events, within that update).

// connected: a new websocket; subscribe what this replica holds again.
func (n *Notify) connected(string) {
	n.mu.Lock()
	clear(n.pending)
	n.mu.Unlock()
	n.askRebalance(true, false)
}

// subscribed: a channel is live; catch up what it may have missed.
func (n *Notify) subscribed(channel string) {
	n.mu.Lock()
	token := n.pending[channel].token
	delete(n.pending, channel)
	n.mu.Unlock()
	org, ok := strings.CutPrefix(channel, channelPrefix)
	if !ok || !n.cfg.CatchUp {
		return
	}
	n.async(func(ctx context.Context) { n.catchUp(ctx, org, token) })
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
	n.async(func(ctx context.Context) { n.announce(ctx, org, d) })
}

// loggedIn records the user's subscription and subscribes their
// organization (that one: O(1)) when this replica holds it; its holders
// take it at their next heartbeat otherwise. A failure here never fails
// the login.
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
	n.subscribe(c, s, copperx.NewToken(p.Token.Reveal()))
	return nil
}

// subscribe saves s and subscribes its organization with token when this
// replica holds it.
func (n *Notify) subscribe(ctx context.Context, s subscription, token copperx.Token) {
	emptied, err := n.subscriptions.save(ctx, s)
	if err != nil {
		n.log.Error("save subscription", "user", s.User, "err", err)
		return
	}
	if emptied != "" {
		n.async(func(ctx context.Context) { n.forgetOrg(ctx, emptied) })
	}
	n.mu.Lock()
	if n.index != nil && !slices.Contains(n.index[s.Org], s.User) {
		n.index[s.Org] = append(n.index[s.Org], s.User)
	}
	n.mu.Unlock()
	if n.holder(s.Org) {
		n.async(func(ctx context.Context) { n.subscribeOrg(ctx, s.Org, token) })
	}
}

// loggedOut removes the user's subscription (whatever the reason: a
// logout, a switch of account, an expired or refused token).
func (n *Notify) loggedOut(c *kernel.Ctx, _ kernel.LoggedOut) error {
	removed, emptied, err := n.subscriptions.remove(c, c.UserID)
	if err != nil {
		c.Log.Error("notify: remove subscription", "err", err)
		return nil
	}
	if removed != nil && emptied {
		org := removed.Org
		n.async(func(ctx context.Context) { n.forgetOrg(ctx, org) })
	}
	return nil
}
