package notify

import (
	"context"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
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

// TestLogoutDuringSubscribeIsQuiet: a subscribe or a catch-up still
// holding the token of a user who has just logged out (the token revoked
// at CopperX) ends quietly: nobody is left to tell, so it is no fault for
// the operator. While somebody of the organization is still subscribed, a
// refused token stays a warning.
func TestLogoutDuringSubscribeIsQuiet(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{})
	w.ready(r)
	ctx := context.Background()
	token := copperx.NewToken(r.Token)
	channel := copperx.PrivateOrgChannel(w.org)

	r.U.Send("/fakelogout").Expect(t, "Logged out (test).")
	waitFor(t, "unsubscribed", func() bool { return !r.n.pusher.subscribed(channel) })
	if err := r.API.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	warnings := r.logs("level=WARN")
	r.n.catchUp(ctx, w.org, token)
	r.n.catchUp(ctx, w.org, copperx.Token{})
	r.n.subscribeOrg(ctx, w.org, token)
	if got := r.logs("level=WARN"); got != warnings {
		t.Errorf("%d warnings after the logout:\n%s", got-warnings, r.H.Logs.String())
	}
	if r.logs("nobody of the organization is logged in any more") != 3 {
		t.Errorf("the three attempts did not end as a logout race:\n%s", r.H.Logs.String())
	}
	r.n.mu.Lock()
	refused := r.n.refused[w.org]
	r.n.mu.Unlock()
	if refused {
		t.Error("the organization is marked refused: the next resync would try it again")
	}
	if r.n.pusher.subscribed(channel) {
		t.Error("subscribed with a revoked token")
	}

	// Logged in again, with a token CopperX then refuses: that one warns.
	r.Token = w.emu.IssueToken(plugintest.Email)
	r.login()
	w.ready(r)
	if err := r.API.Logout(ctx, copperx.NewToken(r.Token)); err != nil {
		t.Fatal(err)
	}
	warnings = r.logs("level=WARN")
	r.n.catchUp(ctx, w.org, copperx.Token{})
	if r.logs("level=WARN") != warnings+1 || r.logs("catch-up: list deposits") != 1 {
		t.Errorf("a subscriber's refused token did not warn:\n%s", r.H.Logs.String())
	}
}
