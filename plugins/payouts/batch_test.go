package payouts_test

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// addr is a checksummed Polygon address of nobody in the emulator.
const addr = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"

// TestBatchBadLines: every kind of wrong line gets its own line in one
// report, numbered as the user sent it, and nothing is added or sent; the
// flow still takes the lines, corrected.
func TestBatchBadLines(t *testing.T) {
	e := newEnv(t, setup{})
	addPayee(e, "twin", "twin1@example.com")
	addPayee(e, "Twin", "twin2@example.com")
	e.U.Send("/batch")
	lines := []struct{ line, want string }{
		{"bob@example.com 10", ""},
		{"carol@example 5", "Line 2: “carol@example” is not a valid email address"},
		{"dave@example.com 0.5", "Line 3: amount must be at least 1.00 USDC"},
		{"erin@example.com 60000", "Line 4: amount must be at most 50,000.00 USDC"},
		{"fred@example.com ten", "Line 5: “ten” is not an amount"},
		{"gina@example.com 1.1234567", "Line 6: USDC allows at most 6 decimal places"},
		{"hank@example.com", "Line 7: no amount after the recipient"},
		{"nobody 5", "Line 8: “nobody” is not an email, a Polygon wallet address or the nickname of one of your payees"},
		{"twin 5", "Line 9: several of your payees are called “twin”"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD 5", "Line 10: the address “0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD” has a checksum error"},
		{"0x1234 5", "Line 11: “0x1234” is not a valid Polygon address (0x followed by 40 hex characters)"},
		{"0x0000000000000000000000000000000000000000 5", "Line 12: that is the zero address"},
		{"ada@example.com 5", "Line 13: that is your own email"},
		{"bob@example.com 7", "Line 14: bob@example.com is also on line 1"},
		{"ivan@example.com,1,250.50", "Line 15: I can't tell the amount from the note in “1,250.50”"},
		{"judy@example.com 5 " + strings.Repeat("n", 65), "Line 16: the note is longer than 64 characters"},
		{"kim@example.com 5 a\u200bb", "Line 17: the note has invisible or control characters"},
		{"leo@example.com 1e3", "Line 18: write the amount in full"},
	}
	var msg []string
	for _, l := range lines {
		msg = append(msg, l.line)
	}
	r := e.U.Send(strings.Join(msg, "\n")).Expect(t, "Some lines need fixing")
	for _, l := range lines {
		if l.want != "" && !r.Contains(l.want) {
			t.Errorf("no %q in the report:\n%s", l.want, r.Text())
		}
	}
	if strings.Contains(r.Text(), "Line 1:") {
		t.Errorf("a good line was reported:\n%s", r.Text())
	}
	// The own wallet (the seeded user's EVM address) is refused too.
	own := e.Wallets()[0].WalletAddress
	e.U.Send(own+" 5").Expect(t, "Line 1: that is one of your own wallets")
	if n := batchPosts(e); n != 0 {
		t.Fatalf("%d send-batch calls after refused lines", n)
	}
	// Corrected, the lines are taken.
	e.U.Send("bob@example.com 10\ncarol@example.com 5").Expect(t, "2 lines, 15.00 USDC")
}

// TestBatchLimits: more lines than batch_max, more than the balance, and
// an empty paste are refused whole.
func TestBatchLimits(t *testing.T) {
	e := newEnv(t, setup{config: "plugins:\n  payouts: {batch_max: 3}\n"})
	e.U.Send("/batch")
	e.U.Send("# only a comment\n\n").Expect(t, "I found no lines to pay")
	e.U.Send("a@example.com 1\nb@example.com 1\nc@example.com 1\nd@example.com 1").Expect(t, "A batch takes at most 3 lines")
	e.U.Send("a@example.com 1000\nb@example.com 300").Expect(t, "These lines add up to 1,300.00 USDC, but your Polygon wallet holds 1,250.50 USDC")
	e.U.Send("a@example.com 1\nb@example.com 2").Expect(t, "2 lines, 3.00 USDC")
	e.U.Send("c@example.com 1").Expect(t, "Please use the buttons")
	e.U.Tap("Salary")
	e.U.Tap("Add lines").Expect(t, "Your batch has 2 lines, 3.00 USDC. Paste more lines")
	e.U.Send("c@example.com 1\nd@example.com 1").Expect(t, "A batch takes at most 3 lines")
	e.U.Send("a@example.com 1").Expect(t, "Line 1: a@example.com is already payout 1 of this batch", "tap Review for the batch as it is")
	e.U.Send("c@example.com 1").Expect(t, "3. c@example.com — <b>1.00 USDC</b>", "Lines: 3 · Total: <b>4.00 USDC</b>")
	e.U.MustFindButton(t, "Confirm and send 3 payouts")
	e.U.Tap("Add lines").Expect(t, "The batch already has 3 lines, the most it takes.")
}

// TestBatchSend: pasted lines to an email, a payee by nickname and a
// wallet address, with notes, are summarized with the paying wallet and
// sent in one send-batch, one unique request id per line; the summary
// becomes the result.
func TestBatchSend(t *testing.T) {
	e := newEnv(t, setup{})
	carol := addPayee(e, "Carol", "carol@example.com")
	r := batchOf(t, e, "bob@example.com 10.50 March rent\ncarol, 5\n"+addr+"\t2.25\tgas money")
	r.Expect(t, "1. bob@example.com — <b>10.50 USDC</b> · <i>March rent</i>",
		"2. Carol (carol@example.com) — <b>5.00 USDC</b>",
		"3. "+addr+" — <b>2.25 USDC</b> · <i>gas money</i>",
		"Lines: 3 · Total: <b>17.75 USDC</b>", "Purpose: Salary",
		"Paying from your <b>Polygon</b> wallet · balance <b>1,250.50 USDC</b>", "Balance after: ~1,232.75 USDC")
	summary := r.LastOf(t, "edit")
	r = e.U.Tap("Confirm and send 3 payouts").Expect(t, "Sending…", "✅ Sent: 3 (17.75 USDC)",
		"1. ✅ bob@example.com — 10.50 USDC: sent", "2. ✅ Carol (carol@example.com) — 5.00 USDC: sent", "All sent.")
	if got := r.LastOf(t, "edit"); got.ID != summary.ID {
		t.Errorf("the result is message #%d, want the summary #%d in place", got.ID, summary.ID)
	}
	if n := batchPosts(e); n != 1 {
		t.Fatalf("%d send-batch calls, want 1", n)
	}
	ids := batchRequests(e)
	re := regexp.MustCompile(`^[a-z2-7]{12}-[123]-1$`)
	if len(ids) != 3 || ids[0] == ids[1] || ids[1] == ids[2] || !re.MatchString(ids[0]) || !re.MatchString(ids[2]) {
		t.Errorf("request ids %q, want three unique <batch>-<line>-1", ids)
	}
	body := e.Emu.CallsTo("POST", "/api/transfers/send-batch")[0].Body
	reqs := body["requests"].([]any)
	second := reqs[1].(map[string]any)["request"].(map[string]any)
	if second["payeeId"] != carol.ID || second["amount"] != "500000000" || second["purposeCode"] != "salary" || second["currency"] != "USDC" {
		t.Errorf("the payee's request = %v", second)
	}
	if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1, strings.ToLower(addr): 1}) {
		t.Errorf("sends = %v", got)
	}
	wantBalance(t, e, "1232.75")
}

