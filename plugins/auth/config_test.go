package auth

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"attempts zero", func(c *Config) { c.OTPAttempts = 0 }, "plugins.auth.otp_attempts: must be between 1 and 10"},
		{"attempts high", func(c *Config) { c.OTPAttempts = 11 }, "plugins.auth.otp_attempts: must be between 1 and 10"},
		{"refresh", func(c *Config) { c.KYCRefresh = 0 }, "plugins.auth.kyc_refresh: must be positive"},
		{"kyc url http", func(c *Config) { c.KYCURL = "http://payout.copperx.io/app/kyc" }, "plugins.auth.kyc_url: must be an https URL"},
		{"kyc url empty", func(c *Config) { c.KYCURL = "" }, "plugins.auth.kyc_url: must be an https URL"},
		{"resume", func(c *Config) { c.ResumeWithin = -time.Second }, "plugins.auth.resume_within: must not be negative"},
		{"resume off", func(c *Config) { c.ResumeWithin = 0 }, ""},
		{"margin", func(c *Config) { c.ExpiryMargin = 2 * time.Hour }, "plugins.auth.expiry_margin: must be between 0 and 1h"},
		{"menu name", func(c *Config) { c.Menu = []string{"Balance"} }, `plugins.auth.menu: "Balance" is not a command name`},
		{"menu long", func(c *Config) { c.Menu = strings.Fields("a b c d e f g h i") }, "plugins.auth.menu: at most 8 commands"},
		{"menu empty", func(c *Config) { c.Menu = nil }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
