package copperxtest

import (
	"net/http"
	"strings"
	"testing"
)

func TestSchemaViolations(t *testing.T) {
	s := newTest(t)
	s.SeedUser("v@example.com")
	c := newClient(t, s, s.IssueToken("v@example.com"))
	tests := []struct {
		name, method, path string
		body               any
		want               int
		field              string
	}{
		{"amount is a number", "POST", "/api/transfers/send", map[string]any{"email": "a@b.com", "amount": 100000000, "purposeCode": "self"}, 422, "amount"},
		{"purposeCode missing", "POST", "/api/transfers/send", map[string]any{"email": "a@b.com", "amount": "100000000"}, 422, "purposeCode"},
		{"purposeCode not in enum", "POST", "/api/transfers/send", map[string]any{"email": "a@b.com", "amount": "100000000", "purposeCode": "bribe"}, 422, "purposeCode"},
		{"currency not in enum", "POST", "/api/transfers/wallet-withdraw", map[string]any{"walletAddress": "0x" + strings.Repeat("a", 40), "amount": "100000000", "purposeCode": "self", "currency": "usdc"}, 422, "currency"},
		{"nested batch field", "POST", "/api/transfers/send-batch", map[string]any{"requests": []any{map[string]any{"requestId": "r1", "request": map[string]any{"amount": "100000000"}}}}, 422, "requests.0.request.purposeCode"},
		{"query enum", "GET", "/api/transfers?type=gift", nil, 422, "type"},
		{"query number", "GET", "/api/transfers?page=first", nil, 422, "page"},
		{"otp sid missing", "POST", "/api/auth/email-otp/authenticate", map[string]any{"email": "a@b.com", "otp": "123456"}, 422, "sid"},
		{"invalid JSON", "POST", "/api/payees", `{"nickName":`, 400, ""},
		{"unknown route", "GET", "/api/nothing-here", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := wantError(t, c.do(tt.method, tt.path, tt.body), tt.want)
			t.Logf("message: %v", msg)
			if tt.field == "" {
				return
			}
			l, ok := msg.([]any)
			if !ok || len(l) == 0 {
				t.Fatalf("message %v, want a list", msg)
			}
			found := false
			for _, m := range l {
				if str, _ := m.(string); strings.HasPrefix(str, tt.field+" ") || strings.HasPrefix(str, tt.field+".") {
					found = true
				}
			}
			if !found {
				t.Errorf("message %v does not name %q", msg, tt.field)
			}
		})
	}
	if n := len(s.Transfers("v@example.com")); n != 0 {
		t.Errorf("%d transfers made by invalid requests", n)
	}
}

