package notify

import (
	"context"
	"errors"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
)

// The subscriber keeps the websocket's channels in line with the
// organizations this replica holds: every heartbeat_interval it says it is
// alive and looks at the live replicas and the index version, and when
// either moved it subscribes the organizations it now holds and leaves
// those it no longer does (rebalance). Every resync_interval it re-reads
// the whole index and retries what was refused. Rebalances run on their
// own goroutine (rebalanceLoop), so the heartbeat keeps its beat. A
// subscription is signed
// with the token of one user of the organization, read from their session
// only then (a login's own token, straight from the event, signs that
// login's organization).

// pendingTimeout: a subscribe Pusher has not answered in this long (a
// refusal without a channel, such as an invalid signature) is retried at
// the next resync.
const pendingTimeout = 30 * time.Second

// rebalanceLoop runs the rebalances asked for, one at a time, merging
// the requests that come while one runs: a long one (thousands of
// organizations to take over) never delays a heartbeat.
func (n *Notify) rebalanceLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.rebalanceAsked:
		}
		n.mu.Lock()
		reload, full := n.askedReload, n.askedFull
		n.askedReload, n.askedFull = false, false
		n.mu.Unlock()
		n.rebalance(ctx, reload, full)
	}
}

// askRebalance asks rebalanceLoop for a rebalance.
func (n *Notify) askRebalance(reload, full bool) {
	n.mu.Lock()
	n.askedReload = n.askedReload || reload
	n.askedFull = n.askedFull || full
	n.mu.Unlock()
	select {
	case n.rebalanceAsked <- struct{}{}:
	default: // one is asked already: it takes these flags too
	}
}

// heartbeatLoop runs the heartbeat and the resync until ctx ends.
func (n *Notify) heartbeatLoop(ctx context.Context) {
	n.migrate(ctx)
	n.heartbeat(ctx, true)
	beat := time.NewTicker(n.cfg.HeartbeatInterval)
	defer beat.Stop()
	resync := time.NewTicker(n.cfg.ResyncInterval)
	defer resync.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			n.heartbeat(ctx, false)
		case <-resync.C:
			n.migrate(ctx)
			n.heartbeat(ctx, true)
		}
	}
}

// migrate moves an index of an earlier version into the current one: at
// start, and at each resync, for what replicas of the earlier version
// still wrote while a rolling upgrade replaced them.
func (n *Notify) migrate(ctx context.Context) {
	if moved, err := n.subscriptions.migrate(ctx); err != nil {
		n.log.Error("move the subscriptions of an earlier version into the index", "err", err)
	} else if moved > 0 {
		n.log.Info("subscriptions of an earlier version moved into the index", "subscriptions", moved)
	}
}

// heartbeat says this replica is alive (or, while its websocket is
// refused, that it is not: it holds nothing then) and rebalances when the
// live set or the index changed, when organizations wait for a login to
// be saved, or when full.
func (n *Notify) heartbeat(ctx context.Context, full bool) {
	var live []string
	if n.pusher.usable() {
		var err error
		if live, err = n.replicas.beat(ctx); err != nil {
			n.log.Warn("heartbeat failed; keeping the last live set", "err", err)
			return
		}
	} else if err := n.replicas.leave(ctx); err != nil {
		n.log.Warn("leave the live set", "err", err)
	}
	version, err := n.subscriptions.indexVersion(ctx)
	if err != nil {
		n.log.Warn("read the index version", "err", err)
		return
	}
	n.metrics.replicas.Set(float64(len(live)))
	n.mu.Lock()
	moved := !slices.Equal(live, n.live)
	if moved {
		n.log.Info("live replicas changed", "replicas", len(live))
	}
	n.live = live
	reload := full || n.index == nil || version != n.indexVersion
	waiting := len(n.deferred) > 0
	n.mu.Unlock()
	if full || moved || reload || waiting {
		n.askRebalance(reload, full)
	}
}

// resync re-reads the index and rebalances now.
func (n *Notify) resync(ctx context.Context) { n.rebalance(ctx, true, false) }

