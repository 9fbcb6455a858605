package notify

import (
	"context"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// TestToggle: /notifications shows the state with a button; off means
// no message; on again brings them back. The button edits in place.
func TestToggle(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{})
	w.ready(r)
	tr := kerneltest.NewTranscript(r.U)

	tr.Send("/notifications").Expect(t, "Deposit notifications are <b>on</b>")
	if m := r.U.Last(); len(m.AllButtons()) != 1 || m.AllButtons()[0].Data != "notify:set:off" {
		t.Fatalf("buttons: %+v", m.AllButtons())
	}
	replies := tr.Tap("🔕 Turn off").Expect(t, "Deposit notifications are <b>off</b>")
	if replies.Kinds()[0] != "edit" {
		t.Errorf("the tap did %v, want an edit in place", replies.Kinds())
	}
	s, err := r.n.subscriptions.get(context.Background(), r.U.UserID)
	if err != nil || s == nil || !s.Off {
		t.Fatalf("stored subscription = %+v, %v", s, err)
	}
	w.deposit("10", "137")
	waitFor(t, "the deposit handled", func() bool { return r.logs("recipients=0") == 1 })
	exactDeposits(t, 0, r)

	tr.Tap("🔔 Turn on").Expect(t, "<b>on</b>")
	w.deposit("3", "137")
	waitDeposits(t, 1, r)
	tr.Check(t, "toggle")

	// A forged button.
	r.U.Handle(r.U.CallbackUpdate(r.U.Last().ID, "notify:set:maybe")).Expect(t, "This button has expired")
}

// TestToggleBeforeLogin: /notifications needs a login (the auth guard).
func TestToggleBeforeLogin(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noLogin: true})
	r.U.Send("/notifications").Expect(t, "Please log in first")
	if index, _, _ := r.n.subscriptions.index(context.Background()); len(index) != 0 {
		t.Fatalf("index = %v", index)
	}
}
