package auth

import (
	"errors"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// pending is the command a guard blocked, run after the next login.
type pending struct {
	Action string    `json:"action"`
	Args   []string  `json:"args,omitempty"`
	At     time.Time `json:"at"`
}

// live returns the principal when its token is still good (with the
// configured margin), else nil.
func (a *Auth) live(c *kernel.Ctx) *kernel.Principal {
	p := c.Principal()
	if p == nil || p.Token.Reveal() == "" || !c.Now().Add(a.cfg.ExpiryMargin).Before(p.ExpiresAt) {
		return nil
	}
	return p
}

// token is the principal's credential for the API client.
func token(p *kernel.Principal) copperx.Token { return copperx.NewToken(p.Token.Reveal()) }

// guardAuth lets logged-in users through; others are asked to log in, and
// the command they tried is remembered for after the login.
func (a *Auth) guardAuth(c *kernel.Ctx) (bool, error) {
	if a.live(c) != nil {
		return true, nil
	}
	expired := c.Principal() != nil
	if expired {
		if err := a.drop(c); err != nil {
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
	p := a.live(c)
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

// refreshKYC asks the API for the KYC status and remembers it.
func (a *Auth) refreshKYC(c *kernel.Ctx, p *kernel.Principal) (string, error) {
	status, err := a.api.KYCStatus(c, token(p))
	if err != nil {
		return "", err
	}
	if p.Attrs == nil {
		p.Attrs = map[string]string{}
	}
	p.Attrs[AttrKYC] = status
	p.Attrs[AttrKYCChecked] = c.Now().UTC().Format(time.RFC3339)
	c.SetPrincipal(p)
	return status, nil
}

// remember stores the blocked command (typed, or tapped in the /start
// menu) so a login within resume_within runs it, and reports whether it
// did: other button taps, and anything when resume_within is 0, are not
// remembered.
func (a *Auth) remember(c *kernel.Ctx) (bool, error) {
	action := c.Action()
	if action == "" || action == "auth.login" || action == "auth.logout" || a.cfg.ResumeWithin <= 0 {
		return false, nil
	}
	switch {
	case c.IsCallback():
		if !strings.HasPrefix(c.Update.CallbackQuery.Data, "kernel:run:") {
			return false, nil
		}
	case c.Update.Message == nil || !strings.HasPrefix(c.Update.Message.Text, "/"):
		return false, nil
	}
	if err := c.Set(keyPending, pending{Action: action, Args: c.Args(), At: c.Now()}); err != nil {
		return false, err
	}
	return true, nil
}

// drop forgets the principal, ends any open flow (the token is dead) and
// tells the listeners of auth.logout.
func (a *Auth) drop(c *kernel.Ctx) error {
	p := c.Principal()
	c.SetPrincipal(nil)
	c.EndFlow()
	if p == nil {
		return nil
	}
	return c.Emit(EventLogout, p)
}

// onError turns an expired or revoked credential, from any plugin, into
// "please log in again".
func (a *Auth) onError(c *kernel.Ctx, err error) bool {
	if !errors.Is(err, copperx.ErrUnauthorized) {
		return false
	}
	c.Log.Info("credential refused by the API; logged out", "action", c.Action())
	if err := a.drop(c); err != nil {
		c.Log.Warn("auth.logout listener failed", "err", err)
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

// loginKeyboard holds a Log in button; built by hand because guards and
// error hooks run in another plugin's context.
func (a *Auth) loginKeyboard(c *kernel.Ctx) *kernel.Keyboard {
	d, err := kernel.CallbackData("auth", "start")
	if err != nil {
		return nil
	}
	return kernel.NewKeyboard().Row(kernel.Button{Text: c.T("auth.guard.login_button", nil), Data: d})
}

// revoke logs a token out at CopperX, best effort.
func (a *Auth) revoke(c *kernel.Ctx, p *kernel.Principal) {
	if p == nil || p.Token.Reveal() == "" {
		return
	}
	if err := a.api.Logout(c, token(p)); err != nil && !errors.Is(err, copperx.ErrUnauthorized) {
		c.Log.Warn("logout at CopperX failed; forgetting the token anyway", "err", err)
	}
}
