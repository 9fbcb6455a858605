package transfer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// Outcome tracking: transfers followed after Confirm until they settle,
// across restarts and replicas, and outcomes that converge.

// tracked is a test world with the plugin itself at hand, to run its
// tracker's scans at the moments a test chooses (the clock is the
// harness's fake one; the scan loop is tested on its own).
type tracked struct {
	*env
	p *Transfer
}

// newTracked is newEnv keeping the plugin.
func newTracked(t *testing.T, s setup) *tracked {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, s.config)
	if err != nil {
		t.Fatal(err)
	}
	var p *Transfer
	e := &env{plugintest.New(t, plugintest.Options{
		Plugins: func(api *copperx.Client) []kernel.Plugin {
			p = New(api, copperx.DefaultNetworks())
			return []kernel.Plugin{p, walletStub{}, payeesStub{}}
		},
		Config:          config,
		Locales:         map[string]string{"en": stubLocale},
		Env:             append([]string{"COPPERX_BOT_PLUGINS__TRANSFER__RECONCILE_INTERVAL=5ms"}, s.env...),
		Lang:            s.lang,
		KYC:             s.kyc,
		EmulatorOptions: s.emu,
		Emulator:        s.shared,
		Store:           s.store,
		Redis:           s.redis,
		NoLogin:         s.noLogin,
	})}
	e.H.Kernel.Bot().Username = botUsername
	return &tracked{env: e, p: p}
}

// held leaves transfers to addresses and banks processing until Settle.
var held = []copperxtest.Option{copperxtest.WithSettleDelay(-1)}

// scan runs one scan of the tracker and returns how many outcomes it
// checked.
func (e *tracked) scan(t *testing.T) int {
	t.Helper()
	n, err := e.p.scanDue(context.Background())
	if err != nil {
		t.Logf("scan: %v", err)
	}
	return n
}

// later moves the bot's clock (and with it the emulator's) on by d and
// scans.
func (e *tracked) later(t *testing.T, d time.Duration) int {
	t.Helper()
	e.H.Clock.Advance(d)
	return e.scan(t)
}

// mark is where the chat is now; since(mark) is what happened after.
func (e *env) mark() int { return e.H.API.EventCount(e.U.ChatID) }

func (e *env) since(mark int) kerneltest.Replies {
	return kerneltest.Replies(e.H.API.Events(e.U.ChatID, mark))
}

// count counts events of kind whose message contains text.
func count(r kerneltest.Replies, kind, text string) int {
	n := 0
	for _, ev := range r {
		if ev.Kind == kind && ev.Message != nil && strings.Contains(ev.Message.Text, text) {
			n++
		}
	}
	return n
}

// outcome is the outcome recorded for confirmation id (failing the test
// when there is none).
func (e *env) outcome(t *testing.T, id string) *outcome {
	t.Helper()
	raw := e.stored(t, resultKey(id))
	if raw == nil {
		t.Fatalf("no outcome for %s", id)
	}
	var o outcome
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return &o
}

// following lists the outcome ids in the tracking index.
func (e *env) following(t *testing.T) []string {
	t.Helper()
	var ids []string
	for shard := range trackShards {
		raw := e.stored(t, trackKey(shard))
		if raw == nil {
			continue
		}
		var m map[string]trackEntry
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for id := range m {
			ids = append(ids, id)
		}
	}
	return ids
}

