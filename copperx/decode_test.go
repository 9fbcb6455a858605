package copperx

// The fixtures in testdata follow copperx-openapi.json and the examples of
// copperx-api.md. Deliberate deviations, to prove robustness: wallets.json and
// balances.json have isDefault null; balances.json has an unparseable and a
// numeric balance; transfer_with_transactions.json has a numeric fromAmount
// and a null toAmount; auth_user_minimal.json lacks the optional type; the
// failed item of batch_response.json has no response.

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func eqDec(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(dec(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func decodeFixture(t *testing.T, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(fixture(t, name), v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

func TestDecodeAuthResponse(t *testing.T) {
	var a AuthResponse
	decodeFixture(t, "auth_response.json", &a)
	if a.Scheme != "Bearer" || a.AccessTokenID != "tok_01HQ" {
		t.Errorf("scheme/id = %q/%q", a.Scheme, a.AccessTokenID)
	}
	if got := a.AccessToken.Reveal(); got != "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl" {
		t.Errorf("token = %q", got)
	}
	if want := time.Date(2025, 4, 20, 10, 0, 0, 0, time.UTC); !a.ExpireAt.Equal(want) {
		t.Errorf("expireAt = %v", a.ExpireAt)
	}
	u := a.User
	want := AuthUser{
		ID: "5e1a2b3c-0000-4000-8000-000000000001", FirstName: "Ada", LastName: "Lovelace", Email: "a@b.com",
		ProfileImage: "https://example.com/ada.png", OrganizationID: "org-123", Role: "owner", Status: "active",
		Type: "individual", RelayerAddress: "0x1111111111111111111111111111111111111111",
		WalletAddress: "0x2222222222222222222222222222222222222222", WalletID: "wallet-1", WalletAccountType: "web3_auth_copperx",
	}
	want.Flags = []string{"intro", "beta"}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("user = %+v\nwant  %+v", u, want)
	}
	// The secret never leaves through JSON.
	b, _ := json.Marshal(a)
	if json.Valid(b) && contains(string(b), a.AccessToken.Reveal()) {
		t.Errorf("marshalled auth response leaks the token: %s", b)
	}
}

func TestDecodeOTPRequest(t *testing.T) {
	var r OTPRequest
	decodeFixture(t, "otp_request.json", &r)
	if r.Email != "a@b.com" || r.SID != "sid-opaque-42" {
		t.Errorf("otp request = %+v", r)
	}
}

func TestDecodeAuthUserMinimal(t *testing.T) {
	var u AuthUser
	decodeFixture(t, "auth_user_minimal.json", &u)
	if u.ID != "u-2" || u.Role != "member" || u.Status != "pending" || u.RelayerAddress != "0xabc" || u.OrganizationID != "" {
		t.Errorf("user = %+v", u)
	}
}

func TestDecodeWallets(t *testing.T) {
	var ws []Wallet
	decodeFixture(t, "wallets.json", &ws)
	if len(ws) != 4 {
		t.Fatalf("len = %d", len(ws))
	}
	tests := []struct {
		id, network, typ string
		isDefault        bool
	}{
		{"w-polygon", "137", "web3_auth_copperx", true},
		{"w-base", "8453", "web3_auth_copperx", false},
		{"w-arb", "42161", "web3_auth_copperx", false}, // null
		{"w-stark", "23434", "quantum", false},         // absent
	}
	for i, tt := range tests {
		w := ws[i]
		if w.ID != tt.id || w.Network != tt.network || w.WalletType != tt.typ || w.IsDefault != tt.isDefault || w.OrganizationID != "org-123" {
			t.Errorf("wallet %d = %+v, want %+v", i, w, tt)
		}
	}
	if ws[0].WalletAddress != "0x2222222222222222222222222222222222222222" {
		t.Errorf("address = %q", ws[0].WalletAddress)
	}
	if !ws[0].CreatedAt.Equal(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("createdAt = %v", ws[0].CreatedAt)
	}
}

func TestNullBoolIsFalse(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `false`: false, `null`: false} {
		var w Wallet
		if err := json.Unmarshal([]byte(`{"id":"w","isDefault":`+in+`}`), &w); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if w.IsDefault != want {
			t.Errorf("isDefault %s = %v", in, w.IsDefault)
		}
	}
}

func TestDecodeBalance(t *testing.T) {
	var b Balance
	decodeFixture(t, "balance.json", &b)
	if !b.Valid || b.Raw != "100.50" || b.Symbol != "USDC" || b.Decimals != 6 || b.Address != "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174" {
		t.Errorf("balance = %+v", b)
	}
	eqDec(t, "amount", b.Amount, "100.5")
}

func TestDecodeBalances(t *testing.T) {
	var wbs []WalletBalances
	decodeFixture(t, "balances.json", &wbs)
	if len(wbs) != 2 {
		t.Fatalf("len = %d", len(wbs))
	}
	if wbs[0].WalletID != "w-polygon" || !wbs[0].IsDefault || wbs[0].Network != "137" || len(wbs[0].Balances) != 2 {
		t.Errorf("wallet 0 = %+v", wbs[0])
	}
	if wbs[1].IsDefault || wbs[1].Network != "Polygon" {
		t.Errorf("wallet 1 = %+v", wbs[1])
	}
	eqDec(t, "usdc", wbs[0].Balances[0].Amount, "100.50")
	eqDec(t, "usdt", wbs[0].Balances[1].Amount, "0")
	if !wbs[0].Balances[1].Valid {
		t.Error("a zero balance is valid")
	}
	bad := wbs[1].Balances[0]
	if bad.Valid || bad.Raw != "not-a-number" || bad.Symbol != "ETH" || bad.Decimals != 18 {
		t.Errorf("unparseable balance = %+v, want Valid=false and the raw string kept", bad)
	}
	num := wbs[1].Balances[1]
	if !num.Valid || num.Raw != "12.25" {
		t.Errorf("numeric balance = %+v", num)
	}
	eqDec(t, "numeric", num.Amount, "12.25")
}

func TestDecodeTransfersPage(t *testing.T) {
	var p Page[Transfer]
	decodeFixture(t, "transfers_page.json", &p)
	if p.Page != 1 || p.Limit != 10 || p.Count != 42 || !p.HasMore || len(p.Data) != 2 {
		t.Fatalf("page = %+v", p)
	}
	tr := p.Data[0]
	if tr.ID != "tr-1" || tr.Status != "success" || tr.Type != "send" || tr.Mode != "on_chain" || tr.Currency != "USDC" ||
		tr.SourceCountry != "none" || tr.DestinationCountry != "none" || tr.PurposeCode != "self" ||
		tr.FeeCurrency != "USDC" || tr.FeePercentage != "0" || tr.SenderDisplayName != "Ada Lovelace" || tr.OrganizationID != "org-123" {
		t.Errorf("transfer = %+v", tr)
	}
	eqDec(t, "amount", tr.Amount.Decimal, "10")
	eqDec(t, "subtotal", tr.AmountSubtotal.Decimal, "10")
	eqDec(t, "fee", tr.TotalFee.Decimal, "0")
	da := tr.DestinationAccount
	if da == nil || da.ID != "acc-9" || da.Type != "web3_wallet" || da.Network != "137" || da.PayeeEmail != "f@x.com" ||
		da.WalletAddress != "0x3333333333333333333333333333333333333333" || da.PayeeDisplayName != "" {
		t.Errorf("destination = %+v", da)
	}
	eqDec(t, "deposit amount", p.Data[1].Amount.Decimal, "0.2505")
	if p.Data[1].Type != "deposit" || p.Data[1].DestinationAccount != nil {
		t.Errorf("deposit = %+v", p.Data[1])
	}
}

func TestDecodeTransferWithTransactions(t *testing.T) {
	var tr Transfer
	decodeFixture(t, "transfer_with_transactions.json", &tr)
	if tr.Mode != "off_ramp" || tr.DestinationCurrency != "INR" || tr.SourceOfFunds != "salary" || tr.RecipientRelationship != "self" {
		t.Errorf("transfer = %+v", tr)
	}
	eqDec(t, "amount", tr.Amount.Decimal, "100")
	eqDec(t, "subtotal", tr.AmountSubtotal.Decimal, "99.5")
	eqDec(t, "fee", tr.TotalFee.Decimal, "0.5")
	if tr.DestinationAccount == nil || tr.DestinationAccount.BankName != "State Bank" || tr.DestinationAccount.BankAccountNumber != "****1234" || tr.DestinationAccount.Country != "ind" {
		t.Errorf("destination = %+v", tr.DestinationAccount)
	}
	if tr.SourceAccount == nil || tr.SourceAccount.WalletAddress != "0x2222222222222222222222222222222222222222" {
		t.Errorf("source = %+v", tr.SourceAccount)
	}
	if len(tr.Transactions) != 2 {
		t.Fatalf("transactions = %d", len(tr.Transactions))
	}
	tx := tr.Transactions[0]
	if tx.Status != "success" || tx.TransactionHash != "0xdeadbeef" || tx.FromCurrency != "USDC" || tx.ToCurrency != "INR" || tx.TransferID != "tr-off-1" || tx.ProviderCode != "0x41" {
		t.Errorf("tx = %+v", tx)
	}
	eqDec(t, "fromAmount", tx.FromAmount.Decimal, "100")
	eqDec(t, "toAmount", tx.ToAmount.Decimal, "8350")
	eqDec(t, "tx fee", tx.TotalFee.Decimal, "0.5")
	// A JSON number and a null are tolerated.
	eqDec(t, "numeric fromAmount", tr.Transactions[1].FromAmount.Decimal, "100")
	eqDec(t, "null toAmount", tr.Transactions[1].ToAmount.Decimal, "0")
}

func TestDecodeQuote(t *testing.T) {
	var q Quote
	decodeFixture(t, "quote.json", &q)
	eqDec(t, "min", q.MinAmount.Decimal, "1")
	eqDec(t, "max", q.MaxAmount.Decimal, "50000")
	if q.ArrivalTimeMessage != "1-2 business days" || q.QuoteSignature != "sig+/=abc" || q.Error != "" {
		t.Errorf("quote = %+v", q)
	}
	// The payload stays byte for byte what the API sent.
	var raw struct {
		QuotePayload string `json:"quotePayload"`
	}
	decodeFixture(t, "quote.json", &raw)
	if q.QuotePayload != raw.QuotePayload {
		t.Errorf("payload modified:\n%s\n%s", q.QuotePayload, raw.QuotePayload)
	}
	p := q.Payload
	if p == nil {
		t.Fatal("payload not parsed")
	}
	eqDec(t, "payload amount", p.Amount, "100")
	eqDec(t, "payload toAmount", p.ToAmount, "8350")
	eqDec(t, "rate", p.Rate, "83.5")
	eqDec(t, "totalFee", p.TotalFee, "0.5")
	eqDec(t, "feePercentage", p.FeePercentage, "0.5")
	eqDec(t, "fixedFee (absent)", p.FixedFee, "0")
	if p.Currency != "USDC" || p.ToCurrency != "INR" || p.DestinationCountry != "ind" || p.SourceCountry != "none" {
		t.Errorf("payload = %+v", p)
	}
	if _, ok := p.Fields["expireAt"]; !ok {
		t.Error("payload fields are kept in Fields")
	}
	if want := time.Date(2025, 3, 21, 12, 26, 40, 0, time.UTC); !p.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", p.ExpiresAt, want)
	}
	if len(q.Provider) == 0 {
		t.Error("provider dropped")
	}
}

func TestDecodeQuoteError(t *testing.T) {
	var q Quote
	decodeFixture(t, "quote_error.json", &q)
	if q.Error != "Amount is below the minimum for this corridor" || q.Payload != nil || q.QuotePayload != "" {
		t.Errorf("quote = %+v", q)
	}
	var bad Quote
	if err := json.Unmarshal([]byte(`{"quotePayload":"not json","quoteSignature":"s"}`), &bad); err != nil {
		t.Fatal(err)
	}
	if bad.Payload != nil || bad.QuotePayload != "not json" {
		t.Errorf("quote with unparseable payload = %+v", bad)
	}
}

func TestDecodeAccounts(t *testing.T) {
	var l list[Account]
	decodeFixture(t, "accounts.json", &l)
	if len(l.Data) != 2 {
		t.Fatalf("len = %d", len(l.Data))
	}
	banks := OnlyBankAccounts(l.Data)
	if len(banks) != 1 {
		t.Fatalf("banks = %d", len(banks))
	}
	b := banks[0]
	if b.ID != "acc-b" || b.Country != "ind" || b.IsDefault || b.Method != "bank_ifsc" || b.Status != "verified" || !b.IsBank() {
		t.Errorf("bank = %+v", b)
	}
	want := BankAccount{BankName: "State Bank", BankAddress: "Mumbai", Method: "bank_ifsc", BankAccountType: "savings",
		BankRoutingNumber: "SBIN0000001", BankAccountNumber: "****1234", BankBeneficiaryName: "Ada Lovelace", SwiftCode: "SBININBB"}
	if b.BankAccount == nil || *b.BankAccount != want {
		t.Errorf("bankAccount = %+v", b.BankAccount)
	}
	if w := l.Data[0]; !w.IsDefault || w.Network != "137" || w.WalletAccountType != "web3_auth_copperx" || w.IsBank() {
		t.Errorf("wallet account = %+v", w)
	}
}

func TestDecodeKYCsAndPayees(t *testing.T) {
	var k Page[KYC]
	decodeFixture(t, "kycs_page.json", &k)
	if len(k.Data) != 2 || k.Data[0].StatusUpdates != "Document expired" || k.Data[0].Country != "ind" || k.Data[1].Status != "review_pending" {
		t.Errorf("kycs = %+v", k)
	}
	var p Page[Payee]
	decodeFixture(t, "payees_page.json", &p)
	if len(p.Data) != 1 || p.Data[0].NickName != "bob" || p.Data[0].Email != "bob@x.com" || p.Data[0].DisplayName != "Bob B" || p.Data[0].HasBankAccount {
		t.Errorf("payees = %+v", p)
	}
}

func TestDecodeErrorBodies(t *testing.T) {
	tests := []struct {
		file   string
		status int
		want   string
	}{
		{"error_string.json", 401, "Unauthorized"},
		{"error_strings.json", 400, "email must be an email; amount must be a number string"},
		{"error_constraints.json", 422, "amount must be greater than or equal to 100000000"},
		{"error_object.json", 422, "network: unsupported network; walletAddress: walletAddress is not a valid address"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, _, _ := newTestClient(t, serveFixture(t, tt.status, tt.file))
			_, err := c.Wallets(context.Background(), testToken)
			var e *Error
			if !asError(err, &e) {
				t.Fatalf("err = %v", err)
			}
			if e.Status != tt.status || e.Message != tt.want || e.Method != http.MethodGet || e.Endpoint != "/api/wallets" {
				t.Errorf("got %+v, want message %q", e, tt.want)
			}
		})
	}
}

func TestQuoteArrivalTimeNumber(t *testing.T) {
	var q Quote
	if err := json.Unmarshal([]byte(`{"arrivalTimeMessage":86400,"minAmount":"100000000"}`), &q); err != nil {
		t.Fatal(err)
	}
	if q.ArrivalTimeMessage != "86400" || !q.MinAmount.Equal(dec("1")) {
		t.Errorf("quote = %+v", q)
	}
}

// TestQuoteExpiry: the expiry is read from expireAt or expiresAt, as an RFC
// 3339 string or unix seconds or milliseconds (number or digit string).
func TestQuoteExpiry(t *testing.T) {
	at := time.Date(2025, 3, 21, 12, 26, 40, 0, time.UTC)
	tests := []struct {
		name, payload string
		want          time.Time // zero: none
	}{
		{"expireAt RFC 3339 with millis", `{"expireAt":"2025-03-21T12:26:40.000Z"}`, at},
		{"expiresAt RFC 3339 with offset", `{"expiresAt":"2025-03-21T14:26:40+02:00"}`, at},
		{"expireAt unix seconds", `{"expireAt":1742560000}`, at},
		{"expiresAt unix seconds", `{"expiresAt":1742560000}`, at},
		{"unix milliseconds", `{"expireAt":1742560000000}`, at},
		{"unix milliseconds with a fraction", `{"expireAt":1742560000123}`, at.Add(123 * time.Millisecond)},
		{"fractional seconds", `{"expireAt":1742560000.5}`, at.Add(500 * time.Millisecond)},
		{"digit string seconds", `{"expireAt":"1742560000"}`, at},
		{"digit string millis", `{"expiresAt":"1742560000000"}`, at},
		{"exponent", `{"expireAt":1.74256e9}`, at},
		{"expireAt wins over expiresAt", `{"expireAt":"2025-03-21T12:26:40Z","expiresAt":1}`, at},
		{"bad expireAt falls back to expiresAt", `{"expireAt":"soon","expiresAt":1742560000}`, at},
		{"absent", `{"amount":"1"}`, time.Time{}},
		{"null", `{"expireAt":null}`, time.Time{}},
		{"zero", `{"expireAt":0}`, time.Time{}},
		{"negative", `{"expireAt":-5}`, time.Time{}},
		{"not a time", `{"expireAt":"tomorrow"}`, time.Time{}},
		{"object", `{"expireAt":{"at":1}}`, time.Time{}},
		{"beyond 2262", `{"expireAt":99999999999999999}`, time.Time{}},
		{"other key", `{"expiry":1742560000}`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p QuotePayload
			if err := json.Unmarshal([]byte(tt.payload), &p); err != nil {
				t.Fatal(err)
			}
			if !p.ExpiresAt.Equal(tt.want) || (!tt.want.IsZero() && p.ExpiresAt.Location() != time.UTC) {
				t.Errorf("ExpiresAt = %v, want %v", p.ExpiresAt, tt.want)
			}
		})
	}
}
