// Package notify is the deposit-notification plugin: when money arrives in
// a logged-in user's CopperX organization, the user gets a message with the
// amount, the network and the new balance, within seconds of CopperX's
// Pusher "deposit" event.
//
// One websocket per bot process (a small Pusher protocol-7 client, pusher.go)
// carries the private channel of every subscribed organization. Who is
// subscribed lives in the shared store (subs.go): a login records the user
// and subscribes the organization's channel with that user's token, a
// logout removes it, and every replica re-reads the list on connect and
// every resync_interval. Each deposit is announced once across replicas
// and reconnects: the first replica to write notify:seen:<org>:<id> (the tx
// hash) sends it. After every (re)subscription the plugin lists the
// organization's recent deposits and announces those the websocket missed.
// /notifications turns the messages off and on for one user.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

const (
	channelPrefix = "private-org-"
	// loginGrace: a sub this young is kept even though the user's session
	// has no principal yet (the login's update saves it when it ends).
	loginGrace = 2 * time.Minute
	// workers bounds the deposits and catch-ups handled at once.
	workers = 8
	// catchUpPages bounds the deposit pages (10 each) one catch-up reads.
	catchUpPages = 5
)

// Notify is the notify plugin.
type Notify struct {
	api  *copperx.Client
	nets copperx.Networks
	cfg  Config
	log  *slog.Logger

	st       store.Store
	subs     subs
	notifier *kernel.Notifier
	sessions *kernel.Sessions
	now      func() time.Time
	// loginSkew: see the constant; tests set it to 0.
	loginSkew time.Duration
	pc        *client
	idle      time.Duration // test hook: ping after this much silence

	mu      sync.Mutex
	tokens  map[int64]copperx.Token // from logins seen by this process
	pending map[string]string       // channel → socket id of a subscribe awaiting its answer
	ctx     context.Context         // the service's; nil before Start
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	sem     chan struct{}
	resyncM sync.Mutex
}

// New returns the plugin; nets is the networks: section of config.yaml
// (nil means copperx.DefaultNetworks).
func New(api *copperx.Client, nets copperx.Networks) *Notify {
	if nets == nil {
		nets = copperx.DefaultNetworks()
	}
	return &Notify{
		api: api, nets: nets, cfg: DefaultConfig(), now: time.Now, loginSkew: loginSkew,
		tokens: map[int64]copperx.Token{}, pending: map[string]string{}, sem: make(chan struct{}, workers),
	}
}

// Name implements kernel.Plugin.
func (n *Notify) Name() string { return "notify" }

// Setup implements kernel.Plugin.
func (n *Notify) Setup(r *kernel.Registrar) error {
	if n.api == nil {
		return errors.New("notify: no CopperX client")
	}
	if err := r.Config(&n.cfg); err != nil {
		return err
	}
	if err := n.cfg.Validate(); err != nil {
		return err
	}
	n.log = r.Logger()
	n.st = r.Store()
	n.subs = subs{st: n.st}
	n.notifier = r.Notifier()
	n.sessions = r.Sessions()

	opts := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	r.Action("toggle", n.show, opts...)
	r.Callback("set", n.set, opts...) // set:on / set:off, edits the message in place
	r.On("auth.login", n.loggedIn)
	r.On("auth.logout", n.loggedOut)
	r.Service(n)
	return nil
}

// Start implements kernel.Service: the websocket runs in the background.
func (n *Notify) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.pc = &client{
		url: n.cfg.url(), min: n.cfg.ReconnectMin, max: n.cfg.ReconnectMax, log: n.log,
		idle: n.idle, pongWait: pongTimeout,
		onConnect:    n.connected,
		onSubscribed: n.subscribed,
		onEvent:      n.event,
	}
	n.mu.Lock()
	n.ctx, n.cancel = ctx, cancel
	n.mu.Unlock()
	n.wg.Go(func() { n.pc.run(ctx) })
	n.wg.Go(func() { n.resyncLoop(ctx) })
	return nil
}

// Stop implements kernel.Service: it closes the websocket and waits for
// the work in flight.
func (n *Notify) Stop(ctx context.Context) error {
	n.mu.Lock()
	cancel := n.cancel
	n.ctx = nil
	n.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("notify: stop: %w", ctx.Err())
	}
}

// async runs f in the background (bounded), on the service's context;
// before Start or after Stop it does nothing.
func (n *Notify) async(f func(ctx context.Context)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx := n.ctx
	if ctx == nil {
		return
	}
	n.wg.Go(func() {
		select {
		case n.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-n.sem }()
		f(ctx)
	})
}

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