// metric reads one series of the kernel's /metrics (-1 when absent).
func (e *env) metric(t *testing.T, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	e.H.Kernel.HTTPHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == series {
			f, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return -1
}

// walletSend walks /send of amount to bob's address up to the summary and
// confirms it; it returns the summary (now the receipt) and the
// confirmation id.
func (e *env) walletSend(t *testing.T, amount string) (*fakebot.Message, string) {
	t.Helper()
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send(bobAddress)
	e.U.Send(amount)
	e.U.Tap("Gift").Expect(t, "Please check your transfer")
	summary, confirm := e.button(t, "Confirm")
	e.tapData(summary.ID, confirm.Data).Expect(t, "Sent "+amount+".00 USDC", "Status: processing")
	return summary, confirmID(t, confirm)
}

// newest is the user's newest transfer at the emulator.
func (e *env) newest(t *testing.T) copperxtest.Transfer {
	t.Helper()
	trs := e.Emu.Transfers(plugintest.Email)
	if len(trs) == 0 {
		t.Fatal("no transfer at the emulator")
	}
	return trs[0]
}

// A wallet send that settles later: its receipt is edited when it does;
// a failure, cancel or refund also gets a message of its own saying what
// happened and what to do; a success does not.
func TestTrackSettlesLater(t *testing.T) {
	for _, tc := range []struct {
		status, receipt, message string
	}{
		{"success", "✅ <b>Sent 5.00 USDC</b>", ""},
		{"failed", "did not go through.\nStatus: failed", "failed (transfer <code>"},
		{"canceled", "did not go through.\nStatus: canceled", "was canceled (transfer <code>"},
		{"refunded", "did not go through.\nStatus: refunded", "was refunded (transfer <code>"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			e := newTracked(t, setup{emu: held})
			summary, id := e.walletSend(t, "5")
			if got := e.following(t); len(got) != 1 || got[0] != id {
				t.Fatalf("following %v, want [%s]", got, id)
			}
			mark := e.mark()
			if n := e.scan(t); n != 0 {
				t.Fatalf("checked %d before the first check was due", n)
			}
			if n := e.later(t, firstCheck); n != 1 {
				t.Fatalf("checked %d at the first check, want 1", n)
			}
			if r := e.since(mark); len(r) != 0 {
				t.Fatalf("a transfer still processing changed the chat: %v %q", r.Kinds(), r.Text())
			}
			tr := e.newest(t)
			if err := e.Emu.Settle(tr.ID, tc.status); err != nil {
				t.Fatal(err)
			}
			e.later(t, backoff(1))
			r := e.since(mark)
			if n := count(r, "edit", tc.receipt); n != 1 {
				t.Fatalf("%d receipt edits with %q, want 1: %v %q", n, tc.receipt, r.Kinds(), r.Text())
			}
			if m := e.message(summary.ID); !strings.Contains(m.Text, tr.ID) || !strings.Contains(m.Text, tc.receipt) {
				t.Fatalf("receipt %q", m.Text)
			}
			sends := count(r, "send", "")
			if tc.message == "" {
				if sends != 0 {
					t.Fatalf("a success sent a message: %q", r.Text())
				}
			} else {
				if sends != 1 || count(r, "send", tc.message) != 1 || count(r, "send", tr.ID) != 1 {
					t.Fatalf("want one message %q naming %s: %q", tc.message, tr.ID, r.Text())
				}
				if r.Contains("send it again") || r.Contains("try again") {
					t.Fatalf("a failure asks to pay again: %q", r.Text())
				}
			}
			if got := e.following(t); len(got) != 0 {
				t.Fatalf("still following %v", got)
			}
			if o := e.outcome(t, id); o.Status != tc.status || !o.Shown {
				t.Fatalf("outcome %+v", o)
			}
			// Nothing more to do: later scans check nothing and say nothing.
			mark = e.mark()
			if n := e.later(t, time.Hour); n != 0 || len(e.since(mark)) != 0 {
				t.Fatalf("checked %d more, chat %q", n, e.since(mark).Text())
			}
			if got := e.metric(t, `bot_transfer_tracked_total{result="`+endResult(tc.status)+`"}`); got != 1 {
				t.Fatalf("tracked_total{%s} = %v", endResult(tc.status), got)
			}
		})
	}
}

// A bank withdrawal is followed the same way; a refund says the money is
// back.
func TestTrackWithdrawal(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	e.withdrawSummary(t, "25")
	summary, _ := e.button(t, "Confirm")
	e.U.Tap("Confirm").Expect(t, "Withdrawal of 25.00 USDC", "Status: processing")
	tr := e.newest(t)
	if err := e.Emu.Settle(tr.ID, "refunded"); err != nil {
		t.Fatal(err)
	}
	mark := e.mark()
	e.later(t, firstCheck)
	r := e.since(mark)
	if count(r, "edit", "<b>Withdrawal of 25.00 USDC</b> to Chase Bank ••6789 did not go through.\nStatus: refunded") != 1 ||
		count(r, "send", "your withdrawal of 25.00 USDC to Chase Bank ••6789 was refunded (transfer <code>"+tr.ID) != 1 {
		t.Fatalf("%v %q", r.Kinds(), r.Text())
	}
	if m := e.message(summary.ID); !strings.Contains(m.Text, "Status: refunded") {
		t.Fatalf("receipt %q", m.Text)
	}
	if e.Balance() != "1250.5" {
		t.Fatalf("balance %s after a refund", e.Balance())
	}
}

