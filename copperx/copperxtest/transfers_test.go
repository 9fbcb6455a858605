package copperxtest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestSendDebitsAmountPlusFeeExactly(t *testing.T) {
	s := newTest(t, WithFee(dec("0.35")))
	s.SeedUser("alice@example.com")
	s.SeedUser("bob@example.com", SeedBare())
	c := newClient(t, s, s.IssueToken("alice@example.com"))

	before := s.Balance("alice@example.com", NetworkPolygon, "USDC")
	if !before.Equal(dec("1250.50")) {
		t.Fatalf("seeded balance %s", before)
	}
	var tr Transfer
	c.mustOK("POST", "/api/transfers/send", map[string]string{
		"email": "Bob@Example.com", "amount": "1234567891", "purposeCode": "self", "currency": "USDC",
	}).decode(t, &tr)

	// fee = floor(1234567891 * 0.35 / 100) = 4320987 units
	if tr.Amount != "1234567891" || tr.TotalFee != "4320987" || tr.Status != "success" || tr.Type != "send" {
		t.Errorf("transfer %+v", tr)
	}
	if tr.DestinationAccount == nil || tr.DestinationAccount.PayeeEmail != "bob@example.com" || tr.SourceAccount == nil {
		t.Errorf("accounts %+v %+v", tr.SourceAccount, tr.DestinationAccount)
	}
	want := before.Sub(dec("12.34567891")).Sub(dec("0.04320987"))
	if got := s.Balance("alice@example.com", NetworkPolygon, "USDC"); !got.Equal(want) {
		t.Errorf("balance %s, want %s", got, want)
	}
	if got := s.Balance("bob@example.com", NetworkPolygon, "USDC"); !got.Equal(dec("12.34567891")) {
		t.Errorf("recipient balance %s", got)
	}
	// The API shows the same number.
	var bal struct{ Balance, Symbol string }
	c.mustOK("GET", "/api/wallets/balance", nil).decode(t, &bal)
	if bal.Balance != want.String() || bal.Symbol != "USDC" {
		t.Errorf("GET balance %+v, want %s", bal, want)
	}
	if bt := s.Transfers("bob@example.com"); len(bt) != 1 || bt[0].Type != "receive" {
		t.Errorf("recipient transfers %+v", bt)
	}
	// GET transfers/{id} includes transactions.
	var got Transfer
	c.mustOK("GET", "/api/transfers/"+tr.ID, nil).decode(t, &got)
	if got.ID != tr.ID || len(got.Transactions) != 1 || got.Transactions[0].TransactionHash == "" {
		t.Errorf("GET transfer %+v", got)
	}
	wantError(t, c.do("GET", "/api/transfers/"+newID(), nil), http.StatusNotFound)
}