// csvWithBOM is a spreadsheet's "CSV UTF-8" export: a byte order mark, a
// header, Windows line ends, a quoted amount with a thousands separator,
// a blank row.
const csvWithBOM = "\ufeffRecipient,Amount,Note\r\nbob@example.com,10.50,March rent\r\n\r\n\"carol@example.com\",\"1,100.00\",\"bonus, Q1\"\r\n"

// TestBatchCSV: a CSV file with a BOM and Windows line ends is read (its
// header noticed) and sent; a Spanish user's semicolon CSV with decimal
// commas too; a file that is not text, or not a CSV, is refused.
func TestBatchCSV(t *testing.T) {
	t.Run("BOM and CRLF", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.U.Send("/batch")
		e.U.SendDocument("pay.csv", []byte(csvWithBOM), "").
			Expect(t, "Read 2 lines from pay.csv (its first row, “Recipient, Amount, Note”, was taken as column names)", "2 lines, 1,110.50 USDC")
		e.U.Tap("Salary").Expect(t, "1. bob@example.com — <b>10.50 USDC</b> · <i>March rent</i>",
			"2. carol@example.com — <b>1,100.00 USDC</b> · <i>bonus, Q1</i>")
		e.U.Tap("Confirm and send 2").Expect(t, "✅ Sent: 2 (1,110.50 USDC)")
		if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1}) {
			t.Errorf("sends = %v", got)
		}
	})
	t.Run("semicolons and decimal commas", func(t *testing.T) {
		e := newEnv(t, setup{lang: "es"})
		e.U.Send("/batch")
		e.U.SendDocument("nomina.csv", []byte("bob@example.com;1.000,50;nómina\ncarol@example.com;2,5\n"), "").
			Expect(t, "Leí 2 líneas de nomina.csv.", "2 líneas, 1.003,00 USDC")
		e.U.Tap("Salario").Expect(t, "1. bob@example.com — <b>1.000,50 USDC</b> · <i>nómina</i>")
	})
	for _, tc := range []struct {
		name, file, mime string
		data             []byte
		want             string
	}{
		{"not text", "pay.csv", "text/csv", []byte{0xff, 0xfe, 'b', 0}, "I can't read that file as text"},
		{"a quote never closed", "pay.csv", "text/csv", []byte("bob@example.com,\"10\nx"), "Line 1: “10\nx” is not an amount"},
		{"a spreadsheet", "pay.xlsx", "text/csv", []byte("PK"), "Please send a <b>.csv</b> file"},
		{"only a header", "pay.csv", "text/csv", []byte("recipient,amount\n"), "That file has no lines to pay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			e.U.Send("/batch")
			e.U.SendDocument(tc.file, tc.data, "").Expect(t, tc.want)
		})
	}
	t.Run("too large", func(t *testing.T) {
		e := newEnv(t, setup{config: "plugins:\n  payouts: {file_max_bytes: 1024}\n"})
		e.U.Send("/batch")
		e.U.SendDocument("big.csv", []byte(strings.Repeat("bob@example.com,1\n", 100)), "").Expect(t, "That file is too large: at most 1 KB")
		if n := len(e.H.API.Calls("getFile")); n != 0 {
			t.Errorf("a file announced too large was downloaded (%d getFile)", n)
		}
	})
}

