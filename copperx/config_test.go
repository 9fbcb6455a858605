package copperx

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // substring of the error; "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"http", func(c *Config) { c.APIURL = "http://localhost:8080" }, ""},
		{"path prefix", func(c *Config) { c.APIURL = "https://proxy.example.com/copperx/" }, ""},
		{"no retries", func(c *Config) { c.MaxRetries = 0; c.RetryBaseDelay = 0; c.RetryMaxDelay = 0 }, ""},
		{"empty url", func(c *Config) { c.APIURL = "" }, "copperx.api_url: must be an absolute http(s) URL"},
		{"relative url", func(c *Config) { c.APIURL = "/api" }, "copperx.api_url: must be an absolute http(s) URL"},
		{"ftp url", func(c *Config) { c.APIURL = "ftp://x" }, "copperx.api_url: must be an absolute http(s) URL"},
		{"query", func(c *Config) { c.APIURL = "https://x?a=1" }, "copperx.api_url: must not have a query"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "copperx.timeout: must be positive"},
		{"retries negative", func(c *Config) { c.MaxRetries = -1 }, "copperx.max_retries: must be between 0 and 10"},
		{"retries huge", func(c *Config) { c.MaxRetries = 100 }, "copperx.max_retries"},
		{"base negative", func(c *Config) { c.RetryBaseDelay = -time.Second }, "copperx.retry_base_delay: must not be negative"},
		{"max below base", func(c *Config) { c.RetryMaxDelay = time.Millisecond }, "copperx.retry_max_delay: must not be less than retry_base_delay"},
		{"budget zero", func(c *Config) { c.RetryBudget = 0 }, "copperx.retry_budget: must be positive"},
		{"budget negative", func(c *Config) { c.RetryBudget = -time.Second }, "copperx.retry_budget: must be positive"},
		{"budget negative without retries", func(c *Config) { c.MaxRetries = 0; c.RetryBudget = -time.Second }, "copperx.retry_budget: must be positive"},
		{"budget unused without retries", func(c *Config) { c.MaxRetries = 0; c.RetryBudget = 0 }, ""},
		{"budget below the timeout", func(c *Config) { c.RetryBudget = time.Second }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := New(cfg); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestConfigValidateReportsAll(t *testing.T) {
	err := Config{}.Validate()
	for _, key := range []string{"copperx.api_url", "copperx.timeout"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.APIURL != "https://income-api.copperx.io" || c.Timeout != 15*time.Second || c.MaxRetries != 2 ||
		c.RetryBaseDelay != 200*time.Millisecond || c.RetryMaxDelay != 2*time.Second || c.RetryBudget != 20*time.Second || c.UserAgent == "" {
		t.Errorf("defaults = %+v", c)
	}
}
