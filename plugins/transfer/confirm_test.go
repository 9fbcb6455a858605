package transfer

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/kernel/store/storetest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// The exactly-once Confirm: double taps, redelivered updates, replicas,
// lost answers, refusals, stale and forged buttons.

// alertOnly fails the test unless r is one tap answer shown as an alert
// (no message sent or edited) containing want.
func alertOnly(t *testing.T, r kerneltest.Replies, want string) {
	t.Helper()
	if len(r) != 1 || r[0].Kind != "answer" || !r[0].Alert || !strings.Contains(r[0].Answer, want) {
		t.Fatalf("want only an alert %q; got %v: %q", want, r.Kinds(), r.Text())
	}
}

// message is the chat's message id as it is now.
func (e *env) message(id int64) *fakebot.Message { return e.H.API.Message(e.U.ChatID, id) }

func TestDoubleTap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		redis bool
	}{{"memory", false}, {"redis", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{redis: tc.redis})
			e.sendTo(t, "bob@example.com", "7")
			summary, confirm := e.button(t, "Confirm")
			first := e.tapData(summary.ID, confirm.Data).Expect(t, "Sent 7.00 USDC")
			// The second tap finds the flow over: an alert with the same
			// transfer, and no new message.
			second := e.tapData(summary.ID, confirm.Data)
			id := e.Emu.Transfers(plugintest.Email)[0].ID
			alertOnly(t, second, "Already sent (transfer "+id+"). Nothing more was sent.")
			if !first.Contains(id) {
				t.Fatalf("receipt %q lacks %s", first.Text(), id)
			}
			if n := e.Posts("/api/transfers/send"); n != 1 {
				t.Fatalf("%d POSTs for a double tap", n)
			}
			if e.Balance() != "1243.5" {
				t.Fatalf("balance %s", e.Balance())
			}
		})
	}
}

// Telegram delivering the same update twice runs it once.
func TestRedeliveredConfirm(t *testing.T) {
	e := newEnv(t, setup{})
	e.sendTo(t, "bob@example.com", "7")
	summary, confirm := e.button(t, "Confirm")
	u := e.U.CallbackUpdate(summary.ID, confirm.Data)
	e.U.Handle(u).Expect(t, "Sent 7.00 USDC")
	if r := e.U.Handle(u); len(r) != 0 {
		t.Fatalf("a redelivered update replied %v: %q", r.Kinds(), r.Text())
	}
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d POSTs", n)
	}
}

// Confirm tapped on two bot replicas sharing one Redis and one CopperX at
// the same time: exactly one transfer.
func TestDoubleTapTwoReplicas(t *testing.T) {
	rdb, prefix := storetest.Redis(t)
	shared := store.NewRedis(rdb, prefix)
	// Replicas seal sessions with one key, so they share them, login
	// included.
	key := []string{"SESSION_ENCRYPTION_KEY=" + strings.Repeat("ab", 32)}
	a := newEnv(t, setup{store: shared, env: key})
	b := newEnv(t, setup{store: shared, env: key, shared: a.Emu, noLogin: true})
	a.sendTo(t, "bob@example.com", "7")
	summary, confirm := a.button(t, "Confirm")
	// Two taps are two updates, with Telegram's increasing ids.
	ua := a.U.CallbackUpdate(summary.ID, confirm.Data)
	ub := b.U.CallbackUpdate(summary.ID, confirm.Data)
	ub.UpdateId = a.H.NextUpdateID()
	var wg sync.WaitGroup
	var ra, rb kerneltest.Replies
	wg.Add(2)
	go func() { defer wg.Done(); ra = a.U.Handle(ua) }()
	go func() { defer wg.Done(); rb = b.U.Handle(ub) }()
	wg.Wait()
	if n := a.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d POSTs from two replicas", n)
	}
	both := ra.Text() + rb.Text()
	if strings.Count(both, "Sent 7.00 USDC") != 1 || strings.Count(both, "Already sent") != 1 {
		t.Fatalf("want one receipt and one alert: %q / %q", ra.Text(), rb.Text())
	}
}