// TestBatchPartialFailure: CopperX refuses one line (FailBatchItemLike)
// and sends the others: the result names the refused line with CopperX's
// words; "Retry failed lines" shows exactly that line, and its Confirm
// resends it alone, with a new request id.
func TestBatchPartialFailure(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.FailBatchItemLike("*-2-1", 422, "Recipient wallet is blocked")
	batchOf(t, e, "bob@example.com 10\ncarol@example.com 5\ndave@example.com 1")
	r := e.U.Tap("Confirm and send 3").Expect(t, "✅ Sent: 2 (11.00 USDC) · ❌ Not sent: 1",
		"2. ❌ carol@example.com — 5.00 USDC: not sent, CopperX refused the recipient — CopperX said: <i>Recipient wallet is blocked</i>",
		"Retry failed lines")
	if strings.Contains(r.Text(), "All sent") {
		t.Errorf("a partial failure says all sent:\n%s", r.Text())
	}
	result, _ := e.U.MustFindButton(t, "Retry failed line (1)")
	r = e.U.Tap("Retry failed line").Expect(t, "Retry failed lines", "These lines are sent again, and only these:",
		"2. ❌ carol@example.com", "Lines: 1 · Total: <b>5.00 USDC</b>")
	if r.Contains("bob@example.com") || r.Contains("dave@example.com") {
		t.Errorf("the retry summary shows lines that were sent:\n%s", r.Text())
	}
	e.U.Tap("Confirm and send 1 again").Expect(t, "✅ Sent: 3 (16.00 USDC)", "All sent.")
	if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1, "dave@example.com": 1}) {
		t.Errorf("sends = %v", got)
	}
	ids := batchRequests(e)
	if len(ids) != 4 || !strings.HasSuffix(ids[3], "-2-2") {
		t.Errorf("request ids %q: the retry should send line 2 alone, attempt 2", ids)
	}
	// The first result's Retry, tapped again, has nothing left to send.
	btn := result.AllButtons()[0]
	e.U.Retap(result, btn).Expect(t, "Nothing to retry")
	if n := batchPosts(e); n != 2 {
		t.Errorf("%d send-batch calls, want 2", n)
	}
	wantBalance(t, e, "1234.50")
}