// rebalance subscribes the organizations this replica holds and leaves
// the others; reload re-reads the index first, full also retries what was
// refused and what Pusher never answered.
func (n *Notify) rebalance(ctx context.Context, reload, full bool) {
	n.resyncing.Lock()
	defer n.resyncing.Unlock()
	if reload {
		index, version, err := n.subscriptions.index(ctx)
		if err != nil {
			n.log.Error("load the subscription index", "err", err)
			return
		}
		n.mu.Lock()
		n.index, n.indexVersion = index, version
		n.mu.Unlock()
	}
	conn, socketID := n.pusher.current()
	n.mu.Lock()
	if full {
		clear(n.refused)
		for channel, p := range n.pending {
			if time.Since(p.sent) > pendingTimeout {
				delete(n.pending, channel)
			}
		}
	}
	clear(n.deferred)
	live, self := n.live, n.replicas.id
	wanted := map[string]bool{}
	for org := range n.index {
		if holds(self, live, org) {
			wanted[org] = true
		}
	}
	var subscribe []string
	for org := range wanted {
		channel := copperx.PrivateOrgChannel(org)
		if n.refused[org] || n.pending[channel].socketID == socketID || n.pusher.subscribed(channel) {
			continue
		}
		subscribe = append(subscribe, org)
	}
	leave := slices.Collect(maps.Keys(n.pending))
	n.mu.Unlock()
	if conn == nil {
		return
	}
	var wg sync.WaitGroup
	queue := make(chan string)
	for range min(workers, len(subscribe)) {
		wg.Go(func() {
			for org := range queue {
				n.subscribeOrg(ctx, org, copperx.Token{})
			}
		})
	}
	for _, org := range subscribe {
		queue <- org
	}
	close(queue)
	wg.Wait()
	for _, channel := range append(n.pusher.channels(), leave...) {
		if org := strings.TrimPrefix(channel, channelPrefix); !wanted[org] {
			n.leave(ctx, channel)
		}
	}
}

// holder reports whether this replica holds org now.
func (n *Notify) holder(org string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return holds(n.replicas.id, n.live, org)
}

// subscribeOrg subscribes the organization's channel, signed with token
// (a login's) or else with the first of its users' tokens that CopperX
// accepts, read from their sessions.
func (n *Notify) subscribeOrg(ctx context.Context, org string, token copperx.Token) {
	channel := copperx.PrivateOrgChannel(org)
	socketID, ok := n.reserve(channel)
	if !ok {
		return
	}
	try := func(token copperx.Token) (done bool, err error) {
		// The token the catch-up will list with is in place before the
		// subscribe is sent: CopperX's confirmation may arrive (and
		// subscribed take it) before subscribe returns.
		n.mu.Lock()
		n.pending[channel] = pendingSubscription{socketID: socketID, sent: time.Now(), token: token}
		n.mu.Unlock()
		err = n.pusher.subscribe(ctx, channel, func(ctx context.Context, current string) (string, error) {
			if current != socketID {
				return "", errNotConnected // a new connection subscribes everything anyway
			}
			return n.api.NotificationsAuth(ctx, token, socketID, channel)
		})
		if err == nil {
			return true, nil
		}
		n.mu.Lock()
		if p, ok := n.pending[channel]; ok && p.socketID == socketID {
			n.pending[channel] = pendingSubscription{socketID: socketID, sent: p.sent} // not sent: no token
		}
		n.mu.Unlock()
		if errors.Is(err, copperx.ErrUnauthorized) {
			// A token revoked by a logout meanwhile, or expired early:
			// settle says whether that leaves the organization unheard.
			n.log.Info("channel auth refused for a user; trying another", "org", org)
			return false, nil
		}
		return true, err // not connected, or CopperX unavailable: the next heartbeat tries again
	}
	var waiting, refused bool
	if !token.IsZero() {
		if done, err := try(token); done {
			n.settle(ctx, org, channel, err, false)
			return
		}
		refused = true
	}
	users, err := n.subscriptions.members(ctx, org)
	if err != nil {
		n.settle(ctx, org, channel, err, false)
		return
	}
	for _, user := range users {
		s, err := n.subscriptions.get(ctx, user)
		if err != nil {
			n.settle(ctx, org, channel, err, false)
			return
		}
		if s == nil || s.Org != org {
			if err := n.subscriptions.prune(ctx, org, user); err != nil {
				n.log.Warn("take a stale entry off the index", "org", org, "err", err)
			}
			continue
		}
		token, state := n.login(ctx, *s)
		switch state {
		case loginPending:
			waiting = true
			continue
		case loginGone:
			continue
		}
		if done, err := try(token); done {
			n.settle(ctx, org, channel, err, false)
			return
		}
		refused = true
	}
	if refused && !waiting {
		if gone, _ := n.nobodyLeft(ctx, org); gone {
			// Everyone of it logged out during the attempt: the logout
			// leaves the channel; there is nothing to try again.
			n.log.Debug("subscribe dropped: nobody of the organization is logged in any more", "org", org)
			refused = false
		}
	}
	n.settle(ctx, org, channel, nil, refused && !waiting)
	if waiting {
		n.mu.Lock()
		n.deferred[org] = true
		n.mu.Unlock()
	}
}

