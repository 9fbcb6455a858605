package copperx

import "errors"

// Unavailable reports whether err means CopperX could not serve the
// request right now: no answer (connection refused or reset, a timeout,
// a body cut short), a 5xx, or a 429. The user is told to try again in a
// minute, not that the bot failed or that their input was wrong. A caller
// that gave up (its context cancelled or past its deadline) is not
// CopperX being unavailable, nor is any other 4xx.
func Unavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited)
}
