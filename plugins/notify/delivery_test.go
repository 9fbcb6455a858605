package notify

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
)

var explorerHash = regexp.MustCompile(`/tx/(0x[0-9a-f]+)`)

// TestSeenAfterSend: while the message goes out the deposit is claimed
// and not yet seen; once it went out it is seen and the claim is gone.
func TestSeenAfterSend(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{})
	w.ready(r)
	ctx := context.Background()
	type marks struct{ claimed, seen bool }
	var mu sync.Mutex
	var during []marks
	r.H.API.OnEvent(func(_ int64, e fakebot.Event) {
		m := explorerHash.FindStringSubmatch(e.Message.Text)
		if e.Kind != "send" || m == nil {
			return
		}
		claim, _, _ := r.H.Store.Get(ctx, claimKey(w.org, m[1]), 0)
		seen, _, _ := r.H.Store.Get(ctx, seenKey(w.org, m[1]), 0)
		mu.Lock()
		during = append(during, marks{claim != nil, seen != nil})
		mu.Unlock()
	})
	_, hash := w.deposit("10", "137")
	waitDeposits(t, 1, r)
	waitFor(t, "the seen mark", func() bool { raw, _, _ := r.H.Store.Get(ctx, seenKey(w.org, hash), 0); return raw != nil })
	mu.Lock()
	defer mu.Unlock()
	if len(during) != 1 || !during[0].claimed || during[0].seen {
		t.Fatalf("marks while sending: %+v, want claimed and not seen", during)
	}
	if raw, _, _ := r.H.Store.Get(ctx, claimKey(w.org, hash), 0); raw != nil {
		t.Error("the claim outlived the delivery")
	}
}

// TestTelegramFaults: a 5xx or a 429 the kernel's retries get past
// delivers the message once; one they do not is tried again later, once;
// a 4xx is not retried (the deposit counts as handled).
func TestTelegramFaults(t *testing.T) {
	for _, tc := range []struct {
		name          string
		retries       int // telegram.send_retries: the kernel's
		status, after int
		times         int
		wantCalls     int  // sendMessage calls for the deposit
		wantDelivered bool // a message in the chat
		wantFailed    float64
		wantAtLeast   time.Duration
	}{
		{name: "502 retried by the kernel", retries: 1, status: http.StatusBadGateway, times: 1, wantCalls: 2, wantDelivered: true},
		{name: "429 after what it asks", retries: 1, status: http.StatusTooManyRequests, after: 1, times: 1, wantCalls: 2, wantDelivered: true, wantAtLeast: time.Second},
		{name: "503 beyond the kernel's retries", retries: 0, status: http.StatusServiceUnavailable, times: 1, wantCalls: 2, wantDelivered: true, wantFailed: 1},
		{name: "403 blocked", retries: 1, status: http.StatusForbidden, times: 1, wantCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.replica(replicaOptions{config: fmt.Sprintf("telegram: {send_retries: %d}", tc.retries)})
			w.ready(r)
			calls := len(r.H.API.Calls("sendMessage"))
			r.H.API.Fail("sendMessage", tc.status, tc.after, tc.times)
			start := time.Now()
			w.deposit("10", "137")
			waitFor(t, "the deposit handled", func() bool { return r.deposited(outcomeAnnounced) == 1 })
			took := time.Since(start)
			if n := len(r.H.API.Calls("sendMessage")) - calls; n != tc.wantCalls {
				t.Errorf("%d sendMessage calls, want %d", n, tc.wantCalls)
			}
			want := 0
			if tc.wantDelivered {
				want = 1
			}
			exactDeposits(t, want, r)
			if took < tc.wantAtLeast {
				t.Errorf("delivered after %v, before the %v Telegram asked for", took, tc.wantAtLeast)
			}
			if got := r.logs("deposit message refused by Telegram") > 0; got != (tc.status == http.StatusForbidden) {
				t.Errorf("refusal logged: %v", got)
			}
			if got := r.deposited(outcomeFailed); got != tc.wantFailed {
				t.Errorf("failed = %v, want %v", got, tc.wantFailed)
			}
		})
	}
}

