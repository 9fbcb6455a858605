package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// TestDepositMessage: a deposit reaches the user's chat once, with the
// amount, the network's name, the new balance and a link to the
// transaction, in their language and written its way (the language file
// owns the separators), with buttons to the balance and to the transfer's
// details that run those plugins' actions.
func TestDepositMessage(t *testing.T) {
	for _, tc := range []struct {
		lang, network, amount string
		want                  []string
		balance, details      string // the buttons' labels
	}{
		{"en", "137", "10", []string{"You received <b>10.00 USDC</b> on Polygon.", "New balance on Polygon: <b>1,260.50 USDC</b>",
			`🔎 <a href="https://polygonscan.com/tx/`}, "View balance", "Details"},
		{"es", "8453", "1234.5", []string{"Recibiste <b>1.234,50 USDC</b> en Base.", "Nuevo saldo en Base: <b>1.534,50 USDC</b>",
			`🔎 <a href="https://basescan.org/tx/`}, "Ver saldo", "Detalles"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			w := newWorld(t)
			r := w.replica(replicaOptions{lang: tc.lang, noLogin: true})
			tr := kerneltest.NewTranscript(r.U).Replace(r.Token, "<token>").Replace(w.org, "<org>")
			tr.Send("/fakelogin "+r.Token+" approved "+w.org).Expect(t, "Logged in (test).")
			w.ready(r)

			from := r.H.API.EventCount(r.U.ChatID)
			transfer, hash := w.deposit(tc.amount, tc.network)
			tr.Replace(transfer, "<transfer>").Replace(hash, "<tx>")
			got := waitDeposits(t, 1, r)
			waitFor(t, "the deposit handled", func() bool { return r.logs("deposit announced") == 1 })
			exactDeposits(t, 1, r)
			tr.Record("(CopperX: a deposit of "+tc.amount+" USDC on network "+tc.network+")", kerneltest.Replies(r.H.API.Events(r.U.ChatID, from)))
			for _, want := range append(tc.want, hash+`">`) {
				if !strings.Contains(got[0].Text, want) {
					t.Errorf("message lacks %q:\n%s", want, got[0].Text)
				}
			}
			if got[0].ChatID != r.U.ChatID || got[0].ParseMode != "HTML" {
				t.Errorf("sent to chat %d with parse mode %q", got[0].ChatID, got[0].ParseMode)
			}
			buttons := got[0].AllButtons()
			if len(buttons) != 2 || kerneltest.Target(buttons[0]) != "run wallet.balance" || kerneltest.Target(buttons[1]) != "run transfer.history "+transfer {
				t.Fatalf("buttons: %+v", buttons)
			}
			if n := len(buttons[1].Data); n != kernel.MaxCallbackData {
				t.Errorf("the Details button carries %d bytes; a 36-character id fills the %d Telegram allows", n, kernel.MaxCallbackData)
			}
			tr.Tap(tc.details).Expect(t, "(stub) transfer.history "+transfer)
			tr.Tap(tc.balance).Expect(t, "(stub) wallet.balance")
			tr.Check(t, "deposit_"+tc.lang)
			if n := len(w.emu.CallsTo("GET", "/api/wallets/balances")); n != 1 {
				t.Errorf("%d balance calls, want 1", n)
			}
		})
	}
}