// TestBatchLostAnswer: CopperX does the work and the answer is lost, with
// one of the lines refused at CopperX: the lines it made are found in its
// listing (sent), the other stays "not confirmed" — not resent — until a
// listing absent_after later still lacks it; then "Retry failed lines"
// sends it, once. No line is ever sent twice.
func TestBatchLostAnswer(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.Fail("POST", "/api/transfers/send-batch", copperxtest.Fault{LoseResponse: true, Times: 1})
	e.Emu.FailBatchItemLike("*-2-1", 422, "Insufficient balance")
	batchOf(t, e, "bob@example.com 10\ncarol@example.com 5\ndave@example.com 1")
	e.U.Tap("Confirm and send 3").Expect(t, "✅ Sent: 2 (11.00 USDC) · ⏳ Not confirmed yet: 1",
		"2. ⏳ carol@example.com — 5.00 USDC: not confirmed yet", "after 10:10 UTC", "Check again")
	if _, b := e.U.FindButton("Retry"); b.Data != "" {
		t.Fatal("Retry offered for a line whose answer was lost")
	}
	// Before absent_after: still not confirmed, and nothing to retry.
	e.H.Clock.Advance(5 * time.Minute)
	e.U.Tap("Check again").Expect(t, "nothing new yet")
	if m := e.U.Last(); !strings.Contains(m.Text, "⏳ Not confirmed yet: 1") {
		t.Errorf("the result after an early check:\n%s", m.Text)
	}
	// After it: absent, and resendable.
	e.H.Clock.Advance(6 * time.Minute)
	e.U.Tap("Check again").Expect(t, "updated", "2. ❌ carol@example.com — 5.00 USDC: not sent (CopperX has no record of it)")
	e.U.Tap("Retry failed line").Expect(t, "Lines: 1 · Total: <b>5.00 USDC</b>")
	e.U.Tap("Confirm and send 1 again").Expect(t, "✅ Sent: 3 (16.00 USDC)")
	if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1, "dave@example.com": 1}) {
		t.Errorf("sends = %v: a line was sent twice or not at all", got)
	}
	if n := batchPosts(e); n != 2 {
		t.Errorf("%d send-batch calls, want 2", n)
	}
	wantBalance(t, e, "1234.50")
}

// TestBatchLostAnswerMadeLate: a gateway times out and CopperX makes the
// batch a minute later (LateWork): the lines stay "not confirmed" until
// the listing shows them, and are then sent, never twice.
func TestBatchLostAnswerMadeLate(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.Fail("POST", "/api/transfers/send-batch", copperxtest.Fault{LateWork: time.Minute, Times: 1})
	batchOf(t, e, "bob@example.com 10\ncarol@example.com 5")
	e.U.Tap("Confirm and send 2").Expect(t, "⏳ Not confirmed yet: 2")
	e.H.Clock.Advance(2 * time.Minute)
	e.U.Tap("Check again").Expect(t, "updated", "✅ Sent: 2 (15.00 USDC)", "All sent.")
	e.H.Clock.Advance(20 * time.Minute)
	if _, b := e.U.FindButton("Retry"); b.Data != "" {
		t.Fatal("Retry offered for lines CopperX made")
	}
	if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1}) {
		t.Errorf("sends = %v", got)
	}
}

// TestBatchRetryFindsLateTransfer: the second line of defence. A retry's lines
// are listed before they are sent: one CopperX made after all (a lost
// answer whose work landed after the line was declared absent) is not
// sent again.
func TestBatchRetryFindsLateTransfer(t *testing.T) {
	e := newEnv(t, setup{})
	e.Emu.Fail("POST", "/api/transfers/send-batch", copperxtest.Fault{LateWork: 14 * time.Minute, Times: 1})
	batchOf(t, e, "bob@example.com 10")
	e.U.Tap("Confirm and send 1").Expect(t, "⏳ Not confirmed yet: 1")
	e.H.Clock.Advance(11 * time.Minute)
	e.U.Tap("Check again").Expect(t, "not sent (CopperX has no record of it)")
	e.U.Tap("Retry failed line").Expect(t, "Lines: 1")
	// CopperX makes the first submit's transfer now, before the retry's Confirm.
	e.H.Clock.Advance(4 * time.Minute)
	e.Emu.Advance(0)
	e.U.Tap("Confirm and send 1 again").Expect(t, "CopperX already had it, so it was not sent again")
	if got := sentTo(e); got["bob@example.com"] != 1 {
		t.Errorf("sends = %v: bob was paid twice", got)
	}
	if n := batchPosts(e); n != 1 {
		t.Errorf("%d send-batch calls, want 1 (the retry had nothing to send)", n)
	}
}

