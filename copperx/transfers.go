package copperx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// Transfer is a transfer (TransferWithTransactionsDto and friends). Amount,
// AmountSubtotal and TotalFee arrive in 10^-8 units and decode to token amounts.
type Transfer struct {
	ID                    string           `json:"id"`
	CreatedAt             time.Time        `json:"createdAt"`
	UpdatedAt             time.Time        `json:"updatedAt"`
	OrganizationID        string           `json:"organizationId"`
	Status                string           `json:"status"` // pending|initiated|processing|success|canceled|failed|refunded
	CustomerID            string           `json:"customerId,omitempty"`
	Type                  string           `json:"type"`           // send|receive|withdraw|deposit|bridge|bank_deposit
	Mode                  string           `json:"mode,omitempty"` // on_ramp|off_ramp|remittance|on_chain
	SourceCountry         string           `json:"sourceCountry"`
	DestinationCountry    string           `json:"destinationCountry"`
	DestinationCurrency   string           `json:"destinationCurrency,omitempty"`
	Amount                Units            `json:"amount"`
	Currency              string           `json:"currency"`
	AmountSubtotal        Units            `json:"amountSubtotal"`
	TotalFee              Units            `json:"totalFee"`
	FeePercentage         string           `json:"feePercentage,omitempty"`
	FeeCurrency           string           `json:"feeCurrency,omitempty"`
	InvoiceNumber         string           `json:"invoiceNumber,omitempty"`
	InvoiceURL            string           `json:"invoiceUrl,omitempty"`
	Note                  string           `json:"note,omitempty"`
	PurposeCode           string           `json:"purposeCode,omitempty"`
	SourceOfFunds         string           `json:"sourceOfFunds,omitempty"`
	RecipientRelationship string           `json:"recipientRelationship,omitempty"`
	SourceAccountID       string           `json:"sourceAccountId,omitempty"`
	DestinationAccountID  string           `json:"destinationAccountId,omitempty"`
	PaymentURL            string           `json:"paymentUrl,omitempty"`
	IsThirdPartyPayment   bool             `json:"isThirdPartyPayment"`
	SourceAccount         *TransferAccount `json:"sourceAccount,omitempty"`
	DestinationAccount    *TransferAccount `json:"destinationAccount,omitempty"`
	SenderDisplayName     string           `json:"senderDisplayName,omitempty"`
	Transactions          []Transaction    `json:"transactions,omitempty"`
}

// TransferAccount is a transfer's source or destination (TransferAccountDto).
type TransferAccount struct {
	ID                  string `json:"id"`
	Type                string `json:"type"` // web3_wallet|bank_ach|…
	Country             string `json:"country,omitempty"`
	Network             string `json:"network,omitempty"`
	AccountID           string `json:"accountId,omitempty"`
	WalletAddress       string `json:"walletAddress,omitempty"`
	BankName            string `json:"bankName,omitempty"`
	BankAddress         string `json:"bankAddress,omitempty"`
	BankRoutingNumber   string `json:"bankRoutingNumber,omitempty"`
	BankAccountNumber   string `json:"bankAccountNumber,omitempty"`
	BankDepositMessage  string `json:"bankDepositMessage,omitempty"`
	WireMessage         string `json:"wireMessage,omitempty"`
	PayeeEmail          string `json:"payeeEmail,omitempty"`
	PayeeOrganizationID string `json:"payeeOrganizationId,omitempty"`
	PayeeID             string `json:"payeeId,omitempty"`
	PayeeDisplayName    string `json:"payeeDisplayName,omitempty"`
}

