// Package notify is the deposit-notification plugin: when money arrives in
// a logged-in user's CopperX organization, the user gets a message with the
// amount, the network, the new balance and buttons to act on it, within
// seconds of CopperX's Pusher "deposit" event.
//
// Each replica keeps one websocket (a small Pusher protocol-7 client,
// pusher.go) carrying the private channels of the organizations it holds:
// the live replicas heartbeat in the shared store and every organization
// is held by two of them, chosen by rendezvous hashing (replicas.go). Who
// is subscribed lives in the store too (subs.go): a login
// (kernel.LoggedIn) records the user and subscribes that one organization,
// a logout (kernel.LoggedOut) removes it (subscriber.go). Each deposit is
// announced once across replicas and reconnects, and never lost to a
// Telegram outage: a short claim before sending, the seen mark after
// (delivery.go), under one key per deposit whether it came live or from
// the catch-up (deposit.go), which lists an organization's recent deposits
// after every (re)subscription (catchup.go). /notifications turns the
// messages off and on for one user (toggle.go).
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

const (
	channelPrefix = "private-org-"
	// loginGrace: a subscription this young is kept even though the
	// user's session has no principal yet (the login's update saves it
	// when it ends).
	loginGrace = 2 * time.Minute
	// workers bounds the deposits, subscriptions and catch-ups handled at
	// once.
	workers = 8
)

// Notify is the notify plugin.
type Notify struct {
	api  *copperx.Client
	nets copperx.Networks
	cfg  Config
	// websocketURL overrides plugins.notify.ws_url (WithWebsocketURL).
	websocketURL string
	log          *slog.Logger
	metrics      *metrics

	store         store.Store
	subscriptions subscriptionStore
	replicas      registry
	notifier      *kernel.Notifier
	sessions      *kernel.Sessions
	now           func() time.Time
	pusher        *client

	// Test hooks (constants in production).
	loginSkew time.Duration // see the constant
	idle      time.Duration // ping after this much silence (0: the server's)
	slowRetry time.Duration // see the constant in pusher.go
	recheck   time.Duration // see the constant in delivery.go

	mu sync.Mutex
	// live are the replicas alive at the last heartbeat (nil before it).
	live []string
	// index is the subscription index as last read, at indexVersion.
	index        orgIndex
	indexVersion int64
	// pending are subscribe requests awaiting Pusher's answer, by channel.
	pending map[string]pendingSubscription
	// refused are organizations CopperX or Pusher refused to subscribe;
	// retried at the next resync.
	refused map[string]bool
	// deferred are organizations none of whose users' sessions could be
	// read yet (logins in progress); retried at the next heartbeat.
	deferred map[string]bool

	runCtx     context.Context // the websocket and loops; nil before Start and after Stop
	workCtx    context.Context // jobs; outlives runCtx while Stop lets them finish
	cancel     context.CancelFunc
	cancelWork context.CancelFunc
	loops      sync.WaitGroup
	jobs       sync.WaitGroup
	slots      chan struct{} // one per job running (at most workers)
	queued     atomic.Int64  // jobs started and not finished
	later      *laterQueue
	// resyncing makes rebalances run one at a time.
	resyncing sync.Mutex
	// rebalanceAsked wakes rebalanceLoop, which rebalances with what was
	// asked since its last run.
	rebalanceAsked         chan struct{}
	askedReload, askedFull bool
}

// pendingSubscription is a pusher:subscribe sent and not answered yet.
type pendingSubscription struct {
	socketID string
	sent     time.Time
	// token signed the subscription; the catch-up that follows it uses it
	// (a login's session may not be saved yet). Never stored.
	token copperx.Token
}

// Option adjusts the plugin where config.yaml cannot: wiring done in code.
type Option func(*Notify)

// WithWebsocketURL makes the plugin dial url (ws:// or wss://) instead of
// plugins.notify.ws_url, such as the emulator's Pusher endpoint in the
// sandbox.
func WithWebsocketURL(url string) Option {
	return func(n *Notify) { n.websocketURL = url }
}