// TestBatchDoubleTap: a second tap on Confirm, a redelivered tap and a
// tap on another replica at the same time all make one send-batch call;
// the late ones are told what the first did.
func TestBatchDoubleTap(t *testing.T) {
	t.Run("again after", func(t *testing.T) {
		e := newEnv(t, setup{})
		batchOf(t, e, "bob@example.com 10\ncarol@example.com 5")
		m, b := e.U.MustFindButton(t, "Confirm and send 2")
		e.U.Tap("Confirm and send 2").Expect(t, "✅ Sent: 2")
		r := e.U.Retap(m, b).Expect(t, "Already confirmed: 2 sent, 0 not sent, 0 not confirmed yet. Nothing more was sent.")
		if len(r.Kinds()) != 1 || r[0].Kind != "answer" || !r[0].Alert {
			t.Errorf("a repeated Confirm did more than alert: %v", r.Kinds())
		}
		if n := batchPosts(e); n != 1 {
			t.Errorf("%d send-batch calls, want 1", n)
		}
	})
	for _, redis := range []bool{false, true} {
		t.Run(fmt.Sprintf("two replicas, redis %v", redis), func(t *testing.T) {
			// Replicas seal sessions with one key, so they share them, login included.
			key := []string{"SESSION_ENCRYPTION_KEY=" + strings.Repeat("ab", 32)}
			one := newEnv(t, setup{redis: redis, env: key})
			two := newEnv(t, setup{store: one.H.Store, emulator: one.Emu, env: key, noLogin: true})
			batchOf(t, one, "bob@example.com 10\ncarol@example.com 5")
			m, b := one.U.MustFindButton(t, "Confirm and send 2")
			var wg sync.WaitGroup
			// Two taps are two updates, with Telegram's increasing ids.
			first, second := one.U.CallbackUpdate(m.ID, b.Data), two.U.CallbackUpdate(m.ID, b.Data)
			var replies [2]string
			wg.Go(func() { replies[0] = one.U.Handle(first).Text() })
			wg.Go(func() { replies[1] = two.U.Handle(second).Text() })
			wg.Wait()
			both := replies[0] + replies[1]
			if strings.Count(both, "✅ Sent: 2") != 1 || strings.Count(both, "Already confirmed") != 1 {
				t.Errorf("want one result and one alert: %q", replies)
			}
			if n := batchPosts(one); n != 1 {
				t.Errorf("%d send-batch calls, want 1", n)
			}
			if got := sentTo(one); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1}) {
				t.Errorf("sends = %v", got)
			}
		})
	}
}

