package auth

import (
	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// home is the auth plugin's line of /start: who is logged in (name and
// email, never an id) and, while it is not approved, the verification
// status; logged out, what logging in opens. It reads the session only.
func (a *Auth) home(c *kernel.Ctx) string {
	p := a.livePrincipal(c)
	if p == nil {
		return c.T("auth.home.logged_out", nil)
	}
	text := c.T("auth.home.logged_in", map[string]any{"name": p.Name, "email": p.Email})
	if status, known := p.Attrs[AttrKYC]; known && status != copperx.KYCApproved {
		text += "\n" + c.T("auth.home.kyc", map[string]any{
			"status": i18n.HTML(c.T(kycStateKey(status), map[string]any{"status": status}))})
	}
	return text
}