// TestTelegramDown: when Telegram keeps failing, the deposit is not marked
// seen and its claim is released; the catch-up after a reconnect delivers
// it, once.
func TestTelegramDown(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{noStart: true, noLogin: true, config: "telegram: {send_retries: 0}"})
	r.n.recheck = time.Hour // only the catch-up tries again here
	r.start()
	r.login()
	w.ready(r)
	ctx := context.Background()
	r.H.API.Fail("sendMessage", http.StatusServiceUnavailable, 0, 1)
	_, hash := w.deposit("10", "137")
	waitFor(t, "the delivery given up", func() bool { return r.deposited(outcomeFailed) == 1 })
	exactDeposits(t, 0, r)
	for _, key := range []string{claimKey(w.org, hash), seenKey(w.org, hash)} {
		if raw, _, _ := r.H.Store.Get(ctx, key, 0); raw != nil {
			t.Errorf("%s is set after a failed delivery", key)
		}
	}
	w.gate.drop() // a reconnect: its catch-up finds the deposit not announced
	got := waitDeposits(t, 1, r)
	if !strings.Contains(got[0].Text, "10.00 USDC") {
		t.Errorf("message:\n%s", got[0].Text)
	}
	waitFor(t, "the seen mark", func() bool { raw, _, _ := r.H.Store.Get(ctx, seenKey(w.org, hash), 0); return raw != nil })
	exactDeposits(t, 1, r)
	if r.deposited(outcomeAnnounced) != 1 {
		t.Errorf("announced = %v", r.deposited(outcomeAnnounced))
	}
}

// TestDeliveryRetriedLater: a delivery that failed for one recipient is
// tried again after a while without any reconnect; the recipient who got
// the message in the failed attempt does not get it twice.
func TestDeliveryRetriedLater(t *testing.T) {
	w := newWorld(t)
	r := w.replica(replicaOptions{config: "telegram: {send_retries: 0}"})
	second := r.H.Private(43)
	second.Send("/fakelogin "+r.Token+" approved "+w.org).Expect(t, "Logged in (test).")
	w.ready(r)
	// The first recipient (42) fails; the second (43) gets it.
	r.H.API.Fail("sendMessage", http.StatusBadGateway, 0, 1)
	w.deposit("10", "137")
	waitFor(t, "the retry", func() bool { return r.deposited(outcomeAnnounced) == 1 })
	if r.deposited(outcomeFailed) != 1 {
		t.Errorf("failed = %v, want 1", r.deposited(outcomeFailed))
	}
	for _, chat := range []int64{r.U.ChatID, second.ChatID} {
		n := 0
		for _, m := range r.H.API.Messages(chat) {
			if strings.Contains(m.Text, "Deposit received") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("chat %d: %d deposit messages, want 1", chat, n)
		}
	}
}

// TestClaimLeftBehind: a deposit another replica claimed and never
// announced (it crashed) is announced once its claim is gone.
func TestClaimLeftBehind(t *testing.T) {
	w := newWorld(t)
	channel := copperx.PrivateOrgChannel(w.org)
	send := make(chan string)
	fp := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, _ int32, in <-chan frame) {
		say(ctx, ws, established)
		for {
			select {
			case <-ctx.Done():
				return
			case fr, ok := <-in:
				if !ok {
					return
				}
				if fr.Event == "pusher:subscribe" {
					say(ctx, ws, `{"event":"pusher_internal:subscription_succeeded","channel":"`+channel+`","data":"{}"}`)
				}
			case s := <-send:
				say(ctx, ws, s)
			}
		}
	})
	r := w.replica(replicaOptions{wsURL: fp.url()})
	w.ready(r)
	ctx := context.Background()
	const hash = "0x00c0ffee00c0ffee"
	if _, err := r.H.Store.SetNX(ctx, claimKey(w.org, hash), []byte("crashed"), claimTTL); err != nil {
		t.Fatal(err)
	}
	send <- `{"event":"deposit","channel":"` + channel + `","data":{"amount":"4","currency":"USDC","metadata":{"network":"137","txHash":"` + hash + `"}}}`
	waitFor(t, "the claim seen", func() bool { return r.deposited(outcomeDuplicate) == 1 })
	exactDeposits(t, 0, r)
	if err := r.H.Store.Delete(ctx, claimKey(w.org, hash)); err != nil { // as if it expired
		t.Fatal(err)
	}
	got := waitDeposits(t, 1, r)
	if !strings.Contains(got[0].Text, "4.00 USDC") {
		t.Errorf("message:\n%s", got[0].Text)
	}
	waitFor(t, "announced", func() bool { return r.deposited(outcomeAnnounced) == 1 })
	exactDeposits(t, 1, r)
}