// TestDepositButtons: the Details button goes with a transfer id that
// fits Telegram's 64 bytes and is left out for an unknown or longer one;
// both buttons are left out when no command runs their action; the
// explorer link needs the network's template and the hash.
func TestDepositButtons(t *testing.T) {
	uuid := "0b6f3c1e-4a55-4d2e-9a0c-7f1d2e3c4b5a"
	for _, tc := range []struct {
		name    string
		config  string // merged over replicaConfig
		d       deposit
		buttons []string // targets
		link    string   // "" = no explorer link
	}{
		{name: "uuid", d: deposit{TransferID: uuid, Network: "137", TxHash: "0xabc12345"},
			buttons: []string{"run wallet.balance", "run transfer.history " + uuid}, link: "https://polygonscan.com/tx/0xabc12345"},
		{name: "unknown transfer", d: deposit{Network: "137"}, buttons: []string{"run wallet.balance"}},
		{name: "too long an id", d: deposit{TransferID: uuid + "0"}, buttons: []string{"run wallet.balance"}},
		{name: "an id with a colon", d: deposit{TransferID: "a:b"}, buttons: []string{"run wallet.balance"}},
		{name: "no explorer for the network", d: deposit{TransferID: uuid, Network: "424242", TxHash: "0xabc12345"},
			buttons: []string{"run wallet.balance", "run transfer.history " + uuid}},
		{name: "plugins disabled", config: "plugins: {wallet: {enabled: false}, transfer: {enabled: false}}",
			d: deposit{TransferID: uuid, Network: "137", TxHash: "0xabc12345"}, link: "https://polygonscan.com/tx/0xabc12345"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.replica(replicaOptions{noStart: true, noLogin: true, config: tc.config})
			to := kernel.Recipient{ChatID: r.U.ChatID, UserID: r.U.UserID}
			_, err := r.n.notifier.Send(context.Background(), to, func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
				text, kb := r.n.message(c, recipient{}, tc.d)
				return text, kb, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			m := r.U.Last()
			var targets []string
			for _, b := range m.AllButtons() {
				targets = append(targets, kerneltest.Target(b))
			}
			if strings.Join(targets, ", ") != strings.Join(tc.buttons, ", ") {
				t.Errorf("buttons %q, want %q", targets, tc.buttons)
			}
			if has := strings.Contains(m.Text, "<a href="); has != (tc.link != "") || !strings.Contains(m.Text, tc.link) {
				t.Errorf("explorer link: want %q in:\n%s", tc.link, m.Text)
			}
		})
	}
}

// TestListingWins: a live event whose amount is in other units (here
// 10^8 of them) is announced with the amount CopperX lists for the same
// transaction, and the listing's transfer id makes the Details button.
func TestListingWins(t *testing.T) {
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
	transfer, hash := w.deposit("12.5", "137") // the emulator's own event goes nowhere: the replica listens to fp
	// The hash written in capitals: hex hashes compare in lower case.
	send <- `{"event":"deposit","channel":"` + channel + `","data":{"amount":"1250000000","currency":"USDC","metadata":{"network":"137","txHash":"` + strings.ToUpper(hash) + `"}}}`
	got := waitDeposits(t, 1, r)
	if !strings.Contains(got[0].Text, "You received <b>12.50 USDC</b> on Polygon.") {
		t.Errorf("the listing's amount did not win:\n%s", got[0].Text)
	}
	if b := got[0].AllButtons(); len(b) != 2 || kerneltest.Target(b[1]) != "run transfer.history "+transfer {
		t.Errorf("buttons: %+v", b)
	}
}

