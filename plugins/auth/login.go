package auth

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// dataPrompt is the flow data key of the message with the Resend button.
const dataPrompt = "prompt"

// login starts the login flow, or says who is logged in already.
func (a *Auth) login(c *kernel.Ctx) error {
	if p := a.live(c); p != nil {
		kb := kernel.NewKeyboard().Row(
			c.Button("auth.login.switch_button", "switch"),
			c.Button("auth.login.keep_button", "keep"),
		)
		_, err := c.Say("auth.login.already", map[string]any{"name": p.Name, "email": p.Email}, kb)
		return err
	}
	return a.startLogin(c)
}

// startLogin asks for the email, or takes it from "/login <email>".
func (a *Auth) startLogin(c *kernel.Ctx) error {
	if err := c.StartFlow(flowLogin, stepEmail); err != nil {
		return err
	}
	if !c.IsCallback() && c.Text() != "" {
		return a.onEmail(c)
	}
	_, err := c.Say("auth.email.prompt", nil, nil)
	return err
}

// startButton is the Log in button of a refusal: /login, from a tap.
func (a *Auth) startButton(c *kernel.Ctx) error {
	_ = c.RemoveButtons(c.MessageID())
	return a.login(c)
}

// switchAccount starts a fresh login while someone is logged in; the
// current login stays until the new one succeeds.
func (a *Auth) switchAccount(c *kernel.Ctx) error {
	_ = c.RemoveButtons(c.MessageID())
	return a.startLogin(c)
}

// keep leaves the current login as it is.
func (a *Auth) keep(c *kernel.Ctx) error {
	p := a.live(c)
	if p == nil {
		return kernel.ErrStaleCallback
	}
	_, err := c.Show(c.T("auth.login.kept", map[string]any{"name": p.Name, "email": p.Email}), nil)
	return err
}

// onEmail checks the typed email and sends it a code. A login code typed
// here (the login restarted after it was sent) is deleted like at the code
// step, and the user is told the email comes first.
func (a *Auth) onEmail(c *kernel.Ctx) error {
	if _, err := parseOTP(c.Text()); err == nil {
		_ = c.Delete(c.MessageID()) // best effort: the code must not linger in the chat
		_, err = c.Say("auth.email.code_first", nil, nil)
		return err
	}
	email, err := parseEmail(c.Text())
	switch {
	case errors.Is(err, errEmailLong):
		_, err = c.Say("auth.email.too_long", map[string]any{"max": maxEmail}, nil)
		return err
	case err != nil:
		_, err = c.Say("auth.email.invalid", nil, nil)
		return err
	}
	return a.sendCode(c, email)
}

// resend sends a new code for the login in progress.
func (a *Auth) resend(c *kernel.Ctx) error {
	if !c.InFlow(flowLogin, stepCode) || c.FlowData(dataEmail) == "" {
		return kernel.ErrStaleCallback
	}
	return a.sendCode(c, c.FlowData(dataEmail))
}

// again asks for a new code after a login ended (too many wrong codes, an
// expired code), or starts over when the email is no longer known.
func (a *Auth) again(c *kernel.Ctx) error {
	_ = c.RemoveButtons(c.MessageID())
	if p := a.live(c); p != nil {
		return a.login(c)
	}
	var email string
	if !c.Get(keyLoginEmail, &email) || email == "" {
		return a.startLogin(c)
	}
	return a.sendCode(c, email)
}

