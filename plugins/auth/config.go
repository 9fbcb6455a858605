package auth

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is the plugins.auth block of config.yaml.
type Config struct {
	// OTPAttempts is how many wrong codes a user may type for one emailed
	// code before the login ends and a new code must be requested.
	OTPAttempts int `koanf:"otp_attempts"`
	// KYCRefresh is how old the remembered KYC status may be before the kyc
	// guard asks the API again.
	KYCRefresh time.Duration `koanf:"kyc_refresh"`
	// KYCURL is where a user completes KYC/KYB on CopperX.
	KYCURL string `koanf:"kyc_url"`
	// ResumeWithin is how long after a blocked command a successful login
	// still runs it.
	ResumeWithin time.Duration `koanf:"resume_within"`
	// ExpiryMargin treats a token as expired this long before its expireAt,
	// so no action starts with a token about to die.
	ExpiryMargin time.Duration `koanf:"expiry_margin"`
	// Menu lists the commands offered as buttons under the welcome message
	// (labels are the commands.<name> locale keys).
	Menu []string `koanf:"menu"`
}

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{
		OTPAttempts:  3,
		KYCRefresh:   10 * time.Minute,
		KYCURL:       "https://payout.copperx.io/app/kyc",
		ResumeWithin: 10 * time.Minute,
		ExpiryMargin: time.Minute,
		Menu:         []string{"balance", "send", "deposit", "history"},
	}
}

// Validate checks the values, naming the key at fault.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("plugins.auth.%s: %s", key, msg)) }
	if c.OTPAttempts < 1 || c.OTPAttempts > 10 {
		bad("otp_attempts", "must be between 1 and 10")
	}
	if c.KYCRefresh <= 0 {
		bad("kyc_refresh", "must be positive")
	}
	if u, err := url.Parse(c.KYCURL); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("kyc_url", "must be an https URL")
	}
	if c.ResumeWithin < 0 {
		bad("resume_within", "must not be negative")
	}
	if c.ExpiryMargin < 0 || c.ExpiryMargin > time.Hour {
		bad("expiry_margin", "must be between 0 and 1h")
	}
	if len(c.Menu) > 8 {
		bad("menu", "at most 8 commands")
	}
	for _, m := range c.Menu {
		if !commandName(m) {
			bad("menu", fmt.Sprintf("%q is not a command name", m))
		}
	}
	return errors.Join(errs...)
}

// commandName reports a Telegram command name: 1-32 of a-z 0-9 _.
func commandName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
