package copperxtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Chain ids of the networks the emulator knows.
const (
	NetworkPolygon  = "137"
	NetworkBase     = "8453"
	NetworkArbitrum = "42161"
	NetworkStarknet = "23434"
	NetworkSolana   = "1399811149"
)

// supportedNetworks is the answer of GET /api/wallets/networks.
var supportedNetworks = []string{NetworkPolygon, NetworkBase, NetworkArbitrum, NetworkStarknet, NetworkSolana}

// tokenDecimals is the on-chain precision of each balance symbol.
var tokenDecimals = map[string]int{"USDC": 6, "USDT": 6, "USDCE": 6, "DAI": 18, "ETH": 18, "STRK": 18}

// usdcContracts are the USDC token contracts per network.
var usdcContracts = map[string]string{
	NetworkPolygon:  "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
	NetworkBase:     "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
	NetworkArbitrum: "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
	NetworkStarknet: "0x053c91253bc9682c04929ca02ed00b3e423f6710d2ee7e0d5ebb06f3ecf368a8",
	NetworkSolana:   "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
}

type user struct {
	id, email, orgID    string
	firstName, lastName string
	relayer             string
	kycID, kycStatus    string
	createdAt           time.Time
	wallets             []*wallet
	defaultWallet       string // wallet id
	accounts            []*bankAccount
	payees              []*payee
	transfers           []*transfer
}

type wallet struct {
	id, accountID, network, address string
	createdAt                       time.Time
	balances                        map[string]decimal.Decimal
}

type bankAccount struct {
	id, country, bankName, number, routing, beneficiary, accountType string
	createdAt                                                        time.Time
}

type payee struct {
	id, nickName, email, firstName, lastName, phone string
	createdAt, updatedAt                            time.Time
}

// transfer is a stored transfer: the wire form plus what the emulator
// needs to settle it.
type transfer struct {
	seq      int64
	wire     Transfer
	settleAt time.Time // zero: settled, or left to Settle (WithSettleDelay < 0)
	outgoing bool      // the user's money left (counts toward WithDailyLimit)
	// refund is what a failed, canceled or refunded outgoing transfer
	// gives back (nil for deposits and receives).
	refund *refund
}

// refund undoes an outgoing transfer's money movement.
type refund struct {
	source   *wallet
	currency string
	debited  decimal.Decimal // tokens taken from source: amount + fee
	credited *wallet         // the emulator wallet credited at once, or nil
	credit   decimal.Decimal // tokens
	peer     *transfer       // the recipient's "receive" record, or nil
}

func (u *user) displayName() string { return strings.TrimSpace(u.firstName + " " + u.lastName) }

func (u *user) wallet(id string) *wallet {
	for _, w := range u.wallets {
		if w.id == id {
			return w
		}
	}
	return nil
}

func (u *user) walletOn(network string) *wallet {
	for _, w := range u.wallets {
		if w.network == network {
			return w
		}
	}
	return nil
}

func (u *user) defaultW() *wallet { return u.wallet(u.defaultWallet) }

// SeedOption adjusts an account created by SeedUser.
type SeedOption func(*seedConfig)

type seedConfig struct {
	kyc      *string
	bare     bool
	balances [][3]string
	names    [2]string
}

// SeedKYC sets the KYC status of the seeded account ("" = no KYC record).
func SeedKYC(status string) SeedOption { return func(c *seedConfig) { c.kyc = &status } }

// SeedBare seeds one empty Polygon wallet and no bank account instead of
// the demo wallets and balances.
func SeedBare() SeedOption { return func(c *seedConfig) { c.bare = true } }

// SeedBalance sets a balance (human-readable, e.g. "12.5") after seeding;
// the wallet on network is created if needed.
func SeedBalance(network, symbol, amount string) SeedOption {
	return func(c *seedConfig) { c.balances = append(c.balances, [3]string{network, symbol, amount}) }
}

// SeedName sets the user's first and last name (default derived from the
// email).
func SeedName(first, last string) SeedOption {
	return func(c *seedConfig) { c.names = [2]string{first, last} }
}

