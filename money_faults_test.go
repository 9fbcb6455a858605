package main

// The fault suite of issue 15, money part, run against the real binary:
// a signal, a Redis restart and a Redis snapshot restore arriving around
// a Confirm. The in-process halves (a gateway 504 whose work completes
// later, the Bot API failing the receipt, double taps, two replicas) are
// in plugins/transfer (track_test.go, confirm_test.go).

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

const sendPath = "/api/transfers/send"

// summary logs the user in and brings them to the Confirm of a 9 USDC
// send to bob@example.com; it returns the Confirm tap.
func (c conversation) summary() gotgbot.Update {
	c.t.Helper()
	c.login("ada@example.com")
	c.say("/send 9 bob@example.com", locale(c.t, "transfer.summary.title"))
	u, ok := c.tg.tap(c.id, "Confirm")
	if !ok {
		c.t.Fatalf("no Confirm button:\n%s", strings.Join(c.tg.texts(c.id, 0), "\n---\n"))
	}
	return u
}

// retap is a new tap with the data of an earlier one (a second tap on a
// button the app still shows).
func retap(u gotgbot.Update) gotgbot.Update {
	q := *u.CallbackQuery
	q.Id += "-again"
	return gotgbot.Update{UpdateId: updateSeq.Add(1), CallbackQuery: &q}
}

// startedPost waits until the emulator has received a send POST.
func startedPost(t *testing.T, emu *copperxtest.Server) {
	t.Helper()
	waitFor(t, 20*time.Second, "the send POST", func() bool {
		return len(emu.CallsTo("POST", sendPath)) == 1
	})
}

// TestFaultSIGTERMMidConfirm: SIGTERM arrives while a Confirm waits on
// CopperX's answer to the send. The process drains: the Confirm finishes,
// the webhook answers 200, the user gets the receipt with the transfer id,
// and the process exits 0 with nothing logged at WARN. Guards the drain of
// kernel.Run (http.shutdown_timeout > updates.handler_timeout, in-flight
// updates awaited before the listener closes, a signal-initiated shutdown
// exiting 0).
func TestFaultSIGTERMMidConfirm(t *testing.T) {
	emu := newEmulator(t)
	s := &botSetup{tg: newTelegram(t), apiURL: emu.URL(), wsURL: emu.WSURL(), key: sessionKey(t), webhook: true, secret: webhookSecret}
	b := startBot(t, s, 0)
	const chat = 8_800_001
	user := conversation{t: t, tg: s.tg, id: chat, via: b}
	confirm := user.summary()

	const latency = 2 * time.Second
	emu.Fail("POST", sendPath, copperxtest.Fault{Latency: latency, Times: 1})
	from := s.tg.api.EventCount(chat)
	answered := make(chan int, 1)
	go func() { answered <- b.deliver(confirm) }()
	startedPost(t, emu)
	signalled := time.Now()
	b.stop(t) // SIGTERM while the POST is in flight; exit 0, no WARN
	exited := time.Since(signalled)
	code := <-answered

	transfers := emu.Transfers("ada@example.com")
	receipt := s.tg.count(chat, from, "Sent 9.00 USDC")
	t.Logf("SIGTERM while a send POST waited %s on CopperX: the webhook answered %d, the process exited %s after the signal; %d receipt(s), %d transfer(s), %d POST(s)",
		latency, code, exited.Round(time.Millisecond), receipt, len(transfers), len(emu.CallsTo("POST", sendPath)))
	if code != http.StatusOK {
		t.Errorf("the Confirm's webhook request was answered %d, want 200 (handled before the exit)", code)
	}
	if receipt != 1 || len(transfers) != 1 || !strings.Contains(strings.Join(s.tg.texts(chat, from), "\n"), transfers[0].ID) {
		t.Errorf("want one receipt naming the one transfer; chat:\n%s", strings.Join(s.tg.texts(chat, from), "\n---\n"))
	}
	if exited < latency/2 {
		t.Errorf("the process exited %s after SIGTERM, before the send it was waiting on could answer", exited)
	}
}