// sharedWorld is two replicas of the bot on one store and one Telegram
// (the second talks to the first's fake Bot API), sharing sessions and
// the emulator.
func sharedWorld(t *testing.T) (a, b *tracked) {
	t.Helper()
	rdb, prefix := storetest.Redis(t)
	shared := store.NewRedis(rdb, prefix)
	key := "SESSION_ENCRYPTION_KEY=" + strings.Repeat("ab", 32)
	a = newTracked(t, setup{store: shared, env: []string{key}, emu: held})
	b = newTracked(t, setup{store: shared, env: []string{key, "TELEGRAM_API_URL=" + a.H.API.URL()}, shared: a.Emu, noLogin: true})
	return a, b
}

// A bot restarted between the submit and the settling (a new kernel and
// plugin on the same store) still edits the receipt, once; the old one,
// back, has nothing left to do.
func TestTrackAcrossRestart(t *testing.T) {
	a, b := sharedWorld(t)
	summary, _ := a.walletSend(t, "5")
	mark := a.mark()
	tr := a.newest(t)
	if err := a.Emu.Settle(tr.ID, "failed"); err != nil {
		t.Fatal(err)
	}
	// a is down; b starts after the first check was due.
	b.H.Clock.Advance(time.Minute)
	if n := b.scan(t); n != 1 {
		t.Fatalf("the new replica checked %d, want 1", n)
	}
	a.H.Clock.Advance(time.Minute)
	a.scan(t)
	b.later(t, time.Hour)
	r := a.since(mark)
	if n := count(r, "edit", "did not go through"); n != 1 {
		t.Fatalf("%d receipt edits, want 1: %v %q", n, r.Kinds(), r.Text())
	}
	if n := count(r, "send", "failed (transfer"); n != 1 || len(r) != 2 {
		t.Fatalf("want one edit and one message: %v %q", r.Kinds(), r.Text())
	}
	if m := a.message(summary.ID); !strings.Contains(m.Text, "Status: failed") {
		t.Fatalf("receipt %q", m.Text)
	}
}

// Two replicas scanning at once: one checks, edits and tells; the other
// does nothing.
func TestTrackTwoReplicas(t *testing.T) {
	a, b := sharedWorld(t)
	a.walletSend(t, "5")
	mark := a.mark()
	if err := a.Emu.Settle(a.newest(t).ID, "refunded"); err != nil {
		t.Fatal(err)
	}
	a.H.Clock.Advance(time.Minute)
	b.H.Clock.Advance(time.Minute)
	var wg sync.WaitGroup
	for range 3 {
		for _, e := range []*tracked{a, b} {
			wg.Go(func() { e.scan(t) })
		}
	}
	wg.Wait()
	r := a.since(mark)
	if count(r, "edit", "Status: refunded") != 1 || count(r, "send", "was refunded") != 1 || len(r) != 2 {
		t.Fatalf("want one edit and one message from two replicas: %v %q", r.Kinds(), r.Text())
	}
}

// A replica that dies while it holds an outcome's lease hands it over when
// the lease expires.
func TestTrackLeaseHandover(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	_, id := e.walletSend(t, "5")
	if err := e.Emu.Settle(e.newest(t).ID, "success"); err != nil {
		t.Fatal(err)
	}
	// Another replica took the lease and died.
	e.H.Clock.Advance(time.Minute)
	if ok, err := e.H.Store.SetNX(context.Background(), leaseKey(id), []byte("dead"), leaseTTL); err != nil || !ok {
		t.Fatal(ok, err)
	}
	mark := e.mark()
	e.scan(t)
	if r := e.since(mark); len(r) != 0 {
		t.Fatalf("checked under another's lease: %q", r.Text())
	}
	e.later(t, leaseTTL)
	if r := e.since(mark); count(r, "edit", "Status: completed") != 1 {
		t.Fatalf("not taken over: %v %q", r.Kinds(), r.Text())
	}
}