func TestSendRefusals(t *testing.T) {
	s := newTest(t)
	s.SeedUser("alice@example.com")
	s.SeedUser("poor@example.com", SeedBare())
	s.SeedUser("nokyc@example.com", SeedKYC("pending"))
	tests := []struct {
		name     string
		email    string
		body     map[string]string
		want     int
		property string // constraint-object message
		strings  string // array-of-strings message
		text     string // string message
	}{
		{"below min", "alice@example.com", map[string]string{"email": "b@x.com", "amount": "99999999", "purposeCode": "self"}, 422, "amount", "", ""},
		{"above max", "alice@example.com", map[string]string{"email": "b@x.com", "amount": "5000000000001", "purposeCode": "self"}, 422, "amount", "", ""},
		{"not an integer", "alice@example.com", map[string]string{"email": "b@x.com", "amount": "1.5", "purposeCode": "self"}, 422, "amount", "", ""},
		{"insufficient", "poor@example.com", map[string]string{"email": "b@x.com", "amount": "100000000", "purposeCode": "self"}, 422, "", "", "Insufficient balance"},
		{"bad email", "alice@example.com", map[string]string{"email": "bob-at-x", "amount": "100000000", "purposeCode": "self"}, 422, "", "email must be an email", ""},
		{"two recipients", "alice@example.com", map[string]string{"email": "b@x.com", "walletAddress": "0x" + strings.Repeat("a", 40), "amount": "100000000", "purposeCode": "self"}, 422, "", "exactly one of email, walletAddress or payeeId must be provided", ""},
		{"no recipient", "alice@example.com", map[string]string{"amount": "100000000", "purposeCode": "self"}, 422, "", "exactly one of email, walletAddress or payeeId must be provided", ""},
		{"bad address", "alice@example.com", map[string]string{"walletAddress": "0x1234", "amount": "100000000", "purposeCode": "self"}, 422, "walletAddress", "", ""},
		{"to self", "alice@example.com", map[string]string{"email": "alice@example.com", "amount": "100000000", "purposeCode": "self"}, 422, "", "", "You cannot send funds to yourself"},
		{"kyc pending", "nokyc@example.com", map[string]string{"email": "b@x.com", "amount": "100000000", "purposeCode": "self"}, 422, "", "", "Please complete your KYC to make transfers"},
		{"unknown payee", "alice@example.com", map[string]string{"payeeId": newID(), "amount": "100000000", "purposeCode": "self"}, 404, "", "", "Payee not found"},
		{"fiat currency", "alice@example.com", map[string]string{"email": "b@x.com", "amount": "100000000", "purposeCode": "self", "currency": "USD"}, 422, "", "", "Currency USD is not supported for this transfer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Balance(tt.email, NetworkPolygon, "USDC")
			msg := wantError(t, newClient(t, s, s.IssueToken(tt.email)).do("POST", "/api/transfers/send", tt.body), tt.want)
			switch {
			case tt.property != "":
				l, ok := msg.([]any)
				if !ok || len(l) != 1 {
					t.Fatalf("message %v, want one constraint object", msg)
				}
				obj, _ := l[0].(map[string]any)
				cons, _ := obj["constraints"].(map[string]any)
				if obj["property"] != tt.property || len(cons) != 1 {
					t.Errorf("constraint %v", obj)
				}
			case tt.strings != "":
				if l, ok := msg.([]any); !ok || len(l) != 1 || l[0] != tt.strings {
					t.Errorf("message %v, want [%q]", msg, tt.strings)
				}
			default:
				if msg != tt.text {
					t.Errorf("message %v, want %q", msg, tt.text)
				}
			}
			if after := s.Balance(tt.email, NetworkPolygon, "USDC"); !after.Equal(before) {
				t.Errorf("balance moved from %s to %s", before, after)
			}
		})
	}
	// The min and max texts are the documented ones.
	r := newClient(t, s, s.IssueToken("alice@example.com")).do("POST", "/api/transfers/send", map[string]string{"email": "b@x.com", "amount": "1", "purposeCode": "self"})
	if !strings.Contains(string(r.raw), `{"property":"amount","constraints":{"min":"amount must be greater than or equal to 100000000"}}`) {
		t.Errorf("min body %s", r.raw)
	}
}