// TestEventWithoutHash: a live event without a transaction hash is looked
// up in the listing and keyed like the listed transfer, so the catch-up
// after a reconnect does not announce it again; the listing's hash gives
// the explorer link, its id the Details button.
func TestEventWithoutHash(t *testing.T) {
	w := newWorld(t)
	channel := copperx.PrivateOrgChannel(w.org)
	send := make(chan string)
	fp := newFakePusher(t, func(ctx context.Context, ws *websocket.Conn, n int32, in <-chan frame) {
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
				if s == "close" {
					_ = ws.Close(websocket.StatusGoingAway, "restart")
					return
				}
				say(ctx, ws, s)
			}
		}
	})
	r := w.replica(replicaOptions{wsURL: fp.url()})
	w.ready(r)
	w.deposit("3", "137") // an older deposit of another amount
	transfer, hash := w.deposit("7", "137")
	stamp := time.Now().UTC().Format(time.RFC3339)
	send <- `{"event":"deposit","channel":"` + channel + `","data":{"amount":"7","currency":"USDC","metadata":{"network":"137"},"timestamp":"` + stamp + `"}}`
	got := waitDeposits(t, 1, r)
	for _, want := range []string{"You received <b>7.00 USDC</b> on Polygon.", hash} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("message lacks %q:\n%s", want, got[0].Text)
		}
	}
	if b := got[0].AllButtons(); len(b) != 2 || kerneltest.Target(b[1]) != "run transfer.history "+transfer {
		t.Errorf("buttons: %+v", b)
	}
	// Keyed by the listed transfer's hash (the seen mark follows the send).
	waitFor(t, "the seen mark under the transfer's hash", func() bool {
		raw, _, _ := r.H.Store.Get(context.Background(), seenKey(w.org, hash), 0)
		return raw != nil
	})
	// A reconnect: the catch-up lists both deposits; the one announced
	// live is not repeated, the 3 USDC one (never announced) is.
	catchUps := r.logs("catch-up finished")
	send <- "close"
	got = waitDeposits(t, 2, r)
	waitFor(t, "the catch-up after the reconnect", func() bool { return r.logs("catch-up finished") > catchUps })
	exactDeposits(t, 2, r)
	if !strings.Contains(got[1].Text, "<b>3.00 USDC</b>") {
		t.Errorf("caught up:\n%s", got[1].Text)
	}
}

func TestParseDeposit(t *testing.T) {
	for _, tc := range []struct {
		name, data              string
		amount, currency, netID string
		key                     string // "" = a payload hash
		at                      string
		wantErr                 bool
	}{
		{name: "emulator", data: `{"title":"Deposit Received","amount":"10","currency":"USDC","metadata":{"network":"137","txHash":"0xAbC123def456"},"organizationId":"o","timestamp":"2026-03-20T10:00:00Z"}`,
			amount: "10", currency: "USDC", netID: "137", key: "0xabc123def456", at: "2026-03-20T10:00:00Z"},
		{name: "flat fields", data: `{"amount":12.5,"currency":"usdt","network":8453,"transactionHash":"0x1111222233334444"}`,
			amount: "12.5", currency: "USDT", netID: "8453", key: "0x1111222233334444"},
		{name: "txId", data: `{"amount":"1","txId":"5VfYmGC9L2VTBbvLkUQn"}`, amount: "1", key: "5VfYmGC9L2VTBbvLkUQn"},
		{name: "empty object", data: `{}`},
		{name: "nonsense values", data: `{"amount":"-3","currency":"<script>","network":"137; drop","txHash":"short","timestamp":"yesterday"}`},
		{name: "metadata not an object", data: `{"amount":"2","metadata":"x","network":"137"}`, amount: "2", netID: "137"},
		{name: "huge amount text", data: `{"amount":"` + strings.Repeat("9", 60) + `"}`},
		{name: "array", data: `[1]`, wantErr: true},
		{name: "string", data: `"hi"`, wantErr: true},
		{name: "not json", data: `{oops`, wantErr: true},
		{name: "empty", data: ``, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDeposit([]byte(tc.data))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error for %q", tc.data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantAmount := decimal.Zero
			if tc.amount != "" {
				wantAmount = decimal.RequireFromString(tc.amount)
			}
			if !d.Amount.Equal(wantAmount) || d.Currency != tc.currency || d.Network != tc.netID {
				t.Errorf("got %s %q on %q", d.Amount, d.Currency, d.Network)
			}
			switch {
			case tc.key != "" && (d.Key != tc.key || d.TxHash != tc.key):
				t.Errorf("key %q, hash %q; want %q", d.Key, d.TxHash, tc.key)
			case tc.key == "" && (!strings.HasPrefix(d.Key, "p") || d.TxHash != ""):
				t.Errorf("key %q, hash %q; want a payload hash", d.Key, d.TxHash)
			}
			if got := d.At.Format(time.RFC3339); (tc.at == "" && !d.At.IsZero()) || (tc.at != "" && got != tc.at) {
				t.Errorf("at %v, want %q", d.At, tc.at)
			}
		})
	}
}

