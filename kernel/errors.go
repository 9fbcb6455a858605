package kernel

import (
	"strings"

	"errors"
	"fmt"
)

// UserError is an error whose text is a locale message meant for the user:
// the kernel replies with it instead of the generic apology, and logs it at
// debug level only.
type UserError struct {
	Key  string
	Data map[string]any
}

func (e *UserError) Error() string { return "user error: " + e.Key }

// Fail returns a *UserError for the locale key.
func Fail(key string, data map[string]any) error { return &UserError{Key: key, Data: data} }

// ErrStaleCallback reports callback data that no longer matches the
// session (a button from an old message, or forged data). The kernel answers
// the callback with a localized "this button has expired" and changes nothing.
var ErrStaleCallback = errors.New("stale callback")

// ErrUndeclaredTransition is returned when a flow tries to move to a step its
// current step did not declare.
var ErrUndeclaredTransition = errors.New("undeclared flow transition")

// ConfigError names the configuration key that is wrong and why.
type ConfigError struct {
	Key string
	Err error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config: %s: %v", e.Key, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

func cfgErr(key, format string, args ...any) error {
	return &ConfigError{Key: key, Err: fmt.Errorf(format, args...)}
}

// ConfigErrorf reports a bad value of a config section's key, relative to
// the section: a plugin's Validate returns ConfigErrorf("qr_size", "must
// be between 128 and 2048") and the kernel names it
// plugins.wallet.qr_size. Join several with errors.Join.
func ConfigErrorf(key, format string, args ...any) error { return cfgErr(key, format, args...) }

// withPrefix puts prefix in front of the keys of err's ConfigErrors (and
// turns any other error into one naming prefix).
func withPrefix(prefix string, err error) error {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range multi.Unwrap() {
			out = append(out, withPrefix(prefix, e))
		}
		return errors.Join(out...)
	}
	var ce *ConfigError
	var keyed interface {
		ConfigKey() string
		ConfigProblem() string
	}
	switch {
	case errors.As(err, &ce):
	case errors.As(err, &keyed): // a section's own error type (copperx's)
		ce = &ConfigError{Key: keyed.ConfigKey(), Err: errors.New(keyed.ConfigProblem())}
	default:
		return &ConfigError{Key: prefix, Err: err}
	}
	if ce.Key == prefix || strings.HasPrefix(ce.Key, prefix+".") {
		return ce
	}
	return &ConfigError{Key: joinKey(prefix, ce.Key), Err: ce.Err}
}