// A gateway answers 504 at once and CopperX makes the transfer 5 to 20 s
// later: the user is told it is not known yet — never "not sent" — and
// when the listing shows it, the receipt becomes the transfer's and a
// message says so.
func TestGatewayTimeoutLateWork(t *testing.T) {
	for _, late := range []time.Duration{5 * time.Second, 20 * time.Second} {
		t.Run(late.String(), func(t *testing.T) {
			e := newTracked(t, setup{})
			e.sendTo(t, "bob@example.com", "9")
			summary, confirm := e.button(t, "Confirm")
			id := confirmID(t, confirm)
			start := e.mark()
			e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LateWork: late, Times: 1})
			e.tapData(summary.ID, confirm.Data).Expect(t, "can't tell yet", unknownText)
			if o := e.outcome(t, id); o.State != stateUnknown || !o.ServerError {
				t.Fatalf("outcome %+v, want unknown after a 5xx", o)
			}
			// A tap meanwhile: a notice, still unknown, no message.
			alertOnly(t, e.tapData(summary.ID, confirm.Data), "CopperX has not confirmed this transfer yet")
			mark := e.mark()
			for i := 0; i < 20 && e.outcome(t, id).State == stateUnknown; i++ {
				e.later(t, firstCheck)
			}
			tr := e.newest(t)
			r := e.since(mark)
			if count(r, "edit", "Sent 9.00 USDC") != 1 || count(r, "send", "was made after all (transfer <code>"+tr.ID) != 1 {
				t.Fatalf("want the receipt edited and one message: %v %q", r.Kinds(), r.Text())
			}
			if m := e.message(summary.ID); !strings.Contains(m.Text, tr.ID) {
				t.Fatalf("receipt %q lacks %s", m.Text, tr.ID)
			}
			all := e.since(start)
			for _, never := range []string{"not sent", "Nothing was sent", "try again", "did not go through"} {
				if all.Contains(never) {
					t.Fatalf("the user was told %q: %q", never, all.Text())
				}
			}
			if n := e.Posts("/api/transfers/send"); n != 1 {
				t.Fatalf("%d POSTs", n)
			}
			if n := len(e.Emu.Transfers(plugintest.Email)); n != 1 {
				t.Fatalf("%d transfers", n)
			}
			if o := e.outcome(t, id); o.State != stateSent || o.TransferID != tr.ID || o.Told != newsFound {
				t.Fatalf("outcome %+v", o)
			}
			if got := e.following(t); len(got) != 0 {
				t.Fatalf("still following %v", got)
			}
			// The outcome converged: a tap now is told the transfer.
			alertOnly(t, e.tapData(summary.ID, confirm.Data), "Already sent (transfer "+tr.ID+")")
			if got := e.metric(t, `bot_transfer_submits_total{outcome="unknown"}`); got != 1 {
				t.Fatalf("submits_total{unknown} = %v", got)
			}
		})
	}
}