// reserve marks channel as being subscribed on the live connection; false
// when there is none, or the channel is subscribed or being subscribed.
func (n *Notify) reserve(channel string) (string, bool) {
	conn, socketID := n.pusher.current()
	if conn == nil || n.pusher.subscribed(channel) {
		return "", false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.pending[channel]; ok && p.socketID == socketID {
		return "", false
	}
	n.pending[channel] = pendingSubscription{socketID: socketID, sent: time.Now()}
	return socketID, true
}

// settle ends a subscribe attempt: sent (err nil, not refused), failed
// (the next heartbeat tries again) or refused by CopperX for every user
// (the next resync tries again).
func (n *Notify) settle(ctx context.Context, org, channel string, err error, refused bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p := n.pending[channel]; p.token.IsZero() {
		delete(n.pending, channel) // reserved, nothing sent
	}
	switch {
	case err != nil && (ctx.Err() != nil || errors.Is(err, net.ErrClosed)):
		// Shutting down, or the connection closed under the attempt (a
		// reconnect subscribes again): nothing an operator must act on.
		n.log.Debug("subscribe cut short", "org", org, "err", err)
	case err != nil && !errors.Is(err, errNotConnected):
		n.log.Warn("subscribe failed; trying again at the next heartbeat", "org", org, "err", err)
		n.deferred[org] = true
	case refused:
		n.log.Warn("no user of the organization may subscribe its channel; trying again at the next resync", "org", org)
		n.refused[org] = true
	}
}

// leave unsubscribes a channel this replica no longer holds.
func (n *Notify) leave(ctx context.Context, channel string) {
	n.mu.Lock()
	delete(n.pending, channel)
	n.mu.Unlock()
	if !n.pusher.subscribed(channel) {
		return
	}
	if err := n.pusher.unsubscribe(ctx, channel); err != nil {
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			// Shutting down, or the connection closed under it: a closed
			// connection holds no channel, and a new one subscribes only
			// what this replica holds.
			n.log.Debug("unsubscribe cut short", "channel", channel, "err", err)
			return
		}
		n.log.Warn("unsubscribe", "channel", channel, "err", err)
		return
	}
	n.log.Debug("unsubscribed: another replica holds it, or nobody of it is logged in", "channel", channel)
}

// refusedChannel: Pusher refused a subscription; the next resync retries.
func (n *Notify) refusedChannel(channel string) {
	org, ok := strings.CutPrefix(channel, channelPrefix)
	if !ok {
		return
	}
	n.mu.Lock()
	delete(n.pending, channel)
	n.refused[org] = true
	n.mu.Unlock()
}

// forgetOrg leaves an organization's channel and forgets its catch-up mark
// once nobody of it is subscribed (a later login starts afresh instead of
// announcing what arrived meanwhile).
func (n *Notify) forgetOrg(ctx context.Context, org string) {
	left, err := n.subscriptions.members(ctx, org)
	if err != nil || len(left) > 0 {
		return
	}
	if err := n.store.Delete(ctx, lastKey(org)); err != nil {
		n.log.Warn("forget catch-up mark", "org", org, "err", err)
	}
	n.mu.Lock()
	delete(n.index, org)
	n.mu.Unlock()
	n.leave(ctx, copperx.PrivateOrgChannel(org))
	n.log.Info("unsubscribed: nobody of the organization is logged in", "org", org)
}
