package copperxtest

import (
	"net/http"
	"slices"
	"sort"

	"github.com/shopspring/decimal"
)

// walletJSON is WalletDto. IsDefault is a pointer so that it can be null
// (WithNullIsDefault).
type walletJSON struct {
	ID             string `json:"id"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
	OrganizationID string `json:"organizationId"`
	WalletType     string `json:"walletType"`
	Network        string `json:"network"`
	WalletAddress  string `json:"walletAddress"`
	IsDefault      *bool  `json:"isDefault"`
}

// balanceJSON is BalanceResponseDto.
type balanceJSON struct {
	Decimals int    `json:"decimals"`
	Balance  string `json:"balance"`
	Symbol   string `json:"symbol"`
	Address  string `json:"address"`
}

// walletBalanceJSON is WalletBalanceDto.
type walletBalanceJSON struct {
	WalletID  string        `json:"walletId"`
	IsDefault *bool         `json:"isDefault"`
	Network   string        `json:"network"`
	Balances  []balanceJSON `json:"balances"`
}

func (s *Server) isDefault(u *user, w *wallet) *bool {
	d := u.defaultWallet == w.id
	if !d && s.cfg.nullIsDefault {
		return nil
	}
	return &d
}

func (s *Server) walletJSONLocked(u *user, w *wallet) walletJSON {
	return walletJSON{
		ID:             w.id,
		CreatedAt:      ts(w.createdAt),
		UpdatedAt:      ts(w.createdAt),
		OrganizationID: u.orgID,
		WalletType:     "web3_auth_copperx",
		Network:        w.network,
		WalletAddress:  w.address,
		IsDefault:      s.isDefault(u, w),
	}
}

func tokenAddress(network, symbol string) string {
	if symbol == "USDC" {
		if a, ok := usdcContracts[network]; ok {
			return a
		}
	}
	return evmAddress("token:" + network + ":" + symbol)
}

func balanceOf(w *wallet, symbol string) balanceJSON {
	dec, ok := tokenDecimals[symbol]
	if !ok {
		dec = 18
	}
	return balanceJSON{Decimals: dec, Balance: human(w.balances[symbol]), Symbol: symbol, Address: tokenAddress(w.network, symbol)}
}

func balancesOf(w *wallet) []balanceJSON {
	syms := make([]string, 0, len(w.balances))
	for sym := range w.balances {
		syms = append(syms, sym)
	}
	sort.Slice(syms, func(i, j int) bool {
		if (syms[i] == "USDC") != (syms[j] == "USDC") {
			return syms[i] == "USDC"
		}
		return syms[i] < syms[j]
	})
	out := make([]balanceJSON, 0, len(syms))
	for _, sym := range syms {
		out = append(out, balanceOf(w, sym))
	}
	return out
}

// listWallets answers the caller's wallets.
func (s *Server) listWallets(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	out := make([]walletJSON, 0, len(u.wallets))
	for _, w := range u.wallets {
		out = append(out, s.walletJSONLocked(u, w))
	}
	return out, nil
}

type networkBody struct {
	Network string `json:"network"`
}

// createWallet creates the wallet of a network, or returns the existing one.
func (s *Server) createWallet(r *http.Request, sess *session) (any, error) {
	var in networkBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if !slices.Contains(supportedNetworks, in.Network) {
		return nil, unprocessable("Network " + in.Network + " is not supported")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.walletJSONLocked(sess.user, s.addWalletLocked(sess.user, in.Network)), nil
}

// defaultWallet answers the caller's default wallet.
func (s *Server) defaultWallet(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := sess.user.defaultW()
	if w == nil {
		return nil, notFound("Default wallet not found")
	}
	return s.walletJSONLocked(sess.user, w), nil
}

type walletIDBody struct {
	WalletID string `json:"walletId"`
}

// setDefaultWallet makes one of the caller's wallets the default.
func (s *Server) setDefaultWallet(r *http.Request, sess *session) (any, error) {
	var in walletIDBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := sess.user.wallet(in.WalletID)
	if w == nil {
		return nil, notFound("Wallet not found")
	}
	sess.user.defaultWallet = w.id
	return s.walletJSONLocked(sess.user, w), nil
}

// balance answers the USDC balance of the default wallet.
func (s *Server) balance(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := sess.user.defaultW()
	if w == nil {
		return nil, notFound("Default wallet not found")
	}
	return balanceOf(w, "USDC"), nil
}

// balances answers every wallet with its balances.
func (s *Server) balances(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	out := make([]walletBalanceJSON, 0, len(u.wallets))
	for _, w := range u.wallets {
		out = append(out, walletBalanceJSON{WalletID: w.id, IsDefault: s.isDefault(u, w), Network: w.network, Balances: balancesOf(w)})
	}
	return out, nil
}

// networks answers the supported networks.
func (s *Server) networks(_ *http.Request, _ *session) (any, error) {
	return supportedNetworks, nil
}

// pageJSON is the PageDto wrapper.
type pageJSON[T any] struct {
	Data    []T  `json:"data"`
	Page    int  `json:"page"`
	Limit   int  `json:"limit"`
	Count   int  `json:"count"`
	HasMore bool `json:"hasMore"`
}

// paginate cuts items into the page asked by ?page=&limit= (defaults 1 and
// 10; limit at most 100).
func paginate[T any](r *http.Request, items []T) pageJSON[T] {
	page := queryInt(r, "page", 1)
	limit := queryInt(r, "limit", 10)
	if page < 1 {
		page = 1
	}
	if limit < 1 {
		limit = 10
	}
	limit = min(limit, 100)
	start := min((page-1)*limit, len(items))
	end := min(start+limit, len(items))
	data := slices.Clone(items[start:end])
	if data == nil {
		data = []T{}
	}
	return pageJSON[T]{Data: data, Page: page, Limit: limit, Count: len(items), HasMore: end < len(items)}
}

func queryInt(r *http.Request, key string, def int) int {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		return def
	}
	return int(d.IntPart())
}

// kycJSON is KycDto.
type kycJSON struct {
	ID              string `json:"id"`
	CreatedAt       string `json:"createdAt"`
	UpdatedAt       string `json:"updatedAt"`
	OrganizationID  string `json:"organizationId"`
	Status          string `json:"status"`
	Type            string `json:"type"`
	Country         string `json:"country"`
	ProviderCode    string `json:"providerCode"`
	KycProviderCode string `json:"kycProviderCode"`
	StatusUpdates   string `json:"statusUpdates,omitempty"`
}

// listKYCs answers the caller's KYC records: none when KYC never started.
func (s *Server) listKYCs(r *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	var items []kycJSON
	if u.kycStatus != "" {
		k := kycJSON{
			ID: u.kycID, CreatedAt: ts(u.createdAt), UpdatedAt: ts(u.createdAt),
			OrganizationID: u.orgID, Status: u.kycStatus, Type: "individual", Country: "usa",
			ProviderCode: "0x2", KycProviderCode: "sumsub",
		}
		if u.kycStatus == "rejected" {
			k.StatusUpdates = "Document is unreadable. Upload a clearer photo of your ID."
		}
		items = append(items, k)
	}
	return paginate(r, items), nil
}

// accountJSON is AccountDto.
type accountJSON struct {
	ID                string           `json:"id"`
	CreatedAt         string           `json:"createdAt"`
	UpdatedAt         string           `json:"updatedAt"`
	OrganizationID    string           `json:"organizationId"`
	Type              string           `json:"type"`
	WalletAccountType string           `json:"walletAccountType"`
	Method            string           `json:"method,omitempty"`
	Country           string           `json:"country,omitempty"`
	Network           string           `json:"network,omitempty"`
	WalletAddress     string           `json:"walletAddress,omitempty"`
	IsDefault         *bool            `json:"isDefault,omitempty"`
	BankAccount       *bankAccountJSON `json:"bankAccount,omitempty"`
	Status            string           `json:"status"`
}

// bankAccountJSON is BankAccountDto.
type bankAccountJSON struct {
	BankName            string `json:"bankName"`
	BankAddress         string `json:"bankAddress"`
	Method              string `json:"method"`
	BankAccountType     string `json:"bankAccountType"`
	BankRoutingNumber   string `json:"bankRoutingNumber"`
	BankAccountNumber   string `json:"bankAccountNumber"`
	BankBeneficiaryName string `json:"bankBeneficiaryName"`
	SwiftCode           string `json:"swiftCode,omitempty"`
}

func bankMethod(country string) string {
	switch country {
	case "usa":
		return "bank_ach"
	case "ind":
		return "bank_ifsc"
	default:
		return "bank_transfer"
	}
}

// listAccounts answers {"data":[…]}: the wallets as web3_wallet accounts,
// then the bank accounts.
func (s *Server) listAccounts(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	data := []accountJSON{}
	for _, w := range u.wallets {
		data = append(data, accountJSON{
			ID: w.accountID, CreatedAt: ts(w.createdAt), UpdatedAt: ts(w.createdAt), OrganizationID: u.orgID,
			Type: "web3_wallet", WalletAccountType: "web3_auth_copperx", Method: "web3_wallet",
			Network: w.network, WalletAddress: w.address, IsDefault: s.isDefault(u, w), Status: "verified",
		})
	}
	for _, b := range u.accounts {
		data = append(data, accountJSON{
			ID: b.id, CreatedAt: ts(b.createdAt), UpdatedAt: ts(b.createdAt), OrganizationID: u.orgID,
			Type: "bank_account", WalletAccountType: "other", Method: bankMethod(b.country), Country: b.country,
			BankAccount: &bankAccountJSON{
				BankName: b.bankName, BankAddress: "270 Park Avenue, New York, NY 10017", Method: bankMethod(b.country),
				BankAccountType: b.accountType, BankRoutingNumber: b.routing, BankAccountNumber: b.number,
				BankBeneficiaryName: b.beneficiary,
			},
			Status: "verified",
		})
	}
	return map[string]any{"data": data}, nil
}