// TestFaultRedisRestartMidSubmit: Redis (without persistence) stops while
// a Confirm waits on CopperX's answer and comes back empty. The transfer
// was made, so the user gets the receipt with its id — never an apology
// or "try again" — and the webhook answers 200 although the turn could
// not be saved: a 503 would have Telegram deliver a Confirm that moved
// money again. The same update delivered again anyway (a duplicate
// delivery; its dedupe record was lost with Redis) and a second tap send
// nothing more. Guards plugins/transfer's submit after the POST (the
// receipt does not wait on the outcome record) and kernel/router.go
// handleUpdate's end of a turn that moved money (c.Irreversible: logged,
// not apologised for, never handed back to Telegram).
func TestFaultRedisRestartMidSubmit(t *testing.T) {
	rs := startRedisServer(t)
	emu := newEmulator(t)
	s := &botSetup{tg: newTelegram(t), redisURL: rs.url(), prefix: "cxbot:", key: sessionKey(t), webhook: true, secret: webhookSecret,
		apiURL: emu.URL(), wsURL: emu.WSURL()}
	b := startBot(t, s, 0)
	const chat = 8_800_002
	user := conversation{t: t, tg: s.tg, id: chat, via: b}
	confirm := user.summary()

	emu.Fail("POST", sendPath, copperxtest.Fault{Latency: time.Second, Times: 1})
	from := s.tg.api.EventCount(chat)
	answered := make(chan int, 1)
	go func() { answered <- b.deliver(confirm) }()
	startedPost(t, emu)
	rs.stop()
	rs.flush() // back empty, as a redis-server without persistence
	code := <-answered
	rs.start()
	tries, err := b.deliverUntilHandled(confirm, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// A second tap on the Confirm the app may still show.
	if _, err := b.deliverUntilHandled(retap(confirm), 30*time.Second); err != nil {
		t.Fatal(err)
	}

	chatText := strings.Join(s.tg.texts(chat, from), "\n---\n")
	transfers := emu.Transfers("ada@example.com")
	posts := len(emu.CallsTo("POST", sendPath))
	t.Logf("Redis stopped during the send POST: the webhook answered %d; the redelivery was accepted at delivery %d; %d receipt(s), %d transfer(s), %d POST(s) after the redelivery and a second tap",
		code, tries, s.tg.count(chat, from, "Sent 9.00 USDC"), len(transfers), posts)
	if posts != 1 || len(transfers) != 1 {
		t.Fatalf("%d POSTs, %d transfers; want 1 and 1:\n%s", posts, len(transfers), chatText)
	}
	if code != http.StatusOK {
		t.Errorf("the Confirm that moved money was answered %d; want 200 (Telegram must not deliver it again)", code)
	}
	if !strings.Contains(chatText, "Sent 9.00 USDC") || !strings.Contains(chatText, transfers[0].ID) {
		t.Errorf("no receipt naming transfer %s:\n%s", transfers[0].ID, chatText)
	}
	for _, never := range []string{locale(t, "kernel.error"), "try again", "Try again"} {
		if strings.Contains(chatText, never) {
			t.Errorf("%q told to a user whose transfer was made:\n%s", never, chatText)
		}
	}
	// Expected: the writes that failed while Redis was down.
	b.stop(t, "connection refused", "connect: ")
}

// TestFaultSnapshotRestoreAfterConfirm: a redis-server the test runs on a
// free port is snapshotted (SAVE) while the user looks at the summary,
// the user confirms, and the server is restarted from that snapshot: the
// claim, the outcome and the ended flow are gone, as after any write loss.
// Tapping Confirm again is answered from CopperX's own listing ("already
// had this transfer") and makes no second transfer. Guards the second
// line of defence in plugins/transfer (the listing compared before any
// submit). Without redis-server, a miniredis whose keys the test copies
// and puts back.
func TestFaultSnapshotRestoreAfterConfirm(t *testing.T) {
	rs := startRedisServer(t, withSnapshots(t.TempDir()))
	emu := newEmulator(t)
	s := &botSetup{tg: newTelegram(t), redisURL: rs.url(), prefix: "cxbot:", key: sessionKey(t), webhook: true, secret: webhookSecret,
		apiURL: emu.URL(), wsURL: emu.WSURL()}
	b := startBot(t, s, 0)
	const chat = 8_800_003
	user := conversation{t: t, tg: s.tg, id: chat, via: b}
	confirm := user.summary()

	rs.snapshot()
	user.send(confirm, "Sent 9.00 USDC")
	rs.restore()
	from := s.tg.api.EventCount(chat)
	user.send(retap(confirm), "already had this transfer")

	transfers := emu.Transfers("ada@example.com")
	posts := len(emu.CallsTo("POST", sendPath))
	t.Logf("Confirm tapped again after a restore from a snapshot taken before it: %d POST(s), %d transfer(s); told %q",
		posts, len(transfers), strings.Join(s.tg.texts(chat, from), " / "))
	if posts != 1 || len(transfers) != 1 {
		t.Fatalf("%d POSTs and %d transfers after the restore; want 1 and 1", posts, len(transfers))
	}
	if !strings.Contains(strings.Join(s.tg.texts(chat, from), "\n"), transfers[0].ID) {
		t.Errorf("the answer does not name transfer %s: %q", transfers[0].ID, s.tg.texts(chat, from))
	}
	b.stop(t, "an identical transfer was made since the summary was shown")
}
