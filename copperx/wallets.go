package copperx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"
)

// Wallet is one of the user's wallets (WalletDto).
type Wallet struct {
	ID             string    `json:"id"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	OrganizationID string    `json:"organizationId"`
	WalletType     string    `json:"walletType"` // web3_auth_copperx|safe|circle_dev|eoa|other|quantum
	Network        string    `json:"network"`    // a chain id such as "137"; see NetworkName
	WalletAddress  string    `json:"walletAddress"`
	// IsDefault: the API sends true, false or null; encoding/json leaves a bool
	// untouched on null, so null reads as false (tested).
	IsDefault bool `json:"isDefault"`
}

// Balance is one token balance (BalanceResponseDto). The API sends it
// human-readable ("100.50"), not in 10^-8 units. Raw keeps the string as sent;
// Valid is false when it did not parse, in which case Amount is zero and must
// be shown as unavailable, not as 0.
type Balance struct {
	Decimals int             `json:"decimals"` // the token's on-chain precision
	Amount   decimal.Decimal `json:"-"`
	Raw      string          `json:"balance"`
	Valid    bool            `json:"-"`
	Symbol   string          `json:"symbol"` // USDC|USDT|DAI|ETH|USDCE|STRK
	Address  string          `json:"address"`
}

// UnmarshalJSON implements json.Unmarshaler; balance may be a string or a number.
func (b *Balance) UnmarshalJSON(data []byte) error {
	var aux struct {
		Decimals json.Number     `json:"decimals"`
		Balance  json.RawMessage `json:"balance"`
		Symbol   string          `json:"symbol"`
		Address  string          `json:"address"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return fmt.Errorf("balance: %w", err)
	}
	d, raw, ok := parseDecimal(aux.Balance)
	dec, _ := aux.Decimals.Int64()
	*b = Balance{Decimals: int(dec), Amount: d, Raw: raw, Valid: ok, Symbol: aux.Symbol, Address: aux.Address}
	return nil
}

// WalletBalances is one wallet's balances (WalletBalanceDto).
type WalletBalances struct {
	WalletID  string    `json:"walletId"`
	IsDefault bool      `json:"isDefault"`
	Network   string    `json:"network"`
	Balances  []Balance `json:"balances"`
}

// Wallets lists the user's wallets (GET /api/wallets).
func (c *Client) Wallets(ctx context.Context, tok Token) ([]Wallet, error) {
	var out []Wallet
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/wallets", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateWallet creates the wallet for network, or returns the existing one
// (POST /api/wallets).
func (c *Client) CreateWallet(ctx context.Context, tok Token, network string) (*Wallet, error) {
	var out Wallet
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/wallets", tok: &tok,
		body: map[string]string{"network": network}, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DefaultWallet returns the default wallet (GET /api/wallets/default).
func (c *Client) DefaultWallet(ctx context.Context, tok Token) (*Wallet, error) {
	var out Wallet
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/wallets/default", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetDefaultWallet makes walletID the default wallet (POST /api/wallets/default).
func (c *Client) SetDefaultWallet(ctx context.Context, tok Token, walletID string) (*Wallet, error) {
	var out Wallet
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/wallets/default", tok: &tok,
		body: map[string]string{"walletId": walletID}, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DefaultBalance returns the default wallet's balance (GET /api/wallets/balance).
func (c *Client) DefaultBalance(ctx context.Context, tok Token) (*Balance, error) {
	var out Balance
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/wallets/balance", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Balances returns every wallet's balances (GET /api/wallets/balances).
func (c *Client) Balances(ctx context.Context, tok Token) ([]WalletBalances, error) {
	var out []WalletBalances
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/wallets/balances", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return out, nil
}

// Networks lists the chain ids the user can hold a wallet on
// (GET /api/wallets/networks).
func (c *Client) Networks(ctx context.Context, tok Token) ([]string, error) {
	var out []string
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/wallets/networks", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return out, nil
}

var networkNames = map[string]string{
	"1":          "Ethereum",
	"10":         "Optimism",
	"56":         "BNB Chain",
	"137":        "Polygon",
	"8453":       "Base",
	"42161":      "Arbitrum One",
	"23434":      "Starknet",
	"1399811149": "Solana",
	"11155111":   "Sepolia",
	"80002":      "Polygon Amoy",
	"84532":      "Base Sepolia",
	"421614":     "Arbitrum Sepolia",
	"11155420":   "OP Sepolia",
	"97":         "BNB testnet",
	"39361":      "Starknet Sepolia",
	"1399811150": "Solana devnet",
}

// NetworkName maps a chain id to its name; an unknown value (the API may also
// send a name such as "Polygon") is returned as it is.
func NetworkName(network string) string {
	if n, ok := networkNames[network]; ok {
		return n
	}
	return network
}
