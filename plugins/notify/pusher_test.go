package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/copperx-bot/payoutbot/copperx"
)

// fakePusher is a scriptable Pusher server: script runs per connection
// (n counts from 1); everything the client sends is recorded.
type fakePusher struct {
	srv    *httptest.Server
	conns  atomic.Int32
	mu     sync.Mutex
	events []string
	at     []time.Time // when each connection came
	script func(ctx context.Context, ws *websocket.Conn, n int32, in <-chan frame)
}

func newFakePusher(t *testing.T, script func(ctx context.Context, ws *websocket.Conn, n int32, in <-chan frame)) *fakePusher {
	f := &fakePusher{script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		f.mu.Lock()
		f.at = append(f.at, time.Now())
		f.mu.Unlock()
		n := f.conns.Add(1)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		in := make(chan frame, 64)
		go func() {
			defer close(in)
			for {
				_, b, err := ws.Read(ctx)
				if err != nil {
					cancel()
					return
				}
				var fr frame
				_ = json.Unmarshal(b, &fr)
				f.mu.Lock()
				f.events = append(f.events, fr.Event)
				f.mu.Unlock()
				in <- fr
			}
		}()
		f.script(ctx, ws, n, in)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePusher) url() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/app/key?protocol=7"
}

// gap is the time between the first two connections.
func (f *fakePusher) gap() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.at) < 2 {
		return 0
	}
	return f.at[1].Sub(f.at[0])
}

func (f *fakePusher) received(event string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.events, event)
}

// say sends a raw frame.
func say(ctx context.Context, ws *websocket.Conn, s string) {
	_ = ws.Write(ctx, websocket.MessageText, []byte(s))
}

const established = `{"event":"pusher:connection_established","data":"{\"socket_id\":\"123.456\",\"activity_timeout\":120}"}`

// TestMalformedEvents: odd payloads are logged and skipped or announced
// with what they do tell; nothing crashes; a repeated event is announced
// once; pings are answered and sent after silence.
func TestMalformedEvents(t *testing.T) {
	w := newWorld(t)
	channel := copperx.PrivateOrgChannel(w.org)
	quoted := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	loggedIn := make(chan struct{}) // the login's session is saved: balances can be read
	fp := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, _ int32, in <-chan frame) {
		say(ctx, ws, established)
		for fr := range in {
			switch fr.Event {
			case "pusher:ping":
				say(ctx, ws, `{"event":"pusher:pong","data":"{}"}`)
			case "pusher:subscribe":
				say(ctx, ws, `{"event":"pusher_internal:subscription_succeeded","channel":"`+channel+`","data":"{}"}`)
				say(ctx, ws, `{"event":"pusher:ping","data":"{}"}`)
				<-loggedIn
				for _, s := range []string{
					`not json at all`,
					`{"event":"deposit","channel":"` + channel + `","data":"not json"}`,
					`{"event":"deposit","channel":"` + channel + `","data":"[1,2]"}`,
					`{"event":"deposit","channel":"` + channel + `","data":` + quoted(`{"amount":{"x":1},"metadata":"oops","currency":"<b>"}`) + `}`,
					`{"event":"deposit","channel":"` + channel + `","data":{"amount":5,"currency":"usdc","network":137,"txId":"0xABCDEF0123"}}`,
					`{"event":"deposit","channel":"` + channel + `","data":{"amount":"5","currency":"USDC","metadata":{"network":"137","txHash":"0xabcdef0123"}}}`,
					`{"event":"deposit","channel":"private-org-nobody","data":"{}"}`,
					`{"event":"deposit","channel":"public","data":"{}"}`,
					`{"event":"transfer","channel":"` + channel + `","data":"{}"}`,
					`{"event":"pusher:error","data":{"code":null,"message":"Invalid signature: Expected HMAC SHA256 hex digest of 1.2:x, but got secret-ish"}}`,
				} {
					say(ctx, ws, s)
				}
			}
		}
	})
	r := w.replica(replicaOptions{wsURL: fp.url(), idle: 30 * time.Millisecond})
	close(loggedIn)
	waitDeposits(t, 2, r)
	// Every deposit event handled: two on the org's channel sent, the
	// repeated one (the same hash written two ways) recognized, the one
	// of an organization nobody here belongs to sent to nobody.
	waitFor(t, "every deposit event handled", func() bool {
		return r.logs("deposit announced") == 3 && r.logs("deposit already announced") == 1
	})
	got := exactDeposits(t, 2, r)
	texts := got[0].Text + "\n---\n" + got[1].Text + "\n---" // handled concurrently: any order
	for _, want := range []string{
		"💰 <b>Deposit received</b>\nA deposit arrived.\nType /balance to see your balances.\n---",                                                         // no usable details, no link
		"You received <b>5.00 USDC</b> on Polygon.\nNew balance on Polygon: <b>1,250.50 USDC</b>\n🔎 <a href=\"https://polygonscan.com/tx/0xabcdef0123\">", // flat, numbers
	} {
		if !strings.Contains(texts, want) {
			t.Errorf("no message says %q:\n%s", want, texts)
		}
	}
	if n := r.logs("recipients=1"); n != 2 {
		t.Errorf("%d deposits announced to the user, want 2", n)
	}
	if n := r.logs("malformed deposit event ignored"); n != 2 {
		t.Errorf("%d malformed events logged, want 2", n)
	}
	if strings.Contains(r.H.Logs.String(), "secret-ish") {
		t.Error("the quoted signature reached the logs")
	}
	waitFor(t, "a pong to the server's ping", func() bool { return fp.received("pusher:pong") })
	waitFor(t, "a ping after silence", func() bool { return fp.received("pusher:ping") })
	if fp.conns.Load() != 1 {
		t.Errorf("%d connections, want 1", fp.conns.Load())
	}
}