// A Redis restored from a snapshot taken before a Confirm has lost the
// claim, the outcome and the session that ended the flow: tapping Confirm
// again finds the transfer in CopperX's listing instead of making a second.
func TestSnapshotRestore(t *testing.T) {
	e := newTracked(t, setup{})
	e.sendTo(t, "bob@example.com", "9")
	summary, confirm := e.button(t, "Confirm")
	id := confirmID(t, confirm)
	sessionKey := store.SessionKey(strconv.FormatInt(e.U.UserID, 10))
	snapshot := e.stored(t, sessionKey)
	e.tapData(summary.ID, confirm.Data).Expect(t, "Sent 9.00 USDC")
	first := e.newest(t).ID

	// The restore: what the Confirm wrote is gone, the session is as it was.
	ctx := context.Background()
	keys := []string{confirmKey(id), resultKey(id), transferKey(first)}
	for shard := range trackShards {
		keys = append(keys, trackKey(shard))
	}
	if err := e.H.Store.Delete(ctx, keys...); err != nil {
		t.Fatal(err)
	}
	if err := e.H.Store.Set(ctx, sessionKey, snapshot, time.Hour); err != nil {
		t.Fatal(err)
	}
	e.H.Clock.Advance(30 * time.Second)
	r := e.tapData(summary.ID, confirm.Data).Expect(t, "Sent 9.00 USDC", first, "CopperX already had this transfer", "nothing more was sent")
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d POSTs after a snapshot restore: %q", n, r.Text())
	}
	if n := len(e.Emu.Transfers(plugintest.Email)); n != 1 {
		t.Fatalf("%d transfers", n)
	}
	if o := e.outcome(t, id); o.State != stateSent || o.TransferID != first || !o.Already {
		t.Fatalf("outcome %+v", o)
	}
}

// The Bot API fails the receipt (502, no retries left): no apology, no
// "try again"; the outcome is kept, and the next check delivers the
// receipt.
func TestReceiptBotAPIDown(t *testing.T) {
	e := newTracked(t, setup{env: []string{"COPPERX_BOT_TELEGRAM__SEND_RETRIES=0"}})
	e.sendTo(t, "bob@example.com", "9")
	summary, confirm := e.button(t, "Confirm")
	id := confirmID(t, confirm)
	e.H.API.Fail("editMessageText", http.StatusBadGateway, 0, 1)
	e.H.API.Fail("sendMessage", http.StatusBadGateway, 0, 1)
	r := e.tapData(summary.ID, confirm.Data)
	for _, never := range []string{"went wrong", "try again", "Sent 9.00"} {
		if r.Contains(never) {
			t.Fatalf("replies %v %q contain %q", r.Kinds(), r.Text(), never)
		}
	}
	tr := e.newest(t)
	if o := e.outcome(t, id); o.State != stateSent || o.TransferID != tr.ID || o.Shown {
		t.Fatalf("outcome %+v, want sent and not shown yet", o)
	}
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d POSTs", n)
	}
	e.later(t, firstCheck)
	if m := e.message(summary.ID); !strings.Contains(m.Text, "Sent 9.00 USDC") || !strings.Contains(m.Text, tr.ID) {
		t.Fatalf("the summary did not become the receipt: %q", m.Text)
	}
	if got := e.following(t); len(got) != 0 {
		t.Fatalf("still following %v", got)
	}
	// A tap now is told the transfer, with a notice only.
	alertOnly(t, e.tapData(summary.ID, confirm.Data), "Already sent (transfer "+tr.ID+")")
}

// A status seen in /history ends the tracking at once: the receipt is
// edited and the failure told, without waiting for the next check.
func TestTrackHistoryEndsIt(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	summary, _ := e.walletSend(t, "5")
	if err := e.Emu.Settle(e.newest(t).ID, "failed"); err != nil {
		t.Fatal(err)
	}
	mark := e.mark()
	e.U.Send("/history")
	r := e.since(mark)
	if count(r, "edit", "Status: failed") != 1 || count(r, "send", "failed (transfer") != 1 {
		t.Fatalf("want the receipt edited and the failure told: %v %q", r.Kinds(), r.Text())
	}
	if m := e.message(summary.ID); !strings.Contains(m.Text, "did not go through") {
		t.Fatalf("receipt %q", m.Text)
	}
	if got := e.following(t); len(got) != 0 {
		t.Fatalf("still following %v", got)
	}
	if n := e.later(t, time.Hour); n != 0 {
		t.Fatalf("checked %d after /history ended it", n)
	}
}