func TestTransfersPagingNewestFirst(t *testing.T) {
	s := newTest(t)
	s.SeedUser("pager@example.com")
	s.AddTransfers("pager@example.com", 35)
	c := newClient(t, s, s.IssueToken("pager@example.com"))

	type page struct {
		Data    []Transfer
		Page    int
		Limit   int
		Count   int
		HasMore bool
	}
	var all []Transfer
	for p, wantLen := range []int{10, 10, 10, 5} {
		var pg page
		c.mustOK("GET", fmt.Sprintf("/api/transfers?page=%d&limit=10", p+1), nil).decode(t, &pg)
		if len(pg.Data) != wantLen || pg.Page != p+1 || pg.Limit != 10 || pg.Count != 35 || pg.HasMore != (p < 3) {
			t.Fatalf("page %d: len %d page %d limit %d count %d hasMore %v", p+1, len(pg.Data), pg.Page, pg.Limit, pg.Count, pg.HasMore)
		}
		all = append(all, pg.Data...)
	}
	seen := map[string]bool{}
	for i, tr := range all {
		if seen[tr.ID] {
			t.Fatalf("transfer %s twice", tr.ID)
		}
		seen[tr.ID] = true
		if i > 0 && all[i-1].CreatedAt < tr.CreatedAt {
			t.Fatalf("not newest first at %d: %s < %s", i, all[i-1].CreatedAt, tr.CreatedAt)
		}
	}
	if all[0].Amount != "3500000000" {
		t.Errorf("newest transfer amount %s, want the 35th", all[0].Amount)
	}
	var pg page
	c.mustOK("GET", "/api/transfers?page=5&limit=10", nil).decode(t, &pg)
	if len(pg.Data) != 0 || pg.HasMore {
		t.Errorf("past the end: %+v", pg)
	}
	// type filter (repeatable)
	c.mustOK("GET", "/api/transfers?page=1&limit=100&type=deposit&type=withdraw", nil).decode(t, &pg)
	if pg.Count != 23 {
		t.Errorf("deposit+withdraw count %d, want 23", pg.Count)
	}
	for _, tr := range pg.Data {
		if tr.Type == "send" {
			t.Errorf("type filter let a send through")
		}
	}
	c.mustOK("GET", "/api/transfers?status=processing", nil).decode(t, &pg)
	if pg.Count != 0 {
		t.Errorf("status filter: %d processing", pg.Count)
	}
}

func TestWalletWithdraw(t *testing.T) {
	clock := newFakeClock()
	s := newTest(t, WithClock(clock.now), WithSettleDelay(time.Minute))
	s.SeedUser("w@example.com")
	c := newClient(t, s, s.IssueToken("w@example.com"))

	var tr Transfer
	c.mustOK("POST", "/api/transfers/wallet-withdraw", map[string]string{
		"walletAddress": "0x" + strings.Repeat("b", 40), "amount": "250000000", "purposeCode": "self", "currency": "USDC",
	}).decode(t, &tr)
	if tr.Status != "processing" || tr.Type != "withdraw" {
		t.Fatalf("withdraw %+v", tr)
	}
	if got := s.Balance("w@example.com", NetworkPolygon, "USDC"); !got.Equal(dec("1248.00")) {
		t.Errorf("balance %s", got)
	}
	clock.advance(time.Minute)
	c.mustOK("GET", "/api/transfers/"+tr.ID, nil).decode(t, &tr)
	if tr.Status != "success" {
		t.Errorf("after settle delay: %s", tr.Status)
	}

	// The address must suit the default wallet's network.
	var wallets []struct{ ID, Network string }
	c.mustOK("GET", "/api/wallets", nil).decode(t, &wallets)
	for _, w := range wallets {
		if w.Network == NetworkStarknet {
			c.mustOK("POST", "/api/wallets/default", map[string]string{"walletId": w.ID})
		}
	}
	evm := "0x" + strings.Repeat("c", 40)
	stark := "0x" + strings.Repeat("d", 64)
	wantError(t, c.do("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": "not-hex", "amount": "100000000", "purposeCode": "self"}), 422)
	c.mustOK("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": stark, "amount": "100000000", "purposeCode": "self"})
	c.mustOK("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": evm, "amount": "100000000", "purposeCode": "self"}) // 0x+40 hex is a valid short Starknet felt
	if got := s.Balance("w@example.com", NetworkStarknet, "USDC"); !got.Equal(dec("18")) {
		t.Errorf("starknet balance %s", got)
	}
	// Solana: base58 of 32 bytes.
	var sol struct{ ID, WalletAddress string }
	c.mustOK("POST", "/api/wallets", map[string]string{"network": NetworkSolana}).decode(t, &sol)
	c.mustOK("POST", "/api/wallets/default", map[string]string{"walletId": sol.ID})
	s.SetBalance("w@example.com", NetworkSolana, "USDC", "5")
	wantError(t, c.do("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": evm, "amount": "100000000", "purposeCode": "self"}), 422)
	c.mustOK("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": solanaAddress("x"), "amount": "100000000", "purposeCode": "self"})
}

