package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
)

// TestDepositMessage: a deposit reaches the user's chat once, with the
// amount, the network's name and the new balance, in their language.
func TestDepositMessage(t *testing.T) {
	for _, tc := range []struct {
		lang, network, amount string
		want                  []string
	}{
		{"en", "137", "10", []string{"You received <b>10.00 USDC</b> on Polygon.", "New balance on Polygon: <b>1,260.50 USDC</b>"}},
		{"es", "8453", "1234.5", []string{"Recibiste <b>1.234,50 USDC</b> en Base.", "Nuevo saldo en Base: <b>1.534,50 USDC</b>"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			b := e.bot(botOpts{})
			e.login(b, tc.lang)
			e.ready(b)
			e.deposit(tc.amount, tc.network)
			got := waitDeposits(t, 42, 1, b)
			for _, w := range tc.want {
				if !strings.Contains(got[0].Text, w) {
					t.Errorf("message lacks %q:\n%s", w, got[0].Text)
				}
			}
			if got[0].ChatID != 42 || got[0].ParseMode != "HTML" {
				t.Errorf("sent to chat %d with parse mode %q", got[0].ChatID, got[0].ParseMode)
			}
			golden(t, "deposit_"+tc.lang, got[0].Text+"\n")
			if n := len(e.emu.CallsTo("GET", "/api/wallets/balances")); n != 1 {
				t.Errorf("%d balance calls, want 1", n)
			}
		})
	}
}

// TestTwoReplicas: two bot processes sharing one store both hold the
// channel; the deposit is announced exactly once.
func TestTwoReplicas(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	shared := store.NewRedis(rdb, prefix)
	e := newEnv(t)
	a := e.bot(botOpts{store: shared})
	b := e.bot(botOpts{store: shared, noStart: true})
	e.login(a, "en")
	e.ready(a)
	b.start(t) // loads the index written by a's login, subscribes with the session's token
	e.ready(b)
	for i, amount := range []string{"10", "2.5", "7"} {
		e.deposit(amount, "137")
		waitDeposits(t, 42, i+1, a, b)
	}
	// Both replicas got every event (a catch-up after a late subscription
	// may see one again); the store let exactly one of them send each.
	count := func(s string) int { return strings.Count(a.h.Logs.String(), s) + strings.Count(b.h.Logs.String(), s) }
	waitFor(t, "both replicas handled every event", func() bool { return count("deposit already announced") >= 3 })
	if n := count("deposit announced"); n != 3 {
		t.Errorf("%d announcements, want 3", n)
	}
	if got := deposits(42, a, b); len(got) != 3 {
		t.Errorf("%d deposit messages, want 3", len(got))
	}
}

// TestReconnectCatchUp: a deposit made while the websocket is down is
// announced after the reconnect, once; the one announced live before is
// not repeated by the catch-up.
func TestReconnectCatchUp(t *testing.T) {
	e := newEnv(t)
	b := e.bot(botOpts{})
	e.login(b, "en")
	e.ready(b)
	e.deposit("10", "137")
	waitDeposits(t, 42, 1, b)

	ch := copperx.PrivateOrgChannel(e.org)
	e.gate.blocked.Store(true)
	e.gate.drop()
	waitFor(t, "disconnect", func() bool { return !b.n.pc.subscribed(ch) })
	e.deposit("20", "42161") // nobody listens...
	for i := range 11 {      // ...to more than one page of deposits
		e.deposit(fmt.Sprint(i+1), "137")
	}
	before := len(e.emu.CallsTo("GET", "/api/transfers"))
	e.gate.blocked.Store(false)

	got := waitDeposits(t, 42, 13, b)
	if !strings.Contains(got[1].Text, "<b>20.00 USDC</b> on Arbitrum One") || !strings.Contains(got[1].Text, "95.25 USDC") {
		t.Errorf("caught-up message:\n%s", got[1].Text)
	}
	if n := len(e.emu.CallsTo("GET", "/api/transfers")); n <= before {
		t.Error("no catch-up listing after the reconnect")
	}
	// Live again.
	if !strings.Contains(got[12].Text, "<b>11.00 USDC</b> on Polygon") {
		t.Errorf("last caught-up message:\n%s", got[12].Text)
	}
	e.deposit("5", "137")
	waitDeposits(t, 42, 14, b)
}