// token is the user's CopperX token: from their session, else from the
// login this process saw (the session is saved when the login ends).
func (n *Notify) token(ctx context.Context, user int64) (copperx.Token, bool) {
	p, err := n.sessions.Principal(ctx, user)
	if err != nil {
		n.log.Warn("read session", "user", user, "err", err)
	}
	if p != nil && !p.Token.IsZero() {
		tok := copperx.NewToken(p.Token.Reveal())
		n.mu.Lock()
		n.tokens[user] = tok
		n.mu.Unlock()
		return tok, true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	tok, ok := n.tokens[user]
	return tok, ok
}

// resync re-reads who is subscribed: drops subs whose login is gone,
// subscribes organizations not yet subscribed on the live connection and
// leaves those nobody wants any more.
func (n *Notify) resync(ctx context.Context) {
	n.resyncM.Lock()
	defer n.resyncM.Unlock()
	all, err := n.subs.all(ctx)
	if err != nil {
		n.log.Error("load subscriptions", "err", err)
		return
	}
	byOrg := map[string][]int64{}
	for _, s := range all {
		p, err := n.sessions.Principal(ctx, s.User)
		switch {
		case err != nil:
			n.log.Warn("read session; sub kept", "user", s.User, "err", err)
		case p == nil && n.now().Sub(s.Since) < loginGrace:
			// logging in right now: the session is not saved yet
		case p == nil:
			if err := n.subs.remove(ctx, s.User); err != nil {
				n.log.Error("drop sub", "user", s.User, "err", err)
			} else {
				n.log.Info("sub dropped: logged out or expired", "user", s.User, "org", s.Org)
			}
			n.mu.Lock()
			delete(n.tokens, s.User)
			n.mu.Unlock()
			continue
		default:
			n.mu.Lock()
			n.tokens[s.User] = copperx.NewToken(p.Token.Reveal())
			n.mu.Unlock()
			if p.OrgID != "" && p.OrgID != s.Org {
				s.Org = p.OrgID
				if err := n.subs.put(ctx, s); err != nil {
					n.log.Error("update sub", "user", s.User, "err", err)
				}
			}
		}
		byOrg[s.Org] = append(byOrg[s.Org], s.User)
	}
	conn, sid := n.pc.current()
	if conn == nil {
		return
	}
	for org, users := range byOrg {
		ch := copperx.PrivateOrgChannel(org)
		n.mu.Lock()
		busy := n.pending[ch] == sid
		n.mu.Unlock()
		if busy || n.pc.subscribed(ch) {
			continue
		}
		n.subscribeOrg(ctx, org, users)
	}
	n.pc.mu.Lock()
	var extra []string
	for ch := range n.pc.subs {
		if _, ok := byOrg[strings.TrimPrefix(ch, channelPrefix)]; !ok {
			extra = append(extra, ch)
		}
	}
	n.pc.mu.Unlock()
	for _, ch := range extra {
		if err := n.pc.unsubscribe(ctx, ch); err != nil {
			n.log.Warn("unsubscribe", "channel", ch, "err", err)
		} else {
			n.log.Info("unsubscribed: nobody of the organization is logged in", "channel", ch)
		}
	}
}

// subscribeOrg subscribes the organization's channel with the first of
// its users' tokens that CopperX accepts.
func (n *Notify) subscribeOrg(ctx context.Context, org string, users []int64) {
	ch := copperx.PrivateOrgChannel(org)
	for _, u := range users {
		tok, ok := n.token(ctx, u)
		if !ok {
			continue
		}
		var sid string
		err := n.pc.subscribe(ctx, ch, func(ctx context.Context, socketID string) (string, error) {
			sid = socketID
			return n.api.NotificationsAuth(ctx, tok, socketID, ch)
		})
		switch {
		case err == nil:
			n.mu.Lock()
			n.pending[ch] = sid
			n.mu.Unlock()
			return
		case errors.Is(err, errNotConnected):
			return
		case errors.Is(err, copperx.ErrUnauthorized):
			n.log.Warn("channel auth refused for a user; trying another", "org", org, "user", u)
		default:
			n.log.Warn("subscribe failed", "org", org, "err", err)
			return
		}
	}
}

// loginSkew is how far before a login a deposit still counts as news.
const loginSkew = 5 * time.Second

// catchUp announces the organization's recent deposits the websocket did
// not deliver: those created at or after notify:last:<org> and within
// catch_up_max_age. The first run for an organization only sets that mark.
func (n *Notify) catchUp(ctx context.Context, org string) {
	list, err := n.subs.ofOrg(ctx, org)
	if err != nil {
		n.log.Error("catch-up: load subscriptions", "org", org, "err", err)
		return
	}
	last, _, known, err := n.subs.lastSeen(ctx, org)
	if err != nil {
		n.log.Error("catch-up: read mark", "org", org, "err", err)
		return
	}
	cutoff := n.now().Add(-n.cfg.CatchUpMaxAge)
	// The earliest login among the org's subscribers. CopperX's timestamps
	// have millisecond precision and its clock is not ours: loginSkew keeps
	// a deposit made right as the user logged in from being taken as old.
	var since time.Time
	for _, s := range list {
		if since.IsZero() || s.Since.Before(since) {
			since = s.Since
		}
	}
	var tok copperx.Token
	var listed []copperx.Transfer
	for _, s := range list {
		t, ok := n.token(ctx, s.User)
		if !ok {
			continue
		}
		tok = t
		listed, err = n.recentDeposits(ctx, tok, last, cutoff, !known)
		if err == nil || !errors.Is(err, copperx.ErrUnauthorized) {
			break
		}
	}
	if tok.IsZero() || err != nil {
		n.log.Warn("catch-up: list deposits", "org", org, "err", err)
		return
	}
	deps := slices.DeleteFunc(listed, func(t copperx.Transfer) bool {
		return t.Type != "deposit" || t.Status == "failed" || t.Status == "canceled" || t.Status == "refunded"
	})
	slices.Reverse(deps) // the API lists newest first; oldest first keeps ties in order
	slices.SortStableFunc(deps, func(a, b copperx.Transfer) int { return a.CreatedAt.Compare(b.CreatedAt) })
	newest := last
	for _, t := range deps {
		if t.CreatedAt.After(newest) {
			newest = t.CreatedAt
		}
		// At the mark itself too: timestamps have millisecond precision, so
		// two deposits may share one. Those already announced are skipped by
		// their seen marker, which outlives the cutoff.
		if t.CreatedAt.Before(last) || t.CreatedAt.Before(cutoff) {
			continue
		}
		if !known && t.CreatedAt.Before(since.Add(-n.loginSkew)) {
			// The first run (a login) only records what was already there;
			// a deposit made since the login is news, even when it landed
			// before the channel's subscription was confirmed.
			if _, err := n.st.SetNX(ctx, seenKey(org, fromTransfer(t).ID), []byte("1"), seenTTL); err != nil {
				n.log.Error("catch-up: mark a known deposit", "org", org, "err", err)
				return
			}
			continue
		}
		if err := n.announce(ctx, org, fromTransfer(t)); err != nil {
			n.log.Error("catch-up: deposit not announced", "org", org, "transfer", t.ID, "err", err)
			return // the mark stays, so the next catch-up tries again
		}
	}
	if err := n.subs.advance(ctx, org, newest); err != nil {
		n.log.Error("catch-up: save mark", "org", org, "err", err)
	}
}

// recentDeposits lists the newest deposits, newest first: page 1 (10 of
// them), and further pages (up to catchUpPages) while a whole page is
// newer than the mark and the cutoff. A baseline needs page 1 only.
func (n *Notify) recentDeposits(ctx context.Context, tok copperx.Token, last, cutoff time.Time, baseline bool) ([]copperx.Transfer, error) {
	var out []copperx.Transfer
	for p := 1; p <= catchUpPages; p++ {
		page, err := n.api.Transfers(ctx, tok, copperx.TransferQuery{Page: p, Limit: 10, Types: []string{"deposit"}})
		if err != nil {
			if p > 1 {
				return out, nil // what we have is still worth announcing
			}
			return nil, err
		}
		out = append(out, page.Data...)
		if baseline || !page.HasMore || len(page.Data) < 10 {
			break
		}
		oldest := page.Data[len(page.Data)-1].CreatedAt
		for _, t := range page.Data {
			if t.CreatedAt.Before(oldest) {
				oldest = t.CreatedAt
			}
		}
		if oldest.Before(last) || oldest.Before(cutoff) {
			break
		}
	}
	return out, nil
}

// loggedIn records the user's subscription and subscribes their
// organization. A failure here never fails the login.
func (n *Notify) loggedIn(c *kernel.Ctx, payload any) error {
	p, ok := payload.(*kernel.Principal)
	if !ok || p == nil || p.OrgID == "" || p.Token.IsZero() {
		c.Log.Warn("notify: login without an organization or token; no deposit messages")
		return nil
	}
	s := sub{User: c.UserID, Chat: c.ChatID, Org: p.OrgID, Lang: c.Lang, Since: n.now()}
	prev, err := n.subs.get(c, c.UserID)
	if err != nil {
		c.Log.Error("notify: read sub", "err", err)
	}
	if prev != nil {
		s.Off = prev.Off
	}
	if err := n.subs.put(c, s); err != nil {
		c.Log.Error("notify: save sub", "err", err)
		return nil
	}
	n.mu.Lock()
	n.tokens[c.UserID] = copperx.NewToken(p.Token.Reveal())
	n.mu.Unlock()
	if prev != nil && prev.Org != s.Org {
		old := prev.Org
		n.async(func(ctx context.Context) { n.forgetOrg(ctx, old) })
	}
	n.async(n.resync)
	return nil
}

// loggedOut removes the user's subscription.
func (n *Notify) loggedOut(c *kernel.Ctx, payload any) error {
	prev, err := n.subs.get(c, c.UserID)
	if err != nil {
		c.Log.Error("notify: read sub", "err", err)
	}
	if err := n.subs.remove(c, c.UserID); err != nil {
		c.Log.Error("notify: remove sub", "err", err)
		return nil
	}
	n.mu.Lock()
	delete(n.tokens, c.UserID)
	n.mu.Unlock()
	if prev != nil {
		org := prev.Org
		n.async(func(ctx context.Context) { n.forgetOrg(ctx, org) })
	}
	return nil
}

// forgetOrg leaves an organization's channel and forgets its catch-up mark
// once nobody of it is subscribed (a later login starts afresh instead of
// announcing what arrived meanwhile).
func (n *Notify) forgetOrg(ctx context.Context, org string) {
	left, err := n.subs.ofOrg(ctx, org)
	if err != nil || len(left) > 0 {
		return
	}
	if err := n.st.Delete(ctx, lastKey(org)); err != nil {
		n.log.Warn("forget catch-up mark", "org", org, "err", err)
	}
	n.resync(ctx)
}

// show answers /notifications: on or off, with the button that flips it.
func (n *Notify) show(c *kernel.Ctx) error {
	s, err := n.own(c)
	if err != nil {
		return err
	}
	return n.render(c, s)
}

// set turns the messages on or off (set:on, set:off) and edits the
// message in place.
func (n *Notify) set(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
		return kernel.ErrStaleCallback
	}
	s, err := n.own(c)
	if err != nil {
		return err
	}
	if off := args[0] == "off"; s.Off != off {
		s.Off = off
		if err := n.subs.put(c, s); err != nil {
			return err
		}
		c.Log.Info("deposit messages switched", "on", !off)
	}
	return n.render(c, s)
}