func TestSendBatch(t *testing.T) {
	s := newTest(t, WithFee(dec("1")))
	s.SeedUser("batch@example.com")
	c := newClient(t, s, s.IssueToken("batch@example.com"))
	var out struct {
		Responses []struct {
			RequestID string
			Response  *Transfer
			Error     *struct {
				Message    any
				StatusCode int
			}
		}
	}
	c.mustOK("POST", "/api/transfers/send-batch", map[string]any{"requests": []any{
		map[string]any{"requestId": "r1", "request": map[string]string{"email": "x@example.com", "amount": "1000000000", "purposeCode": "salary"}},
		map[string]any{"requestId": "r2", "request": map[string]string{"email": "y@example.com", "amount": "10", "purposeCode": "salary"}},
	}}).decode(t, &out)
	if len(out.Responses) != 2 || out.Responses[0].Response == nil || out.Responses[1].Error == nil || out.Responses[1].Error.StatusCode != 422 {
		t.Fatalf("batch answer %+v", out)
	}
	if got := s.Balance("batch@example.com", NetworkPolygon, "USDC"); !got.Equal(dec("1240.40")) {
		t.Errorf("balance %s, want 1250.50 - 10 - 0.10", got)
	}
}

func TestPayees(t *testing.T) {
	s := newTest(t)
	s.SeedUser("p@example.com")
	s.SeedUser("friend@example.com", SeedBare())
	c := newClient(t, s, s.IssueToken("p@example.com"))
	var p struct{ ID, NickName, Email string }
	c.mustOK("POST", "/api/payees", map[string]string{"nickName": "bob", "email": "Friend@Example.com"}).decode(t, &p)
	if p.Email != "friend@example.com" {
		t.Errorf("payee %+v", p)
	}
	wantError(t, c.do("POST", "/api/payees", map[string]string{"nickName": "bob2", "email": "friend@example.com"}), 422)
	c.mustOK("PUT", "/api/payees/"+p.ID, map[string]string{"nickName": "bobby"})
	c.mustOK("GET", "/api/payees/"+p.ID, nil).decode(t, &p)
	if p.NickName != "bobby" {
		t.Errorf("after PUT %+v", p)
	}
	var pg struct{ Count int }
	c.mustOK("GET", "/api/payees?page=1&limit=10&searchText=bob", nil).decode(t, &pg)
	if pg.Count != 1 {
		t.Errorf("search count %d", pg.Count)
	}
	c.mustOK("POST", "/api/transfers/send", map[string]string{"payeeId": p.ID, "amount": "200000000", "purposeCode": "gift"})
	if got := s.Balance("friend@example.com", NetworkPolygon, "USDC"); !got.Equal(dec("2")) {
		t.Errorf("payee balance %s", got)
	}
	c.mustOK("DELETE", "/api/payees/"+p.ID, nil)
	wantError(t, c.do("GET", "/api/payees/"+p.ID, nil), 404)
}

func TestConcurrentSendsKeepBalancesExact(t *testing.T) {
	s := newTest(t, WithFee(dec("0.5")))
	s.SeedUser("c@example.com")
	s.SetBalance("c@example.com", NetworkPolygon, "USDC", "100")
	tok := s.IssueToken("c@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 60 {
		wg.Go(func() {
			r, err := (&client{t: t, base: s.URL(), token: tok}).send("POST", "/api/transfers/send", map[string]string{
				"email": fmt.Sprintf("r%d@example.com", i), "amount": "200000000", "purposeCode": "self",
			})
			if err == nil && r.status == http.StatusOK {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// each send costs 2.01; 100 / 2.01 = 49 sends
	if ok != 49 {
		t.Errorf("%d sends succeeded, want 49", ok)
	}
	if got := s.Balance("c@example.com", NetworkPolygon, "USDC"); !got.Equal(dec("100").Sub(dec("2.01").Mul(decimal.NewFromInt(49)))) {
		t.Errorf("balance %s", got)
	}
}
