package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
)

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

func TestNumberFormat(t *testing.T) {
	for _, tc := range []struct{ lang, in, want string }{
		{"en", "1260.5", "1,260.50"},
		{"es", "1260.5", "1.260,50"},
		{"es-AR", "1234567.123456", "1.234.567,123456"},
		{"", "10", "10.00"},
		{"fr", "999", "999.00"},
	} {
		if got := numberFormatFor(tc.lang).format(decimal.RequireFromString(tc.in), 2); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}