// Transaction is one leg of a transfer (TransactionDto).
type Transaction struct {
	ID                    string    `json:"id"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
	OrganizationID        string    `json:"organizationId"`
	Type                  string    `json:"type"`
	ProviderCode          string    `json:"providerCode"`
	TransferID            string    `json:"transferId,omitempty"`
	Status                string    `json:"status"`
	ExternalStatus        string    `json:"externalStatus,omitempty"`
	FromAccountID         string    `json:"fromAccountId,omitempty"`
	ToAccountID           string    `json:"toAccountId,omitempty"`
	FromAmount            Units     `json:"fromAmount"`
	FromCurrency          string    `json:"fromCurrency"`
	ToAmount              Units     `json:"toAmount"`
	ToCurrency            string    `json:"toCurrency"`
	TotalFee              Units     `json:"totalFee"`
	FeeCurrency           string    `json:"feeCurrency"`
	TransactionHash       string    `json:"transactionHash,omitempty"`
	ExternalTransactionID string    `json:"externalTransactionId,omitempty"`
	DepositURL            string    `json:"depositUrl,omitempty"`
}

// TransferQuery filters Transfers. Zero values are left out of the query.
type TransferQuery struct {
	Page, Limit        int
	Types              []string   // send|receive|withdraw|deposit|bridge|bank_deposit
	Statuses           []string   // the document allows one status; several are sent as repeated status=
	StartDate, EndDate *time.Time // sent as RFC 3339 in UTC (the document's Date schema is missing)
}

// Transfers lists transfers (GET /api/transfers).
func (c *Client) Transfers(ctx context.Context, tok Token, q TransferQuery) (*Page[Transfer], error) {
	v := pageQuery(nil, q.Page, q.Limit)
	for _, t := range q.Types {
		v.Add("type", t)
	}
	for _, s := range q.Statuses {
		v.Add("status", s)
	}
	if q.StartDate != nil {
		v.Set("startDate", q.StartDate.UTC().Format(time.RFC3339))
	}
	if q.EndDate != nil {
		v.Set("endDate", q.EndDate.UTC().Format(time.RFC3339))
	}
	var out Page[Transfer]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/transfers", tok: &tok, query: v, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Transfer returns one transfer with its transactions (GET /api/transfers/{id}).
func (c *Client) Transfer(ctx context.Context, tok Token, id string) (*Transfer, error) {
	if id == "" {
		return nil, errEmptyID("transfer")
	}
	var out Transfer
	err := c.do(ctx, call{
		method: http.MethodGet, path: "/api/transfers/" + escape(id), route: "/api/transfers/{id}",
		tok: &tok, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ErrRecipient reports a SendRequest without exactly one recipient.
var ErrRecipient = errors.New("copperx: exactly one of email, walletAddress and payeeId is required")

// SendRequest sends funds to an email, a wallet address or a payee: set
// exactly one of them. Amount is in tokens (1 = 1 USDC).
type SendRequest struct {
	Email         string
	WalletAddress string
	PayeeID       string
	Amount        decimal.Decimal
	PurposeCode   string // self|salary|gift|…
	Currency      string // USDC, …
}

// sendBody is SendRequest on the wire (CreateSendTransferDto).
type sendBody struct {
	WalletAddress string `json:"walletAddress,omitempty"`
	Email         string `json:"email,omitempty"`
	PayeeID       string `json:"payeeId,omitempty"`
	Amount        string `json:"amount"`
	PurposeCode   string `json:"purposeCode"`
	Currency      string `json:"currency,omitempty"`
}

// MarshalJSON encodes the request as the API expects it, amount in 10^-8 units.
func (r SendRequest) MarshalJSON() ([]byte, error) {
	b, err := r.body()
	if err != nil {
		return nil, err
	}
	return json.Marshal(b)
}

func (r SendRequest) body() (sendBody, error) {
	n := 0
	for _, s := range []string{r.Email, r.WalletAddress, r.PayeeID} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return sendBody{}, ErrRecipient
	}
	units, err := ToUnits(r.Amount)
	if err != nil {
		return sendBody{}, fmt.Errorf("amount: %w", err)
	}
	return sendBody{
		WalletAddress: r.WalletAddress, Email: r.Email, PayeeID: r.PayeeID,
		Amount: units, PurposeCode: r.PurposeCode, Currency: r.Currency,
	}, nil
}

// Send sends funds (POST /api/transfers/send). Never retried.
func (c *Client) Send(ctx context.Context, tok Token, r SendRequest) (*Transfer, error) {
	body, err := r.body()
	if err != nil {
		return nil, fmt.Errorf("copperx: send: %w", err)
	}
	var out Transfer
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/transfers/send", tok: &tok, body: body, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// WithdrawRequest withdraws to an external wallet. Amount is in tokens.
type WithdrawRequest struct {
	WalletAddress string
	Amount        decimal.Decimal
	PurposeCode   string
	Currency      string
}

// WalletWithdraw withdraws to a wallet address
// (POST /api/transfers/wallet-withdraw). Never retried.
func (c *Client) WalletWithdraw(ctx context.Context, tok Token, r WithdrawRequest) (*Transfer, error) {
	if r.WalletAddress == "" {
		return nil, fmt.Errorf("copperx: wallet withdraw: walletAddress is required")
	}
	units, err := ToUnits(r.Amount)
	if err != nil {
		return nil, fmt.Errorf("copperx: wallet withdraw: amount: %w", err)
	}
	body := sendBody{WalletAddress: r.WalletAddress, Amount: units, PurposeCode: r.PurposeCode, Currency: r.Currency}
	var out Transfer
	err = c.do(ctx, call{method: http.MethodPost, path: "/api/transfers/wallet-withdraw", tok: &tok, body: body, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// OfframpRequest withdraws to a bank account with a quote from OfframpQuote.
// QuotePayload and QuoteSignature are passed through unmodified.
type OfframpRequest struct {
	QuotePayload          string `json:"quotePayload"`
	QuoteSignature        string `json:"quoteSignature"`
	PurposeCode           string `json:"purposeCode,omitempty"`
	SourceOfFunds         string `json:"sourceOfFunds,omitempty"`
	RecipientRelationship string `json:"recipientRelationship,omitempty"`
	PreferredWalletID     string `json:"preferredWalletId,omitempty"`
	Note                  string `json:"note,omitempty"`
}

// Offramp submits a bank withdrawal (POST /api/transfers/offramp). Never retried.
func (c *Client) Offramp(ctx context.Context, tok Token, r OfframpRequest) (*Transfer, error) {
	if r.QuotePayload == "" || r.QuoteSignature == "" {
		return nil, fmt.Errorf("copperx: offramp: quotePayload and quoteSignature are required")
	}
	var out Transfer
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/transfers/offramp", tok: &tok, body: r, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchSendItem is one request of SendBatch; RequestID matches it to its result.
type BatchSendItem struct {
	RequestID string      `json:"requestId"`
	Request   SendRequest `json:"request"`
}

// BatchSendResult is one result of SendBatch: Response on success, Error
// otherwise. Request echoes what the API received, as sent.
type BatchSendResult struct {
	RequestID string          `json:"requestId"`
	Request   json.RawMessage `json:"request,omitempty"`
	Response  *Transfer       `json:"response,omitempty"`
	Error     *ErrorBody      `json:"error,omitempty"`
}

// Err returns the item's failure as an *Error, or nil.
func (r BatchSendResult) Err() error {
	if r.Error == nil {
		return nil
	}
	return errorFromBody(http.MethodPost, "/api/transfers/send-batch", r.Error.StatusCode, 0, *r.Error, nil)
}

// SendBatch sends several transfers in one call (POST /api/transfers/send-batch).
// Never retried; check each result.
func (c *Client) SendBatch(ctx context.Context, tok Token, items []BatchSendItem) ([]BatchSendResult, error) {
	for i, it := range items {
		if _, err := it.Request.body(); err != nil {
			return nil, fmt.Errorf("copperx: send batch: request %d (%s): %w", i, it.RequestID, err)
		}
	}
	var out struct {
		Responses []BatchSendResult `json:"responses"`
	}
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/transfers/send-batch", tok: &tok,
		body: map[string]any{"requests": items}, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return out.Responses, nil
}