// A Confirm whose id another replica already claimed (and which crashed
// before its session was saved, so the flow is still at the summary) sends
// nothing: an alert, and the summary's buttons go.
func TestConfirmClaimedElsewhere(t *testing.T) {
	e := newEnv(t, setup{})
	e.sendTo(t, "bob@example.com", "7")
	summary, confirm := e.button(t, "Confirm")
	if _, err := e.H.Store.SetNX(context.Background(), confirmKey(confirmID(t, confirm)), []byte("42"), time.Hour); err != nil {
		t.Fatal(err)
	}
	r := e.tapData(summary.ID, confirm.Data).Expect(t, "This transfer is being processed. Nothing more was sent.")
	if k := strings.Join(r.Kinds(), " "); k != "answer markup" {
		t.Fatalf("want the alert and the summary's buttons removed, got %s", k)
	}
	if n := e.Posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d POSTs", n)
	}
	if b := e.message(summary.ID).AllButtons(); len(b) != 0 {
		t.Fatalf("summary keeps %v", b)
	}
}

// A repeated Confirm is told how the first one ended, with a notice only.
func TestReplayTellsTheFirstOutcome(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  copperxtest.Fault
		first  string
		replay string
	}{
		{"refused", copperxtest.Fault{Status: 400, Times: 1}, "CopperX refused",
			"This transfer was already tried and did not go through. Nothing more was sent."},
		{"server error", copperxtest.Fault{Status: 500, Times: 1}, "can't tell yet",
			"CopperX has not confirmed this transfer yet. I'm still checking and will tell you here. Nothing more was sent."},
		{"no answer", copperxtest.Fault{DropConnection: true, Times: 1}, "can't tell yet",
			"CopperX has not confirmed this transfer yet. I'm still checking and will tell you here. Nothing more was sent."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.sendTo(t, "bob@example.com", "9")
			summary, confirm := e.button(t, "Confirm")
			e.Emu.Fail("POST", "/api/transfers/send", tc.fault)
			e.tapData(summary.ID, confirm.Data).Expect(t, tc.first)
			alertOnly(t, e.tapData(summary.ID, confirm.Data), tc.replay)
			if n := e.Posts("/api/transfers/send"); n != 1 {
				t.Fatalf("%d POSTs", n)
			}
		})
	}
}

func TestStaleConfirm(t *testing.T) {
	t.Run("expired", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.sendTo(t, "bob@example.com", "7")
		summary, confirm := e.button(t, "Confirm")
		e.H.Clock.Advance(6 * time.Minute)
		e.U.Tap("Confirm").Expect(t, "This summary expired", "Nothing was sent")
		if m := e.message(summary.ID); !strings.Contains(m.Text, "This summary expired") || len(m.AllButtons()) != 0 {
			t.Fatalf("the summary should have become the notice, without buttons: %q %v", m.Text, m.AllButtons())
		}
		if e.Posts("/api/transfers/send") != 0 {
			t.Fatal("an expired summary sent money")
		}
		// Its id was never used: a later tap is just expired.
		e.tapData(summary.ID, confirm.Data).Expect(t, "This button has expired")
	})
	t.Run("replaced", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.sendTo(t, "bob@example.com", "7")
		old, oldConfirm := e.button(t, "Confirm")
		e.sendTo(t, "bob@example.com", "8")
		if b := e.message(old.ID).AllButtons(); len(b) != 0 {
			t.Fatalf("the replaced summary keeps %v", b)
		}
		e.tapData(old.ID, oldConfirm.Data).Expect(t, "This button has expired")
		if e.Posts("/api/transfers/send") != 0 {
			t.Fatal("a replaced summary sent money")
		}
		e.U.Tap("Confirm").Expect(t, "Sent 8.00 USDC")
		e.tapData(old.ID, oldConfirm.Data).Expect(t, "This button has expired")
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d sends", n)
		}
	})
}

