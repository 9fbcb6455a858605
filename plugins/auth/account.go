package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
)

// kycStates maps every KYC/KYB status the API knows to its locale key and
// the hint about what to do next ("" = never started).
var kycStates = map[string]struct{ key, next string }{
	"":                       {"auth.kyc.state.not_started", "auth.kyc.next.start"},
	"pending":                {"auth.kyc.state.pending", "auth.kyc.next.continue"},
	"initiated":              {"auth.kyc.state.initiated", "auth.kyc.next.continue"},
	"inprogress":             {"auth.kyc.state.inprogress", "auth.kyc.next.continue"},
	"review_pending":         {"auth.kyc.state.review_pending", "auth.kyc.next.wait"},
	"review":                 {"auth.kyc.state.review", "auth.kyc.next.wait"},
	"provider_manual_review": {"auth.kyc.state.provider_manual_review", "auth.kyc.next.wait"},
	"manual_review":          {"auth.kyc.state.manual_review", "auth.kyc.next.wait"},
	"provider_on_hold":       {"auth.kyc.state.provider_on_hold", "auth.kyc.next.on_hold"},
	"on_hold":                {"auth.kyc.state.on_hold", "auth.kyc.next.on_hold"},
	"expired":                {"auth.kyc.state.expired", "auth.kyc.next.expired"},
	"approved":               {"auth.kyc.state.approved", ""},
	"rejected":               {"auth.kyc.state.rejected", "auth.kyc.next.rejected"},
}

// kycStateKey is the locale key naming a status (unknown ones print as is).
func kycStateKey(status string) string {
	if s, ok := kycStates[status]; ok {
		return s.key
	}
	return "auth.kyc.state.unknown"
}

// kycText explains a KYC status and what to do next.
func (a *Auth) kycText(c *kernel.Ctx, status string) string {
	text := c.T("auth.kyc.status", map[string]any{"status": i18n.HTML(c.T(kycStateKey(status), map[string]any{"status": status}))})
	next := "auth.kyc.next.continue"
	if s, ok := kycStates[status]; ok {
		next = s.next
	}
	if next == "" {
		return text + "\n\n" + c.T("auth.kyc.next.approved", nil)
	}
	return text + "\n\n" + c.T(next, nil)
}

// kycKeyboard links to the KYC page unless KYC is approved.
func (a *Auth) kycKeyboard(c *kernel.Ctx, status string) *kernel.Keyboard {
	if status == copperx.KYCApproved {
		return nil
	}
	return kernel.NewKeyboard().Row(kernel.Button{Text: c.T("auth.kyc.button", nil), URL: a.cfg.KYCURL})
}

// kyc shows the KYC/KYB status, fresh from the API.
func (a *Auth) kyc(c *kernel.Ctx) error {
	p := a.live(c)
	if p == nil {
		return kernel.Fail("auth.guard.login_first", nil)
	}
	status, err := a.refreshKYC(c, p)
	if err != nil {
		return fmt.Errorf("kyc status: %w", err)
	}
	_, err = c.Send(a.kycText(c, status), a.kycKeyboard(c, status))
	return err
}

// profile shows who is logged in, fresh from the API.
func (a *Auth) profile(c *kernel.Ctx) error {
	p := a.live(c)
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
	dash := c.T("auth.profile.none", nil)
	orDash := func(s string) any {
		if s == "" {
			return i18n.HTML(dash)
		}
		return s
	}
	role, typ := c.T("auth.profile.role_unknown", map[string]any{"role": me.Role}), c.T("auth.profile.type_unknown", map[string]any{"type": me.Type})
	if k, ok := roleKeys[me.Role]; ok {
		role = c.T(k, nil)
	}
	if k, ok := typeKeys[me.Type]; ok {
		typ = c.T(k, nil)
	}
	text := c.T("auth.profile.text", map[string]any{
		"name": p.Name, "email": orDash(p.Email), "org": orDash(p.OrgID),
		"role": i18n.HTML(role), "type": i18n.HTML(typ),
		"kyc": i18n.HTML(c.T(kycStateKey(status), map[string]any{"status": status})),
	})
	if addr := me.WalletAddress; addr != "" {
		text += "\n" + c.T("auth.profile.wallet", map[string]any{"short": shortAddress(addr), "address": addr})
	} else {
		text += "\n" + c.T("auth.profile.no_wallet", nil)
	}
	kb := kernel.NewKeyboard()
	if me.WalletAddress != "" {
		kb.Row(c.CopyButton("auth.profile.copy_button", me.WalletAddress))
	}
	if status != copperx.KYCApproved {
		kb.Row(kernel.Button{Text: c.T("auth.kyc.button", nil), URL: a.cfg.KYCURL})
	}
	_, err = c.Send(text, kb)
	return err
}

var roleKeys = map[string]string{
	"owner": "auth.profile.role.owner", "admin": "auth.profile.role.admin",
	"member": "auth.profile.role.member", "user": "auth.profile.role.user",
}

var typeKeys = map[string]string{
	"individual": "auth.profile.type.individual", "business": "auth.profile.type.business",
}

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

// logout asks to confirm the logout.
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

// logoutConfirm logs out at CopperX and wipes everything kept for the
// user, or keeps the login. A confirmation shown for another account than
// the one logged in now is stale.
func (a *Auth) logoutConfirm(c *kernel.Ctx) error {
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
	if p.ExpiresAt.After(c.Now()) {
		a.revoke(c, p)
	}
	c.ResetSession()
	c.Log.Info("logged out", "user_id", p.UserID)
	if err := c.Emit(EventLogout, p); err != nil {
		return err
	}
	_, err := c.Show(c.T("auth.logout.done", nil), nil)
	return err
}
