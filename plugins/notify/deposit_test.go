package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// TestDepositMessage: a deposit reaches the user's chat once, with the
// amount, the network's name and the new balance, in their language and
// written its way (the language file owns the separators).
func TestDepositMessage(t *testing.T) {
	for _, tc := range []struct {
		lang, network, amount string
		want                  []string
	}{
		{"en", "137", "10", []string{"You received <b>10.00 USDC</b> on Polygon.", "New balance on Polygon: <b>1,260.50 USDC</b>"}},
		{"es", "8453", "1234.5", []string{"Recibiste <b>1.234,50 USDC</b> en Base.", "Nuevo saldo en Base: <b>1.534,50 USDC</b>"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			w := newWorld(t)
			r := w.replica(replicaOptions{lang: tc.lang, noLogin: true})
			tr := kerneltest.NewTranscript(r.U).Replace(r.Token, "<token>").Replace(w.org, "<org>")
			tr.Send("/fakelogin "+r.Token+" approved "+w.org).Expect(t, "Logged in (test).")
			w.ready(r)

			from := r.H.API.EventCount(r.U.ChatID)
			w.deposit(tc.amount, tc.network)
			got := waitDeposits(t, 1, r)
			waitFor(t, "the deposit handled", func() bool { return r.logs("deposit announced") == 1 })
			exactDeposits(t, 1, r)
			tr.Record("(CopperX: a deposit of "+tc.amount+" USDC on network "+tc.network+")", kerneltest.Replies(r.H.API.Events(r.U.ChatID, from)))
			for _, want := range tc.want {
				if !strings.Contains(got[0].Text, want) {
					t.Errorf("message lacks %q:\n%s", want, got[0].Text)
				}
			}
			if got[0].ChatID != r.U.ChatID || got[0].ParseMode != "HTML" || len(got[0].Buttons) != 0 {
				t.Errorf("sent to chat %d with parse mode %q and buttons %v", got[0].ChatID, got[0].ParseMode, got[0].Buttons)
			}
			tr.Check(t, "deposit_"+tc.lang)
			if n := len(w.emu.CallsTo("GET", "/api/wallets/balances")); n != 1 {
				t.Errorf("%d balance calls, want 1", n)
			}
		})
	}
}

func TestParseDeposit(t *testing.T) {
	for _, tc := range []struct {
		name, data              string
		amount, currency, netID string
		id                      string // "" = a payload hash
		wantErr                 bool
	}{
		{name: "emulator", data: `{"title":"Deposit Received","amount":"10","currency":"USDC","metadata":{"network":"137","txHash":"0xAbC123def456"},"organizationId":"o"}`,
			amount: "10", currency: "USDC", netID: "137", id: "0xabc123def456"},
		{name: "flat fields", data: `{"amount":12.5,"currency":"usdt","network":8453,"transactionHash":"0x1111222233334444"}`,
			amount: "12.5", currency: "USDT", netID: "8453", id: "0x1111222233334444"},
		{name: "txId", data: `{"amount":"1","txId":"5VfYmGC9L2VTBbvLkUQn"}`, amount: "1", id: "5VfYmGC9L2VTBbvLkUQn"},
		{name: "empty object", data: `{}`},
		{name: "nonsense values", data: `{"amount":"-3","currency":"<script>","network":"137; drop","txHash":"short"}`},
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
			case tc.id != "" && d.ID != tc.id:
				t.Errorf("id = %q, want %q", d.ID, tc.id)
			case tc.id == "" && !strings.HasPrefix(d.ID, "p"):
				t.Errorf("id = %q, want a payload hash", d.ID)
			}
		})
	}
}

// TestLiveAndCatchUpAgree: the event and the listed transfer of one
// deposit dedupe to the same id.
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
	if listed.ID != live.ID || !listed.Amount.Equal(live.Amount) || listed.Network != live.Network || listed.Currency != "USDC" {
		t.Fatalf("live %+v, listed %+v", live, listed)
	}
	tr.Transactions = nil
	if got := fromTransfer(tr).ID; got != "tr-1" {
		t.Fatalf("without a hash the id is %q, want the transfer id", got)
	}
}