// Taps a Telegram client could not have sent from the messages shown: a
// wrong confirmation id, an index out of range, an unknown code. Each is
// refused as expired, and the flow goes on.
func TestForgedTaps(t *testing.T) {
	t.Run("confirmation id", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.sendTo(t, "bob@example.com", "7")
		summary, confirm := e.button(t, "Confirm")
		for _, args := range [][]string{{"aaaaaaaaaaaa"}, {}, {confirmID(t, confirm), "x"}} {
			e.tapData(summary.ID, forge(confirm.Data, args...)).Expect(t, "This button has expired")
		}
		if e.Posts("/api/transfers/send") != 0 {
			t.Fatal("a forged Confirm sent money")
		}
		e.U.Tap("Confirm").Expect(t, "Sent 7.00 USDC")
	})
	t.Run("payee index", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.addPayee(t, "carol", "carol@example.com")
		e.U.Send("/send")
		e.U.Tap("Saved payee")
		m, carol := e.button(t, "carol")
		for _, index := range []string{"1", "-1", "00", "x", ""} {
			e.tapData(m.ID, forge(carol.Data, index)).Expect(t, "This button has expired")
		}
		if n := len(e.Emu.CallsTo("GET", "/api/payees/")); n != 0 {
			t.Fatalf("%d payee lookups for forged taps", n)
		}
		e.U.Tap("carol").Expect(t, "How much USDC?")
	})
	t.Run("bank account index", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.U.Send("/withdraw")
		m, chase := e.button(t, "Chase Bank")
		for _, index := range []string{"1", "99", "-1", "x"} {
			e.tapData(m.ID, forge(chase.Data, index)).Expect(t, "This button has expired")
		}
		e.U.Tap("Chase Bank").Expect(t, "withdraw to Chase Bank")
	})
	t.Run("codes", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.U.Send("/send")
		m, email := e.button(t, "Email")
		e.tapData(m.ID, forge(email.Data, "bank")).Expect(t, "This button has expired")
		e.U.Tap("Email")
		e.U.Send("bob@example.com")
		e.U.Send("7")
		m, gift := e.button(t, "Gift")
		e.tapData(m.ID, forge(gift.Data, "bribe")).Expect(t, "This button has expired")
		e.U.Tap("Gift").Expect(t, "Purpose: Gift")
	})
}

// confirmFaulty walks /send of 9 USDC to bob up to the summary, forgets
// the emulator's calls so far (the flow's own listings), injects the
// listing faults gets and fault on the submit, and taps Confirm.
func (e *env) confirmFaulty(t *testing.T, fault copperxtest.Fault, gets ...copperxtest.Fault) kerneltest.Replies {
	t.Helper()
	e.sendTo(t, "bob@example.com", "9")
	e.Emu.ResetCalls()
	for _, f := range gets {
		e.Emu.Fail("GET", "/api/transfers", f)
	}
	e.Emu.Fail("POST", "/api/transfers/send", fault)
	return e.U.Tap("Confirm")
}

// emptyListing is a transfer listing with nothing in it.
const emptyListing = `{"data":[],"page":1,"limit":10,"count":0,"hasMore":false}`

// unknownText is what a submit whose outcome is not known yet says: never
// "not sent", never "try again".
const unknownText = "I'm checking with CopperX and will update this message. Don't send it again meanwhile"

