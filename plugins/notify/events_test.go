package notify

import (
	"context"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestLogin: kernel.LoggedIn records the user's subscription (chat,
// organization, language) and subscribes the organization's channel.
func TestLogin(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{lang: "es"})
	w.ready(r)
	s, err := r.n.subscriptions.get(context.Background(), r.U.UserID)
	if err != nil || s == nil {
		t.Fatalf("stored subscription = %+v, %v", s, err)
	}
	if s.Chat != r.U.ChatID || s.Org != w.org || s.Lang != "es" || s.Off {
		t.Errorf("stored subscription = %+v", s)
	}
	if n := len(w.emu.CallsTo("POST", "/api/notifications/auth")); n != 1 {
		t.Errorf("%d channel auth calls, want 1", n)
	}
}

// TestLogout: kernel.LoggedOut removes the subscription, leaves the
// channel and forgets the catch-up mark; deposits then reach nobody.
func TestLogout(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{})
	w.ready(r)
	r.U.Send("/fakelogout").Expect(t, "Logged out (test).")

	ctx := context.Background()
	channel := copperx.PrivateOrgChannel(w.org)
	waitFor(t, "unsubscribed", func() bool { return !r.n.pusher.subscribed(channel) })
	waitFor(t, "mark forgotten", func() bool { raw, _, _ := r.H.Store.Get(ctx, lastKey(w.org), 0); return raw == nil })
	if s, _ := r.n.subscriptions.get(ctx, r.U.UserID); s != nil {
		t.Fatalf("subscription still stored: %+v", s)
	}
	if index, _, _ := r.n.subscriptions.index(ctx); len(index) != 0 {
		t.Fatalf("index = %v", index)
	}
	w.deposit("10", "137")
	exactDeposits(t, 0, r)
	r.U.Send("/notifications").Expect(t, "Please log in first")
	exactDeposits(t, 0, r)
}
