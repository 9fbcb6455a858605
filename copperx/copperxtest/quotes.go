package copperxtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// quoteBody is OfframpQuoteRequestDto.
type quoteBody struct {
	SourceCountry          string `json:"sourceCountry"`
	DestinationCountry     string `json:"destinationCountry"`
	Amount                 string `json:"amount"`
	Currency               string `json:"currency"`
	PreferredBankAccountID string `json:"preferredBankAccountId"`
	OnlyRemittance         bool   `json:"onlyRemittance"`
}

// quotePayload is what quotePayload (a JSON string) holds; the emulator
// signs the exact string with HMAC-SHA256.
type quotePayload struct {
	QuoteID            string `json:"quoteId"`
	OrganizationID     string `json:"organizationId"`
	Amount             string `json:"amount"`
	Currency           string `json:"currency"`
	ToAmount           string `json:"toAmount"`
	ToCurrency         string `json:"toCurrency"`
	Rate               string `json:"rate"`
	TotalFee           string `json:"totalFee"`
	FeeAmount          string `json:"feeAmount"`
	FeePercentage      string `json:"feePercentage"`
	SourceCountry      string `json:"sourceCountry"`
	DestinationCountry string `json:"destinationCountry"`
	BankAccountID      string `json:"bankAccountId"`
	ExpireAt           string `json:"expireAt"`
}

// fxRates are the emulator's USDC → fiat rates by destination country.
var fxRates = map[string]struct{ currency, rate string }{
	"usa": {"USD", "1"},
	"ind": {"INR", "85.25"},
	"gbr": {"GBP", "0.79"},
	"are": {"AED", "3.6725"},
	"sgp": {"SGD", "1.34"},
	"deu": {"EUR", "0.92"}, "fra": {"EUR", "0.92"}, "esp": {"EUR", "0.92"}, "ita": {"EUR", "0.92"}, "nld": {"EUR", "0.92"},
}