// SeedUser creates an account for email (the demo account of README.md
// unless SeedBare) and returns the user and organization ids. Seeding an
// existing email returns its ids and changes nothing.
func (s *Server) SeedUser(email string, opts ...SeedOption) (userID, orgID string) {
	var c seedConfig
	for _, o := range opts {
		o(&c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[normEmail(email)]; u != nil {
		return u.id, u.orgID
	}
	kyc := s.cfg.defaultKYC
	if c.kyc != nil {
		kyc = *c.kyc
	}
	u := s.newUserLocked(email, kyc, !c.bare)
	if c.names[0] != "" || c.names[1] != "" {
		u.firstName, u.lastName = c.names[0], c.names[1]
	}
	for _, b := range c.balances {
		s.setBalanceLocked(u, b[0], b[1], decimal.RequireFromString(b[2]))
	}
	return u.id, u.orgID
}

// newUserLocked creates a user; demo adds the demo wallets, balances and
// bank account.
func (s *Server) newUserLocked(email, kyc string, demo bool) *user {
	now := s.now()
	local, _, _ := strings.Cut(email, "@")
	u := &user{
		id:        newID(),
		email:     normEmail(email),
		orgID:     newID(),
		firstName: titleCase(local),
		lastName:  "Tester",
		relayer:   evmAddress("relayer:" + email),
		kycStatus: kyc,
		kycID:     newID(),
		createdAt: now,
	}
	s.users[u.email] = u
	s.orgs[u.orgID] = u
	if !demo {
		w := s.addWalletLocked(u, NetworkPolygon)
		u.defaultWallet = w.id
		return u
	}
	for _, n := range []string{NetworkPolygon, NetworkBase, NetworkArbitrum, NetworkStarknet} {
		s.addWalletLocked(u, n)
	}
	u.defaultWallet = u.walletOn(NetworkPolygon).id
	s.setBalanceLocked(u, NetworkPolygon, "USDC", decimal.RequireFromString("1250.50"))
	s.setBalanceLocked(u, NetworkBase, "USDC", decimal.RequireFromString("300"))
	s.setBalanceLocked(u, NetworkArbitrum, "USDC", decimal.RequireFromString("75.25"))
	s.setBalanceLocked(u, NetworkStarknet, "USDC", decimal.RequireFromString("20"))
	s.setBalanceLocked(u, NetworkStarknet, "STRK", decimal.RequireFromString("5"))
	u.accounts = append(u.accounts, &bankAccount{
		id:          newID(),
		country:     "usa",
		bankName:    "Chase Bank",
		number:      "000123456789",
		routing:     "021000021",
		beneficiary: strings.TrimSpace(u.firstName + " " + u.lastName),
		accountType: "checking",
		createdAt:   now,
	})
	return u
}

// addWalletLocked returns u's wallet on network, creating it.
func (s *Server) addWalletLocked(u *user, network string) *wallet {
	if w := u.walletOn(network); w != nil {
		return w
	}
	var addr string
	switch network {
	case NetworkStarknet:
		addr = starknetAddress("wallet:" + u.email)
	case NetworkSolana:
		addr = solanaAddress("wallet:" + u.email)
	default:
		addr = evmAddress("wallet:" + u.email)
	}
	w := &wallet{
		id:        newID(),
		accountID: newID(),
		network:   network,
		address:   addr,
		createdAt: s.now(),
		balances:  map[string]decimal.Decimal{"USDC": decimal.Zero},
	}
	u.wallets = append(u.wallets, w)
	if u.defaultWallet == "" {
		u.defaultWallet = w.id
	}
	return w
}

// setBalanceLocked sets a balance; an unknown symbol panics (the API
// only knows USDC, USDT, DAI, ETH, USDCE and STRK).
func (s *Server) setBalanceLocked(u *user, network, symbol string, amount decimal.Decimal) {
	sym := strings.ToUpper(symbol)
	if _, ok := tokenDecimals[sym]; !ok {
		panic(fmt.Sprintf("copperxtest: unknown balance symbol %q", symbol))
	}
	w := s.addWalletLocked(u, network)
	w.balances[sym] = amount
}

// mustUserLocked returns the user of email or panics: test helpers called
// with an unknown email are programmer errors.
func (s *Server) mustUserLocked(email string) *user {
	u := s.users[normEmail(email)]
	if u == nil {
		panic(fmt.Sprintf("copperxtest: unknown user %q (SeedUser it first)", email))
	}
	return u
}

// OTP returns the last code issued to email ("" if none).
func (s *Server) OTP(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastOTP[normEmail(email)]
}

// OrgID returns the organization id of email ("" if unknown).
func (s *Server) OrgID(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[normEmail(email)]; u != nil {
		return u.orgID
	}
	return ""
}

// SetKYC sets the KYC status of email ("" removes the KYC record).
func (s *Server) SetKYC(email, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUserLocked(email).kycStatus = status
}

// SetBalance sets a human-readable balance ("1250.50") of symbol on the
// wallet of network, creating the wallet if needed.
func (s *Server) SetBalance(email, network, symbol, amount string) {
	d := decimal.RequireFromString(amount)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setBalanceLocked(s.mustUserLocked(email), network, symbol, d)
}

// Balance returns the balance of symbol on email's wallet of network
// (zero if there is none).
func (s *Server) Balance(email, network, symbol string) decimal.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.mustUserLocked(email).walletOn(network)
	if w == nil {
		return decimal.Zero
	}
	return w.balances[strings.ToUpper(symbol)]
}

// SetQuoteError makes POST /api/quotes/offramp answer 200 with this error
// and no payload ("" restores normal quotes).
func (s *Server) SetQuoteError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quoteError = msg
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func titleCase(s string) string {
	s, _, _ = strings.Cut(s, "+")
	s, _, _ = strings.Cut(s, ".")
	if s == "" {
		return "Demo"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// newID returns a random UUID v4.
func newID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func digest(seed string) []byte {
	h := sha256.Sum256([]byte(seed))
	return h[:]
}

func evmAddress(seed string) string { return "0x" + hex.EncodeToString(digest(seed))[:40] }

// starknetAddress is 0x + 64 hex digits, below the field prime.
func starknetAddress(seed string) string { return "0x0" + hex.EncodeToString(digest(seed))[1:] }

func solanaAddress(seed string) string { return base58Encode(digest(seed)) }

func txHash() string { return "0x" + hex.EncodeToString(randomBytes(32)) }

// Timestamps are rendered like the API: 2025-04-20T10:00:00.000Z.
const timeLayout = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }
