package copperx

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config configures a Client. It is the copperx section of config.yaml.
type Config struct {
	// APIURL is the base URL of the CopperX API, without the /api prefix.
	APIURL string `koanf:"api_url"`
	// Timeout bounds one HTTP attempt (connect, headers and body).
	Timeout time.Duration `koanf:"timeout"`
	// MaxRetries is how many times a failed GET is retried (0 disables retries).
	MaxRetries int `koanf:"max_retries"`
	// RetryBaseDelay is the backoff before the first retry; it doubles each time.
	RetryBaseDelay time.Duration `koanf:"retry_base_delay"`
	// RetryMaxDelay caps one backoff, and the Retry-After the client is willing
	// to wait for; a longer Retry-After is returned to the caller instead.
	RetryMaxDelay time.Duration `koanf:"retry_max_delay"`
	// RetryBudget bounds one GET call with all its retries and backoffs: an
	// attempt is cut short (per-attempt timeout = min(Timeout, what is left))
	// and no retry starts once it is spent. POSTs make one attempt bounded
	// by Timeout alone. Unused (and may be 0) when MaxRetries is 0.
	RetryBudget time.Duration `koanf:"retry_budget"`
	// UserAgent is sent with every request.
	UserAgent string `koanf:"user_agent"`
	// IdleConns is how many kept-alive connections to the API stay open
	// between requests (0: DefaultIdleConns). Below the number of requests
	// in flight, connections are closed and dialled again under load.
	IdleConns int `koanf:"idle_conns"`
}

// DefaultIdleConns is IdleConns when unset: the kernel's default
// updates.workers, each of which may be waiting on one request.
const DefaultIdleConns = 64

// DefaultConfig returns the defaults: the production API, a 15 s timeout and
// two retries with backoff between 200 ms and 2 s, 20 s in all for a GET.
func DefaultConfig() Config {
	return Config{
		APIURL:         "https://income-api.copperx.io",
		Timeout:        15 * time.Second,
		MaxRetries:     2,
		RetryBaseDelay: 200 * time.Millisecond,
		RetryMaxDelay:  2 * time.Second,
		RetryBudget:    20 * time.Second,
		UserAgent:      "copperx-payoutbot",
		IdleConns:      DefaultIdleConns,
	}
}

// ConfigError names a configuration key (its whole path) and what is wrong
// with its value.
type ConfigError struct {
	Key, Problem string
}

func (e *ConfigError) Error() string { return e.Key + ": " + e.Problem }

// ConfigKey and ConfigProblem let the bot's configuration loader report
// the error in its own shape.
func (e *ConfigError) ConfigKey() string     { return e.Key }
func (e *ConfigError) ConfigProblem() string { return e.Problem }

// maxRetriesLimit keeps a typo in config from turning one call into minutes of retries.
const maxRetriesLimit = 10

// Validate reports every invalid field, naming it by its config key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, &ConfigError{Key: "copperx." + key, Problem: msg}) }

	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("api_url", "must be an absolute http(s) URL")
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("api_url", "must not have a query or fragment")
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be positive")
	}
	if c.MaxRetries < 0 || c.MaxRetries > maxRetriesLimit {
		bad("max_retries", fmt.Sprintf("must be between 0 and %d", maxRetriesLimit))
	}
	if c.RetryBaseDelay < 0 {
		bad("retry_base_delay", "must not be negative")
	}
	if c.RetryMaxDelay < c.RetryBaseDelay {
		bad("retry_max_delay", "must not be less than retry_base_delay")
	}
	if c.IdleConns < 0 {
		bad("idle_conns", "must not be negative")
	}
	if c.RetryBudget < 0 || c.RetryBudget == 0 && c.MaxRetries > 0 {
		// Without retries (max_retries: 0) the budget is unused and may be left out.
		bad("retry_budget", "must be positive")
	}
	return errors.Join(errs...)
}