// sendCode asks CopperX to email a one-time code (within the otp limit)
// and moves the flow to the code step.
func (a *Auth) sendCode(c *kernel.Ctx, email string) error {
	resending := c.InFlow(flowLogin, stepCode)
	ok, wait, err := c.Allow(LimitOTP)
	if err != nil {
		return err
	}
	if !ok {
		return a.codeLimited(c, wait, resending)
	}
	req, err := a.api.RequestEmailOTP(c, email)
	switch {
	case errors.Is(err, copperx.ErrValidation):
		if !c.InFlow(flowLogin) {
			if err := c.StartFlow(flowLogin, stepEmail); err != nil {
				return err
			}
		}
		_, err = c.Say("auth.email.rejected", map[string]any{"email": email}, nil)
		return err
	case errors.Is(err, copperx.ErrRateLimited):
		var ae *copperx.Error
		errors.As(err, &ae)
		return a.codeLimited(c, ae.RetryAfter, resending)
	case err != nil:
		return fmt.Errorf("request email otp: %w", err)
	}
	a.removePrompt(c)
	switch {
	case c.InFlow(flowLogin, stepEmail):
		err = c.Next(stepCode)
	case !resending:
		err = c.StartFlow(flowLogin, stepCode)
	}
	if err != nil {
		return err
	}
	if err := c.Set(keyLoginEmail, email); err != nil {
		return err
	}
	c.SetFlowData(dataEmail, email)
	if err := c.SetFlowSecret(dataSID, secret.New(req.SID)); err != nil {
		return err
	}
	c.SetFlowData(dataAttempts, "0")
	key := "auth.code.sent"
	if resending {
		key = "auth.code.resent"
	}
	kb := kernel.NewKeyboard().Row(c.Button("auth.code.resend_button", "resend"))
	id, err := c.Say(key, map[string]any{"email": maskEmail(email)}, kb)
	if err != nil {
		return err
	}
	c.SetFlowData(dataPrompt, strconv.FormatInt(id, 10))
	return nil
}

// codeLimited tells a user who asked for too many codes when to try again.
func (a *Auth) codeLimited(c *kernel.Ctx, wait time.Duration, resending bool) error {
	minutes := max(1, int(math.Ceil(wait.Minutes())))
	data := map[string]any{"minutes": minutes}
	if resending {
		_, err := c.Send(c.Plural("auth.code.limited_keep", minutes, data), nil)
		return err
	}
	c.EndFlow()
	_, err := c.Send(c.Plural("auth.code.limited", minutes, data), nil)
	return err
}

// onCode deletes the message holding the code and checks the code.
func (a *Auth) onCode(c *kernel.Ctx) error {
	_ = c.Delete(c.MessageID()) // best effort: the code must not linger in the chat
	code, err := parseOTP(c.Text())
	if err != nil {
		_, err = c.Say("auth.code.invalid", map[string]any{"min": minOTP, "max": maxOTP}, nil)
		return err
	}
	email, sid := c.FlowData(dataEmail), c.FlowSecret(dataSID).Reveal()
	if email == "" || sid == "" {
		return a.endLogin(c, "auth.code.expired")
	}
	res, err := a.api.AuthenticateEmailOTP(c, email, code, sid)
	var ae *copperx.Error
	switch {
	case err == nil:
		return a.finishLogin(c, email, res)
	case errors.As(err, &ae) && ae.Status == 401:
		attempts, _ := strconv.Atoi(c.FlowData(dataAttempts))
		attempts++
		if attempts >= a.cfg.OTPAttempts {
			return a.endLogin(c, "auth.code.too_many")
		}
		c.SetFlowData(dataAttempts, strconv.Itoa(attempts))
		left := a.cfg.OTPAttempts - attempts
		kb := kernel.NewKeyboard().Row(c.Button("auth.code.resend_button", "resend"))
		a.removePrompt(c)
		id, err := c.Send(c.Plural("auth.code.wrong", left, map[string]any{"left": left}), kb)
		if err != nil {
			return err
		}
		c.SetFlowData(dataPrompt, strconv.FormatInt(id, 10))
		return nil
	case errors.As(err, &ae) && ae.Status == 403:
		return a.endLogin(c, "auth.code.too_many")
	case errors.Is(err, copperx.ErrValidation), errors.Is(err, copperx.ErrNotFound):
		return a.endLogin(c, "auth.code.expired")
	default:
		return fmt.Errorf("authenticate email otp: %w", err)
	}
}

// endLogin ends the login flow with a message and a "Request a new code"
// button.
func (a *Auth) endLogin(c *kernel.Ctx, key string) error {
	a.removePrompt(c)
	c.EndFlow()
	kb := kernel.NewKeyboard().Row(c.Button("auth.code.new_button", "again"))
	_, err := c.Say(key, nil, kb)
	return err
}

// removePrompt takes the Resend button off the last code prompt.
func (a *Auth) removePrompt(c *kernel.Ctx) {
	if id, err := strconv.ParseInt(c.FlowData(dataPrompt), 10, 64); err == nil && id != 0 {
		_ = c.RemoveButtons(id)
	}
}

// finishLogin loads the profile and KYC status, stores the principal,
// welcomes the user and resumes the command a guard blocked.
func (a *Auth) finishLogin(c *kernel.Ctx, email string, res *copperx.AuthResponse) error {
	a.removePrompt(c)
	c.EndFlow()
	tok := res.AccessToken
	me, err := a.api.Me(c, tok)
	if err != nil {
		return fmt.Errorf("load profile: %w", err)
	}
	kyc, err := a.api.KYCStatus(c, tok)
	if err != nil {
		return fmt.Errorf("load kyc status: %w", err)
	}
	expires := res.ExpireAt
	if expires.IsZero() {
		expires = c.Now().Add(24 * time.Hour)
	}
	p := &kernel.Principal{
		UserID: me.ID, OrgID: me.OrganizationID, Email: me.Email, Name: displayName(me, email),
		Token: secret.New(tok.Reveal()), ExpiresAt: expires,
		Attrs: map[string]string{
			AttrKYC: kyc, AttrKYCChecked: c.Now().UTC().Format(time.RFC3339),
			AttrRole: me.Role, AttrAccountType: me.Type,
			AttrWalletAddress: me.WalletAddress, AttrWalletID: me.WalletID,
		},
	}
	if p.Email == "" {
		p.Email = email
	}
	var pend pending
	hasPending := c.Get(keyPending, &pend)
	if old := c.Principal(); old != nil && old.UserID != p.UserID {
		// Another account: nothing of the old one may stay behind.
		a.revoke(c, old)
		c.ResetSession()
		if err := c.Emit(EventLogout, old); err != nil {
			return err
		}
	}
	c.Del(keyLoginEmail)
	c.Del(keyPending)
	c.SetPrincipal(p)
	c.Log.Info("logged in", "user_id", p.UserID, "org_id", p.OrgID)
	if err := c.Emit(EventLogin, p); err != nil {
		return err
	}
	if _, err := c.Send(a.welcome(c, p), a.menu(c, p.Attrs[AttrKYC])); err != nil {
		return err
	}
	if hasPending && pend.Action != "" && c.Now().Sub(pend.At) <= a.cfg.ResumeWithin {
		c.Log.Info("resuming blocked command", "action", pend.Action)
		return c.Invoke(pend.Action, pend.Args)
	}
	return nil
}

// welcome is the message after a login.
func (a *Auth) welcome(c *kernel.Ctx, p *kernel.Principal) string {
	status := p.Attrs[AttrKYC]
	text := c.T("auth.welcome.title", map[string]any{"name": p.Name}) + "\n\n" +
		c.T("auth.welcome.org", map[string]any{"org": p.OrgID}) + "\n" +
		c.T("auth.welcome.kyc", map[string]any{"status": i18n.HTML(c.T(kycStateKey(status), map[string]any{"status": status}))})
	if status == copperx.KYCApproved {
		return text + "\n\n" + c.T("auth.welcome.next", nil)
	}
	return text + "\n\n" + c.T("auth.welcome.next_kyc", nil)
}

// menu is the buttons under the welcome: the configured commands, two a
// row. Until KYC is approved, money movements give way to a button that
// completes the verification, so no button leads straight to a refusal.
func (a *Auth) menu(c *kernel.Ctx, kyc string) *kernel.Keyboard {
	kb := kernel.NewKeyboard()
	var row []kernel.Button
	for _, name := range a.cfg.Menu {
		if kyc != copperx.KYCApproved && (name == "send" || name == "withdraw") {
			continue
		}
		d, err := kernel.CallbackData("kernel", "run", name)
		if err != nil {
			continue
		}
		row = append(row, kernel.Button{Text: c.T("commands."+name, nil), Data: d})
		if len(row) == 2 {
			kb.Row(row...)
			row = nil
		}
	}
	kb.Row(row...)
	if kyc != copperx.KYCApproved {
		kb.Row(kernel.Button{Text: c.T("auth.kyc.button", nil), URL: a.cfg.KYCURL})
	}
	return kb
}

// displayName is the user's full name, else the local part of the email.
func displayName(me *copperx.AuthUser, email string) string {
	if n := strings.TrimSpace(me.FirstName + " " + me.LastName); n != "" {
		return n
	}
	local, _, _ := strings.Cut(email, "@")
	return local
}
