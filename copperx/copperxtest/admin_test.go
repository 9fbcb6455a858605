package copperxtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// adminPost sends a raw JSON body to the admin API and decodes the answer.
func adminPost(t *testing.T, base, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: answer %q is not a JSON object", path, raw)
	}
	return resp.StatusCode, m
}

func TestAdminDeposit(t *testing.T) {
	const alice = "alice@example.com"
	tests := []struct {
		name    string
		body    string
		status  int
		network string // where the money must land (status 200)
		amount  string // how much
		symbol  string
		errText string // substring of "error" (status != 200)
	}{
		{"default wallet, string amount", `{"email":"alice@example.com","amount":"25"}`, 200, NetworkPolygon, "25", "USDC", ""},
		{"number amount, upper-case email", `{"email":"ALICE@example.com","amount":12.5}`, 200, NetworkPolygon, "12.5", "USDC", ""},
		{"chain id", `{"email":"alice@example.com","amount":"3","network":"8453"}`, 200, NetworkBase, "3", "USDC", ""},
		{"network name", `{"email":"alice@example.com","amount":"4","network":"Arbitrum One"}`, 200, NetworkArbitrum, "4", "USDC", ""},
		{"other token", `{"email":"alice@example.com","amount":"1.5","currency":"strk","network":"starknet"}`, 200, NetworkStarknet, "1.5", "STRK", ""},
		{"new wallet", `{"email":"alice@example.com","amount":"2","network":"solana"}`, 200, NetworkSolana, "2", "USDC", ""},
		{"unknown user", `{"email":"nobody@example.com","amount":"1"}`, 404, "", "", "", "log in with that email first"},
		{"unknown network", `{"email":"alice@example.com","amount":"1","network":"mars"}`, 400, "", "", "", `unknown network "mars"`},
		{"not an amount", `{"email":"alice@example.com","amount":"lots"}`, 400, "", "", "", "not a number"},
		{"zero", `{"email":"alice@example.com","amount":"0"}`, 400, "", "", "", "must be positive"},
		{"fiat", `{"email":"alice@example.com","amount":"1","currency":"EUR"}`, 400, "", "", "", "not a token symbol"},
		{"no amount", `{"email":"alice@example.com"}`, 400, "", "", "", `"amount" are required`},
		{"unknown field", `{"email":"alice@example.com","amount":"1","chain":"137"}`, 400, "", "", "", "unknown field"},
		{"not json", `email=alice`, 400, "", "", "", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTest(t)
			s.SeedUser(alice)
			admin := httptest.NewServer(s.AdminHandler())
			t.Cleanup(admin.Close)
			before := s.Balance(alice, tt.network, tt.symbol)
			status, out := adminPost(t, admin.URL, "/_emulator/deposit", tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.status != http.StatusOK {
				if e, _ := out["error"].(string); !strings.Contains(e, tt.errText) {
					t.Errorf("error %q, want %q", e, tt.errText)
				}
				if n := len(s.Transfers(alice)); n != 0 {
					t.Errorf("%d transfers after a refused deposit", n)
				}
				return
			}
			id, _ := out["transferId"].(string)
			tr, ok := s.TransferByID(id)
			if !ok || tr.Type != "deposit" || tr.Status != StatusSuccess || tr.Currency != tt.symbol {
				t.Errorf("transfer %+v (%v)", tr, out)
			}
			if out["network"] != tt.network || out["email"] != alice || out["currency"] != tt.symbol || out["amount"] != dec(tt.amount).String() {
				t.Errorf("answer %v", out)
			}
			if got := s.Balance(alice, tt.network, tt.symbol); !got.Equal(before.Add(dec(tt.amount))) {
				t.Errorf("balance %s, want %s + %s", got, before, tt.amount)
			}
		})
	}
}

