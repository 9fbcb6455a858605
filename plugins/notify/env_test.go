package notify

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// The test world: one CopperX emulator whose Pusher endpoint sits behind a
// gate the test can close, and one or more bot replicas (plugintest's
// kernel with FakeAuth and this plugin) that may share a store.

// sealer is the session key every replica shares (they open each other's
// sessions).
const sealer = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// replicaConfig binds /notifications and the stand-ins for /balance and
// /history (where a deposit's buttons lead), and makes reconnects and
// heartbeats quick; the websocket URL comes from WithWebsocketURL.
const replicaConfig = `
session:
  encryption_key: "` + sealer + `"
commands:
  - {name: notifications, action: notify.toggle, menu: true}
  - {name: balance, action: wallet.balance}
  - {name: history, action: transfer.history}
plugins:
  wallet: {enabled: true}
  transfer: {enabled: true}
  notify: {enabled: true, reconnect_min: 10ms, reconnect_max: 50ms, heartbeat_interval: 50ms}
`

// stub stands in for the plugin whose action a deposit's button leads to:
// it answers with the action and its arguments.
type stub struct{ name, action string }

func (s stub) Name() string { return s.name }

func (s stub) Setup(r *kernel.Registrar) error {
	r.Action(s.action, func(c *kernel.Ctx) error {
		_, err := c.Send(strings.TrimSpace("(stub) "+s.name+"."+s.action+" "+strings.Join(c.Args(), " ")), nil)
		return err
	})
	return nil
}

// stubs are the plugins a deposit's buttons lead to.
func stubs() []kernel.Plugin {
	return []kernel.Plugin{stub{"wallet", "balance"}, stub{"transfer", "history"}}
}

// gate serves the emulator's websocket through a listener it controls:
// drop closes every connection, block refuses new ones (503).
type gate struct {
	srv     *httptest.Server
	blocked atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

type trackListener struct {
	net.Listener
	g *gate
}

func (l trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.g.mu.Lock()
		l.g.conns = append(l.g.conns, c)
		l.g.mu.Unlock()
	}
	return c, err
}

func newGate(t *testing.T, h http.Handler) *gate {
	g := &gate{}
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.blocked.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	g.srv.Listener = trackListener{Listener: g.srv.Listener, g: g}
	g.srv.Start()
	t.Cleanup(func() { g.drop(); g.srv.Close() })
	return g
}

// url is the websocket URL of path on the gate.
func (g *gate) url(path string) string { return "ws" + strings.TrimPrefix(g.srv.URL, "http") + path }

// drop closes every connection made so far.
func (g *gate) drop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.conns {
		_ = c.Close()
	}
	g.conns = nil
}

// world is the CopperX side of a test: the emulator with plugintest.Email
// seeded, and its Pusher endpoint behind a gate.
type world struct {
	t    *testing.T
	emu  *copperxtest.Server
	gate *gate
	org  string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	emu := copperxtest.NewTestServer(t)
	_, org := emu.SeedUser(plugintest.Email)
	return &world{t: t, emu: emu, gate: newGate(t, emu), org: org}
}

// wsURL is the emulator's Pusher endpoint behind the gate.
func (w *world) wsURL() string {
	return w.gate.url("/app/" + w.emu.PusherKey() + "?protocol=7&client=go&version=1.0")
}

// deposit makes a deposit at the emulator; it returns the transfer's id
// and transaction hash.
func (w *world) deposit(amount, network string) (transferID, hash string) {
	w.t.Helper()
	id, err := w.emu.Deposit(w.org, decimal.RequireFromString(amount), "USDC", network)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, t := range w.emu.Transfers(plugintest.Email) {
		if t.ID == id && len(t.Transactions) > 0 {
			return id, t.Transactions[0].TransactionHash
		}
	}
	w.t.Fatalf("deposit %s not listed", id)
	return "", ""
}

// replica is one bot process; its user (42) is e.U.
type replica struct {
	*plugintest.Env
	n    *Notify
	stop func() // stops the services (again at cleanup: harmless)
}

type replicaOptions struct {
	store   store.Store   // shared with another replica; nil: a fresh one
	wsURL   string        // "" = the gate
	lang    string        // the user's Telegram language ("" = en)
	idle    time.Duration // ping after this much silence (0: the server's)
	config  string        // YAML merged over replicaConfig
	noStart bool          // leave the services stopped (start them with start)
	noLogin bool          // leave the user logged out (log in with login)
}

