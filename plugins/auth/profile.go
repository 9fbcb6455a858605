package auth

import (
	"fmt"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// profile is /profile: who is logged in, fresh from the API.
func (a *Auth) profile(c *kernel.Ctx) error {
	p := a.livePrincipal(c)
	if p == nil {
		return kernel.Fail("auth.guard.login_first", nil)
	}
	me, err := a.api.Me(c, token(p))
	if err != nil {
		return fmt.Errorf("load profile: %w", err)
	}
	p.Name = displayName(me, p.Email)
	if me.Email != "" {
		p.Email = me.Email
	}
	if me.OrganizationID != "" {
		p.OrgID = me.OrganizationID
	}
	if p.Attrs == nil {
		p.Attrs = map[string]string{}
	}
	p.Attrs[AttrRole], p.Attrs[AttrAccountType] = me.Role, me.Type
	p.Attrs[AttrWalletAddress], p.Attrs[AttrWalletID] = me.WalletAddress, me.WalletID
	status, err := a.refreshKYC(c, p) // also stores the updated principal
	if err != nil {
		return fmt.Errorf("kyc status: %w", err)
	}
	none := c.T("auth.profile.none", nil)
	orNone := func(s string) any {
		if s == "" {
			return i18n.HTML(none)
		}
		return s
	}
	role := c.T("auth.profile.role_unknown", map[string]any{"role": me.Role})
	if key, ok := roleKeys[me.Role]; ok {
		role = c.T(key, nil)
	}
	accountType := c.T("auth.profile.type_unknown", map[string]any{"type": me.Type})
	if key, ok := typeKeys[me.Type]; ok {
		accountType = c.T(key, nil)
	}
	text := c.T("auth.profile.text", map[string]any{
		"name": p.Name, "email": orNone(p.Email),
		"role": i18n.HTML(role), "type": i18n.HTML(accountType),
		"kyc": i18n.HTML(c.T(kycStateKey(status), map[string]any{"status": status})),
	})
	if address := me.WalletAddress; address != "" {
		text += "\n" + c.T("auth.profile.wallet", map[string]any{"short": shortAddress(address), "address": address})
	} else {
		text += "\n" + c.T("auth.profile.no_wallet", nil)
	}
	kb := kernel.NewKeyboard()
	if me.WalletAddress != "" {
		kb.Row(c.CopyButton("auth.profile.copy_button", me.WalletAddress))
	}
	if status != copperx.KYCApproved {
		kb.Row(c.URLButton("auth.kyc.button", a.cfg.KYCURL))
	}
	_, err = c.Send(text, kb)
	return err
}

// roleKeys and typeKeys name the roles and account types the API knows.
var roleKeys = map[string]string{
	"owner": "auth.profile.role.owner", "admin": "auth.profile.role.admin",
	"member": "auth.profile.role.member", "user": "auth.profile.role.user",
}

var typeKeys = map[string]string{
	"individual": "auth.profile.type.individual", "business": "auth.profile.type.business",
}