// own is the user's sub, made from their login when missing (a login from
// before the plugin was enabled).
func (n *Notify) own(c *kernel.Ctx) (sub, error) {
	s, err := n.subs.get(c, c.UserID)
	if err != nil {
		return sub{}, err
	}
	if s != nil {
		return *s, nil
	}
	p := c.Principal()
	if p == nil || p.OrgID == "" {
		return sub{}, kernel.Fail("notify.no_org", nil)
	}
	v := sub{User: c.UserID, Chat: c.ChatID, Org: p.OrgID, Lang: c.Lang, Since: n.now()}
	if err := n.subs.put(c, v); err != nil {
		return sub{}, err
	}
	n.mu.Lock()
	n.tokens[c.UserID] = copperx.NewToken(p.Token.Reveal())
	n.mu.Unlock()
	n.async(n.resync)
	return v, nil
}

// render shows the state with the button that flips it.
func (n *Notify) render(c *kernel.Ctx, s sub) error {
	key, label, arg := "notify.status.on", "notify.button.turn_off", "off"
	if s.Off {
		key, label, arg = "notify.status.off", "notify.button.turn_on", "on"
	}
	kb := kernel.NewKeyboard().Row(c.Button(label, "set", arg))
	_, err := c.Show(c.T(key, nil), kb)
	return err
}

var (
	_ kernel.Plugin  = (*Notify)(nil)
	_ kernel.Service = (*Notify)(nil)
)
