package auth

import (
	"errors"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// blockedCommand is the command a guard blocked, run after the next login.
type blockedCommand struct {
	Action string    `json:"action"`
	Args   []string  `json:"args,omitempty"`
	At     time.Time `json:"at"`
}

// livePrincipal returns the principal when its token is still good (with
// the configured margin), else nil.
func (a *Auth) livePrincipal(c *kernel.Ctx) *kernel.Principal {
	p := c.Principal()
	if p == nil || p.Token.Reveal() == "" || !c.Now().Add(a.cfg.ExpiryMargin).Before(p.ExpiresAt) {
		return nil
	}
	return p
}

// loggedIn is the auth guard's quiet check, for menus: a live principal,
// no reply, no API call.
func (a *Auth) loggedIn(c *kernel.Ctx) bool { return a.livePrincipal(c) != nil }

// kycLikely is the auth.kyc guard's quiet check, for menus: logged in and
// KYC approved as far as the session knows; a status the session does not
// know yet passes (the guard asks CopperX when the action runs).
func (a *Auth) kycLikely(c *kernel.Ctx) bool {
	p := a.livePrincipal(c)
	if p == nil {
		return false
	}
	status, known := p.Attrs[AttrKYC]
	return !known || status == copperx.KYCApproved
}

// token is the principal's credential for the API client.
func token(p *kernel.Principal) copperx.Token { return copperx.NewToken(p.Token.Reveal()) }

// guardAuth lets logged-in users through; others are asked to log in, and
// the command they tried is remembered for after the login.
func (a *Auth) guardAuth(c *kernel.Ctx) (bool, error) {
	if a.livePrincipal(c) != nil {
		return true, nil
	}
	expired := c.Principal() != nil
	if expired {
		if err := a.dropLogin(c, kernel.LogoutExpired); err != nil {
			return false, err
		}
	}
	remembered, err := a.remember(c)
	if err != nil {
		return false, err
	}
	// Promise to continue only when the blocked action will resume.
	key := "auth.guard.login_first"
	switch {
	case expired:
		key = "auth.guard.expired"
	case remembered:
		key = "auth.guard.login_required"
	}
	if !c.IsPrivate() {
		_, err := c.Say(key, nil, a.loginKeyboard(c))
		return false, err
	}
	// In a private chat the login starts right away, so the next thing the
	// user types (their email) is understood.
	if _, err := c.Say(key, nil, nil); err != nil {
		return false, err
	}
	return false, c.Invoke("auth.login", nil)
}

// guardKYC lets users with approved KYC through, re-checking a status older
// than kyc_refresh (or not approved) with the API; others get the /kyc
// explanation.
func (a *Auth) guardKYC(c *kernel.Ctx) (bool, error) {
	p := a.livePrincipal(c)
	if p == nil {
		return a.guardAuth(c)
	}
	status := p.Attrs[AttrKYC]
	checked, err := time.Parse(time.RFC3339, p.Attrs[AttrKYCChecked])
	if status != copperx.KYCApproved || err != nil || c.Now().Sub(checked) >= a.cfg.KYCRefresh {
		if status, err = a.refreshKYC(c, p); err != nil {
			return false, err
		}
	}
	if status == copperx.KYCApproved {
		return true, nil
	}
	_, err = c.Send(c.T("auth.guard.kyc_required", nil)+"\n\n"+a.kycText(c, status), a.kycKeyboard(c, status))
	return false, err
}

// remember stores the blocked command (typed, or an action button such as
// the /start menu's) so a login within resume_within runs it, and reports
// whether it did: other button taps, flow input, and anything when
// resume_within is 0 are not remembered.
func (a *Auth) remember(c *kernel.Ctx) (bool, error) {
	action := c.Action()
	if c.Command() == "" || action == "auth.login" || action == "auth.logout" || a.cfg.ResumeWithin <= 0 {
		return false, nil
	}
	if err := c.Set(keyBlockedCommand, blockedCommand{Action: action, Args: c.Args(), At: c.Now()}); err != nil {
		return false, err
	}
	return true, nil
}

// dropLogin forgets the principal whose login ended for reason, ends any
// open flow (the token is dead) and emits kernel.LoggedOut.
func (a *Auth) dropLogin(c *kernel.Ctx, reason string) error {
	p := c.Principal()
	c.SetPrincipal(nil)
	c.EndFlow()
	if p == nil {
		return nil
	}
	return kernel.Emit(c, kernel.LoggedOut{Principal: p, Reason: reason})
}

// onError takes over two kinds of errors returned by any plugin's
// handler: an expired or revoked credential becomes "please log in
// again", CopperX not answering becomes "CopperX is not answering right
// now" (unavailable.go).
func (a *Auth) onError(c *kernel.Ctx, err error) bool {
	if copperx.Unavailable(err) {
		return a.unavailable(c, err)
	}
	if !errors.Is(err, copperx.ErrUnauthorized) {
		return false
	}
	c.Log.Info("credential refused by the API; logged out", "action", c.Action())
	if err := a.dropLogin(c, kernel.LogoutRefused); err != nil {
		c.Log.Warn("a kernel.LoggedOut listener failed", "err", err)
	}
	if _, err := a.remember(c); err != nil {
		c.Log.Warn("could not remember the blocked command", "err", err)
	}
	if c.IsCallback() {
		c.Answer(c.T("auth.guard.expired", nil), false)
	}
	if _, err := c.Say("auth.guard.expired", nil, a.loginKeyboard(c)); err != nil {
		c.Log.Warn("could not tell about the expired session", "err", err)
	}
	return true
}

// loginKeyboard holds a Log in button (guards and error hooks run as this
// plugin, so it is one of its own buttons).
func (a *Auth) loginKeyboard(c *kernel.Ctx) *kernel.Keyboard {
	return kernel.NewKeyboard().Row(c.Button("auth.guard.login_button", "start"))
}