// /history re-checks outcomes still unknown at once (the next scan),
// whatever their backoff.
func TestTrackHistoryNudgesUnknown(t *testing.T) {
	e := newTracked(t, setup{})
	e.sendTo(t, "bob@example.com", "9")
	_, confirm := e.button(t, "Confirm")
	id := confirmID(t, confirm)
	e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LoseResponse: true, Status: 502, Times: 1})
	// Reconciliation does not see it yet.
	e.Emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 200, Times: 4, Body: emptyListing})
	e.U.Tap("Confirm").Expect(t, unknownText)
	// Several checks later, the next is minutes away.
	for range 6 {
		e.later(t, maxCheckEvery)
	}
	if o := e.outcome(t, id); o.State != stateSent {
		t.Fatalf("outcome %+v", o)
	}
	// A fresh unknown one, its next check far off.
	e.sendTo(t, "bob@example.com", "8")
	_, confirm = e.button(t, "Confirm")
	id = confirmID(t, confirm)
	e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LateWork: time.Second, Times: 1})
	e.U.Tap("Confirm").Expect(t, unknownText)
	e.H.Clock.Advance(2 * time.Second) // the late work is done; the first check not due yet
	if n := e.scan(t); n != 0 {
		t.Fatalf("checked %d before due", n)
	}
	e.U.Send("/history")
	if n := e.scan(t); n != 1 {
		t.Fatalf("/history did not make the unknown outcome due: checked %d", n)
	}
	if o := e.outcome(t, id); o.State != stateSent {
		t.Fatalf("outcome %+v", o)
	}
}

// A user who logged out is not followed: tracking stops without a word.
func TestTrackStopsAtLogout(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	_, id := e.walletSend(t, "5")
	e.U.Send("/fakelogout").Expect(t, "Logged out (test).")
	if err := e.Emu.Settle(e.newest(t).ID, "failed"); err != nil {
		t.Fatal(err)
	}
	mark := e.mark()
	if n := e.later(t, time.Minute); n != 1 {
		t.Fatalf("checked %d", n)
	}
	if r := e.since(mark); len(r) != 0 {
		t.Fatalf("told a logged-out user: %q", r.Text())
	}
	if got := e.following(t); len(got) != 0 {
		t.Fatalf("still following %v", got)
	}
	if o := e.outcome(t, id); !o.Done {
		t.Fatalf("outcome %+v", o)
	}
	if len(e.Emu.CallsTo("GET", "/api/transfers/"+e.newest(t).ID)) != 0 {
		t.Fatal("checked CopperX without a login")
	}
}

// A token CopperX no longer takes stops the tracking silently too.
func TestTrackStopsWhenTokenRefused(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	_, id := e.walletSend(t, "5")
	e.Emu.ExpireToken(e.Token)
	mark := e.mark()
	e.later(t, time.Minute)
	if r := e.since(mark); len(r) != 0 {
		t.Fatalf("told %q", r.Text())
	}
	if o := e.outcome(t, id); !o.Done {
		t.Fatalf("outcome %+v", o)
	}
	if got := e.following(t); len(got) != 0 {
		t.Fatalf("still following %v", got)
	}
}

// track_for passes: an outcome still unknown is given up, telling plainly
// to look at /history (never to pay again); a transfer still processing
// stops being followed, its receipt saying so.
func TestTrackGivesUp(t *testing.T) {
	t.Run("unknown", func(t *testing.T) {
		e := newTracked(t, setup{})
		e.sendTo(t, "bob@example.com", "9")
		summary, confirm := e.button(t, "Confirm")
		e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{DropConnection: true, Times: 1})
		e.tapData(summary.ID, confirm.Data).Expect(t, unknownText)
		mark := e.mark()
		e.later(t, 31*time.Minute)
		r := e.since(mark)
		if count(r, "edit", "so I stopped checking") != 1 || count(r, "send", "I still can't find your transfer of 9.00 USDC to bob@example.com") != 1 {
			t.Fatalf("want the receipt edited and one message: %v %q", r.Kinds(), r.Text())
		}
		if !r.Contains("/history") || r.Contains("again") {
			t.Fatalf("%q", r.Text())
		}
		if got := e.following(t); len(got) != 0 {
			t.Fatalf("still following %v", got)
		}
		if got := e.metric(t, `bot_transfer_tracked_total{result="gave_up"}`); got != 1 {
			t.Fatalf("tracked_total{gave_up} = %v", got)
		}
	})
	t.Run("processing", func(t *testing.T) {
		e := newTracked(t, setup{emu: held, env: []string{"COPPERX_BOT_PLUGINS__TRANSFER__TRACK_FOR=10m"}})
		summary, _ := e.walletSend(t, "5")
		mark := e.mark()
		for range 10 {
			e.later(t, maxCheckEvery)
		}
		r := e.since(mark)
		if count(r, "edit", "I stopped following it after 10 minutes") != 1 || count(r, "send", "") != 0 {
			t.Fatalf("%v %q", r.Kinds(), r.Text())
		}
		if m := e.message(summary.ID); !strings.Contains(m.Text, "Status: processing") {
			t.Fatalf("receipt %q", m.Text)
		}
		if got := e.following(t); len(got) != 0 {
			t.Fatalf("still following %v", got)
		}
	})
}