// replica builds a replica, starts its services (stopped at cleanup) and
// logs its user in, unless told not to.
func (w *world) replica(o replicaOptions) *replica {
	w.t.Helper()
	url := o.wsURL
	if url == "" {
		url = w.wsURL()
	}
	config, err := plugintest.MergeYAML(replicaConfig, o.config)
	if err != nil {
		w.t.Fatal(err)
	}
	var n *Notify
	env := plugintest.New(w.t, plugintest.Options{
		Plugins: func(api *copperx.Client) []kernel.Plugin {
			n = New(api, nil, WithWebsocketURL(url))
			n.idle = o.idle
			n.recheck = 50 * time.Millisecond
			return append(stubs(), n)
		},
		Config:   config,
		Emulator: w.emu,
		Store:    o.store,
		Lang:     o.lang,
		NoLogin:  true,
	})
	r := &replica{Env: env, n: n}
	if !o.noStart {
		r.start()
	}
	if !o.noLogin {
		r.login()
	}
	return r
}

// start starts the replica's services.
func (r *replica) start() {
	r.T.Helper()
	stop, err := r.H.Kernel.StartServices(context.Background())
	if err != nil {
		r.T.Fatal(err)
	}
	r.stop = stop
	r.T.Cleanup(stop)
}

// metric is the value of a series on the replica's /metrics
// ("bot_notify_websocket_up", `bot_notify_deposits_total{outcome="announced"}`),
// -1 when it is not there.
func (r *replica) metric(series string) float64 {
	rec := httptest.NewRecorder()
	r.H.Kernel.HTTPHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == series {
			f, err := strconv.ParseFloat(value, 64)
			if err != nil {
				r.T.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

// deposited counts the replica's deposits by outcome.
func (r *replica) deposited(outcome string) float64 {
	return r.metric(`bot_notify_deposits_total{outcome="` + outcome + `"}`)
}

// liveReplicas is the live set as the replica saw it at its last heartbeat.
func (r *replica) liveReplicas() []string {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	return slices.Clone(r.n.live)
}

// countingStore counts the reads of keys by prefix.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	reads map[string]int
}

func newCountingStore(s store.Store) *countingStore {
	return &countingStore{Store: s, reads: map[string]int{}}
}

func (c *countingStore) Get(ctx context.Context, key string, ttl time.Duration) ([]byte, int64, error) {
	c.mu.Lock()
	for _, prefix := range []string{"sess:", "notify:sub:"} {
		if strings.HasPrefix(key, prefix) {
			c.reads[prefix]++
		}
	}
	c.mu.Unlock()
	return c.Store.Get(ctx, key, ttl)
}

// count returns and resets the reads of keys starting with prefix.
func (c *countingStore) count(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.reads[prefix]
	c.reads[prefix] = 0
	return n
}

// login logs the user in through FakeAuth (which emits kernel.LoggedIn).
func (r *replica) login() { r.T.Helper(); r.Login(r.U, "") }

// logs counts the lines of the replica's log that contain s.
func (r *replica) logs(s string) int { return strings.Count(r.H.Logs.String(), s) }

// ready waits until the replica has subscribed the org's channel and the
// first catch-up has set its mark (so a deposit from now on is new).
func (w *world) ready(r *replica) {
	w.t.Helper()
	channel := copperx.PrivateOrgChannel(w.org)
	waitFor(w.t, "subscribed", func() bool { return r.n.pusher != nil && r.n.pusher.subscribed(channel) })
	waitFor(w.t, "catch-up mark", func() bool {
		raw, _, _ := r.H.Store.Get(context.Background(), lastKey(w.org), 0)
		return raw != nil && r.logs("catch-up finished") > 0
	})
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronization
	}
}

// deposits are the deposit messages the fake Telegram of each replica
// received in the user's chat.
func deposits(replicas ...*replica) []*fakebot.Message {
	var out []*fakebot.Message
	for _, r := range replicas {
		for _, m := range r.H.API.Messages(r.U.ChatID) {
			if strings.Contains(m.Text, "Deposit received") || strings.Contains(m.Text, "Depósito recibido") {
				out = append(out, m)
			}
		}
	}
	return out
}

// waitDeposits waits until the user has at least n deposit messages and
// fails if there are more.
func waitDeposits(t *testing.T, n int, replicas ...*replica) []*fakebot.Message {
	t.Helper()
	waitFor(t, "deposit messages", func() bool { return len(deposits(replicas...)) >= n })
	return exactDeposits(t, n, replicas...)
}

// exactDeposits fails unless the user has exactly n deposit messages now.
func exactDeposits(t *testing.T, n int, replicas ...*replica) []*fakebot.Message {
	t.Helper()
	got := deposits(replicas...)
	if len(got) != n {
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Text)
		}
		t.Fatalf("%d deposit messages, want %d:\n%s", len(got), n, strings.Join(texts, "\n---\n"))
	}
	return got
}
