package copperx

import (
	"context"
	"net/http"
	"time"
)

// AccountTypeBank is Account.Type for a bank account.
const AccountTypeBank = "bank_account"

// Account is a wallet or bank account (AccountDto).
type Account struct {
	ID                string       `json:"id"`
	CreatedAt         time.Time    `json:"createdAt"`
	UpdatedAt         time.Time    `json:"updatedAt"`
	OrganizationID    string       `json:"organizationId"`
	Type              string       `json:"type"` // web3_wallet|bank_account
	WalletAccountType string       `json:"walletAccountType,omitempty"`
	Method            string       `json:"method,omitempty"`
	Country           string       `json:"country,omitempty"`
	Network           string       `json:"network,omitempty"`
	WalletAddress     string       `json:"walletAddress,omitempty"`
	IsDefault         bool         `json:"isDefault"`
	BankAccount       *BankAccount `json:"bankAccount,omitempty"`
	Status            string       `json:"status,omitempty"`
}

// BankAccount is an account's bank details (BankAccountDto).
type BankAccount struct {
	BankName            string `json:"bankName,omitempty"`
	BankAddress         string `json:"bankAddress,omitempty"`
	Method              string `json:"method,omitempty"`
	BankAccountType     string `json:"bankAccountType,omitempty"`
	BankRoutingNumber   string `json:"bankRoutingNumber,omitempty"`
	BankAccountNumber   string `json:"bankAccountNumber,omitempty"`
	BankBeneficiaryName string `json:"bankBeneficiaryName,omitempty"`
	SwiftCode           string `json:"swiftCode,omitempty"`
}

// IsBank reports whether the account is a bank account.
func (a Account) IsBank() bool { return a.Type == AccountTypeBank }

// Accounts lists the user's accounts (GET /api/accounts).
func (c *Client) Accounts(ctx context.Context, tok Token) ([]Account, error) {
	var out list[Account]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/accounts", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// BankAccounts lists only the user's bank accounts (GET /api/accounts).
func (c *Client) BankAccounts(ctx context.Context, tok Token) ([]Account, error) {
	all, err := c.Accounts(ctx, tok)
	if err != nil {
		return nil, err
	}
	return OnlyBankAccounts(all), nil
}

// OnlyBankAccounts returns the bank accounts among accounts.
func OnlyBankAccounts(accounts []Account) []Account {
	var out []Account
	for _, a := range accounts {
		if a.IsBank() {
			out = append(out, a)
		}
	}
	return out
}