// The scan runs as the plugin's background service.
func TestTrackService(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	e.p.scanEvery = 5 * time.Millisecond
	stop, err := e.H.Kernel.StartServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	summary, _ := e.walletSend(t, "5")
	if err := e.Emu.Settle(e.newest(t).ID, "success"); err != nil {
		t.Fatal(err)
	}
	e.H.Clock.Advance(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(e.message(summary.ID).Text, "Status: completed") {
		if time.Now().After(deadline) {
			t.Fatalf("the service did not edit the receipt: %q", e.message(summary.ID).Text)
		}
		<-tick.C
	}
}

// Each refusal reason CopperX gives is told in its own words, quoting
// the API (HTML-escaped), and logged with the status and the message.
func TestRefusalReasons(t *testing.T) {
	for _, tc := range []struct {
		reason copperx.Reason
		status int
		body   string
		want   []string
	}{
		{copperx.ReasonInsufficientBalance, 422, `{"message":"Insufficient balance","statusCode":422}`,
			[]string{"not enough balance (fees included)", "CopperX said: <i>Insufficient balance</i>"}},
		{copperx.ReasonKYCRequired, 403, `{"message":"Please complete your KYC first","statusCode":403}`,
			[]string{"identity verification (KYC) approved", "CopperX said: <i>Please complete your KYC first</i>"}},
		{copperx.ReasonLimit, 422, `{"message":"Daily transfer limit exceeded. Try tomorrow.","statusCode":422}`,
			[]string{"outside your account's limits", "CopperX said: <i>Daily transfer limit exceeded. Try tomorrow</i>"}},
		{copperx.ReasonRecipient, 400, `{"message":"You cannot send to yourself","statusCode":400}`,
			[]string{"CopperX refused the recipient", "CopperX said: <i>You cannot send to yourself</i>"}},
		{copperx.ReasonQuote, 400, `{"message":"Quote is no longer valid","statusCode":400}`,
			[]string{"CopperX no longer takes that quote", "CopperX said: <i>Quote is no longer valid</i>"}},
		{copperx.ReasonValidation, 422, `{"message":[{"property":"purposeCode","constraints":{"isEnum":"purposeCode must be <one> of self, gift"}}],"statusCode":422}`,
			[]string{"CopperX refused the transfer's details", "CopperX said: <i>purposeCode must be &lt;one&gt; of self, gift</i>"}},
		{copperx.ReasonUnknown, 409, `{"message":"Conflict","statusCode":409}`,
			[]string{"CopperX refused this transfer. Nothing was sent."}},
	} {
		t.Run(string(tc.reason), func(t *testing.T) {
			e := newEnv(t, setup{})
			e.sendTo(t, "bob@example.com", "10")
			summary, confirm := e.button(t, "Confirm")
			e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: tc.status, Body: tc.body, Times: 1})
			r := e.tapData(summary.ID, confirm.Data).Expect(t, append(tc.want, "Nothing was sent.")...)
			if tc.reason == copperx.ReasonUnknown && r.Contains("said") {
				t.Fatalf("quoted a bare status: %q", r.Text())
			}
			if o := e.outcome(t, confirmID(t, confirm)); o.State != stateFailed || o.Reason != string(tc.reason) {
				t.Fatalf("outcome %+v, want failed for %s", o, tc.reason)
			}
			logs := e.H.Logs.String()
			if !strings.Contains(logs, "transfer refused") || !strings.Contains(logs, "reason="+string(tc.reason)) ||
				!strings.Contains(logs, "status="+strconv.Itoa(tc.status)) {
				t.Fatalf("refusal not logged with its reason and status:\n%s", logs)
			}
			if got := e.following(t); len(got) != 0 {
				t.Fatalf("a refusal is followed: %v", got)
			}
		})
	}
}