// TestToggle: /notifications shows the state with a button; off means
// no message; on again brings them back. The button edits in place.
func TestToggle(t *testing.T) {
	e := newEnv(t)
	b := e.bot(botOpts{})
	u := e.login(b, "en")
	e.ready(b)

	u.Send("/notifications").Expect(t, "Deposit notifications are <b>on</b>")
	if m := u.Last(); len(m.AllButtons()) != 1 || m.AllButtons()[0].Data != "notify:set:off" {
		t.Fatalf("buttons: %+v", m.AllButtons())
	}
	r := u.Tap("🔕 Turn off").Expect(t, "Deposit notifications are <b>off</b>")
	if r.Kinds()[0] != "edit" {
		t.Errorf("the tap did %v, want an edit in place", r.Kinds())
	}
	s, err := b.n.subs.get(context.Background(), 42)
	if err != nil || s == nil || !s.Off {
		t.Fatalf("stored sub = %+v, %v", s, err)
	}
	e.deposit("10", "137")
	waitFor(t, "the deposit handled", func() bool { return strings.Contains(b.h.Logs.String(), "recipients=0") })
	if got := deposits(42, b); len(got) != 0 {
		t.Fatalf("a message while off: %s", got[0].Text)
	}

	u.Tap("🔔 Turn on").Expect(t, "<b>on</b>")
	e.deposit("3", "137")
	waitDeposits(t, 42, 1, b)

	// A stale or forged button.
	u.Handle(u.CallbackUpdate(u.Last().ID, "notify:set:maybe")).Expect(t, "This button has expired")
}

// TestLogout: logging out removes the sub, leaves the channel and forgets
// the catch-up mark; deposits then reach nobody.
func TestLogout(t *testing.T) {
	e := newEnv(t)
	b := e.bot(botOpts{})
	u := e.login(b, "en")
	e.ready(b)
	u.Send("/fakelogout").Expect(t, "Logged out (test).")

	ctx := context.Background()
	ch := copperx.PrivateOrgChannel(e.org)
	waitFor(t, "unsubscribed", func() bool { return !b.n.pc.subscribed(ch) })
	waitFor(t, "mark forgotten", func() bool { raw, _, _ := b.h.Store.Get(ctx, lastKey(e.org), 0); return raw == nil })
	if s, _ := b.n.subs.get(ctx, 42); s != nil {
		t.Fatalf("sub still stored: %+v", s)
	}
	if ids, _, _ := b.n.subs.index(ctx); len(ids) != 0 {
		t.Fatalf("index = %v", ids)
	}
	e.deposit("10", "137")
	waitDeposits(t, 42, 0, b)
	u.Send("/notifications").Expect(t, "Please log in first")
}

// TestStartDropsExpired: on start, a stored sub whose login is gone is
// dropped instead of subscribed.
func TestStartDropsExpired(t *testing.T) {
	e := newEnv(t)
	b := e.bot(botOpts{noStart: true})
	ctx := context.Background()
	old := sub{User: 7, Chat: 7, Org: e.org, Since: b.n.now().Add(-loginGrace - 1)}
	if err := b.n.subs.put(ctx, old); err != nil {
		t.Fatal(err)
	}
	b.start(t)
	waitFor(t, "the stale sub dropped", func() bool { ids, _, _ := b.n.subs.index(ctx); return len(ids) == 0 })
	if n := len(e.emu.CallsTo("POST", "/api/notifications/auth")); n != 0 {
		t.Errorf("%d channel auth calls for a logged-out user", n)
	}
}

// TestIndexConcurrent: the index survives concurrent logins (CompareAndSwap).
func TestIndexConcurrent(t *testing.T) {
	s := subs{st: store.NewMemory()}
	ctx := context.Background()
	done := make(chan error)
	for i := range 20 {
		go func() { done <- s.put(ctx, sub{User: int64(i + 1), Org: "o"}) }()
	}
	for range 20 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	ids, _, err := s.index(ctx)
	if err != nil || len(ids) != 20 {
		b, _ := json.Marshal(ids)
		t.Fatalf("index = %s, %v", b, err)
	}
}

// TestOldDepositsStayQuiet: deposits from before the login are not
// announced, not at login and not by the catch-up after a reconnect.
func TestOldDepositsStayQuiet(t *testing.T) {
	e := newEnv(t)
	b := e.bot(botOpts{})
	e.deposit("10", "137")
	e.deposit("11", "137")
	b.n.loginSkew = 0 // the deposits above are milliseconds old, not seconds
	e.login(b, "en")
	e.ready(b)
	calls := len(e.emu.CallsTo("GET", "/api/transfers"))
	e.gate.drop()
	waitFor(t, "the catch-up after the reconnect", func() bool { return len(e.emu.CallsTo("GET", "/api/transfers")) > calls })
	waitDeposits(t, 42, 0, b)
	e.deposit("12", "137")
	got := waitDeposits(t, 42, 1, b)
	if !strings.Contains(got[0].Text, "12.00 USDC") {
		t.Errorf("message:\n%s", got[0].Text)
	}
}
