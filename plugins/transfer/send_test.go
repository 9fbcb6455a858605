package transfer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// toAmount walks /send to an email up to the purpose question.
func (e *env) toAmount(t *testing.T, email string) {
	t.Helper()
	e.u.Send("/send").Expect(t, "Who should receive it?")
	e.u.Tap("Email").Expect(t, "email address")
	e.u.Send(email).Expect(t, "How much USDC? Between 1.00 and 50,000.00", "Your balance: <b>1,250.50 USDC</b>")
}

func TestSendEmailHappyPath(t *testing.T) {
	e := newEnv(t, envOpt{emu: []copperxtest.Option{copperxtest.WithFee(decimalOf("1"))}})
	e.toAmount(t, "bob@example.com")
	e.u.Send("10.5").Expect(t, "What is this payment for?")
	r := e.u.Tap("Gift")
	r.Expect(t, "Please check your transfer", "To: <b>bob@example.com</b>", "Amount: <b>10.50 USDC</b>", "Purpose: Gift",
		"Balance after: ~1,240.00 USDC before fees", "Any fee CopperX charges is shown with the result.")
	if r.Kinds()[0] != "edit" {
		t.Errorf("summary should replace the purpose question in place, got %v", r.Kinds())
	}
	msgID, data := e.confirmData(t)
	if !strings.HasPrefix(data, "transfer:confirm:") || len(data) != len("transfer:confirm:")+12 {
		t.Fatalf("confirm data %q", data)
	}
	r = e.u.Tap("Confirm")
	r.Expect(t, "Sent 10.50 USDC</b> to bob@example.com", "Status: completed", "Transfer id: <code>", "Fee: 0.105 USDC")
	calls := e.emu.CallsTo("POST", "/api/transfers/send")
	if len(calls) != 1 {
		t.Fatalf("%d sends", len(calls))
	}
	b := calls[0].Body
	if b["amount"] != "1050000000" || b["email"] != "bob@example.com" || b["purposeCode"] != "gift" || b["currency"] != "USDC" {
		t.Fatalf("send body %v", b)
	}
	if got := e.balance(); got != "1239.895" {
		t.Fatalf("balance %s", got)
	}
	if m := e.h.API.Message(42, msgID); len(m.AllButtons()) != 0 {
		t.Fatal("summary still has buttons after the submit")
	}
	// New recipient: offer to save it; saving creates the payee and takes
	// the offer off the result.
	result, save := e.u.FindButton("Save as payee")
	e.u.Tap("Save as payee").Expect(t, "Saved <b>bob</b> (bob@example.com) as a payee")
	if c := e.emu.CallsTo("POST", "/api/payees"); len(c) != 1 || c[0].Body["nickName"] != "bob" {
		t.Fatalf("payee calls %v", c)
	}
	if m := e.h.API.Message(42, result.ID); len(m.AllButtons()) != 1 || !strings.Contains(m.AllButtons()[0].Text, "Details") {
		t.Fatalf("result buttons after saving: %+v", m.AllButtons())
	}
	// A stale second tap only says so, once, as a notice.
	r = e.u.Handle(e.u.CallbackUpdate(result.ID, save.Data))
	if got := r.Kinds(); len(got) != 2 || !r.Contains("already among your payees") || strings.Count(r.Text(), "already among") != 1 {
		t.Fatalf("second save: %v %q", got, r.Text())
	}
	// Details of the result.
	e.u.Tap("Details").Expect(t, "Sent", "bob@example.com", "Status: completed")
}

func TestSendToPayee(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.u.Send("/send")
	e.u.Tap("Saved payee").Expect(t, "no saved payees")
	e.toAmount(t, "carol@example.com")
	e.u.Send("5")
	e.u.Tap("Myself")
	e.u.Tap("Confirm")
	e.u.Tap("Save as payee").Expect(t, "Saved")
	e.u.Send("/send")
	e.u.Tap("Saved payee").Expect(t, "Choose a payee")
	e.u.Tap("carol").Expect(t, "How much USDC?")
	e.u.Send("2")
	e.u.Tap("Salary").Expect(t, "To: <b>carol (carol@example.com)</b>")
	r := e.u.Tap("Confirm").Expect(t, "Sent 2.00 USDC")
	if r.Contains("Save as payee") {
		t.Error("offered to save a known payee")
	}
	calls := e.emu.CallsTo("POST", "/api/transfers/send")
	if last := calls[len(calls)-1].Body; last["payeeId"] == nil || last["email"] != nil || last["amount"] != "200000000" {
		t.Fatalf("payee send body %v", last)
	}
}

