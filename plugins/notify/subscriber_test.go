package notify

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestStartDropsExpired: on start, a stored subscription whose login is
// gone is dropped instead of subscribed.
func TestStartDropsExpired(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noStart: true, noLogin: true})
	ctx := context.Background()
	stale := subscription{User: 7, Chat: 7, Org: w.org, Since: r.n.now().Add(-loginGrace - 1)}
	if _, err := r.n.subscriptions.save(ctx, stale); err != nil {
		t.Fatal(err)
	}
	r.start()
	waitFor(t, "the stale subscription dropped", func() bool { index, _, _ := r.n.subscriptions.index(ctx); return len(index) == 0 })
	if n := len(w.emu.CallsTo("POST", "/api/notifications/auth")); n != 0 {
		t.Errorf("%d channel auth calls for a logged-out user", n)
	}
}

// TestStartKeepsFreshLogin: a subscription younger than loginGrace is
// kept even though its session holds no login yet (the login's update
// saves the session when it ends).
func TestStartKeepsFreshLogin(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noStart: true, noLogin: true})
	ctx := context.Background()
	fresh := subscription{User: 7, Chat: 7, Org: w.org, Since: r.n.now()}
	if _, err := r.n.subscriptions.save(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	r.start()
	r.n.resync(ctx) // resyncs run one at a time: at least one whole resync has run when it returns
	if index, _, _ := r.n.subscriptions.index(ctx); len(index) != 1 || !slices.Equal(index[w.org], []int64{7}) {
		t.Fatalf("index = %v, want %s: [7]", index, w.org)
	}
}

// TestLeaveOnClosedConnectionIsQuiet: leaving a channel as the websocket
// closes under it (a logout at shutdown) is no fault for the operator: a
// closed connection holds no channel.
func TestLeaveOnClosedConnectionIsQuiet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_, _, _ = conn.Read(r.Context()) // until the client closes
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.CloseNow()

	var logs bytes.Buffer
	n := New(nil, nil)
	n.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	channel := copperx.PrivateOrgChannel("org-1")
	n.pusher = &client{log: n.log, conn: conn, socketID: "1.2", live: map[string]bool{channel: true}}
	n.leave(ctx, channel)
	if strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "unsubscribe cut short") {
		t.Errorf("log:\n%s", logs.String())
	}
	if n.pusher.subscribed(channel) {
		t.Error("the channel is still counted as subscribed")
	}
}
