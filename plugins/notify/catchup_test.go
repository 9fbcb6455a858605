package notify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
)

// TestReconnectCatchUp: deposits made while the websocket is down (more
// than one page of them) are announced after the reconnect, once, oldest
// first; the one announced live before is not repeated.
func TestReconnectCatchUp(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{})
	w.ready(r)
	w.deposit("10", "137")
	waitDeposits(t, 1, r)

	channel := copperx.PrivateOrgChannel(w.org)
	w.gate.blocked.Store(true)
	w.gate.drop()
	waitFor(t, "disconnect", func() bool { return !r.n.pusher.subscribed(channel) })
	catchUps := r.logs("catch-up finished")
	w.deposit("20", "42161") // nobody listens...
	for i := range 11 {      // ...to more than one page of deposits
		w.deposit(fmt.Sprint(i+1), "137")
	}
	listings := len(w.emu.CallsTo("GET", "/api/transfers"))
	w.gate.blocked.Store(false)

	got := waitDeposits(t, 13, r)
	waitFor(t, "the catch-up after the reconnect", func() bool { return r.logs("catch-up finished") > catchUps })
	exactDeposits(t, 13, r)
	if !strings.Contains(got[1].Text, "<b>20.00 USDC</b> on Arbitrum One") || !strings.Contains(got[1].Text, "95.25 USDC") {
		t.Errorf("first caught-up message:\n%s", got[1].Text)
	}
	if !strings.Contains(got[12].Text, "<b>11.00 USDC</b> on Polygon") {
		t.Errorf("last caught-up message:\n%s", got[12].Text)
	}
	if n := len(w.emu.CallsTo("GET", "/api/transfers")); n <= listings {
		t.Error("no catch-up listing after the reconnect")
	}
	// Live again.
	w.deposit("5", "137")
	got = waitDeposits(t, 14, r)
	if !strings.Contains(got[13].Text, "<b>5.00 USDC</b>") {
		t.Errorf("live message after the reconnect:\n%s", got[13].Text)
	}
}

// TestOldDepositsStayQuiet: deposits from before the login are not
// announced, not at login and not by the catch-up after a reconnect.
func TestOldDepositsStayQuiet(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noLogin: true})
	w.deposit("10", "137")
	w.deposit("11", "137")
	r.n.loginSkew = 0 // the deposits above are milliseconds old, not seconds
	r.login()
	w.ready(r)
	exactDeposits(t, 0, r)

	catchUps := r.logs("catch-up finished")
	listings := len(w.emu.CallsTo("GET", "/api/transfers"))
	w.gate.drop()
	waitFor(t, "the catch-up after the reconnect", func() bool {
		return len(w.emu.CallsTo("GET", "/api/transfers")) > listings && r.logs("catch-up finished") > catchUps
	})
	exactDeposits(t, 0, r)

	w.deposit("12", "137")
	got := waitDeposits(t, 1, r)
	if !strings.Contains(got[0].Text, "12.00 USDC") {
		t.Errorf("message:\n%s", got[0].Text)
	}
}