// New returns the plugin; nets is the networks: section of config.yaml
// (nil means copperx.DefaultNetworks).
func New(api *copperx.Client, nets copperx.Networks, opts ...Option) *Notify {
	if nets == nil {
		nets = copperx.DefaultNetworks()
	}
	n := &Notify{
		api: api, nets: nets, cfg: DefaultConfig(), now: time.Now, metrics: newMetrics(),
		loginSkew: loginSkew, slowRetry: slowRetry, recheck: recheckAfter,
		pending: map[string]pendingSubscription{}, refused: map[string]bool{}, deferred: map[string]bool{},
		slots: make(chan struct{}, workers), rebalanceAsked: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(n)
	}
	return n
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
	if n.websocketURL != "" {
		if !isWebsocketURL(n.websocketURL) {
			return fmt.Errorf("notify: WithWebsocketURL(%q): must be a ws:// or wss:// URL", n.websocketURL)
		}
		n.cfg.WSURL = n.websocketURL
	}
	if err := n.metrics.register(r.Metrics()); err != nil {
		return err
	}
	n.log = slog.New(quietOnCancel{r.Logger().Handler()})
	n.store = r.Store()
	n.subscriptions = subscriptionStore{store: n.store}
	n.replicas = registry{store: n.store, id: newReplicaID(), ttl: heartbeatTTLs * n.cfg.HeartbeatInterval}
	n.notifier = r.Notifier()
	n.sessions = r.Sessions()

	opts := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	r.Action("toggle", n.show, opts...)
	r.Callback("set", n.set, opts...) // set:on / set:off, edits the message in place
	r.Link("wallet.balance", "transfer.history")
	kernel.On(r, n.loggedIn)
	kernel.On(r, n.loggedOut)
	r.Service(n)
	return nil
}

// Start implements kernel.Service: the websocket, the heartbeat and the
// resync run in the background.
func (n *Notify) Start(ctx context.Context) error {
	base := context.WithoutCancel(ctx)
	runCtx, cancel := context.WithCancel(base)
	workCtx, cancelWork := context.WithCancel(base)
	n.pusher = &client{
		url: n.cfg.url(), min: n.cfg.ReconnectMin, max: n.cfg.ReconnectMax, slow: n.slowRetry, log: n.log,
		idle: n.idle, pongWait: pongTimeout, metrics: n.metrics,
		onConnect:    n.connected,
		onSubscribed: n.subscribed,
		onRefused:    n.refusedChannel,
		onEvent:      n.event,
	}
	n.later = newLaterQueue()
	n.mu.Lock()
	n.runCtx, n.workCtx, n.cancel, n.cancelWork = runCtx, workCtx, cancel, cancelWork
	n.live, n.index, n.indexVersion = nil, nil, 0
	n.mu.Unlock()
	n.log.Info("notify starting", "replica", n.replicas.id)
	n.loops.Go(func() { n.pusher.run(runCtx) })
	n.loops.Go(func() { n.heartbeatLoop(runCtx) })
	n.loops.Go(func() { n.rebalanceLoop(runCtx) })
	n.loops.Go(func() { n.later.run(runCtx, n.async) })
	return nil
}

// Stop implements kernel.Service: it closes the websocket, leaves the
// live set (the other replicas take this one's organizations at their
// next heartbeat), and lets the deposits in flight finish while ctx
// allows.
func (n *Notify) Stop(ctx context.Context) error {
	n.mu.Lock()
	cancel, cancelWork := n.cancel, n.cancelWork
	n.runCtx, n.cancel = nil, nil
	n.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	defer cancelWork()
	if err := wait(ctx, &n.loops); err != nil {
		return err
	}
	// After the loops: no heartbeat can write the key again.
	lctx, lcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	if err := n.replicas.leave(lctx); err != nil {
		n.log.Warn("could not leave the live set; the others take over when the heartbeat expires", "err", err)
	}
	lcancel()
	return wait(ctx, &n.jobs) // when ctx ends first, what is still sending gives up and releases its claim
}

// wait waits for wg, or for ctx to end.
func wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("notify: stop: %w", ctx.Err())
	}
}

// async runs f in the background (at most workers at once); after Stop
// it does nothing.
func (n *Notify) async(f func(ctx context.Context)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.runCtx == nil {
		return
	}
	ctx := n.workCtx
	n.queued.Add(1)
	n.jobs.Go(func() {
		defer n.queued.Add(-1)
		select {
		case n.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-n.slots }()
		f(ctx)
	})
}

var (
	_ kernel.Plugin  = (*Notify)(nil)
	_ kernel.Service = (*Notify)(nil)
)