// TestPusherErrors: 4000-4099 errors only a config change fixes (a wrong
// app key, a protocol version) stop for good; the other 4000-4099 (over
// quota, unauthorized) retry slowly; 4100-4199 back off, 4200-4299
// reconnect at once; other errors keep the connection.
func TestPusherErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		first     string // frame instead of connection_established ("" = send that)
		then      string // frame after it
		closeCode websocket.StatusCode
		min       time.Duration
		slow      time.Duration // the slow retry (default: an hour)
		wantConns int32         // at least this many connections soon...
		stops     bool          // ...and the client gives up (exactly one connection)
		minGap    time.Duration // ...the second connection this long after the first
	}{
		{name: "4001 before established", first: `{"event":"pusher:error","data":{"code":4001,"message":"App key not in this cluster"}}`, stops: true, wantConns: 1, min: 10 * time.Millisecond},
		{name: "4007 close code", closeCode: 4007, stops: true, wantConns: 1, min: 10 * time.Millisecond},
		{name: "4005 path not found", first: `{"event":"pusher:error","data":{"code":4005,"message":"Path not found"}}`, stops: true, wantConns: 1, min: 10 * time.Millisecond},
		{name: "4009 close code retries slowly", closeCode: 4009, wantConns: 2, min: time.Millisecond, slow: 300 * time.Millisecond, minGap: 150 * time.Millisecond},
		{name: "4004 over quota retries slowly", then: `{"event":"pusher:error","data":{"code":4004,"message":"Over connection quota"}}`, wantConns: 2, min: time.Millisecond, slow: 300 * time.Millisecond, minGap: 150 * time.Millisecond},
		{name: "4100 backs off", then: `{"event":"pusher:error","data":{"code":4100,"message":"Over capacity"}}`, wantConns: 3, min: 10 * time.Millisecond},
		{name: "4201 reconnects at once", then: `{"event":"pusher:error","data":"{\"code\":4201,\"message\":\"Pong reply not received\"}"}`, wantConns: 3, min: time.Hour},
		{name: "4301 close code backs off", closeCode: 4301, wantConns: 3, min: 10 * time.Millisecond},
		{name: "null code keeps the connection", then: `{"event":"pusher:error","data":{"code":null,"message":"Invalid subscription"}}`, wantConns: 1, min: 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, _ int32, in <-chan frame) {
				if tc.first != "" {
					say(ctx, ws, tc.first)
					return
				}
				say(ctx, ws, established)
				if tc.then != "" {
					say(ctx, ws, tc.then)
				}
				if tc.closeCode != 0 {
					_ = ws.Close(tc.closeCode, "bye")
					return
				}
				// A ping after the error: its pong proves the client read
				// the error and kept the connection.
				say(ctx, ws, `{"event":"pusher:ping","data":"{}"}`)
				for range in {
				}
			})
			slow := tc.slow
			if slow == 0 {
				slow = time.Hour
			}
			c := &client{url: fp.url(), min: tc.min, max: tc.min, slow: slow, log: slog.New(slog.DiscardHandler), pongWait: time.Second,
				onConnect: func(string) {}, onSubscribed: func(string) {}, onEvent: func(string, string, []byte) {}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { c.run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			waitFor(t, "connections", func() bool { return fp.conns.Load() >= tc.wantConns })
			if tc.stops {
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Fatal("the client did not give up")
				}
				c.mu.Lock()
				gaveUp := c.gaveUp
				c.mu.Unlock()
				if gaveUp == nil || c.usable() {
					t.Errorf("stopped with reason %v, usable %v", gaveUp, c.usable())
				}
			}
			if tc.wantConns == 1 && !tc.stops {
				waitFor(t, "a pong on the first connection", func() bool { return fp.received("pusher:pong") })
			}
			if tc.stops || tc.wantConns == 1 {
				// A client that gave up dials no more; one that answered
				// the ping after the error is still on its first connection.
				if n := fp.conns.Load(); n != 1 {
					t.Errorf("%d connections, want 1", n)
				}
			}
			if gap := fp.gap(); tc.minGap > 0 && gap < tc.minGap {
				t.Errorf("reconnected after %v, want at least %v", gap, tc.minGap)
			}
		})
	}
}