// TestResponsesMatchDocument drives the main endpoints with the response
// check on (newTest fails the test on any 2xx answer that does not match
// the OpenAPI document).
func TestResponsesMatchDocument(t *testing.T) {
	for _, nullDefault := range []bool{false, true} {
		s := newTest(t, WithNullIsDefault(nullDefault), WithAutoSeed(true), WithFixedOTP("123456"))
		c := newClient(t, s, "")
		var otp struct{ Sid string }
		c.mustOK("POST", "/api/auth/email-otp/request", map[string]string{"email": "doc@example.com"}).decode(t, &otp)
		var auth struct{ AccessToken string }
		c.mustOK("POST", "/api/auth/email-otp/authenticate", map[string]string{"email": "doc@example.com", "otp": "123456", "sid": otp.Sid}).decode(t, &auth)
		c.token = auth.AccessToken
		s.AddTransfers("doc@example.com", 3)
		if _, err := s.Deposit(s.OrgID("doc@example.com"), dec("10"), "USDC", NetworkBase); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/api/auth/me", "/api/kycs?page=1&limit=10", "/api/wallets", "/api/wallets/default",
			"/api/wallets/balance", "/api/wallets/balances", "/api/wallets/networks", "/api/accounts",
			"/api/transfers?page=1&limit=10&type=deposit&type=send", "/api/payees?page=1&limit=10"} {
			c.mustOK("GET", p, nil)
		}
		var w struct{ ID string }
		c.mustOK("POST", "/api/wallets", map[string]string{"network": NetworkArbitrum}).decode(t, &w)
		c.mustOK("POST", "/api/wallets/default", map[string]string{"walletId": w.ID})
		var tr Transfer
		c.mustOK("POST", "/api/transfers/send", map[string]string{"email": "x@example.com", "amount": "100000000", "purposeCode": "self", "currency": "USDC"}).decode(t, &tr)
		c.mustOK("GET", "/api/transfers/"+tr.ID, nil)
		c.mustOK("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": "0x" + strings.Repeat("e", 40), "amount": "100000000", "purposeCode": "self"})
		c.mustOK("POST", "/api/transfers/send-batch", map[string]any{"requests": []any{map[string]any{"requestId": "r1", "request": map[string]string{"email": "y@example.com", "amount": "100000000", "purposeCode": "self"}}}})
		c.mustOK("POST", "/api/wallets/default", map[string]string{"walletId": defaultWalletID(t, c, NetworkPolygon)})
		q := getQuote(t, c, "1000000000")
		c.mustOK("POST", "/api/transfers/offramp", offrampBodyFor(q))
		var p struct{ ID string }
		c.mustOK("POST", "/api/payees", map[string]string{"nickName": "z", "email": "z@example.com"}).decode(t, &p)
		c.mustOK("GET", "/api/payees/"+p.ID, nil)
		c.mustOK("PUT", "/api/payees/"+p.ID, map[string]string{"nickName": "zz"})
		c.mustOK("DELETE", "/api/payees/"+p.ID, nil)
		c.mustOK("POST", "/api/notifications/auth", map[string]string{"socket_id": "1.2", "channel_name": OrgChannel(s.OrgID("doc@example.com"))})
		c.mustOK("POST", "/api/auth/logout", nil)
	}
}

// defaultWalletID finds the caller's wallet on network.
func defaultWalletID(t *testing.T, c *client, network string) string {
	t.Helper()
	var ws []struct{ ID, Network string }
	c.mustOK("GET", "/api/wallets", nil).decode(t, &ws)
	for _, w := range ws {
		if w.Network == network {
			return w.ID
		}
	}
	t.Fatalf("no wallet on %s", network)
	return ""
}

func TestKYCAndAccounts(t *testing.T) {
	s := newTest(t, WithDefaultKYC("review"))
	s.SeedUser("k@example.com")
	c := newClient(t, s, s.IssueToken("k@example.com"))
	var pg struct {
		Data  []struct{ Status, Type string }
		Count int
	}
	c.mustOK("GET", "/api/kycs?page=1&limit=10", nil).decode(t, &pg)
	if pg.Count != 1 || pg.Data[0].Status != "review" {
		t.Errorf("kycs %+v", pg)
	}
	s.SetKYC("k@example.com", "")
	c.mustOK("GET", "/api/kycs", nil).decode(t, &pg)
	if pg.Count != 0 || len(pg.Data) != 0 {
		t.Errorf("kycs after reset %+v", pg)
	}
	// A login of an unknown email without auto-seed gets a bare account.
	bare := newClient(t, s, s.IssueToken("new@example.com"))
	var bal struct{ Balance string }
	bare.mustOK("GET", "/api/wallets/balance", nil).decode(t, &bal)
	if bal.Balance != "0.00" {
		t.Errorf("bare balance %q", bal.Balance)
	}
	var acc struct{ Data []struct{ Type string } }
	bare.mustOK("GET", "/api/accounts", nil).decode(t, &acc)
	for _, a := range acc.Data {
		if a.Type == "bank_account" {
			t.Error("bare account has a bank account")
		}
	}
	if r := bare.do("GET", "/api/kycs", nil); r.status != http.StatusOK || !strings.Contains(string(r.raw), `"data":[]`) {
		t.Errorf("bare kycs %s", r.raw)
	}
}