func (s *Server) sign(payload string) string {
	m := hmac.New(sha256.New, s.quoteKey)
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// offrampQuote prices a bank withdrawal. Errors of the quote itself (no
// bank account, amount out of range, SetQuoteError) are a 200 with
// "error" and no payload, as the API does.
func (s *Server) offrampQuote(r *http.Request, sess *session) (any, error) {
	var in quoteBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if !digitsRe.MatchString(in.Amount) {
		return nil, constraint("amount", "isNumberString", "amount must be a number string")
	}
	amount := decimal.RequireFromString(in.Amount)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	out := map[string]any{
		"minAmount":          units(decimal.NewFromInt(MinAmount)),
		"maxAmount":          units(decimal.NewFromInt(MaxAmount)),
		"arrivalTimeMessage": "1-3 business days",
		"provider": map[string]any{
			"id": "a4b1c2d3-0000-4000-8000-000000000001", "createdAt": ts(u.createdAt), "updatedAt": ts(u.createdAt),
			"organizationId": u.orgID, "status": "approved", "providerCode": "0x2",
			"providerData": map[string]any{}, "supportRemittance": true, "country": in.DestinationCountry,
		},
	}
	if s.quoteError != "" {
		out["error"] = s.quoteError
		return out, nil
	}
	if err := requireKYC(u); err != nil {
		out["error"] = "Please complete your KYC to withdraw to a bank account"
		return out, nil
	}
	var acct *bankAccount
	for _, b := range u.accounts {
		if in.PreferredBankAccountID == "" || b.id == in.PreferredBankAccountID {
			acct = b
			break
		}
	}
	if acct == nil {
		out["error"] = "No bank account found. Add a bank account on payout.copperx.io"
		return out, nil
	}
	if amount.LessThan(decimal.NewFromInt(MinAmount)) || amount.GreaterThan(decimal.NewFromInt(MaxAmount)) {
		out["error"] = "Amount must be between 1 and 50000 USDC"
		return out, nil
	}
	fx, ok := fxRates[in.DestinationCountry]
	if !ok {
		fx = fxRates["usa"]
	}
	rate := decimal.RequireFromString(fx.rate)
	fee := s.feeFor(amount)
	currency := in.Currency
	if currency == "" {
		currency = "USDC"
	}
	p := quotePayload{
		QuoteID:            newID(),
		OrganizationID:     u.orgID,
		Amount:             units(amount),
		Currency:           currency,
		ToAmount:           units(amount.Mul(rate).Floor()),
		ToCurrency:         fx.currency,
		Rate:               fx.rate,
		TotalFee:           units(fee),
		FeeAmount:          units(fee),
		FeePercentage:      s.cfg.fee.String(),
		SourceCountry:      in.SourceCountry,
		DestinationCountry: in.DestinationCountry,
		BankAccountID:      acct.id,
		ExpireAt:           ts(s.now().Add(s.cfg.quoteTTL)),
	}
	b, _ := json.Marshal(p)
	out["quotePayload"] = string(b)
	out["quoteSignature"] = s.sign(string(b))
	return out, nil
}

// offrampBody is CreateOfframpTransferDto.
type offrampBody struct {
	QuotePayload          string `json:"quotePayload"`
	QuoteSignature        string `json:"quoteSignature"`
	PurposeCode           string `json:"purposeCode"`
	SourceOfFunds         string `json:"sourceOfFunds"`
	RecipientRelationship string `json:"recipientRelationship"`
	PreferredWalletID     string `json:"preferredWalletId"`
	Note                  string `json:"note"`
}

// offramp submits a signed quote: the signature must match the payload
// byte for byte, the quote must belong to the caller, be unexpired and
// unused.
func (s *Server) offramp(r *http.Request, sess *session) (any, error) {
	var in offrampBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(s.sign(in.QuotePayload)), []byte(in.QuoteSignature)) {
		return nil, unprocessable("Invalid quote signature")
	}
	var p quotePayload
	if err := json.Unmarshal([]byte(in.QuotePayload), &p); err != nil {
		return nil, unprocessable("Invalid quote payload")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	if p.OrganizationID != u.orgID {
		return nil, unprocessable("Invalid quote")
	}
	exp, err := time.Parse(timeLayout, p.ExpireAt)
	if err != nil || !s.now().Before(exp) {
		return nil, unprocessable("Quote expired. Please request a new quote")
	}
	if s.usedQuotes[in.QuoteSignature] {
		return nil, unprocessable("Quote already used. Please request a new quote")
	}
	if err := requireKYC(u); err != nil {
		return nil, err
	}
	src := u.defaultW()
	if in.PreferredWalletID != "" {
		if src = u.wallet(in.PreferredWalletID); src == nil {
			return nil, notFound("Wallet not found")
		}
	}
	var acct *bankAccount
	for _, b := range u.accounts {
		if b.id == p.BankAccountID {
			acct = b
		}
	}
	if acct == nil {
		return nil, notFound("Bank account not found")
	}
	amount := decimal.RequireFromString(p.Amount)
	fee := decimal.RequireFromString(p.TotalFee)
	total := fromUnits(amount.Add(fee))
	if err := s.checkDailyLimitLocked(u, amount); err != nil {
		return nil, err
	}
	if src.balances[p.Currency].LessThan(total) {
		return nil, unprocessable("Insufficient balance")
	}
	src.balances[p.Currency] = src.balances[p.Currency].Sub(total)
	s.usedQuotes[in.QuoteSignature] = true
	dest := &TransferAccount{
		ID: acct.id, Type: bankMethod(acct.country), Country: acct.country, AccountID: acct.id,
		BankName: acct.bankName, BankAccountNumber: acct.number,
	}
	t := s.newTransferLocked(u, Transfer{
		Type: "withdraw", Mode: "off_ramp", SourceCountry: p.SourceCountry, DestinationCountry: p.DestinationCountry,
		DestinationCurrency: p.ToCurrency, Amount: p.Amount, Currency: p.Currency, AmountSubtotal: p.Amount,
		TotalFee: p.TotalFee, FeePercentage: p.FeePercentage, Note: in.Note, PurposeCode: in.PurposeCode,
		SourceOfFunds: in.SourceOfFunds, RecipientRelationship: in.RecipientRelationship,
		SourceAccountID: src.accountID, DestinationAccountID: acct.id, SenderDisplayName: u.displayName(),
		SourceAccount: s.walletAccount(src), DestinationAccount: dest,
		Transactions: []Transaction{{
			Type: "withdraw", ProviderCode: "0x2", FromAccountID: src.accountID, ToAccountID: acct.id,
			FromAmount: p.Amount, FromCurrency: p.Currency, ToAmount: p.ToAmount, ToCurrency: p.ToCurrency,
			TotalFee: p.TotalFee, FeeCurrency: p.Currency, TransactionHash: txHash(),
		}},
	}, s.cfg.settleDelay)
	t.outgoing, t.refund = true, &refund{source: src, currency: p.Currency, debited: total}
	return s.renderLocked(t, false), nil
}
