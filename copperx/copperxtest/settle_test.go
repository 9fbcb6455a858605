package copperxtest

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestSettle moves processing transfers of each kind to each final status
// and checks the balances: a failed, canceled or refunded outgoing transfer
// gives amount + fee back and takes back what an emulator recipient got.
func TestSettle(t *testing.T) {
	const alice, bob = "alice@example.com", "bob@example.com"
	external := "0x" + strings.Repeat("e", 40)
	kinds := []struct {
		name string
		path string
		body func(s *Server, c *client) any
		// credited: the emulator user the transfer credits at once ("" none)
		credited string
	}{
		{"send to an external address", "/api/transfers/send", func(*Server, *client) any {
			return map[string]string{"walletAddress": external, "amount": "1000000000", "purposeCode": "self"}
		}, ""},
		{"send to an emulator user's address", "/api/transfers/send", func(*Server, *client) any {
			return map[string]string{"walletAddress": evmAddress("wallet:" + bob), "amount": "1000000000", "purposeCode": "self"}
		}, bob},
		{"wallet withdraw to an emulator user", "/api/transfers/wallet-withdraw", func(*Server, *client) any {
			return map[string]string{"walletAddress": evmAddress("wallet:" + bob), "amount": "1000000000", "purposeCode": "self"}
		}, bob},
		{"offramp", "/api/transfers/offramp", func(s *Server, c *client) any {
			q := c.mustOK("POST", "/api/quotes/offramp", map[string]any{
				"sourceCountry": "none", "destinationCountry": "usa", "amount": "1000000000", "currency": "USDC",
			}).object(c.t)
			return map[string]any{"quotePayload": q["quotePayload"], "quoteSignature": q["quoteSignature"], "purposeCode": "self"}
		}, ""},
	}
	for _, k := range kinds {
		for _, status := range []string{StatusSuccess, StatusFailed, StatusCanceled, StatusRefunded} {
			t.Run(k.name+" "+status, func(t *testing.T) {
				s := newTest(t, WithFee(dec("1")), WithSettleDelay(-1))
				s.SeedUser(alice)
				s.SeedUser(bob)
				c := newClient(t, s, s.IssueToken(alice))
				before := s.Balance(alice, NetworkPolygon, "USDC")
				bobBefore := s.Balance(bob, NetworkPolygon, "USDC")

				var tr Transfer
				c.mustOK("POST", k.path, k.body(s, c)).decode(t, &tr)
				if tr.Status != StatusProcessing {
					t.Fatalf("status %q, want processing", tr.Status)
				}
				spent := dec("10.1") // 10 USDC + 1% fee
				if got := s.Balance(alice, NetworkPolygon, "USDC"); !got.Equal(before.Sub(spent)) {
					t.Fatalf("balance after submit %s, want %s", got, before.Sub(spent))
				}
				// Time alone never settles it (WithSettleDelay(-1)).
				s.Advance(24 * time.Hour)
				if got, _ := s.TransferByID(tr.ID); got.Status != StatusProcessing {
					t.Fatalf("status after a day %q", got.Status)
				}

				if err := s.Settle(tr.ID, status); err != nil {
					t.Fatalf("Settle: %v", err)
				}
				got, ok := s.TransferByID(tr.ID)
				txStatus := status
				if status == StatusRefunded {
					txStatus = StatusFailed
				}
				if !ok || got.Status != status || len(got.Transactions) == 0 || got.Transactions[0].Status != txStatus {
					t.Errorf("after Settle: %+v", got)
				}
				var viaAPI Transfer
				c.mustOK("GET", "/api/transfers/"+tr.ID, nil).decode(t, &viaAPI)
				if viaAPI.Status != status {
					t.Errorf("GET status %q, want %q", viaAPI.Status, status)
				}

				wantAlice, wantBob := before.Sub(spent), bobBefore
				if k.credited != "" {
					wantBob = bobBefore.Add(dec("10"))
				}
				if status != StatusSuccess {
					wantAlice, wantBob = before, bobBefore
				}
				if got := s.Balance(alice, NetworkPolygon, "USDC"); !got.Equal(wantAlice) {
					t.Errorf("alice %s, want %s", got, wantAlice)
				}
				if got := s.Balance(bob, NetworkPolygon, "USDC"); !got.Equal(wantBob) {
					t.Errorf("bob %s, want %s", got, wantBob)
				}
				if k.credited != "" && k.path == "/api/transfers/send" {
					if rt := s.Transfers(bob); len(rt) != 1 || rt[0].Type != "receive" || (status != StatusSuccess && rt[0].Status != status) {
						t.Errorf("bob's receive record %+v", rt)
					}
				}

				// Settling again: the same status is a no-op, another is refused.
				if err := s.Settle(tr.ID, status); err != nil {
					t.Errorf("Settle again: %v", err)
				}
				other := StatusFailed
				if status == StatusFailed {
					other = StatusSuccess
				}
				if err := s.Settle(tr.ID, other); !errors.Is(err, ErrTransferFinal) {
					t.Errorf("Settle to %s = %v, want ErrTransferFinal", other, err)
				}
				if got := s.Balance(alice, NetworkPolygon, "USDC"); !got.Equal(wantAlice) {
					t.Errorf("alice %s after a refused settle, want %s", got, wantAlice)
				}
			})
		}
	}
}

