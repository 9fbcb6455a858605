package payouts

import (
	"errors"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/kernel"
)

// Config is the plugins.payouts block of config.yaml.
type Config struct {
	// Currency paid (the API's token symbol).
	Currency string `koanf:"currency"`
	// Decimals the currency allows in an amount (USDC: 6; the API takes at most 8).
	Decimals int `koanf:"decimals"`
	// MinAmount and MaxAmount bound one payout: a batch line or a
	// scheduled transfer (the API's limits: 1 and 50,000). Decimal
	// strings, never floats.
	MinAmount string `koanf:"min_amount"`
	MaxAmount string `koanf:"max_amount"`
	// BatchMax is the most lines one batch takes (1..100).
	BatchMax int `koanf:"batch_max"`
	// FileMaxBytes bounds a CSV file sent to /batch, in bytes (1024..1048576).
	FileMaxBytes int `koanf:"file_max_bytes"`
	// NoteMax bounds a batch line's note, in characters (1..200).
	NoteMax int `koanf:"note_max"`
	// ConfirmTTL is how long a summary's Confirm button stays valid.
	ConfirmTTL time.Duration `koanf:"confirm_ttl"`
	// ResultTTL is how long a used confirmation id, a batch's record (so
	// "Retry failed lines" works) and a schedule's outcome are kept.
	ResultTTL time.Duration `koanf:"result_ttl"`
	// SubmitTimeout is a submit's own time budget (the listing before it,
	// the POST and the reconciliation after a lost answer), whatever the
	// update's handler_timeout left.
	SubmitTimeout time.Duration `koanf:"submit_timeout"`
	// ReconcileSkew: after a lost answer, transfers created up to this long
	// before the submit started still count (clock skew), if they were not
	// listed just before it.
	ReconcileSkew time.Duration `koanf:"reconcile_skew"`
	// ReconcileAttempts and ReconcileInterval: after a lost answer or a
	// 5xx, the newest transfers are listed up to this many times (1..10),
	// this long apart (0..10s).
	ReconcileAttempts int           `koanf:"reconcile_attempts"`
	ReconcileInterval time.Duration `koanf:"reconcile_interval"`
	// AbsentAfter: a batch line whose answer was lost counts as not sent
	// (so "Retry failed lines" may send it) only when a listing this long
	// after its submit still does not show it (1m..24h).
	AbsentAfter time.Duration `koanf:"absent_after"`
	// SchedulesPageSize is how many schedules one /schedules page lists (1..10).
	SchedulesPageSize int `koanf:"schedules_page_size"`
	// ScheduleMaxAhead is how far ahead a schedule's first payout may be.
	ScheduleMaxAhead time.Duration `koanf:"schedule_max_ahead"`

	minAmount, maxAmount decimal.Decimal // parsed by Validate
}

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{
		Currency:          "USDC",
		Decimals:          6,
		MinAmount:         "1",
		MaxAmount:         "50000",
		BatchMax:          50,
		FileMaxBytes:      64 << 10,
		NoteMax:           64,
		ConfirmTTL:        5 * time.Minute,
		ResultTTL:         72 * time.Hour,
		SubmitTimeout:     60 * time.Second,
		ReconcileSkew:     2 * time.Minute,
		ReconcileAttempts: 3,
		ReconcileInterval: time.Second,
		AbsentAfter:       10 * time.Minute,
		SchedulesPageSize: 5,
		ScheduleMaxAhead:  366 * 24 * time.Hour,
	}
}

// Validate checks the values, naming the key at fault relative to
// plugins.payouts, and parses the amounts.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, why string) { errs = append(errs, kernel.ConfigErrorf(key, "%s", why)) }
	if c.Currency == "" || len(c.Currency) > 10 || strings.ToUpper(c.Currency) != c.Currency {
		bad("currency", "must be 1-10 upper-case letters or digits, like USDC")
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
	c.minAmount = amount("min_amount", c.MinAmount)
	c.maxAmount = amount("max_amount", c.MaxAmount)
	if c.maxAmount.IsPositive() && c.maxAmount.LessThan(c.minAmount) {
		bad("max_amount", "must not be below min_amount")
	}
	if c.BatchMax < 1 || c.BatchMax > 100 {
		bad("batch_max", "must be between 1 and 100 lines")
	}
	if c.FileMaxBytes < 1024 || c.FileMaxBytes > 1<<20 {
		bad("file_max_bytes", "must be between 1024 and 1048576 bytes")
	}
	if c.NoteMax < 1 || c.NoteMax > 200 {
		bad("note_max", "must be between 1 and 200 characters")
	}
	if c.ConfirmTTL < 30*time.Second || c.ConfirmTTL > time.Hour {
		bad("confirm_ttl", "must be between 30s and 1h")
	}
	if c.SubmitTimeout < 5*time.Second || c.SubmitTimeout > 5*time.Minute {
		bad("submit_timeout", "must be between 5s and 5m")
	}
	if c.ReconcileSkew < 0 || c.ReconcileSkew > time.Hour {
		bad("reconcile_skew", "must be between 0 and 1h")
	}
	if c.ReconcileAttempts < 1 || c.ReconcileAttempts > 10 {
		bad("reconcile_attempts", "must be between 1 and 10")
	}
	if c.ReconcileInterval < 0 || c.ReconcileInterval > 10*time.Second {
		bad("reconcile_interval", "must be between 0 and 10s")
	}
	if c.AbsentAfter < time.Minute || c.AbsentAfter > 24*time.Hour {
		bad("absent_after", "must be between 1m and 24h")
	}
	if c.ResultTTL < 24*time.Hour || c.ResultTTL > 30*24*time.Hour {
		bad("result_ttl", "must be between 24h and 720h (30 days)")
	} else if c.ResultTTL < c.AbsentAfter+c.ConfirmTTL {
		bad("result_ttl", "must be at least absent_after + confirm_ttl (a retry needs the batch's record)")
	}
	if c.SchedulesPageSize < 1 || c.SchedulesPageSize > 10 {
		bad("schedules_page_size", "must be between 1 and 10")
	}
	if c.ScheduleMaxAhead < 24*time.Hour || c.ScheduleMaxAhead > 5*366*24*time.Hour {
		bad("schedule_max_ahead", "must be between 24h and 43920h (5 years)")
	}
	return errors.Join(errs...)
}