// submit_timeout must leave the submit's POST its copperx.timeout, and
// more; track_for stays within result_ttl.
func TestSubmitTimeoutConfig(t *testing.T) {
	cfg := copperx.DefaultConfig()
	cfg.APIURL, cfg.Timeout = "http://127.0.0.1:1", 45*time.Second
	api, err := copperx.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	locale, err := plugintest.MergeYAML(plugintest.Locale, stubLocale)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		block, want string
	}{
		{"{enabled: true}", "plugins.transfer.submit_timeout: must be at least copperx.timeout (45s) + 5s"},
		{"{enabled: true, submit_timeout: 50s}", ""},
		{"{enabled: true, submit_timeout: 50s, track_for: 25h, result_ttl: 48h}", "plugins.transfer.track_for: must be between 1m and 24h"},
		{"{enabled: true, submit_timeout: 50s, track_for: 2h, result_ttl: 1h}", "plugins.transfer.track_for: must not be above result_ttl"},
		{"{enabled: true, submit_timeout: 10m}", "plugins.transfer.submit_timeout: must be between 5s and 5m"},
	} {
		t.Run(tc.block, func(t *testing.T) {
			config, err := plugintest.MergeYAML(testConfig, "plugins: {auth: {enabled: true}, transfer: "+tc.block+"}")
			if err != nil {
				t.Fatal(err)
			}
			_, err = kerneltest.Build(t, kerneltest.Options{
				Config: config, ExtraLocales: map[string]string{"en": locale},
				Plugins: []kernel.Plugin{plugintest.FakeAuth{}, New(api, nil), walletStub{}, payeesStub{}},
			})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// backoff doubles from firstCheck to maxCheckEvery.
func TestBackoff(t *testing.T) {
	want := []time.Duration{3 * time.Second, 6 * time.Second, 12 * time.Second, 24 * time.Second, 48 * time.Second, 96 * time.Second, 2 * time.Minute, 2 * time.Minute}
	for checks, d := range want {
		if got := backoff(checks); got != d {
			t.Errorf("backoff(%d) = %s, want %s", checks, got, d)
		}
	}
	if got := backoff(1000); got != maxCheckEvery {
		t.Errorf("backoff(1000) = %s", got)
	}
}

// TestTrackTranscript records what a person sees of outcome tracking
// (testdata/track.golden): a wallet send that fails after its receipt, and
// a gateway timeout whose transfer turns up later.
func TestTrackTranscript(t *testing.T) {
	e := newTracked(t, setup{emu: held})
	tr := e.transcript()
	tr.Send("/send")
	tr.Tap("Wallet address")
	tr.Send(bobAddress)
	tr.Send("5")
	tr.Tap("Gift")
	tr.Tap("Confirm")
	if err := e.Emu.Settle(e.newest(t).ID, "failed"); err != nil {
		t.Fatal(err)
	}
	mark := e.mark()
	e.later(t, firstCheck)
	tr.Record("(3 s later the tracker checks: the transfer failed)", e.since(mark))

	e.sendTo(t, "bob@example.com", "9")
	summary, confirm := e.button(t, "Confirm")
	e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LateWork: 10 * time.Second, Times: 1})
	tr.Record("> (tap) Confirm (CopperX's gateway answers 504 and makes the transfer 10 s later)", e.tapData(summary.ID, confirm.Data))
	tr.Record("> (tap again) Confirm", e.tapData(summary.ID, confirm.Data))
	mark = e.mark()
	for range 10 {
		e.later(t, firstCheck)
	}
	tr.Record("(30 s later: the tracker has found the transfer in the listing)", e.since(mark))
	tr.Record("> (tap again) Confirm", e.tapData(summary.ID, confirm.Data))
	tr.Check(t, "track")
}
