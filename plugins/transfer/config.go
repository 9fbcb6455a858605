package transfer

import (
	"github.com/copperx-bot/payoutbot/kernel"

	"errors"
	"net/url"
	"slices"
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
	// SubmitTimeout is a money submit's own time budget: the listing before
	// it, the POST and the reconciliation after a lost answer, whatever
	// the update's handler_timeout left (at least copperx.timeout, at
	// most 5m).
	SubmitTimeout time.Duration `koanf:"submit_timeout"`
	// TrackFor is how long a submitted transfer is followed until it
	// completes, fails or shows up (1m..24h, at most result_ttl).
	TrackFor time.Duration `koanf:"track_for"`
	// HistoryPageSize is the number of transfers per /history page (1..50).
	HistoryPageSize int `koanf:"history_page_size"`
	// HistoryExportMax bounds a CSV statement (rows, 1..10000), and how
	// many transfers a filtered /history page reads to find its own.
	HistoryExportMax int `koanf:"history_export_max"`
	// PayeesShown is how many saved payees /send offers as buttons (1..50).
	PayeesShown int `koanf:"payees_shown"`
	// BankAccountsURL is where a user adds a bank account on CopperX.
	BankAccountsURL string `koanf:"bank_accounts_url"`
	// DefaultPurpose is the purpose a one-line send or a payment request
	// starts with (its summary can change it); "" asks for it as the
	// step-by-step /send does.
	DefaultPurpose string `koanf:"default_purpose"`
	// RequestTTL is how long a payment link (/request) can be paid.
	RequestTTL time.Duration `koanf:"request_ttl"`
	// RequestMaxOpen bounds the payment requests a user has open at once.
	RequestMaxOpen int `koanf:"request_max_open"`
	// RequestNoteMax bounds a payment request's note, in characters.
	RequestNoteMax int `koanf:"request_note_max"`
	// RequestQRSize is the payment link's QR code width and height, in pixels.
	RequestQRSize int `koanf:"request_qr_size"`
	// ReconfirmAbove: a send or withdrawal of more than this asks for the
	// amount to be typed again before its summary ("0": never).
	ReconfirmAbove string `koanf:"reconfirm_above"`

	maxAmount, sendMin, sendMax, reconfirmAbove decimal.Decimal // parsed by Validate
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
		SubmitTimeout:     45 * time.Second,
		TrackFor:          30 * time.Minute,
		HistoryPageSize:   10,
		HistoryExportMax:  1000,
		PayeesShown:       10,
		BankAccountsURL:   "https://payout.copperx.io/app/accounts",
		DefaultPurpose:    "self",
		RequestTTL:        7 * 24 * time.Hour,
		RequestMaxOpen:    20,
		RequestNoteMax:    100,
		RequestQRSize:     512,
		ReconfirmAbove:    "1000",
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
	if c.SubmitTimeout < 5*time.Second || c.SubmitTimeout > 5*time.Minute {
		bad("submit_timeout", "must be between 5s and 5m")
	}
	if c.TrackFor < time.Minute || c.TrackFor > 24*time.Hour {
		bad("track_for", "must be between 1m and 24h")
	} else if c.TrackFor > c.ResultTTL {
		bad("track_for", "must not be above result_ttl (the outcome it follows is kept that long)")
	}
	if c.HistoryPageSize < 1 || c.HistoryPageSize > 50 {
		bad("history_page_size", "must be between 1 and 50")
	}
	if c.HistoryExportMax < 1 || c.HistoryExportMax > 10000 {
		bad("history_export_max", "must be between 1 and 10000")
	}
	if c.PayeesShown < 1 || c.PayeesShown > 50 {
		bad("payees_shown", "must be between 1 and 50")
	}
	if u, err := url.Parse(c.BankAccountsURL); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("bank_accounts_url", "must be an https URL")
	}
	if c.DefaultPurpose != "" && !slices.Contains(purposes, c.DefaultPurpose) {
		bad("default_purpose", "must be empty (ask) or one of "+strings.Join(purposes, ", "))
	}
	if c.RequestTTL < time.Hour || c.RequestTTL > 90*24*time.Hour {
		bad("request_ttl", "must be between 1h and 2160h (90 days)")
	}
	if c.RequestMaxOpen < 1 || c.RequestMaxOpen > 100 {
		bad("request_max_open", "must be between 1 and 100")
	}
	if c.RequestNoteMax < 1 || c.RequestNoteMax > 200 {
		bad("request_note_max", "must be between 1 and 200")
	}
	if c.RequestQRSize < 128 || c.RequestQRSize > 2048 {
		bad("request_qr_size", "must be between 128 and 2048 pixels")
	}
	c.reconfirmAbove = decimal.Zero
	if d, err := decimal.NewFromString(c.ReconfirmAbove); err != nil || strings.ContainsAny(c.ReconfirmAbove, "eE") || d.IsNegative() {
		bad("reconfirm_above", "must be a decimal number like 1000, or 0 for never")
	} else {
		c.reconfirmAbove = d
	}
	return errors.Join(errs...)
}
