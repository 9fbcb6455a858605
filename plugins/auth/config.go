package auth

import (
	"errors"
	"net/url"
	"regexp"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
)

// Config is the plugins.auth block of config.yaml.
type Config struct {
	// OTPAttempts is how many wrong codes a user may type for one emailed
	// code before the login ends and a new code must be requested.
	OTPAttempts int `koanf:"otp_attempts"`
	// KYCRefresh is how old the remembered KYC status may be before the
	// auth.kyc guard asks the API again.
	KYCRefresh time.Duration `koanf:"kyc_refresh"`
	// KYCURL is where a user completes KYC/KYB on CopperX.
	KYCURL string `koanf:"kyc_url"`
	// ResumeWithin is how long after a blocked command a successful login
	// still runs it.
	ResumeWithin time.Duration `koanf:"resume_within"`
	// ExpiryMargin treats a token as expired this long before its expireAt,
	// so no action starts with a token about to die.
	ExpiryMargin time.Duration `koanf:"expiry_margin"`
	// LateCodeFor is how long after a code was emailed a login code typed
	// with no login running (cancelled, timed out, stopped) is still
	// deleted from the chat; 0 leaves such messages alone.
	LateCodeFor time.Duration `koanf:"late_code_for"`
	// Menu lists the actions ("wallet.balance") offered as buttons under
	// the welcome message, labelled with the description of the command
	// bound to each; an action no enabled command binds is left out, and
	// so is one that needs the auth.kyc guard until KYC is approved.
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
		LateCodeFor:  30 * time.Minute,
		Menu:         []string{"wallet.balance", "transfer.send", "wallet.deposit", "transfer.history"},
	}
}

// maxMenu is how many buttons the welcome menu may have.
const maxMenu = 8

// actionPattern is an action's full name: "<plugin>.<action>".
var actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,31}$`)

// Validate checks the values, naming the key at fault (relative to
// plugins.auth).
func (c Config) Validate() error {
	var errs []error
	if c.OTPAttempts < 1 || c.OTPAttempts > 10 {
		errs = append(errs, kernel.ConfigErrorf("otp_attempts", "must be between 1 and 10"))
	}
	if c.KYCRefresh <= 0 {
		errs = append(errs, kernel.ConfigErrorf("kyc_refresh", "must be positive"))
	}
	if u, err := url.Parse(c.KYCURL); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, kernel.ConfigErrorf("kyc_url", "must be an https URL"))
	}
	if c.ResumeWithin < 0 {
		errs = append(errs, kernel.ConfigErrorf("resume_within", "must not be negative"))
	}
	if c.ExpiryMargin < 0 || c.ExpiryMargin > time.Hour {
		errs = append(errs, kernel.ConfigErrorf("expiry_margin", "must be between 0 and 1h"))
	}
	if c.LateCodeFor < 0 || c.LateCodeFor > 24*time.Hour {
		errs = append(errs, kernel.ConfigErrorf("late_code_for", "must be between 0 and 24h"))
	}
	if len(c.Menu) > maxMenu {
		errs = append(errs, kernel.ConfigErrorf("menu", "at most %d actions", maxMenu))
	}
	for _, action := range c.Menu {
		if !actionPattern.MatchString(action) {
			errs = append(errs, kernel.ConfigErrorf("menu", "%q is not an action (<plugin>.<action>, such as wallet.balance)", action))
		}
	}
	return errors.Join(errs...)
}
