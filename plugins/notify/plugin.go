// Package notify is the deposit-notification plugin: when money arrives in
// a logged-in user's CopperX organization, the user gets a message with the
// amount, the network and the new balance, within seconds of CopperX's
// Pusher "deposit" event.
//
// One websocket per bot process (a small Pusher protocol-7 client, pusher.go)
// carries the private channel of every subscribed organization. Who is
// subscribed lives in the shared store (subs.go): a login (kernel.LoggedIn)
// records the user and subscribes the organization's channel with that
// user's token, a logout (kernel.LoggedOut) removes it, and every replica
// re-reads the list on connect and every resync_interval (subscriber.go).
// Each deposit is announced once across replicas and reconnects: the first
// replica to write notify:seen:<org>:<id> (the tx hash) sends it
// (deposit.go). After every (re)subscription the plugin lists the
// organization's recent deposits and announces those the websocket missed
// (catchup.go). /notifications turns the messages off and on for one user
// (toggle.go).
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	// workers bounds the deposits and catch-ups handled at once.
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

	store         store.Store
	subscriptions subscriptionStore
	notifier      *kernel.Notifier
	sessions      *kernel.Sessions
	now           func() time.Time
	// loginSkew: see the constant; tests set it to 0.
	loginSkew time.Duration
	pusher    *client
	idle      time.Duration // test hook: ping after this much silence

	mu      sync.Mutex
	tokens  map[int64]copperx.Token // from logins seen by this process
	pending map[string]string       // channel → socket id of a subscribe awaiting its answer
	ctx     context.Context         // the service's; nil before Start
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	slots   chan struct{} // one per background job running (at most workers)
	// resyncing makes resyncs run one at a time.
	resyncing sync.Mutex
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
		api: api, nets: nets, cfg: DefaultConfig(), now: time.Now, loginSkew: loginSkew,
		tokens: map[int64]copperx.Token{}, pending: map[string]string{}, slots: make(chan struct{}, workers),
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
	n.log = r.Logger()
	n.store = r.Store()
	n.subscriptions = subscriptionStore{store: n.store}
	n.notifier = r.Notifier()
	n.sessions = r.Sessions()

	opts := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}
	r.Action("toggle", n.show, opts...)
	r.Callback("set", n.set, opts...) // set:on / set:off, edits the message in place
	kernel.On(r, n.loggedIn)
	kernel.On(r, n.loggedOut)
	r.Service(n)
	return nil
}

// Start implements kernel.Service: the websocket runs in the background.
func (n *Notify) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.pusher = &client{
		url: n.cfg.url(), min: n.cfg.ReconnectMin, max: n.cfg.ReconnectMax, log: n.log,
		idle: n.idle, pongWait: pongTimeout,
		onConnect:    n.connected,
		onSubscribed: n.subscribed,
		onEvent:      n.event,
	}
	n.mu.Lock()
	n.ctx, n.cancel = ctx, cancel
	n.mu.Unlock()
	n.wg.Go(func() { n.pusher.run(ctx) })
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

// async runs f in the background (at most workers at once), on the
// service's context; before Start or after Stop it does nothing.
func (n *Notify) async(f func(ctx context.Context)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ctx := n.ctx
	if ctx == nil {
		return
	}
	n.wg.Go(func() {
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
