package copperx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// recorded is one request the test server received.
type recorded struct {
	method, path, query, auth, contentType, userAgent string
	body                                              []byte
}

// recorder answers every request with resp and remembers it.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	resp string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Get("Authorization"),
		req.Header.Get("Content-Type"), req.Header.Get("User-Agent"), b})
	resp := r.resp
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(resp))
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request body = %s\nwant %s", got, want)
	}
}

func TestEndpoints(t *testing.T) {
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 3, 31, 23, 59, 59, 0, time.FixedZone("X", 3600))
	tests := []struct {
		name      string
		resp      string
		call      func(ctx context.Context, c *Client) (any, error)
		method    string
		path      string
		route     string // the metric's endpoint label when path holds an id
		query     string
		body      string // "" means no body
		anonymous bool
		check     func(t *testing.T, got any)
	}{
		{
			name: "RequestEmailOTP", resp: `{"email":"a@b.com","sid":"s1"}`, anonymous: true,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.RequestEmailOTP(ctx, "a@b.com") },
			method: "POST", path: "/api/auth/email-otp/request", body: `{"email":"a@b.com"}`,
			check: func(t *testing.T, got any) {
				if r := got.(*OTPRequest); r.SID != "s1" || r.Email != "a@b.com" {
					t.Errorf("%+v", r)
				}
			},
		},
		{
			name: "AuthenticateEmailOTP", resp: string(fixture(t, "auth_response.json")), anonymous: true,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AuthenticateEmailOTP(ctx, "a@b.com", "123456", "s1")
			},
			method: "POST", path: "/api/auth/email-otp/authenticate", body: `{"email":"a@b.com","otp":"123456","sid":"s1"}`,
			check: func(t *testing.T, got any) {
				if r := got.(*AuthResponse); r.AccessToken.IsZero() || r.User.OrganizationID != "org-123" {
					t.Errorf("%+v", r)
				}
			},
		},
		{
			name: "Me", resp: string(fixture(t, "auth_user_minimal.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Me(ctx, testToken) },
			method: "GET", path: "/api/auth/me",
		},
		{
			name: "Logout", resp: `{"message":"ok","statusCode":200}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.Logout(ctx, testToken) },
			method: "POST", path: "/api/auth/logout",
		},
		{
			name: "KYCs", resp: string(fixture(t, "kycs_page.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.KYCs(ctx, testToken, 2, 5) },
			method: "GET", path: "/api/kycs", query: "limit=5&page=2",
		},
		{
			name: "KYCStatus", resp: string(fixture(t, "kycs_page.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.KYCStatus(ctx, testToken) },
			method: "GET", path: "/api/kycs", query: "limit=50&page=1",
			check: func(t *testing.T, got any) {
				if got.(string) != "review_pending" {
					t.Errorf("status = %v", got)
				}
			},
		},
		{
			name: "Wallets", resp: string(fixture(t, "wallets.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Wallets(ctx, testToken) },
			method: "GET", path: "/api/wallets",
			check: func(t *testing.T, got any) {
				if len(got.([]Wallet)) != 4 {
					t.Errorf("%+v", got)
				}
			},
		},
		{
			name: "CreateWallet", resp: `{"id":"w1","organizationId":"o","walletType":"eoa","network":"8453"}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.CreateWallet(ctx, testToken, "8453") },
			method: "POST", path: "/api/wallets", body: `{"network":"8453"}`,
		},
		{
			name: "DefaultWallet", resp: `{"id":"w1","isDefault":true}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.DefaultWallet(ctx, testToken) },
			method: "GET", path: "/api/wallets/default",
			check: func(t *testing.T, got any) {
				if w := got.(*Wallet); w.ID != "w1" || !w.IsDefault {
					t.Errorf("%+v", w)
				}
			},
		},
		{
			name: "SetDefaultWallet", resp: `{"id":"w2","isDefault":true}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.SetDefaultWallet(ctx, testToken, "w2") },
			method: "POST", path: "/api/wallets/default", body: `{"walletId":"w2"}`,
		},
		{
			name: "DefaultBalance", resp: string(fixture(t, "balance.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.DefaultBalance(ctx, testToken) },
			method: "GET", path: "/api/wallets/balance",
			check: func(t *testing.T, got any) {
				if b := got.(*Balance); !b.Valid || !b.Amount.Equal(dec("100.5")) {
					t.Errorf("%+v", b)
				}
			},
		},
		{
			name: "Balances", resp: string(fixture(t, "balances.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Balances(ctx, testToken) },
			method: "GET", path: "/api/wallets/balances",
		},
		{
			name: "Networks", resp: `["137","8453"]`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Networks(ctx, testToken) },
			method: "GET", path: "/api/wallets/networks",
			check: func(t *testing.T, got any) {
				if !reflect.DeepEqual(got, []string{"137", "8453"}) {
					t.Errorf("%v", got)
				}
			},
		},
		{
			name: "Transfers", resp: string(fixture(t, "transfers_page.json")),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Transfers(ctx, testToken, TransferQuery{Page: 3, Limit: 10, Types: []string{"deposit", "send"},
					Statuses: []string{"success"}, StartDate: &start, EndDate: &end})
			},
			method: "GET", path: "/api/transfers",
			query: "endDate=2025-03-31T22%3A59%3A59Z&limit=10&page=3&startDate=2025-03-01T00%3A00%3A00Z&status=success&type=deposit&type=send",
		},
		{
			name: "Transfers without filters", resp: string(fixture(t, "transfers_page.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Transfers(ctx, testToken, TransferQuery{}) },
			method: "GET", path: "/api/transfers",
		},
		{
			name: "Transfer", resp: string(fixture(t, "transfer_with_transactions.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Transfer(ctx, testToken, "a/b c") },
			method: "GET", path: "/api/transfers/a%2Fb%20c", route: "/api/transfers/{id}",
		},
		{
			name: "Send to email, 1 USDC", resp: `{"id":"t1","amount":"100000000"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Send(ctx, testToken, SendRequest{Email: "f@x.com", Amount: dec("1"), PurposeCode: "self", Currency: "USDC"})
			},
			method: "POST", path: "/api/transfers/send",
			body: `{"email":"f@x.com","amount":"100000000","purposeCode":"self","currency":"USDC"}`,
			check: func(t *testing.T, got any) {
				if tr := got.(*Transfer); !tr.Amount.Equal(dec("1")) {
					t.Errorf("%+v", tr)
				}
			},
		},
		{
			name: "Send to wallet", resp: `{"id":"t1"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Send(ctx, testToken, SendRequest{WalletAddress: "0xabc", Amount: dec("12.345"), PurposeCode: "gift", Currency: "USDC"})
			},
			method: "POST", path: "/api/transfers/send",
			body: `{"walletAddress":"0xabc","amount":"1234500000","purposeCode":"gift","currency":"USDC"}`,
		},
		{
			name: "Send to payee", resp: `{"id":"t1"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Send(ctx, testToken, SendRequest{PayeeID: "p-1", Amount: dec("50000"), PurposeCode: "self"})
			},
			method: "POST", path: "/api/transfers/send",
			body: `{"payeeId":"p-1","amount":"5000000000000","purposeCode":"self"}`,
		},
		{
			name: "WalletWithdraw", resp: `{"id":"t2"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.WalletWithdraw(ctx, testToken, WithdrawRequest{WalletAddress: "0xdef", Amount: dec("2.5"), PurposeCode: "self", Currency: "USDC"})
			},
			method: "POST", path: "/api/transfers/wallet-withdraw",
			body: `{"walletAddress":"0xdef","amount":"250000000","purposeCode":"self","currency":"USDC"}`,
		},
		{
			name: "Offramp passes the quote through", resp: `{"id":"t3","mode":"off_ramp"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Offramp(ctx, testToken, OfframpRequest{QuotePayload: `{"amount":"1", "rate" : "83.5"}`, QuoteSignature: "sig+/=",
					PurposeCode: "self", SourceOfFunds: "salary", RecipientRelationship: "self", PreferredWalletID: "w1", Note: "rent"})
			},
			method: "POST", path: "/api/transfers/offramp",
			body: `{"quotePayload":"{\"amount\":\"1\", \"rate\" : \"83.5\"}","quoteSignature":"sig+/=","purposeCode":"self","sourceOfFunds":"salary","recipientRelationship":"self","preferredWalletId":"w1","note":"rent"}`,
		},
		{
			name: "SendBatch", resp: string(fixture(t, "batch_response.json")),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SendBatch(ctx, testToken, []BatchSendItem{
					{RequestID: "r1", Request: SendRequest{Email: "f@x.com", Amount: dec("1"), PurposeCode: "self", Currency: "USDC"}},
					{RequestID: "r2", Request: SendRequest{Email: "g@x.com", Amount: dec("0.00000001"), PurposeCode: "self"}},
				})
			},
			method: "POST", path: "/api/transfers/send-batch",
			body: `{"requests":[{"requestId":"r1","request":{"email":"f@x.com","amount":"100000000","purposeCode":"self","currency":"USDC"}},
			                 {"requestId":"r2","request":{"email":"g@x.com","amount":"1","purposeCode":"self"}}]}`,
			check: func(t *testing.T, got any) {
				if rs := got.([]BatchSendResult); len(rs) != 2 || rs[1].Err() == nil {
					t.Errorf("%+v", rs)
				}
			},
		},
		{
			name: "OfframpQuote", resp: string(fixture(t, "quote.json")),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.OfframpQuote(ctx, testToken, QuoteRequest{SourceCountry: "none", DestinationCountry: "ind", Amount: dec("100"),
					Currency: "USDC", PreferredBankAccountID: "acc-b", OnlyRemittance: true})
			},
			method: "POST", path: "/api/quotes/offramp",
			body: `{"sourceCountry":"none","destinationCountry":"ind","amount":"10000000000","currency":"USDC","preferredBankAccountId":"acc-b","onlyRemittance":true}`,
			check: func(t *testing.T, got any) {
				if q := got.(*Quote); q.Payload == nil || !q.Payload.ToAmount.Equal(dec("8350")) {
					t.Errorf("%+v", q)
				}
			},
		},
		{
			name: "OfframpQuote without onlyRemittance", resp: string(fixture(t, "quote.json")),
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.OfframpQuote(ctx, testToken, QuoteRequest{SourceCountry: "none", DestinationCountry: "usa", Amount: dec("1"), Currency: "USDC"})
			},
			method: "POST", path: "/api/quotes/offramp",
			body: `{"sourceCountry":"none","destinationCountry":"usa","amount":"100000000","currency":"USDC"}`,
			check: func(t *testing.T, got any) {
				if q := got.(*Quote); q.Payload == nil || q.Payload.ExpiresAt.IsZero() {
					t.Errorf("%+v", q)
				}
			},
		},
		{
			name: "Accounts", resp: string(fixture(t, "accounts.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Accounts(ctx, testToken) },
			method: "GET", path: "/api/accounts",
			check: func(t *testing.T, got any) {
				if len(got.([]Account)) != 2 {
					t.Errorf("%+v", got)
				}
			},
		},
		{
			name: "BankAccounts", resp: string(fixture(t, "accounts.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.BankAccounts(ctx, testToken) },
			method: "GET", path: "/api/accounts",
			check: func(t *testing.T, got any) {
				if a := got.([]Account); len(a) != 1 || a[0].BankAccount.BankName != "State Bank" {
					t.Errorf("%+v", got)
				}
			},
		},
		{
			name: "Payees", resp: string(fixture(t, "payees_page.json")),
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Payees(ctx, testToken, 1, 10, "bob b") },
			method: "GET", path: "/api/payees", query: "limit=10&page=1&searchText=bob+b",
		},
		{
			name: "Payee", resp: `{"id":"p-1","nickName":"bob","email":"bob@x.com","hasBankAccount":true}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.Payee(ctx, testToken, "p-1") },
			method: "GET", path: "/api/payees/p-1", route: "/api/payees/{id}",
		},
		{
			name: "CreatePayee", resp: `{"id":"p-2","nickName":"bob","email":"bob@x.com","hasBankAccount":false}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreatePayee(ctx, testToken, CreatePayeeRequest{NickName: "bob", Email: "bob@x.com"})
			},
			method: "POST", path: "/api/payees", body: `{"nickName":"bob","email":"bob@x.com"}`,
		},
		{
			name: "UpdatePayee", resp: `{"id":"p-2","nickName":"bobby","email":"bob@x.com","hasBankAccount":false}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdatePayee(ctx, testToken, "p-2", UpdatePayeeRequest{NickName: "bobby", LastName: "Builder"})
			},
			method: "PUT", path: "/api/payees/p-2", route: "/api/payees/{id}", body: `{"nickName":"bobby","lastName":"Builder"}`,
			check: func(t *testing.T, got any) {
				if p := got.(*Payee); p.NickName != "bobby" {
					t.Errorf("%+v", p)
				}
			},
		},
		{
			name: "CreateTransferSchedule", resp: `{"id":"s-1","organizationId":"o","status":"active","type":"on_chain","sourceCountry":"none","destinationCountry":"none","amount":"2500000000","currency":"USDC","email":"f@x.com","repeatType":"weekly","schedule":"2025-04-21T09:00:00Z"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateTransferSchedule(ctx, testToken, ScheduleRequest{Email: "f@x.com", Amount: dec("25"), PurposeCode: "family",
					RepeatType: RepeatWeekly, Schedule: ScheduleAt(time.Date(2025, 4, 21, 11, 0, 0, 0, time.FixedZone("CEST", 7200)))})
			},
			method: "POST", path: "/api/transfer-schedules",
			body: `{"amount":"2500000000","purposeCode":"family","email":"f@x.com","repeatType":"weekly","schedule":"2025-04-21T09:00:00Z"}`,
			check: func(t *testing.T, got any) {
				if s := got.(*TransferSchedule); s.ID != "s-1" || !s.Amount.Equal(dec("25")) || s.Status != ScheduleActive {
					t.Errorf("%+v", s)
				}
			},
		},
		{
			name: "TransferSchedules", resp: `{"data":[],"page":1,"limit":10,"count":0,"hasMore":false}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.TransferSchedules(ctx, testToken, ScheduleQuery{Page: 1, Limit: 10, Email: "f@x.com", Status: ScheduleActive})
			},
			method: "GET", path: "/api/transfer-schedules", query: "email=f%40x.com&limit=10&page=1&status=active",
		},
		{
			name: "TransferSchedule", resp: `{"id":"s-1","status":"inactive","amount":"100000000"}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return c.TransferSchedule(ctx, testToken, "s-1") },
			method: "GET", path: "/api/transfer-schedules/s-1", route: "/api/transfer-schedules/{id}",
		},
		{
			name: "DeactivateTransferSchedule", resp: `{"id":"s-1","status":"inactive","amount":"100000000"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.DeactivateTransferSchedule(ctx, testToken, "s-1")
			},
			method: "POST", path: "/api/transfer-schedules/s-1/deactivate", route: "/api/transfer-schedules/{id}/deactivate",
			check: func(t *testing.T, got any) {
				if s := got.(*TransferSchedule); s.Status != ScheduleInactive {
					t.Errorf("%+v", s)
				}
			},
		},
		{
			name: "DeletePayee", resp: `{"message":"deleted","statusCode":200}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeletePayee(ctx, testToken, "p-2") },
			method: "DELETE", path: "/api/payees/p-2", route: "/api/payees/{id}",
		},
		{
			name: "NotificationsAuth", resp: `{"auth":"e089376087cac1a62785:abcdef"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.NotificationsAuth(ctx, testToken, "123.456", PrivateOrgChannel("org-1"))
			},
			method: "POST", path: "/api/notifications/auth", body: `{"socket_id":"123.456","channel_name":"private-org-org-1"}`,
			check: func(t *testing.T, got any) {
				if got.(string) != "e089376087cac1a62785:abcdef" {
					t.Errorf("%v", got)
				}
			},
		},
		{
			name: "NotificationsTest", resp: ``,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.NotificationsTest(ctx, testToken) },
			method: "GET", path: "/api/notifications/test",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{resp: tt.resp}
			reg := prometheus.NewRegistry()
			c, _, _ := newTestClient(t, rec, WithRegisterer(reg))
			got, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if len(rec.reqs) != 1 {
				t.Fatalf("requests = %d", len(rec.reqs))
			}
			r := rec.reqs[0]
			if r.method != tt.method || r.path != tt.path || r.query != tt.query {
				t.Errorf("request = %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			wantAuth := "Bearer " + testToken.Reveal()
			if tt.anonymous {
				wantAuth = ""
			}
			if r.auth != wantAuth {
				t.Errorf("Authorization = %q, want %q", r.auth, wantAuth)
			}
			if r.userAgent != DefaultConfig().UserAgent {
				t.Errorf("User-Agent = %q", r.userAgent)
			}
			if tt.body == "" {
				if len(r.body) != 0 {
					t.Errorf("unexpected body %s", r.body)
				}
			} else {
				jsonEqual(t, r.body, tt.body)
				if r.contentType != "application/json" {
					t.Errorf("Content-Type = %q", r.contentType)
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
			route := tt.route
			if route == "" {
				route = tt.path
			}
			want := "endpoint=" + route + ",method=" + tt.method + ",status=2xx count=1"
			if got := gatherLabels(t, reg); len(got) != 1 || got[0] != want {
				t.Errorf("metrics = %v, want [%s]", got, want)
			}
		})
	}
}

func TestSendRequestValidation(t *testing.T) {
	tests := []struct {
		name string
		req  SendRequest
		want error
	}{
		{"no recipient", SendRequest{Amount: dec("1"), PurposeCode: "self"}, ErrRecipient},
		{"two recipients", SendRequest{Email: "a@b.com", WalletAddress: "0x1", Amount: dec("1"), PurposeCode: "self"}, ErrRecipient},
		{"three recipients", SendRequest{Email: "a@b.com", WalletAddress: "0x1", PayeeID: "p", Amount: dec("1")}, ErrRecipient},
		{"too precise", SendRequest{Email: "a@b.com", Amount: dec("1.000000001"), PurposeCode: "self"}, ErrPrecision},
		{"negative", SendRequest{Email: "a@b.com", Amount: dec("-1"), PurposeCode: "self"}, ErrNegativeAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{resp: `{}`}
			c, _, _ := newTestClient(t, rec)
			_, err := c.Send(context.Background(), testToken, tt.req)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if _, err := c.SendBatch(context.Background(), testToken, []BatchSendItem{{RequestID: "x", Request: tt.req}}); !errors.Is(err, tt.want) {
				t.Errorf("batch err = %v, want %v", err, tt.want)
			}
			if len(rec.reqs) != 0 {
				t.Errorf("an invalid request reached the API")
			}
		})
	}
	// Exactly one recipient field on the wire.
	b, err := json.Marshal(SendRequest{WalletAddress: "0x1", Amount: dec("1"), PurposeCode: "self"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	_, hasEmail := m["email"]
	_, hasPayee := m["payeeId"]
	if hasEmail || hasPayee || m["walletAddress"] != "0x1" || m["amount"] != "100000000" {
		t.Errorf("wire = %s", b)
	}
}

func TestOtherRequestValidation(t *testing.T) {
	rec := &recorder{resp: `{}`}
	c, _, _ := newTestClient(t, rec)
	ctx := context.Background()
	if _, err := c.WalletWithdraw(ctx, testToken, WithdrawRequest{Amount: dec("1")}); err == nil {
		t.Error("withdraw without address accepted")
	}
	if _, err := c.WalletWithdraw(ctx, testToken, WithdrawRequest{WalletAddress: "0x1", Amount: dec("0.123456789")}); !errors.Is(err, ErrPrecision) {
		t.Errorf("withdraw precision: %v", err)
	}
	if _, err := c.OfframpQuote(ctx, testToken, QuoteRequest{Amount: dec("-3")}); !errors.Is(err, ErrNegativeAmount) {
		t.Errorf("quote negative: %v", err)
	}
	if _, err := c.Offramp(ctx, testToken, OfframpRequest{QuotePayload: "x"}); err == nil {
		t.Error("offramp without signature accepted")
	}
	if _, err := c.Transfer(ctx, testToken, ""); err == nil {
		t.Error("empty transfer id accepted")
	}
	if _, err := c.Payee(ctx, testToken, ""); err == nil {
		t.Error("empty payee id accepted")
	}
	if err := c.DeletePayee(ctx, testToken, ""); err == nil {
		t.Error("empty payee id accepted")
	}
	if _, err := c.UpdatePayee(ctx, testToken, "", UpdatePayeeRequest{NickName: "x"}); err == nil {
		t.Error("empty payee id accepted")
	}
	if _, err := c.UpdatePayee(ctx, testToken, "p-1", UpdatePayeeRequest{}); err == nil {
		t.Error("payee update without nickName accepted")
	}
	if _, err := c.TransferSchedule(ctx, testToken, ""); err == nil {
		t.Error("empty schedule id accepted")
	}
	if _, err := c.DeactivateTransferSchedule(ctx, testToken, ""); err == nil {
		t.Error("empty schedule id accepted")
	}
	for _, r := range []ScheduleRequest{
		{Amount: dec("1"), RepeatType: RepeatDaily, Schedule: "2025-04-21"},                                 // no recipient
		{Email: "a@b.com", PayeeID: "p", Amount: dec("1"), RepeatType: RepeatDaily, Schedule: "2025-04-21"}, // two
		{Email: "a@b.com", Amount: dec("0.000000001"), RepeatType: RepeatDaily, Schedule: "2025-04-21"},     // precision
		{Email: "a@b.com", Amount: dec("1"), Schedule: "2025-04-21"},                                        // no repeat
		{Email: "a@b.com", Amount: dec("1"), RepeatType: RepeatDaily},                                       // no schedule
	} {
		if _, err := c.CreateTransferSchedule(ctx, testToken, r); err == nil {
			t.Errorf("schedule %+v accepted", r)
		}
	}
	if len(rec.reqs) != 0 {
		t.Errorf("invalid requests reached the API: %d", len(rec.reqs))
	}
}

func TestKYCStatus(t *testing.T) {
	at := func(day int) time.Time { return time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		records []KYC
		want    string
	}{
		{"none", nil, KYCNotStarted},
		{"approved wins", []KYC{{Status: "rejected", CreatedAt: at(3)}, {Status: "approved", CreatedAt: at(1)}}, KYCApproved},
		{"newest wins", []KYC{{Status: "rejected", CreatedAt: at(1)}, {Status: "inprogress", CreatedAt: at(2)}}, "inprogress"},
		{"newest first", []KYC{{Status: "review", CreatedAt: at(5)}, {Status: "rejected", CreatedAt: at(2)}}, "review"},
		{"no dates: first", []KYC{{Status: "pending"}, {Status: "rejected"}}, "pending"},
		{"updatedAt fallback", []KYC{{Status: "pending", UpdatedAt: at(1)}, {Status: "rejected", UpdatedAt: at(9)}}, "rejected"},
	}
	for _, tt := range tests {
		if got := BestKYCStatus(tt.records); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}

	for _, tc := range []struct {
		status int
		body   string
		want   string
		err    error
	}{
		{404, `{"message":"Not Found","statusCode":404}`, KYCNotStarted, nil},
		{200, `{"data":[],"page":1,"limit":100,"count":0,"hasMore":false}`, KYCNotStarted, nil},
		{200, `{"data":[{"id":"k","status":"approved"}],"page":1,"limit":100,"count":1,"hasMore":false}`, KYCApproved, nil},
		{401, `{"message":"Unauthorized","statusCode":401}`, "", ErrUnauthorized},
	} {
		c, _, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		got, err := c.KYCStatus(context.Background(), testToken)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("status %d: got %q, %v", tc.status, got, err)
		}
	}
}

func TestNetworkName(t *testing.T) {
	for in, want := range map[string]string{"137": "Polygon", "8453": "Base", "42161": "Arbitrum One", "23434": "Starknet", "Polygon": "Polygon", "999": "999"} {
		if got := NetworkName(in); got != want {
			t.Errorf("NetworkName(%q) = %q, want %q", in, got, want)
		}
	}
}
