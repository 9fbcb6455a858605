package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// accountTag is a short hash of the CopperX user id (the email when the
// id is unknown) carried by the logout confirmation, so an old confirmation
// acts only on the account it named.
func accountTag(p *kernel.Principal) string {
	id := "id:" + p.UserID
	if p.UserID == "" {
		id = "email:" + strings.ToLower(p.Email)
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}

// logout is /logout: it asks to confirm.
func (a *Auth) logout(c *kernel.Ctx) error {
	p := c.Principal()
	if p == nil {
		_, err := c.Say("auth.logout.not_logged_in", nil, nil)
		return err
	}
	tag := accountTag(p)
	kb := kernel.NewKeyboard().Row(
		c.Button("auth.logout.confirm_button", "logout", "yes", tag),
		c.Button("auth.logout.keep_button", "logout", "no", tag),
	)
	_, err := c.Say("auth.logout.confirm", map[string]any{"email": p.Email}, kb)
	return err
}

// confirmLogout logs out at CopperX and wipes everything kept for the
// user, or keeps the login. A confirmation shown for another account than
// the one logged in now is stale.
func (a *Auth) confirmLogout(c *kernel.Ctx) error {
	args := c.Args()
	if len(args) == 0 || (args[0] != "yes" && args[0] != "no") {
		return kernel.ErrStaleCallback
	}
	p := c.Principal()
	if p == nil {
		_, err := c.Show(c.T("auth.logout.not_logged_in", nil), nil)
		return err
	}
	if len(args) != 2 || args[1] != accountTag(p) {
		_ = c.RemoveButtons(c.MessageID())
		return kernel.ErrStaleCallback
	}
	if args[0] == "no" {
		_, err := c.Show(c.T("auth.logout.kept", map[string]any{"email": p.Email}), nil)
		return err
	}
	c.ResetSession()
	c.Log.Info("logged out", "user_id", p.UserID)
	// Listeners first, then CopperX: work that is still using the token
	// (a deposit catch-up) then sees a logout, not a refused token.
	err := kernel.Emit(c, kernel.LoggedOut{Principal: p, Reason: kernel.LogoutAsked})
	if p.ExpiresAt.After(c.Now()) {
		a.revoke(c, p)
	}
	if err != nil {
		return err
	}
	_, err = c.Show(c.T("auth.logout.done", nil), nil)
	return err
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
