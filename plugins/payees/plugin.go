// Package payees is the bot's payee list: /payees lists the user's saved
// recipients page by page (GET /api/payees), typing filters them by
// nickname or email, and each payee can be sent to (a button into the
// transfer plugin's /send), renamed (PUT /api/payees/{id}) or removed
// (DELETE /api/payees/{id}, after a confirmation). Add saves a new one
// (POST /api/payees), from the list or with /addpayee <email>, which the
// transfer plugin's receipt links to as "Save as payee".
//
// Everything is one flow (book.go) whose data holds the page, the filter,
// the payees behind the list's buttons and the payee open, so a button can
// only name what the user was shown. Nothing here moves money: a login is
// enough (the "auth" guard), in a private chat; writes are rate-limited.
package payees

import (
	"errors"
	"fmt"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
)

// LimitWrite is the rate limit on adding, renaming and removing payees
// (rate_limits.payees.write in config.yaml overrides it).
const LimitWrite = "write"

// Payees is the payees plugin.
type Payees struct {
	api *copperx.Client
	cfg Config
}

// New returns the plugin around the CopperX client.
func New(api *copperx.Client) *Payees {
	return &Payees{api: api, cfg: DefaultConfig()}
}

// Name implements kernel.Plugin.
func (p *Payees) Name() string { return "payees" }

// Setup implements kernel.Plugin.
func (p *Payees) Setup(r *kernel.Registrar) error {
	if p.api == nil {
		return errors.New("payees: no CopperX client")
	}
	if err := r.Config(&p.cfg); err != nil {
		return err
	}
	r.RateLimit(LimitWrite, ratelimit.Limit{Rate: 30, Period: time.Minute, Burst: 10})
	r.Link("transfer.send") // Send on a payee's card
	opts := []kernel.ActionOption{kernel.Guard("auth"), kernel.Private()}

	r.Action("list", p.list, opts...)
	r.Action("add", p.add, opts...)
	r.Flow("book", p.book(), opts...)
	return nil
}

// userToken is the logged-in user's CopperX token (the auth guard ran).
func userToken(c *kernel.Ctx) (copperx.Token, error) {
	principal := c.Principal()
	if principal == nil {
		return copperx.Token{}, errors.New("payees: no principal behind the auth guard")
	}
	return copperx.NewToken(principal.Token.Reveal()), nil
}

// apiErr wraps an API failure for the error hooks: the auth plugin's
// words CopperX not answering (or busy) and an expired login once for
// every plugin; anything else becomes the kernel's apology.
func apiErr(_ *kernel.Ctx, op string, err error) error {
	return fmt.Errorf("payees: %s: %w", op, err)
}

// allowWrite applies the write limit; when refused it says how long to
// wait and returns false.
func allowWrite(c *kernel.Ctx) (bool, error) {
	ok, wait, err := c.Allow(LimitWrite)
	if err != nil {
		return false, fmt.Errorf("payees: rate limit: %w", err)
	}
	if !ok {
		return false, kernel.Fail("payees.error.slow_down", map[string]any{"wait": c.FormatDuration(wait)})
	}
	return true, nil
}

var _ kernel.Plugin = (*Payees)(nil)
