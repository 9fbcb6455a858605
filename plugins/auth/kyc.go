package auth

import (
	"fmt"
	"time"

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
	return kernel.NewKeyboard().Row(c.URLButton("auth.kyc.button", a.cfg.KYCURL))
}

// kyc is /kyc: the KYC/KYB status, fresh from the API.
func (a *Auth) kyc(c *kernel.Ctx) error {
	p := a.livePrincipal(c)
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