func TestAdminSettleTransfersAdvance(t *testing.T) {
	const alice = "alice@example.com"
	s := newTest(t, WithSettleDelay(-1), WithFee(dec("1")))
	s.SeedUser(alice)
	c := newClient(t, s, s.IssueToken(alice))
	admin := httptest.NewServer(s.AdminHandler())
	t.Cleanup(admin.Close)
	var tr Transfer
	c.mustOK("POST", "/api/transfers/wallet-withdraw", map[string]string{"walletAddress": "0x" + strings.Repeat("a", 40), "amount": "1000000000", "purposeCode": "self"}).decode(t, &tr)

	steps := []struct {
		name, body string
		status     int
		errText    string
		balance    string // alice's Polygon USDC after the step
	}{
		{"unknown transfer", `{"transfer_id":"nope","status":"failed"}`, 404, "unknown transfer", "1240.40"},
		{"not final", `{"transfer_id":"` + tr.ID + `","status":"processing"}`, 400, "not a final status", "1240.40"},
		{"missing status", `{"transfer_id":"` + tr.ID + `"}`, 400, `"status" are required`, "1240.40"},
		{"fail it", `{"transfer_id":"` + tr.ID + `","status":"failed"}`, 200, "", "1250.50"},
		{"again: no-op", `{"transfer_id":"` + tr.ID + `","status":"failed"}`, 200, "", "1250.50"},
		{"then success: conflict", `{"transfer_id":"` + tr.ID + `","status":"success"}`, 409, "already settled", "1250.50"},
	}
	for _, st := range steps {
		status, out := adminPost(t, admin.URL, "/_emulator/settle", st.body)
		if status != st.status {
			t.Errorf("%s: status %d, want %d: %v", st.name, status, st.status, out)
		}
		if e, _ := out["error"].(string); st.errText != "" && !strings.Contains(e, st.errText) {
			t.Errorf("%s: error %q, want %q", st.name, e, st.errText)
		}
		if status == http.StatusOK && (out["transferId"] != tr.ID || out["status"] != StatusFailed) {
			t.Errorf("%s: answer %v", st.name, out)
		}
		if got := s.Balance(alice, NetworkPolygon, "USDC"); !got.Equal(dec(st.balance)) {
			t.Errorf("%s: balance %s, want %s", st.name, got, st.balance)
		}
	}

	resp, err := http.Get(admin.URL + "/_emulator/transfers?email=" + alice)
	if err != nil {
		t.Fatal(err)
	}
	var list []AdminTransfer
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(list) != 1 || list[0].ID != tr.ID || list[0].Status != StatusFailed || list[0].Amount != "10" || list[0].Type != "withdraw" {
		t.Errorf("transfers %+v", list)
	}
	if resp, err := http.Get(admin.URL + "/_emulator/transfers?email=nobody@example.com"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user's transfers: %v %v", resp.Status, err)
	} else {
		resp.Body.Close()
	}

	before := s.Now()
	status, out := adminPost(t, admin.URL, "/_emulator/advance", `{"duration":"36h"}`)
	now, _ := time.Parse(time.RFC3339, fmt.Sprint(out["now"]))
	// The emulator's clock also runs on its own: allow the time the call took.
	if want := before.Add(36 * time.Hour).Truncate(time.Millisecond); status != 200 || now.Before(want) || now.After(want.Add(time.Minute)) || out["scheduledTransfers"] != float64(0) {
		t.Errorf("advance: %d %v, want now %s", status, out, ts(want))
	}
	if status, _ := adminPost(t, admin.URL, "/_emulator/advance", `{"duration":"tomorrow"}`); status != 400 {
		t.Errorf("bad duration: %d", status)
	}
	if status, out := adminPost(t, admin.URL, "/_emulator/nope", `{}`); status != 404 || !strings.Contains(out["error"].(string), "deposit, settle") {
		t.Errorf("unknown route: %d %v", status, out)
	}
	// The admin API is not on the API's handler.
	if r := c.do("POST", "/_emulator/deposit", map[string]string{"email": alice, "amount": "1"}); r.status != http.StatusNotFound {
		t.Errorf("admin route on the API port: %d", r.status)
	}
}

// TestServeOnBoundListeners: Serve and ServeAdmin serve on listeners the
// caller bound, and return nil once ctx ends.
func TestServeOnBoundListeners(t *testing.T) {
	s := New()
	s.SeedUser("alice@example.com")
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- s.Serve(ctx, apiLn) }()
	go func() { done <- s.ServeAdmin(ctx, adminLn) }()

	status, out := adminPost(t, "http://"+adminLn.Addr().String(), "/_emulator/deposit", `{"email":"alice@example.com","amount":"5"}`)
	if status != 200 || out["transferId"] == "" {
		t.Fatalf("deposit: %d %v", status, out)
	}
	resp, err := http.Get("http://" + apiLn.Addr().String() + "/api/wallets/networks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API answered %d without a token", resp.StatusCode)
	}
	cancel()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after cancel")
		}
	}
}