func TestSendWallet(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.u.Send("/send")
	e.u.Tap("Wallet address").Expect(t, "on <b>Polygon</b>", "0x followed by 40 hex characters")
	e.u.Send("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T").Expect(t, "not a valid Polygon address", "0x followed by 40 hex")
	e.u.Send("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").Expect(t, "checksum")
	e.u.Send("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").Expect(t, "How much USDC?")
	e.u.Send("100")
	e.u.Tap("Reimbursement").Expect(t, "Network: Polygon", "Amount: <b>100.00 USDC</b>")
	var change bool
	for _, b := range e.u.Last().AllButtons() {
		change = change || b.Data == "kernel:run:wallets"
	}
	if !change {
		t.Error("no Change default wallet button")
	}
	e.u.Tap("Confirm").Expect(t, "Sent 100.00 USDC", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	calls := e.emu.CallsTo("POST", "/api/transfers/wallet-withdraw")
	if len(calls) != 1 || calls[0].Body["amount"] != "10000000000" || calls[0].Body["walletAddress"] != "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" {
		t.Fatalf("withdraw calls %v", calls)
	}
	if e.balance() != "1150.5" {
		t.Fatalf("balance %s", e.balance())
	}
}

func TestSendBadInput(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.u.Send("/send")
	e.u.Tap("Email")
	e.u.Send("not-an-email").Expect(t, "doesn't look like an email")
	e.u.Send("bob@localhost").Expect(t, "doesn't look like an email")
	e.u.Send("ada@example.com").Expect(t, "your own email")
	e.u.Send("bob@example.com").Expect(t, "How much")
	for _, tc := range []struct{ in, want string }{
		{"abc", "couldn't read that amount"},
		{"1e3", "no exponents"},
		{"0,500", "can't tell whether that means thousands or a fraction"},
		{"0,050", "like <code>0.50</code> for less than one USDC"},
		{"-5", "must be positive"},
		{"0", "more than zero"},
		{"1.1234567", "at most 6 decimal places"},
		{"2000000", "more than I can handle"},
		{"0.5", "minimum is 1.00 USDC"},
		{"50001", "maximum is 50,000.00 USDC"},
		{"1300", "your balance is 1,250.50 USDC"},
	} {
		e.u.Send(tc.in).Expect(t, tc.want)
	}
	e.u.Send("1,250.50").Expect(t, "What is this payment for?")
	if n := e.posts("/api/transfers/send"); n != 0 {
		t.Fatalf("%d sends", n)
	}
}

func TestCancelAtEveryStep(t *testing.T) {
	steps := []func(e *env){
		func(e *env) {},
		func(e *env) { e.u.Tap("Email") },
		func(e *env) { e.u.Tap("Email"); e.u.Send("bob@example.com") },
		func(e *env) { e.u.Tap("Email"); e.u.Send("bob@example.com"); e.u.Send("3") },
		func(e *env) { e.u.Tap("Email"); e.u.Send("bob@example.com"); e.u.Send("3"); e.u.Tap("Gift") },
	}
	for i, step := range steps {
		e := newEnv(t, envOpt{})
		e.u.Send("/send")
		step(e)
		e.u.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
		if e.posts("/api/transfers/send") != 0 {
			t.Fatalf("step %d: sent after cancel", i)
		}
		e.u.Send("3").Expect(t, "I didn't understand")
	}
}

func testDoubleTap(t *testing.T, redis bool) {
	e := newEnv(t, envOpt{redis: redis})
	e.toAmount(t, "bob@example.com")
	e.u.Send("7")
	e.u.Tap("Gift")
	msgID, data := e.confirmData(t)
	first := e.u.Handle(e.u.CallbackUpdate(msgID, data)).Expect(t, "Sent 7.00 USDC")
	second := e.u.Handle(e.u.CallbackUpdate(msgID, data)).Expect(t, "Already sent")
	if n := e.posts("/api/transfers/send"); n != 1 {
		t.Fatalf("%d POSTs for a double tap", n)
	}
	id := e.emu.Transfers(userEmail)[0].ID
	if !first.Contains(id) || !second.Contains(id) {
		t.Fatalf("ids differ: %q / %q (want %s)", first.Text(), second.Text(), id)
	}
	if e.balance() != "1243.5" {
		t.Fatalf("balance %s", e.balance())
	}
}

func TestDoubleTap(t *testing.T)      { testDoubleTap(t, false) }
func TestDoubleTapRedis(t *testing.T) { testDoubleTap(t, true) }

func TestStaleConfirm(t *testing.T) {
	t.Run("expired", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.toAmount(t, "bob@example.com")
		e.u.Send("7")
		e.u.Tap("Gift")
		e.h.Clock.Advance(6 * time.Minute)
		e.u.Tap("Confirm").Expect(t, "This summary expired", "Nothing was sent")
		if e.posts("/api/transfers/send") != 0 {
			t.Fatal("an expired summary sent money")
		}
	})
	t.Run("replaced", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.toAmount(t, "bob@example.com")
		e.u.Send("7")
		e.u.Tap("Gift")
		oldMsg, oldData := e.confirmData(t)
		e.toAmount(t, "bob@example.com")
		e.u.Send("8")
		e.u.Tap("Gift")
		e.u.Handle(e.u.CallbackUpdate(oldMsg, oldData)).Expect(t, "This button has expired")
		e.u.Handle(e.u.CallbackUpdate(oldMsg, "transfer:confirm:aaaaaaaaaaaa")).Expect(t, "This button has expired")
		if e.posts("/api/transfers/send") != 0 {
			t.Fatal("a replaced summary sent money")
		}
		e.u.Tap("Confirm").Expect(t, "Sent 8.00 USDC")
		e.u.Handle(e.u.CallbackUpdate(oldMsg, oldData)).Expect(t, "This button has expired")
		if e.posts("/api/transfers/send") != 1 {
			t.Fatal("wrong number of sends")
		}
	})
}

