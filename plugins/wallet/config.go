package wallet

import (
	"errors"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
)

// Config is the plugins.wallet block of config.yaml.
type Config struct {
	// DepositToken is the token /deposit tells people to send to their
	// address (the only one the warning allows).
	DepositToken string `koanf:"deposit_token"`
	// QRSize is the width and height, in pixels, of the deposit QR code.
	QRSize int `koanf:"qr_size"`
	// ShowTestnets offers test networks (testnet: true under networks:)
	// for new wallets and lists test-network wallets in /balance even when
	// they hold nothing. When false, an empty test-network wallet is left
	// out of /balance and test networks are not offered for new wallets.
	ShowTestnets bool `koanf:"show_testnets"`
	// HomeTimeout bounds the balance line of /start: past it the screen
	// says the balance is unavailable instead of waiting for CopperX.
	HomeTimeout time.Duration `koanf:"home_timeout"`
}

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{DepositToken: "USDC", QRSize: 512, HomeTimeout: 2 * time.Second}
}

// Validate checks the values, naming the key at fault relative to
// plugins.wallet (the kernel adds the prefix).
func (c Config) Validate() error {
	var errs []error
	if !tokenSymbol(c.DepositToken) {
		errs = append(errs, kernel.ConfigErrorf("deposit_token", "must be a token symbol: 1-10 of A-Z and 0-9, such as USDC"))
	}
	if c.QRSize < 128 || c.QRSize > 2048 {
		errs = append(errs, kernel.ConfigErrorf("qr_size", "must be between 128 and 2048 pixels"))
	}
	if c.HomeTimeout < 100*time.Millisecond || c.HomeTimeout > 10*time.Second {
		errs = append(errs, kernel.ConfigErrorf("home_timeout", "must be between 100ms and 10s"))
	}
	return errors.Join(errs...)
}

// tokenSymbol reports an upper-case token symbol such as USDC.
func tokenSymbol(s string) bool {
	if s == "" || len(s) > 10 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
