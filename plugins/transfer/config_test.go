package transfer

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"defaults", func(*Config) {}, ""},
		{"max_amount", func(c *Config) { c.MaxAmount = "0" }, "plugins.transfer.max_amount: must be positive"},
		{"max_amount float", func(c *Config) { c.MaxAmount = "1e6" }, "plugins.transfer.max_amount: must be a decimal"},
		{"send_max", func(c *Config) { c.SendMax = "0.5" }, "plugins.transfer.send_max: must not be below send_min"},
		{"decimals", func(c *Config) { c.Decimals = 9 }, "plugins.transfer.decimals"},
		{"confirm_ttl", func(c *Config) { c.ConfirmTTL = 0 }, "plugins.transfer.confirm_ttl: must be positive"},
		{"reconcile_attempts", func(c *Config) { c.ReconcileAttempts = 0 }, "plugins.transfer.reconcile_attempts: must be between 1 and 10"},
		{"reconcile_interval", func(c *Config) { c.ReconcileInterval = -time.Second }, "plugins.transfer.reconcile_interval: must be between 0 and 10s"},
		{"page", func(c *Config) { c.HistoryPageSize = 0 }, "plugins.transfer.history_page_size"},
		{"url", func(c *Config) { c.BankAccountsURL = "http://x" }, "plugins.transfer.bank_accounts_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