// confirmFaulty walks /send of 9 USDC to bob up to the summary, injects
// fault on the submit and taps Confirm.
func (e *env) confirmFaulty(t *testing.T, fault copperxtest.Fault) kerneltest.Replies {
	t.Helper()
	e.toAmount(t, "bob@example.com")
	e.u.Send("9")
	e.u.Tap("Gift")
	e.emu.Fail("POST", "/api/transfers/send", fault)
	return e.u.Tap("Confirm")
}

// listings counts the transfer listings (reconciliation) at the emulator.
func (e *env) listings() int { return len(e.emu.CallsTo("GET", "/api/transfers")) }

func TestSubmitLostAnswer(t *testing.T) {
	t.Run("created", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		r := e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1}).Expect(t, "Sent 9.00 USDC")
		if n := e.posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
		if id := e.emu.Transfers(userEmail)[0].ID; !r.Contains(id) {
			t.Fatalf("reply %q lacks %s", r.Text(), id)
		}
		if n := e.listings(); n != 2 {
			t.Fatalf("%d listings; one before the submit, then found on the first, it should stop there", n)
		}
	})
	t.Run("created, listed late", func(t *testing.T) {
		// The first listing does not show the transfer yet: one look would
		// have told the user it was not sent.
		e := newEnv(t, envOpt{})
		// Empty before the submit and on the first look after it.
		e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 200, Times: 2,
			Body: `{"data":[],"page":1,"limit":10,"count":0,"hasMore":false}`})
		r := e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1}).Expect(t, "Sent 9.00 USDC")
		if id := e.emu.Transfers(userEmail)[0].ID; !r.Contains(id) {
			t.Fatalf("reply %q lacks %s", r.Text(), id)
		}
		if n := e.listings(); n != 3 {
			t.Fatalf("%d listings, want 3 (one before the submit)", n)
		}
		if n := e.posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
	})
	t.Run("created, amount includes the fee", func(t *testing.T) {
		// The API's amount is 9.10 (fee included), its subtotal the 9 sent.
		e := newEnv(t, envOpt{})
		at := e.h.Clock.Now().UTC().Format(time.RFC3339)
		// Before the submit: no transfers yet.
		e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 200, Times: 1,
			Body: `{"data":[],"page":1,"limit":10,"count":0,"hasMore":false}`})
		e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 200, Times: 1, Body: `{"data":[{"id":"tr-fee-included",` +
			`"createdAt":"` + at + `","updatedAt":"` + at + `","status":"success","type":"send","currency":"USDC",` +
			`"amount":"910000000","amountSubtotal":"900000000","totalFee":"10000000",` +
			`"destinationAccount":{"id":"acc-1","type":"web3_wallet","payeeEmail":"bob@example.com"}}],` +
			`"page":1,"limit":10,"count":1,"hasMore":false}`})
		e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1}).Expect(t, "Sent 9.00 USDC", "tr-fee-included")
		if n := e.posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
	})
	for name, fault := range map[string]copperxtest.Fault{
		"no answer":        {DropConnection: true, Times: 1},
		"malformed answer": {Malformed: true, Times: 1},
	} {
		// Nothing in the history, but no answer (or none readable) either:
		// the transfer may still appear. Never "not sent".
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, envOpt{})
			r := e.confirmFaulty(t, fault).Expect(t, "can't tell yet whether the transfer was made", "look at /history before trying again")
			if r.Contains("not sent") {
				t.Fatalf("told %q", r.Text())
			}
			if n := e.posts("/api/transfers/send"); n != 1 {
				t.Fatalf("%d POSTs", n)
			}
			if n := e.listings(); n != 1+3 {
				t.Fatalf("%d listings, want one before the submit and reconcile_attempts (3)", n)
			}
			if e.balance() != "1250.5" {
				t.Fatalf("balance %s", e.balance())
			}
		})
	}
	t.Run("server error", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.confirmFaulty(t, copperxtest.Fault{Status: 500, Times: 1}).Expect(t, "most likely not sent", "check /history before trying again")
		if n := e.posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
		if n := e.listings(); n != 1+3 {
			t.Fatalf("%d listings, want one before the submit and reconcile_attempts (3)", n)
		}
	})
	t.Run("attempts from config", func(t *testing.T) {
		e := newEnv(t, envOpt{env: []string{"COPPERX_BOT_PLUGINS__TRANSFER__RECONCILE_ATTEMPTS=5"}})
		e.confirmFaulty(t, copperxtest.Fault{Status: 502, Times: 1}).Expect(t, "most likely not sent")
		if n := e.listings(); n != 1+5 {
			t.Fatalf("%d listings, want 1+5", n)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		e := newEnv(t, envOpt{})
		e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 503})
		e.confirmFaulty(t, copperxtest.Fault{LoseResponse: true, Times: 1}).Expect(t, "look at /history before trying again")
		if n := e.posts("/api/transfers/send"); n != 1 {
			t.Fatalf("%d POSTs", n)
		}
	})
	t.Run("unknown after a 5xx", func(t *testing.T) {
		// The history could not be read at all: a 5xx proves nothing either.
		e := newEnv(t, envOpt{})
		e.emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 503})
		e.confirmFaulty(t, copperxtest.Fault{Status: 500, Times: 1}).Expect(t, "look at /history before trying again")
	})
}

