package transfer

import (
	"github.com/copperx-bot/payoutbot/kernel"

	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Config is the plugins.transfer block of config.yaml.
type Config struct {
	// Currency sent and withdrawn (the API's token symbol).
	Currency string `koanf:"currency"`
	// Decimals the currency allows in an amount (USDC: 6; the API takes at most 8).
	Decimals int `koanf:"decimals"`
	// MaxAmount: a typed amount above this is refused before anything else
	// (a decimal string, like every amount here: never a float).
	MaxAmount string `koanf:"max_amount"`
	// SendMin and SendMax bound one send (the API's limits: 1 and 50,000).
	SendMin string `koanf:"send_min"`
	SendMax string `koanf:"send_max"`
	// ConfirmTTL is how long a summary's Confirm button stays valid.
	ConfirmTTL time.Duration `koanf:"confirm_ttl"`
	// ResultTTL is how long a submitted confirmation (and its outcome) is remembered.
	ResultTTL time.Duration `koanf:"result_ttl"`
	// ReconcileSkew: after a lost answer, transfers created up to this long
	// before the submit started still count as the submitted one (clock
	// skew) — only those not listed just before the submit; when that
	// listing failed, no skew applies.
	ReconcileSkew time.Duration `koanf:"reconcile_skew"`
	// ReconcileAttempts: after a lost or failed submit, the newest transfers
	// are listed up to this many times (1..10) before concluding the
	// transfer is not there.
	ReconcileAttempts int `koanf:"reconcile_attempts"`
	// ReconcileInterval is the wait between two of those listings (0..10s).
	ReconcileInterval time.Duration `koanf:"reconcile_interval"`
	// HistoryPageSize is the number of transfers per /history page (1..50).
	HistoryPageSize int `koanf:"history_page_size"`
	// PayeesShown is how many saved payees /send offers as buttons (1..50).
	PayeesShown int `koanf:"payees_shown"`
	// BankAccountsURL is where a user adds a bank account on CopperX.
	BankAccountsURL string `koanf:"bank_accounts_url"`

	maxAmount, sendMin, sendMax decimal.Decimal // parsed by Validate
}

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{
		Currency:          "USDC",
		Decimals:          6,
		MaxAmount:         "1000000",
		SendMin:           "1",
		SendMax:           "50000",
		ConfirmTTL:        5 * time.Minute,
		ResultTTL:         24 * time.Hour,
		ReconcileSkew:     2 * time.Minute,
		ReconcileAttempts: 3,
		ReconcileInterval: time.Second,
		HistoryPageSize:   10,
		PayeesShown:       10,
		BankAccountsURL:   "https://payout.copperx.io/app/accounts",
	}
}

// Validate checks the configuration, naming the key that is wrong, and
// parses the amounts.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, kernel.ConfigErrorf(key, "%s", why)) }
	if c.Currency == "" {
		bad("currency", "must be set")
	}
	if c.Decimals < 0 || c.Decimals > 8 {
		bad("decimals", "must be between 0 and 8 (the API's precision)")
	}
	amount := func(key, v string) decimal.Decimal {
		d, err := decimal.NewFromString(v)
		if err != nil || strings.ContainsAny(v, "eE") {
			bad(key, "must be a decimal number like 50000 or 0.5")
			return decimal.Zero
		}
		if !d.IsPositive() {
			bad(key, "must be positive")
		}
		return d
	}
	c.maxAmount = amount("max_amount", c.MaxAmount)
	c.sendMin = amount("send_min", c.SendMin)
	c.sendMax = amount("send_max", c.SendMax)
	if c.sendMax.IsPositive() && c.sendMax.LessThan(c.sendMin) {
		bad("send_max", "must not be below send_min")
	}
	if c.ConfirmTTL <= 0 {
		bad("confirm_ttl", "must be positive")
	}
	if c.ResultTTL < c.ConfirmTTL {
		bad("result_ttl", "must be at least confirm_ttl")
	}
	if c.ReconcileSkew < 0 {
		bad("reconcile_skew", "must not be negative")
	}
	if c.ReconcileAttempts < 1 || c.ReconcileAttempts > 10 {
		bad("reconcile_attempts", "must be between 1 and 10")
	}
	if c.ReconcileInterval < 0 || c.ReconcileInterval > 10*time.Second {
		bad("reconcile_interval", "must be between 0 and 10s")
	}
	if c.HistoryPageSize < 1 || c.HistoryPageSize > 50 {
		bad("history_page_size", "must be between 1 and 50")
	}
	if c.PayeesShown < 1 || c.PayeesShown > 50 {
		bad("payees_shown", "must be between 1 and 50")
	}
	if u, err := url.Parse(c.BankAccountsURL); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("bank_accounts_url", "must be an https URL")
	}
	return errors.Join(errs...)
}