func TestSubmitLostAnswer(t *testing.T) {
	t.Run("created", func(t *testing.T) {
		e := newEnv(t, setup{})
		r := e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1}).Expect(t, "Sent 9.00 USDC")
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
		if id := e.Emu.Transfers(plugintest.Email)[0].ID; !r.Contains(id) {
			t.Fatalf("reply %q lacks %s", r.Text(), id)
		}
		if n := e.listings(); n != 2 {
			t.Fatalf("%d listings; one before the submit, then found on the first, it should stop there", n)
		}
	})
	t.Run("created, listed late", func(t *testing.T) {
		// The first listing does not show the transfer yet: one look would
		// have told the user it was not sent. Empty before the submit and
		// on the first look after it.
		e := newEnv(t, setup{})
		r := e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1},
			copperxtest.Fault{Status: 200, Times: 2, Body: emptyListing}).Expect(t, "Sent 9.00 USDC")
		if id := e.Emu.Transfers(plugintest.Email)[0].ID; !r.Contains(id) {
			t.Fatalf("reply %q lacks %s", r.Text(), id)
		}
		if n := e.listings(); n != 3 {
			t.Fatalf("%d listings, want 3 (one before the submit)", n)
		}
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
	})
	t.Run("created, amount includes the fee", func(t *testing.T) {
		// The API's amount is 9.10 (fee included), its subtotal the 9 sent.
		e := newEnv(t, setup{})
		at := e.H.Clock.Now().UTC().Format(time.RFC3339)
		// Before the submit: no transfers yet.
		e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1},
			copperxtest.Fault{Status: 200, Times: 1, Body: emptyListing},
			copperxtest.Fault{Status: 200, Times: 1, Body: `{"data":[{"id":"tr-fee-included",` +
				`"createdAt":"` + at + `","updatedAt":"` + at + `","status":"success","type":"send","currency":"USDC",` +
				`"amount":"910000000","amountSubtotal":"900000000","totalFee":"10000000",` +
				`"destinationAccount":{"id":"acc-1","type":"web3_wallet","payeeEmail":"bob@example.com"}}],` +
				`"page":1,"limit":10,"count":1,"hasMore":false}`}).Expect(t, "Sent 9.00 USDC", "tr-fee-included")
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
	})
	for _, tc := range []struct {
		name  string
		fault copperxtest.Fault
	}{
		{"no answer", copperxtest.Fault{DropConnection: true, Times: 1}},
		{"malformed answer", copperxtest.Fault{Malformed: true, Times: 1}},
		{"server error", copperxtest.Fault{Status: 500, Times: 1}},
		{"gateway timeout", copperxtest.Fault{Status: 504, Times: 1}},
	} {
		// Nothing in the history, but no answer, none readable or a 5xx:
		// the transfer may still appear. Never "not sent", never "try
		// again": the outcome is unknown, and followed.
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.sendTo(t, "bob@example.com", "9")
			summary, confirm := e.button(t, "Confirm")
			e.Emu.ResetCalls()
			e.Emu.Fail("POST", "/api/transfers/send", tc.fault)
			r := e.U.Tap("Confirm").Expect(t, "can't tell yet whether your transfer of 9.00 USDC to bob@example.com", unknownText)
			if r.Contains("not sent") || r.Contains("try") {
				t.Fatalf("told %q", r.Text())
			}
			if m := e.message(summary.ID); !strings.Contains(m.Text, "can't tell yet") || len(m.AllButtons()) != 0 {
				t.Fatalf("the summary should have become the warning: %q %v", m.Text, m.AllButtons())
			}
			if n := e.Posts("/api/transfers/send"); n != 1 {
				t.Fatalf("%d POSTs", n)
			}
			if n := e.listings(); n != 1+3 {
				t.Fatalf("%d listings, want one before the submit and reconcile_attempts (3)", n)
			}
			if e.Balance() != "1250.5" {
				t.Fatalf("balance %s", e.Balance())
			}
			if o := e.outcome(t, confirmID(t, confirm)); o.State != stateUnknown {
				t.Fatalf("outcome %+v, want unknown", o)
			}
		})
	}
	t.Run("attempts from config", func(t *testing.T) {
		e := newEnv(t, setup{env: []string{"COPPERX_BOT_PLUGINS__TRANSFER__RECONCILE_ATTEMPTS=5"}})
		e.confirmFaulty(t, copperxtest.Fault{Status: 502, Times: 1}).Expect(t, "CopperX answered with an error, which can happen even when the transfer was made")
		if n := e.listings(); n != 1+5 {
			t.Fatalf("%d listings, want 1+5", n)
		}
	})
	t.Run("no listing", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1}, copperxtest.Fault{Status: 503}).
			Expect(t, "CopperX did not answer in time", unknownText)
		if n := e.Posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
	})
	t.Run("no listing after a 5xx", func(t *testing.T) {
		// The history could not be read at all: a 5xx proves nothing either.
		e := newEnv(t, setup{})
		e.confirmFaulty(t, copperxtest.Fault{Status: 500, Times: 1}, copperxtest.Fault{Status: 503}).
			Expect(t, "CopperX answered with an error, which can happen even when the transfer was made", unknownText)
	})
}

// An earlier identical transfer (same recipient, same amount, inside
// reconcile_skew) must never be taken for a submit whose answer was lost.
func TestReconcileNeverMatchesEarlierTransfer(t *testing.T) {
	faults := []struct {
		name  string
		fault copperxtest.Fault
	}{
		{"dropped connection", copperxtest.Fault{DropConnection: true, Times: 1}},
		{"503", copperxtest.Fault{Status: 503, Times: 1}},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.sendTo(t, "bob@example.com", "10")
			e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
			first := e.Emu.Transfers(plugintest.Email)[0].ID
			e.H.Clock.Advance(30 * time.Second)
			e.sendTo(t, "bob@example.com", "10")
			e.Emu.Fail("POST", "/api/transfers/send", tc.fault)
			r := e.U.Tap("Confirm").Expect(t, unknownText)
			if r.Contains("Sent 10.00") || r.Contains(first) {
				t.Fatalf("reported the earlier transfer as this one: %q", r.Text())
			}
			if n := len(e.Emu.Transfers(plugintest.Email)); n != 1 {
				t.Fatalf("%d transfers made, want 1", n)
			}
		})
	}
	// Without the earlier ids, only a transfer created since the submit
	// started counts (no skew backwards), and "not found" stays unknown.
	for _, tc := range faults {
		t.Run("listing before the submit failed, "+tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.sendTo(t, "bob@example.com", "10")
			e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
			first := e.Emu.Transfers(plugintest.Email)[0].ID
			e.H.Clock.Advance(30 * time.Second)
			e.sendTo(t, "bob@example.com", "10")
			e.Emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 400, Times: 1})
			e.Emu.Fail("POST", "/api/transfers/send", tc.fault)
			r := e.U.Tap("Confirm").Expect(t, unknownText)
			if r.Contains("Sent 10.00") || r.Contains(first) || r.Contains("not sent") {
				t.Fatalf("told %q", r.Text())
			}
		})
	}
	t.Run("listing before the submit failed, transfer made", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.sendTo(t, "bob@example.com", "10")
		e.Emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 400, Times: 1})
		e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{LoseResponse: true, Times: 1})
		r := e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")
		if id := e.Emu.Transfers(plugintest.Email)[0].ID; !r.Contains(id) {
			t.Fatalf("reply %q lacks %s", r.Text(), id)
		}
	})
}

// A 4xx is an answer: nothing moved, no reconciliation, the summary says
// so in place, by the refusal's reason, quoting CopperX.
func TestSubmitRefusals(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   []string
	}{
		{400, "", []string{"CopperX refused the transfer's details. Nothing was sent."}},
		{403, "", []string{"CopperX refused this transfer. Nothing was sent."}},
		{404, "", []string{"CopperX refused this transfer. Nothing was sent."}},
		{409, `{"message":"Duplicate request","statusCode":409}`, []string{"CopperX refused this transfer. Nothing was sent.", "CopperX said: <i>Duplicate request</i>"}},
		{422, "", []string{"CopperX refused the transfer's details. Nothing was sent."}},
		{422, `{"message":"Insufficient balance","statusCode":422}`, []string{"not enough balance (fees included). Nothing was sent."}},
		{400, `{"message":"You cannot send to yourself","statusCode":400}`, []string{"CopperX refused the recipient. Nothing was sent.", "CopperX said: <i>You cannot send to yourself</i>"}},
		{429, "", []string{"CopperX is busy right now. Nothing was sent. Please try again in a minute."}},
	} {
		t.Run(strconv.Itoa(tc.status)+" "+tc.want[0], func(t *testing.T) {
			e := newEnv(t, setup{})
			e.sendTo(t, "bob@example.com", "10")
			summary, _ := e.button(t, "Confirm")
			e.Emu.ResetCalls()
			e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: tc.status, Body: tc.body, Times: 1})
			r := e.U.Tap("Confirm").Expect(t, tc.want...)
			if r.Contains("went wrong") {
				t.Fatalf("got %q", r.Text())
			}
			if m := e.message(summary.ID); !strings.Contains(m.Text, tc.want[0]) || len(m.AllButtons()) != 0 {
				t.Fatalf("the summary should have become the refusal: %q %v", m.Text, m.AllButtons())
			}
			if n := e.Posts("/api/transfers/send"); n != 1 {
				t.Fatalf("%d POSTs", n)
			}
			if n := e.listings(); n != 1 {
				t.Fatalf("%d listings, want only the one before the submit", n)
			}
			if !strings.Contains(e.H.Logs.String(), "transfer refused") || !strings.Contains(e.H.Logs.String(), "status="+strconv.Itoa(tc.status)) {
				t.Fatalf("the refusal was not logged with its status:\n%s", e.H.Logs.String())
			}
			if len(e.Emu.Transfers(plugintest.Email)) != 0 {
				t.Fatal("a refused transfer was made")
			}
		})
	}
}