func TestSettleRefusals(t *testing.T) {
	const alice, bob = "alice@example.com", "bob@example.com"
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now))
	s.SeedUser(alice)
	s.SeedUser(bob)
	c := newClient(t, s, s.IssueToken(alice))
	var email, wallet Transfer
	c.mustOK("POST", "/api/transfers/send", map[string]string{"email": bob, "amount": "100000000", "purposeCode": "self"}).decode(t, &email)
	c.mustOK("POST", "/api/transfers/send", map[string]string{"walletAddress": "0x" + strings.Repeat("a", 40), "amount": "100000000", "purposeCode": "self"}).decode(t, &wallet)
	depositID, err := s.Deposit(s.OrgID(alice), dec("5"), "USDC", "")
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(DefaultSettleDelay) // the wallet send settles by itself

	tests := []struct {
		name, id, status string
		want             error
	}{
		{"unknown id", newID(), StatusFailed, ErrUnknownTransfer},
		{"not a final status", wallet.ID, StatusProcessing, ErrNotFinalStatus},
		{"empty status", wallet.ID, "", ErrNotFinalStatus},
		{"email send succeeded at once", email.ID, StatusFailed, ErrTransferFinal},
		{"settle delay passed", wallet.ID, StatusCanceled, ErrTransferFinal},
		{"deposit", depositID, StatusRefunded, ErrTransferFinal},
		{"same status", wallet.ID, StatusSuccess, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Balance(alice, NetworkPolygon, "USDC")
			err := s.Settle(tt.id, tt.status)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Settle = %v, want %v", err, tt.want)
			}
			if got := s.Balance(alice, NetworkPolygon, "USDC"); !got.Equal(before) {
				t.Errorf("balance moved: %s → %s", before, got)
			}
		})
	}
}

// TestAdvanceSettlesAndTicks: Advance moves the emulator's own clock on
// top of WithClock's, and processing transfers settle when their delay
// passed.
func TestAdvanceSettlesAndTicks(t *testing.T) {
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now), WithSettleDelay(time.Minute))
	s.SeedUser("alice@example.com")
	c := newClient(t, s, s.IssueToken("alice@example.com"))
	var tr Transfer
	c.mustOK("POST", "/api/transfers/send", map[string]string{"walletAddress": "0x" + strings.Repeat("a", 40), "amount": "100000000", "purposeCode": "self"}).decode(t, &tr)
	start := s.Now()
	if !start.Equal(clock.now()) {
		t.Fatalf("Now %v, clock %v", start, clock.now())
	}
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{30 * time.Second, StatusProcessing},
		{-time.Hour, StatusProcessing}, // never backwards
		{30 * time.Second, StatusSuccess},
	}
	for i, st := range steps {
		s.Advance(st.advance)
		if got, _ := s.TransferByID(tr.ID); got.Status != st.want {
			t.Errorf("step %d: status %q, want %q", i, got.Status, st.want)
		}
	}
	if got := s.Now().Sub(start); got != time.Minute {
		t.Errorf("Now moved %v, want 1m", got)
	}
	clock.advance(time.Hour) // WithClock's clock still counts
	if got := s.Now().Sub(start); got != time.Hour+time.Minute {
		t.Errorf("Now moved %v, want 1h1m", got)
	}
	if _, ok := s.TransferByID(newID()); ok {
		t.Error("TransferByID found an unknown id")
	}
}

