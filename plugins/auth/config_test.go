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
		{"attempts zero", func(c *Config) { c.OTPAttempts = 0 }, "config: otp_attempts: must be between 1 and 10"},
		{"attempts high", func(c *Config) { c.OTPAttempts = 11 }, "config: otp_attempts: must be between 1 and 10"},
		{"refresh", func(c *Config) { c.KYCRefresh = 0 }, "config: kyc_refresh: must be positive"},
		{"kyc url http", func(c *Config) { c.KYCURL = "http://payout.copperx.io/app/kyc" }, "config: kyc_url: must be an https URL"},
		{"kyc url empty", func(c *Config) { c.KYCURL = "" }, "config: kyc_url: must be an https URL"},
		{"resume", func(c *Config) { c.ResumeWithin = -time.Second }, "config: resume_within: must not be negative"},
		{"resume off", func(c *Config) { c.ResumeWithin = 0 }, ""},
		{"margin", func(c *Config) { c.ExpiryMargin = 2 * time.Hour }, "config: expiry_margin: must be between 0 and 1h"},
		{"late code off", func(c *Config) { c.LateCodeFor = 0 }, ""},
		{"late code negative", func(c *Config) { c.LateCodeFor = -time.Minute }, "config: late_code_for: must be between 0 and 24h"},
		{"late code too long", func(c *Config) { c.LateCodeFor = 25 * time.Hour }, "config: late_code_for: must be between 0 and 24h"},
		{"menu command name", func(c *Config) { c.Menu = []string{"balance"} }, `config: menu: "balance" is not an action (<plugin>.<action>, such as wallet.balance)`},
		{"menu capitals", func(c *Config) { c.Menu = []string{"Wallet.balance"} }, `config: menu: "Wallet.balance" is not an action`},
		{"menu three parts", func(c *Config) { c.Menu = []string{"wallet.balance.now"} }, `config: menu: "wallet.balance.now" is not an action`},
		{"menu long", func(c *Config) { c.Menu = strings.Fields("a.a b.b c.c d.d e.e f.f g.g h.h i.i") }, "config: menu: at most 8 actions"},
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