// A 401 at submit is returned, for the login plugin's error hook (here the
// stub's) to ask for a new login; it is not reconciled.
func TestSubmit401(t *testing.T) {
	e := newEnv(t, setup{})
	e.sendTo(t, "bob@example.com", "10")
	e.Emu.Fail("POST", "/api/transfers/send", copperxtest.Fault{Status: 401, Times: 1})
	e.U.Tap("Confirm").Expect(t, "Please log in again (stub).")
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d sends", n)
	}
	if n := e.listings(); n != 1 {
		t.Fatalf("%d listings after a 401, want only the one before the submit", n)
	}
}

// TestSendWalletDefaultChanged changes the default wallet between the
// summary and Confirm: the Polygon address must not be paid from Starknet.
func TestSendWalletDefaultChanged(t *testing.T) {
	e := newEnv(t, setup{})
	e.U.Send("/send")
	e.U.Tap("Wallet address").Expect(t, "on <b>Polygon</b>")
	e.U.Send(bobAddress)
	e.U.Send("5")
	e.U.Tap("Gift").Expect(t, "Network: Polygon")
	summary, confirm := e.button(t, "Confirm")
	e.setDefaultNetwork(t, copperxtest.NetworkStarknet)
	e.U.Tap("Confirm").Expect(t, "Your default wallet changed to Starknet since the summary; the address was checked for Polygon",
		"Nothing was sent", "Start again with /send")
	if n := e.Posts("/api/transfers/wallet-withdraw"); n != 0 {
		t.Fatalf("%d wallet-withdraw POSTs after the default wallet changed", n)
	}
	// The confirmation id was not consumed, no outcome was recorded, the
	// summary became the warning; the flow is over.
	id := confirmID(t, confirm)
	for _, key := range []string{confirmKey(id), resultKey(id)} {
		if v := e.stored(t, key); v != nil {
			t.Fatalf("%s = %q; want absent", key, v)
		}
	}
	if m := e.message(summary.ID); !strings.Contains(m.Text, "default wallet changed") || len(m.AllButtons()) != 0 {
		t.Fatalf("summary %q keeps %v", m.Text, m.AllButtons())
	}
	e.tapData(summary.ID, confirm.Data).Expect(t, "This button has expired")
	if n := e.Posts("/api/transfers/wallet-withdraw"); n != 0 {
		t.Fatalf("%d wallet-withdraw POSTs", n)
	}
	// Back on Polygon, a fresh /send goes through.
	e.setDefaultNetwork(t, copperxtest.NetworkPolygon)
	e.U.Send("/send")
	e.U.Tap("Wallet address")
	e.U.Send(bobAddress)
	e.U.Send("5")
	e.U.Tap("Gift")
	e.U.Tap("Confirm").Expect(t, "Sent 5.00 USDC")
	if n := e.Posts("/api/transfers/wallet-withdraw"); n != 1 {
		t.Fatalf("%d wallet-withdraw POSTs", n)
	}
}

// A receipt's outcome belongs to the CopperX account that confirmed it,
// not to whoever is logged in on the same Telegram account later.
func TestOutcomeTiedToCopperXAccount(t *testing.T) {
	e := newEnv(t, setup{})
	e.sendTo(t, "bob@example.com", "10")
	summary, confirm := e.button(t, "Confirm")
	e.U.Tap("Confirm").Expect(t, "Sent 10.00 USDC")

	// Another CopperX account on the same Telegram account.
	e.U.Send("/fakelogout").Expect(t, "Logged out (test).")
	e.Emu.SeedUser("eve@example.com")
	e.U.Send("/fakelogin "+e.Emu.IssueToken("eve@example.com")).Expect(t, "Logged in (test).")
	if r := e.tapData(summary.ID, confirm.Data); r.Contains("Already sent") || !r.Contains("This button has expired") {
		t.Fatalf("another account's outcome shown: %q", r.Text())
	}
	if n := e.Posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d sends", n)
	}

	// Back in the account that sent it, the outcome is told again.
	e.U.Send("/fakelogout")
	e.Login(e.U, "")
	e.tapData(summary.ID, confirm.Data).Expect(t, "Already sent")
}

// TestSleepRespectsContext: the wait between reconciliation listings ends
// with the update's context.
func TestSleepRespectsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleep(ctx, time.Minute); err == nil {
		t.Fatal("sleep ignored a cancelled context")
	}
	if time.Since(start) > time.Second {
		t.Fatal("sleep waited despite a cancelled context")
	}
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