// TestDailyLimit: WithDailyLimit refuses what would pass the day's total
// (failed transfers do not count), and the next UTC day starts afresh.
func TestDailyLimit(t *testing.T) {
	clock := newFakeClock() // 10:00 UTC
	s := newTest(t, WithClock(clock.now), WithDailyLimit(dec("100")), WithSettleDelay(-1))
	s.SeedUser("alice@example.com")
	s.SeedUser("bob@example.com")
	c := newClient(t, s, s.IssueToken("alice@example.com"))
	send := func(amount string) response {
		return c.do("POST", "/api/transfers/send", map[string]string{"email": "bob@example.com", "amount": amount, "purposeCode": "self"})
	}
	external := func(amount string) Transfer {
		var tr Transfer
		c.mustOK("POST", "/api/transfers/send", map[string]string{"walletAddress": "0x" + strings.Repeat("a", 40), "amount": amount, "purposeCode": "self"}).decode(t, &tr)
		return tr
	}
	if r := send("6000000000"); r.status != http.StatusOK { // 60
		t.Fatalf("first send: %d %s", r.status, r.raw)
	}
	failed := external("4000000000") // 40: 100 in all
	msg := wantError(t, send("100000000"), http.StatusUnprocessableEntity)
	if m, _ := msg.(string); !strings.HasPrefix(m, "Daily transfer limit exceeded") {
		t.Errorf("message %v", msg)
	}
	if err := s.Settle(failed.ID, StatusFailed); err != nil {
		t.Fatal(err)
	}
	if r := send("4000000000"); r.status != http.StatusOK { // the failed 40 no longer counts
		t.Fatalf("send after a failure: %d %s", r.status, r.raw)
	}
	wantError(t, c.do("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": "0x" + strings.Repeat("b", 40), "amount": "100000000", "purposeCode": "self"}), http.StatusUnprocessableEntity)
	clock.advance(14 * time.Hour) // 00:00 UTC the next day
	if r := send("10000000000"); r.status != http.StatusOK {
		t.Fatalf("send the next day: %d %s", r.status, r.raw)
	}
	if got := s.Balance("bob@example.com", NetworkPolygon, "USDC"); !got.Equal(dec("1250.50").Add(decimal.NewFromInt(200))) {
		t.Errorf("bob %s", got)
	}
}

// TestTickKeepsOnlyWaitingTransfers: a tick settles what is due and keeps
// only the transfers still waiting (a transfer settled by Settle first
// drops out), so its cost does not grow with every transfer ever made.
func TestTickKeepsOnlyWaitingTransfers(t *testing.T) {
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now), WithSettleDelay(time.Minute))
	s.SeedUser("alice@example.com")
	c := newClient(t, s, s.IssueToken("alice@example.com"))
	send := func() string {
		var tr Transfer
		c.mustOK("POST", "/api/transfers/send", map[string]string{"walletAddress": "0x" + strings.Repeat("a", 40), "amount": "100000000", "purposeCode": "self"}).decode(t, &tr)
		return tr.ID
	}
	first := send()
	s.Advance(30 * time.Second)
	second, third := send(), send()
	if err := s.Settle(third, StatusFailed); err != nil {
		t.Fatal(err)
	}
	waiting := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.settling)
	}
	status := func(id string) string { tr, _ := s.TransferByID(id); return tr.Status }

	s.Advance(30 * time.Second) // first is due
	if got := [3]string{status(first), status(second), status(third)}; got != [3]string{StatusSuccess, StatusProcessing, StatusFailed} {
		t.Fatalf("after 1m: %v", got)
	}
	if got := waiting(); got != 1 {
		t.Fatalf("%d transfers waiting after 1m, want 1 (the second)", got)
	}
	s.Advance(30 * time.Second)
	if got := status(second); got != StatusSuccess {
		t.Fatalf("second is %s after its delay", got)
	}
	if got := waiting(); got != 0 {
		t.Fatalf("%d transfers waiting at the end, want 0", got)
	}
}
