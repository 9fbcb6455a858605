package notify

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// The subscriber keeps the websocket's channels in line with the stored
// subscriptions: one private-org-<id> channel per organization that has a
// logged-in subscriber, signed with one of its users' tokens.

// resyncLoop re-reads the subscriptions every resync_interval.
func (n *Notify) resyncLoop(ctx context.Context) {
	t := time.NewTicker(n.cfg.ResyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.resync(ctx)
		}
	}
}

// resync re-reads who is subscribed: drops subscriptions whose login is
// gone, subscribes organizations not yet subscribed on the live
// connection and leaves those nobody wants any more.
func (n *Notify) resync(ctx context.Context) {
	n.resyncing.Lock()
	defer n.resyncing.Unlock()
	all, err := n.subscriptions.all(ctx)
	if err != nil {
		n.log.Error("load subscriptions", "err", err)
		return
	}
	usersByOrg := map[string][]int64{}
	for _, s := range all {
		p, err := n.sessions.Principal(ctx, s.User)
		switch {
		case err != nil:
			n.log.Warn("read session; subscription kept", "user", s.User, "err", err)
		case p == nil && n.now().Sub(s.Since) < loginGrace:
			// logging in right now: the session is not saved yet
		case p == nil:
			if err := n.subscriptions.remove(ctx, s.User); err != nil {
				n.log.Error("drop subscription", "user", s.User, "err", err)
			} else {
				n.log.Info("subscription dropped: logged out or expired", "user", s.User, "org", s.Org)
			}
			n.forgetToken(s.User)
			continue
		default:
			n.rememberToken(s.User, p)
			if p.OrgID != "" && p.OrgID != s.Org {
				s.Org = p.OrgID
				if err := n.subscriptions.save(ctx, s); err != nil {
					n.log.Error("update subscription", "user", s.User, "err", err)
				}
			}
		}
		usersByOrg[s.Org] = append(usersByOrg[s.Org], s.User)
	}
	conn, socketID := n.pusher.current()
	if conn == nil {
		return
	}
	for org, users := range usersByOrg {
		channel := copperx.PrivateOrgChannel(org)
		n.mu.Lock()
		awaiting := n.pending[channel] == socketID
		n.mu.Unlock()
		if awaiting || n.pusher.subscribed(channel) {
			continue
		}
		n.subscribeOrg(ctx, org, users)
	}
	for _, channel := range n.pusher.channels() {
		if _, wanted := usersByOrg[strings.TrimPrefix(channel, channelPrefix)]; wanted {
			continue
		}
		if err := n.pusher.unsubscribe(ctx, channel); err != nil {
			n.log.Warn("unsubscribe", "channel", channel, "err", err)
		} else {
			n.log.Info("unsubscribed: nobody of the organization is logged in", "channel", channel)
		}
	}
}

// subscribeOrg subscribes the organization's channel with the first of
// its users' tokens that CopperX accepts.
func (n *Notify) subscribeOrg(ctx context.Context, org string, users []int64) {
	channel := copperx.PrivateOrgChannel(org)
	for _, user := range users {
		token, ok := n.token(ctx, user)
		if !ok {
			continue
		}
		var signedFor string // the socket id the auth was signed for
		err := n.pusher.subscribe(ctx, channel, func(ctx context.Context, socketID string) (string, error) {
			signedFor = socketID
			return n.api.NotificationsAuth(ctx, token, socketID, channel)
		})
		switch {
		case err == nil:
			n.mu.Lock()
			n.pending[channel] = signedFor
			n.mu.Unlock()
			return
		case errors.Is(err, errNotConnected):
			return
		case errors.Is(err, copperx.ErrUnauthorized):
			n.log.Warn("channel auth refused for a user; trying another", "org", org, "user", user)
		default:
			n.log.Warn("subscribe failed", "org", org, "err", err)
			return
		}
	}
}

// forgetOrg leaves an organization's channel and forgets its catch-up mark
// once nobody of it is subscribed (a later login starts afresh instead of
// announcing what arrived meanwhile).
func (n *Notify) forgetOrg(ctx context.Context, org string) {
	left, err := n.subscriptions.ofOrg(ctx, org)
	if err != nil || len(left) > 0 {
		return
	}
	if err := n.store.Delete(ctx, lastKey(org)); err != nil {
		n.log.Warn("forget catch-up mark", "org", org, "err", err)
	}
	n.resync(ctx)
}

// token is the user's CopperX token: from their session, else from the
// login this process saw (the session is saved when the login ends).
func (n *Notify) token(ctx context.Context, user int64) (copperx.Token, bool) {
	p, err := n.sessions.Principal(ctx, user)
	if err != nil {
		n.log.Warn("read session", "user", user, "err", err)
	}
	if p != nil && !p.Token.IsZero() {
		return n.rememberToken(user, p), true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	token, ok := n.tokens[user]
	return token, ok
}

// rememberToken keeps the token of p for user (a login this process saw
// or a session it read) and returns it.
func (n *Notify) rememberToken(user int64, p *kernel.Principal) copperx.Token {
	token := copperx.NewToken(p.Token.Reveal())
	n.mu.Lock()
	n.tokens[user] = token
	n.mu.Unlock()
	return token
}

// forgetToken drops the token kept for user.
func (n *Notify) forgetToken(user int64) {
	n.mu.Lock()
	delete(n.tokens, user)
	n.mu.Unlock()
}