// setDefaultNetwork makes the user's wallet on network the default, as the
// wallet plugin or the web app would.
func (e *env) setDefaultNetwork(t *testing.T, network string) {
	t.Helper()
	tok := copperx.NewToken(e.tok)
	ws, err := e.api.Wallets(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Network == network {
			if _, err := e.api.SetDefaultWallet(context.Background(), tok, w.ID); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no wallet on %s", network)
}

// TestSendWalletDefaultChanged changes the default wallet between the
// summary and Confirm: the Polygon address must not be paid from Starknet.
func TestSendWalletDefaultChanged(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.u.Send("/send")
	e.u.Tap("Wallet address").Expect(t, "on <b>Polygon</b>")
	e.u.Send("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	e.u.Send("5")
	e.u.Tap("Gift").Expect(t, "Network: Polygon")
	msgID, data := e.confirmData(t)
	e.setDefaultNetwork(t, copperxtest.NetworkStarknet)
	e.u.Tap("Confirm").Expect(t, "Your default wallet changed to Starknet since the summary; the address was checked for Polygon",
		"Nothing was sent", "Start again with /send")
	if n := e.posts("/api/transfers/wallet-withdraw"); n != 0 {
		t.Fatalf("%d wallet-withdraw POSTs after the default wallet changed", n)
	}
	// The confirmation id was not consumed, no outcome was recorded, and the
	// summary lost its buttons; the flow is over.
	id := strings.TrimPrefix(data, "transfer:confirm:")
	for _, key := range []string{confirmKey(id), resultKey(id)} {
		if v, _, err := e.h.Store.Get(context.Background(), key, 0); err != nil || v != nil {
			t.Fatalf("%s = %q, %v; want absent", key, v, err)
		}
	}
	if m := e.h.API.Message(42, msgID); len(m.AllButtons()) != 0 {
		t.Fatal("summary still has buttons")
	}
	e.u.Handle(e.u.CallbackUpdate(msgID, data)).Expect(t, "This button has expired")
	if n := e.posts("/api/transfers/wallet-withdraw"); n != 0 {
		t.Fatalf("%d wallet-withdraw POSTs", n)
	}
	// Back on Polygon, a fresh /send goes through.
	e.setDefaultNetwork(t, copperxtest.NetworkPolygon)
	e.u.Send("/send")
	e.u.Tap("Wallet address")
	e.u.Send("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
	e.u.Send("5")
	e.u.Tap("Gift")
	e.u.Tap("Confirm").Expect(t, "Sent 5.00 USDC")
	if n := e.posts("/api/transfers/wallet-withdraw"); n != 1 {
		t.Fatalf("%d wallet-withdraw POSTs", n)
	}
}

// TestCancelAtEveryStepWallet cancels /send to a wallet address at each step.
func TestCancelAtEveryStepWallet(t *testing.T) {
	const addr = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	steps := []func(e *env){
		func(e *env) { e.u.Tap("Wallet address") },
		func(e *env) { e.u.Tap("Wallet address"); e.u.Send(addr) },
		func(e *env) { e.u.Tap("Wallet address"); e.u.Send(addr); e.u.Send("3") },
		func(e *env) { e.u.Tap("Wallet address"); e.u.Send(addr); e.u.Send("3"); e.u.Tap("Gift") },
	}
	for i, step := range steps {
		e := newEnv(t, envOpt{})
		e.u.Send("/send")
		step(e)
		e.u.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
		if n := e.posts("/api/transfers/wallet-withdraw"); n != 0 {
			t.Fatalf("step %d: %d wallet-withdraw POSTs after cancel", i, n)
		}
		e.u.Send(addr).Expect(t, "I didn't understand")
		e.u.Send("3").Expect(t, "I didn't understand")
		if e.balance() != "1250.5" {
			t.Fatalf("step %d: balance %s", i, e.balance())
		}
	}
}

// TestCancelAtEveryStepPayee cancels /send to a saved payee at each step.
func TestCancelAtEveryStepPayee(t *testing.T) {
	steps := []func(e *env){
		func(e *env) { e.u.Tap("Saved payee").Expect(t, "Choose a payee") },
		func(e *env) { e.u.Tap("Saved payee"); e.u.Tap("carol").Expect(t, "How much USDC?") },
		func(e *env) {
			e.u.Tap("Saved payee")
			e.u.Tap("carol")
			e.u.Send("3").Expect(t, "What is this payment for?")
		},
		func(e *env) {
			e.u.Tap("Saved payee")
			e.u.Tap("carol")
			e.u.Send("3")
			e.u.Tap("Gift").Expect(t, "To: <b>carol (carol@example.com)</b>")
		},
	}
	for i, step := range steps {
		e := newEnv(t, envOpt{})
		if _, err := e.api.CreatePayee(context.Background(), copperx.NewToken(e.tok), copperx.CreatePayeeRequest{NickName: "carol", Email: "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		e.u.Send("/send")
		step(e)
		e.u.Tap("Cancel").Expect(t, "Cancelled. Nothing was sent.")
		if n := e.posts("/api/transfers/send"); n != 0 {
			t.Fatalf("step %d: %d sends after cancel", i, n)
		}
		e.u.Send("3").Expect(t, "I didn't understand")
		if e.balance() != "1250.5" {
			t.Fatalf("step %d: balance %s", i, e.balance())
		}
	}
}