// TestSlowRetryLeavesTheLiveSet: while Pusher refuses with a 4000-4099
// error that is not a config error, the client is not usable (the replica
// holds nothing and leaves the live set); it is again once connected.
func TestSlowRetryLeavesTheLiveSet(t *testing.T) {
	refuse := make(chan struct{})
	fp := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, n int32, in <-chan frame) {
		say(ctx, ws, established)
		if n == 1 {
			<-refuse
			_ = ws.Close(4003, "Application disabled")
			return
		}
		for range in {
		}
	})
	c := &client{url: fp.url(), min: time.Millisecond, max: time.Millisecond, slow: 200 * time.Millisecond, log: slog.New(slog.DiscardHandler),
		pongWait: time.Second, onConnect: func(string) {}, onSubscribed: func(string) {}, onEvent: func(string, string, []byte) {}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "connected", func() bool { conn, _ := c.current(); return conn != nil })
	if !c.usable() {
		t.Fatal("not usable while connected")
	}
	close(refuse)
	waitFor(t, "the refusal", func() bool { return !c.usable() })
	waitFor(t, "the slow retry", func() bool { conn, _ := c.current(); return conn != nil && fp.conns.Load() == 2 })
	if !c.usable() {
		t.Error("not usable after reconnecting")
	}
}

// TestSubscriptionRefused: pusher_internal:subscription_error is handed to
// onRefused with its channel; the connection stays.
func TestSubscriptionRefused(t *testing.T) {
	fp := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, _ int32, in <-chan frame) {
		say(ctx, ws, established)
		for fr := range in {
			if fr.Event == "pusher:subscribe" {
				say(ctx, ws, `{"event":"pusher_internal:subscription_error","channel":"private-org-x","data":"{\"type\":\"AuthError\",\"status\":403}"}`)
				say(ctx, ws, `{"event":"pusher:ping","data":"{}"}`)
			}
		}
	})
	refused := make(chan string, 1)
	c := &client{url: fp.url(), min: time.Hour, max: time.Hour, slow: time.Hour, log: slog.New(slog.DiscardHandler), pongWait: time.Second,
		onConnect: func(string) {}, onSubscribed: func(string) {}, onEvent: func(string, string, []byte) {},
		onRefused: func(channel string) { refused <- channel }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "connected", func() bool { conn, _ := c.current(); return conn != nil })
	if err := c.subscribe(ctx, "private-org-x", func(context.Context, string) (string, error) { return "k:sig", nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case ch := <-refused:
		if ch != "private-org-x" {
			t.Errorf("refused %q", ch)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("onRefused not called")
	}
	waitFor(t, "a pong after the refusal", func() bool { return fp.received("pusher:pong") })
	if c.subscribed("private-org-x") || fp.conns.Load() != 1 {
		t.Errorf("subscribed %v, %d connections", c.subscribed("private-org-x"), fp.conns.Load())
	}
}

// TestBackoff: doubling from min, capped at max, jittered in [d/2, d].
func TestBackoff(t *testing.T) {
	c := &client{min: 100 * time.Millisecond, max: time.Second}
	for _, tc := range []struct {
		n        int
		lo, high time.Duration
	}{
		{0, 50 * time.Millisecond, 100 * time.Millisecond},
		{1, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 400 * time.Millisecond, 800 * time.Millisecond},
		{10, 500 * time.Millisecond, time.Second},
		{100, 500 * time.Millisecond, time.Second},
	} {
		for range 50 {
			if d := c.backoff(tc.n); d < tc.lo || d > tc.high {
				t.Fatalf("backoff(%d) = %v, want [%v, %v]", tc.n, d, tc.lo, tc.high)
			}
		}
	}
}