// TestLiveAndCatchUpAgree: the event and the listed transfer of one
// deposit have the same key.
func TestLiveAndCatchUpAgree(t *testing.T) {
	live, err := parseDeposit([]byte(`{"amount":"10","metadata":{"network":"137","txHash":"0xABCDEF0123456789"}}`))
	if err != nil {
		t.Fatal(err)
	}
	tr := copperx.Transfer{ID: "tr-1", Type: "deposit", Currency: "usdc", CreatedAt: time.Now(),
		Amount:             copperx.UnitsOf(decimal.RequireFromString("10")),
		DestinationAccount: &copperx.TransferAccount{Network: "137"},
		Transactions:       []copperx.Transaction{{TransactionHash: "0xabcdef0123456789"}}}
	listed := fromTransfer(tr)
	if listed.Key != live.Key || !listed.Amount.Equal(live.Amount) || listed.Network != live.Network || listed.Currency != "USDC" || listed.TransferID != "tr-1" {
		t.Fatalf("live %+v, listed %+v", live, listed)
	}
	tr.Transactions = nil
	if got := fromTransfer(tr).Key; got != "tr-1" {
		t.Fatalf("without a hash the key is %q, want the transfer id", got)
	}
}

// TestCandidates: which listed deposits a live event may be.
func TestCandidates(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	transfer := func(id, amount, network, currency, hash string, age time.Duration) copperx.Transfer {
		t := copperx.Transfer{ID: id, Type: "deposit", Status: "success", Currency: currency, CreatedAt: now.Add(-age),
			Amount: copperx.UnitsOf(decimal.RequireFromString(amount)), DestinationAccount: &copperx.TransferAccount{Network: network}}
		if hash != "" {
			t.Transactions = []copperx.Transaction{{TransactionHash: hash}}
		}
		return t
	}
	listed := []copperx.Transfer{ // newest first, as the API lists
		transfer("t5", "10", "137", "USDC", "0xeeee5555", time.Minute),
		transfer("t4", "10", "8453", "USDC", "0xdddd4444", 2*time.Minute),
		transfer("t3", "10", "137", "USDT", "0xcccc3333", 3*time.Minute),
		transfer("t2", "10", "137", "USDC", "", 4*time.Minute),
		transfer("t1", "10", "137", "USDC", "0xaaaa1111", time.Hour),
	}
	failed := transfer("t0", "10", "137", "USDC", "", time.Minute)
	failed.Status = "failed"
	listed = append(listed, failed)
	for _, tc := range []struct {
		name  string
		event string
		want  string // ids
	}{
		{"by hash", `{"amount":"99","txHash":"0xDDDD4444"}`, "t4"},
		{"unknown hash", `{"amount":"10","txHash":"0xffff9999"}`, ""},
		{"amount, network and currency", `{"amount":"10","network":"137","currency":"USDC"}`, "t2 t5"},
		{"in API units", `{"amount":"1000000000","network":"137","currency":"USDC"}`, "t2 t5"},
		{"in token units", `{"amount":"10000000","network":"137","currency":"USDC"}`, "t2 t5"},
		{"no network said", `{"amount":"10","currency":"USDC"}`, "t2 t4 t5"},
		{"other currency", `{"amount":"10","network":"137","currency":"USDT"}`, "t3"},
		{"another amount", `{"amount":"11","network":"137"}`, ""},
		{"no amount", `{"network":"137"}`, ""},
		{"an hour ago", `{"amount":"10","network":"137","currency":"USDC","timestamp":"2026-03-20T09:00:00Z"}`, "t1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDeposit([]byte(tc.event))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range candidates(d, listed, now) {
				ids = append(ids, c.ID)
			}
			if got := strings.Join(ids, " "); got != tc.want {
				t.Errorf("candidates %q, want %q", got, tc.want)
			}
		})
	}
}
