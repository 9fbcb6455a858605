package auth

import (
	"errors"
	"net/http"
	"syscall"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// unavailable answers an error, from any plugin's handler, that says
// CopperX could not serve a request (copperx.Unavailable: a 5xx, a 429, no
// answer): one wording everywhere, instead of the kernel's apology, which
// blames the bot. A tap is answered with an alert, so the tapped message
// keeps its buttons for another try. An update that moved money
// (Ctx.Irreversible) is left to its plugin, which knows what was sent.
func (a *Auth) unavailable(c *kernel.Ctx, err error) bool {
	if c.WasIrreversible() {
		return false
	}
	c.Log.Warn("copperx is not answering", "action", c.Action(), "err", err)
	key := "auth.unavailable.nothing_changed"
	if mayHaveHappened(err) {
		key = "auth.unavailable.unsure"
	}
	text := c.T(key, nil)
	if c.IsCallback() {
		c.Answer(text, true)
		return true
	}
	if _, err := c.Send(text, nil); err != nil {
		c.Log.Warn("could not say that CopperX is not answering", "err", err)
	}
	return true
}

// mayHaveHappened reports a failed request that CopperX may have carried
// out all the same: a call that changes something (not a GET) whose answer
// was a 5xx or never came. A 429 and a refused connection mean it was not
// done.
func mayHaveHappened(err error) bool {
	var apiErr *copperx.Error
	var netErr *copperx.NetworkError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Method != http.MethodGet && apiErr.Status != http.StatusTooManyRequests
	case errors.As(err, &netErr):
		return netErr.Method != http.MethodGet && !errors.Is(err, syscall.ECONNREFUSED)
	}
	return false
}