// TestBatchConfirmChecks: a summary older than confirm_ttl, and one whose
// wallet addresses were checked for a network the default wallet is no
// longer on, send nothing.
func TestBatchConfirmChecks(t *testing.T) {
	t.Run("expired", func(t *testing.T) {
		e := newEnv(t, setup{})
		batchOf(t, e, "bob@example.com 10")
		e.H.Clock.Advance(6 * time.Minute)
		e.U.Tap("Confirm and send 1").Expect(t, "This summary expired (Confirm is valid for 5 minutes). Nothing was sent")
		if n := batchPosts(e); n != 0 {
			t.Errorf("%d send-batch calls", n)
		}
	})
	t.Run("default wallet changed", func(t *testing.T) {
		e := newEnv(t, setup{})
		batchOf(t, e, addr+" 10")
		var base string
		for _, w := range e.Wallets() {
			if w.Network == copperxtest.NetworkBase {
				base = w.ID
			}
		}
		if _, err := e.API.SetDefaultWallet(context.Background(), token(e), base); err != nil {
			t.Fatal(err)
		}
		e.U.Tap("Confirm and send 1").Expect(t, "Your default wallet changed to Base since the summary, and the wallet addresses were checked for Polygon. Nothing was sent")
		if n := batchPosts(e); n != 0 {
			t.Errorf("%d send-batch calls", n)
		}
	})
	t.Run("default wallet changed while adding lines", func(t *testing.T) {
		e := newEnv(t, setup{})
		batchOf(t, e, addr+" 10")
		for _, w := range e.Wallets() {
			if w.Network == copperxtest.NetworkBase {
				if _, err := e.API.SetDefaultWallet(context.Background(), token(e), w.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.U.Tap("Add lines")
		e.U.Send("bob@example.com 5").Expect(t, "Your default wallet changed to Base since the summary")
		e.U.Send("carol@example.com 5").Expect(t, "I didn't understand")
		if n := batchPosts(e); n != 0 {
			t.Errorf("%d send-batch calls", n)
		}
	})
	t.Run("retry without a listing", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.Emu.FailBatchItemLike("*-1-1", 422, "Insufficient balance")
		batchOf(t, e, "bob@example.com 10\ncarol@example.com 5")
		e.U.Tap("Confirm and send 2").Expect(t, "1. ❌ bob@example.com — 10.00 USDC: not sent, not enough balance (fees included)")
		e.U.Tap("Retry failed line")
		e.Emu.Fail("GET", "/api/transfers", copperxtest.Fault{Status: 500})
		e.U.Tap("Confirm and send 1 again").Expect(t, "nothing was sent again", "1. ❌ bob@example.com", "Retry failed line")
		if n := batchPosts(e); n != 1 {
			t.Fatalf("%d send-batch calls: a retry resent without checking CopperX's listing", n)
		}
		e.Emu.ClearFaults()
		e.U.Tap("Retry failed line")
		e.U.Tap("Confirm and send 1 again").Expect(t, "✅ Sent: 2")
		if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1}) {
			t.Errorf("sends = %v", got)
		}
	})
	t.Run("refused whole", func(t *testing.T) {
		e := newEnv(t, setup{})
		e.Emu.Fail("POST", "/api/transfers/send-batch", copperxtest.Fault{Status: 429, Times: 1})
		batchOf(t, e, "bob@example.com 10")
		e.U.Tap("Confirm and send 1").Expect(t, "1. ❌ bob@example.com — 10.00 USDC: not sent, CopperX was busy", "Retry failed line")
		e.U.Tap("Retry failed line")
		e.U.Tap("Confirm and send 1 again").Expect(t, "✅ Sent: 1")
		if got := sentTo(e); got["bob@example.com"] != 1 {
			t.Errorf("sends = %v", got)
		}
	})
}

// TestBatchAccess: /batch needs a login, approved KYC and a private chat.
func TestBatchAccess(t *testing.T) {
	e := newEnv(t, setup{noLogin: true})
	e.U.Send("/batch").Expect(t, "Please log in first")
	k := newEnv(t, setup{kyc: "pending"})
	k.U.Send("/batch").Expect(t, "KYC not approved")
	g := newEnv(t, setup{})
	group := g.H.Group(-100, g.U.UserID)
	group.Send("/batch").Expect(t, "private chat")
	for _, env := range []*plugintest.Env{e, k, g} {
		if calls := env.Emu.Calls(); slices.ContainsFunc(calls, func(c copperxtest.Call) bool { return c.Path == "/api/wallets/balances" }) {
			t.Errorf("a refused /batch asked CopperX for balances")
		}
	}
}

// TestSubmitLimit: Confirms past rate_limits.payouts.submit are refused
// with a notice, sending nothing, and go through once the window passes.
func TestSubmitLimit(t *testing.T) {
	e := newEnv(t, setup{config: "rate_limits:\n  payouts:\n    submit: {rate: 1, period: 1m, burst: 1}\n"})
	batchOf(t, e, "bob@example.com 1")
	e.U.Tap("Confirm and send 1").Expect(t, "✅ Sent: 1")
	batchOf(t, e, "carol@example.com 1")
	e.U.Tap("Confirm and send 1").Expect(t, "You are confirming very fast. Please try again in")
	if n := batchPosts(e); n != 1 {
		t.Fatalf("%d send-batch calls past the limit", n)
	}
	e.H.Clock.Advance(time.Minute)
	e.U.Tap("Confirm and send 1").Expect(t, "✅ Sent: 1")
	if got := sentTo(e); !maps.Equal(got, map[string]int{"bob@example.com": 1, "carol@example.com": 1}) {
		t.Errorf("sends = %v", got)
	}
}
