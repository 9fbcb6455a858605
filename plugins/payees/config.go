package payees

import (
	"errors"

	"github.com/copperx-bot/payoutbot/kernel"
)

// Config is the plugins.payees block of config.yaml.
type Config struct {
	// PageSize is how many payees one page of /payees lists (1-10; a page
	// is one message, and ten payees with the longest nicknames and
	// emails still fit in Telegram's 4096 characters).
	PageSize int `koanf:"page_size"`
	// NicknameMax is the longest nickname, in characters, that Add and
	// Rename accept (1-64).
	NicknameMax int `koanf:"nickname_max"`
}

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{PageSize: 8, NicknameMax: 32}
}

// Validate checks the values, naming the key at fault relative to
// plugins.payees (the kernel adds the prefix).
func (c Config) Validate() error {
	var errs []error
	if c.PageSize < 1 || c.PageSize > 10 {
		errs = append(errs, kernel.ConfigErrorf("page_size", "must be between 1 and 10"))
	}
	if c.NicknameMax < 1 || c.NicknameMax > 64 {
		errs = append(errs, kernel.ConfigErrorf("nickname_max", "must be between 1 and 64 characters"))
	}
	return errors.Join(errs...)
}
