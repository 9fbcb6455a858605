package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// login is the login flow's data, kept by the kernel between the steps.
// The CopperX session id that goes with the emailed code is not here: it
// is a flow secret (secretSID), sealed like the token.
type login struct {
	// Email is where the code went (normalized).
	Email string `json:"email,omitempty"`
	// WrongCodes counts the wrong codes typed for the current code.
	WrongCodes int `json:"wrong_codes,omitempty"`
	// Resent is set once the user asked for another code: the code step
	// then says "New code sent".
	Resent bool `json:"resent,omitempty"`
}

// login is /login: it starts the login flow, or says who is logged in
// already and offers to switch accounts.
func (a *Auth) login(c *kernel.Ctx) error {
	if p := a.livePrincipal(c); p != nil {
		kb := kernel.NewKeyboard().Row(
			c.Button("auth.login.switch_button", "switch"),
			c.Button("auth.login.keep_button", "keep"),
		)
		_, err := c.Say("auth.login.already", map[string]any{"name": p.Name, "email": p.Email}, kb)
		return err
	}
	return a.startLogin(c)
}

// startLogin starts the login flow at the email step; "/login <email>"
// sends the code at once and starts at the code step, and a bad email
// there is explained before the flow asks for it.
func (a *Auth) startLogin(c *kernel.Ctx) error {
	typed := c.Text()
	if typed == "" {
		return c.StartFlow(flowLogin, login{})
	}
	email, ok, err := a.readEmail(c, typed)
	if err != nil {
		return err
	}
	if !ok {
		return c.StartFlow(flowLogin, login{})
	}
	return a.startAtCode(c, email)
}

// startAtCode has CopperX email a code and starts the login at the code
// step ("/login <email>", Request a new code); an email CopperX refuses
// starts it at the email step instead.
func (a *Auth) startAtCode(c *kernel.Ctx, email string) error {
	sid, outcome, err := a.requestCode(c, email, false)
	switch {
	case err != nil:
		return err
	case outcome == codeLimited:
		return nil
	case outcome == codeRejected:
		return c.StartFlow(flowLogin, login{})
	}
	if err := c.StartFlow(flowLogin, login{Email: email}, stepCode); err != nil {
		return err
	}
	return c.SetFlowSecret(secretSID, sid)
}

// askEmail asks for the email address of the CopperX account.
func (a *Auth) askEmail(c *kernel.Ctx, _ *login) error {
	_, err := c.Say("auth.email.prompt", nil, nil)
	return err
}

// takeEmail checks the typed email and has CopperX email it a code.
func (a *Auth) takeEmail(c *kernel.Ctx, d *login) (kernel.Move, error) {
	email, ok, err := a.readEmail(c, c.Text())
	if err != nil || !ok {
		return kernel.Stay, err
	}
	sid, outcome, err := a.requestCode(c, email, false)
	switch {
	case err != nil:
		return kernel.Stay, err
	case outcome == codeLimited:
		return kernel.Done, nil // told to send /login again later
	case outcome == codeRejected:
		return kernel.Stay, nil
	}
	if err := c.SetFlowSecret(secretSID, sid); err != nil {
		return kernel.Stay, err
	}
	*d = login{Email: email}
	return kernel.Next(stepCode), nil
}

// readEmail reads typed text as an email address. When it is not one, the
// user is told why and ok is false; a login code typed where the email
// belongs (the login restarted after the code was sent) is deleted from
// the chat first.
func (a *Auth) readEmail(c *kernel.Ctx, typed string) (email string, ok bool, err error) {
	if _, err := parseOTP(typed); err == nil {
		_ = c.Delete(c.MessageID()) // best effort: the code must not linger in the chat
		_, err = c.Say("auth.email.code_first", nil, nil)
		return "", false, err
	}
	email, err = parseEmail(typed)
	switch {
	case errors.Is(err, errEmailLong):
		_, err = c.Say("auth.email.too_long", map[string]any{"max": maxEmail}, nil)
		return "", false, err
	case err != nil:
		_, err = c.Say("auth.email.invalid", nil, nil)
		return "", false, err
	}
	return email, true, nil
}

// codeOutcome is how asking CopperX for a login code ended.
type codeOutcome int

const (
	codeSent     codeOutcome = iota
	codeLimited              // too many codes asked for: the user was told when to try again
	codeRejected             // CopperX refused the email: the user was told
)

// requestCode asks CopperX to email a login code to email, within the otp
// limit, and returns the session id that goes with the code. resending
// words a refusal for a user whose last code still works.
func (a *Auth) requestCode(c *kernel.Ctx, email string, resending bool) (secret.Secret, codeOutcome, error) {
	allowed, wait, err := c.Allow(LimitOTP)
	if err != nil {
		return secret.Secret{}, codeSent, err
	}
	if !allowed {
		return secret.Secret{}, codeLimited, a.sayLimited(c, wait, resending)
	}
	otp, err := a.api.RequestEmailOTP(c, email)
	switch {
	case errors.Is(err, copperx.ErrValidation):
		_, err = c.Say("auth.email.rejected", map[string]any{"email": email}, nil)
		return secret.Secret{}, codeRejected, err
	case errors.Is(err, copperx.ErrRateLimited):
		var apiErr *copperx.Error
		wait = 0
		if errors.As(err, &apiErr) {
			wait = apiErr.RetryAfter
		}
		return secret.Secret{}, codeLimited, a.sayLimited(c, wait, resending)
	case err != nil:
		return secret.Secret{}, codeSent, fmt.Errorf("request email otp: %w", err)
	}
	if err := c.Set(keyLoginEmail, email); err != nil {
		return secret.Secret{}, codeSent, err
	}
	return secret.New(otp.SID), codeSent, nil
}

// sayLimited tells a user who asked for too many codes when to try again.
func (a *Auth) sayLimited(c *kernel.Ctx, wait time.Duration, resending bool) error {
	if wait <= 0 {
		wait = time.Minute // CopperX did not say: a minute is a fair guess
	}
	key := "auth.code.limited" // "... and send /login again"
	if resending {
		key = "auth.code.limited_keep" // "... the last code I sent still works"
	}
	_, err := c.Say(key, map[string]any{"wait": c.FormatDuration(wait)}, nil)
	return err
}

// askCode says where the code went, with a Resend button.
func (a *Auth) askCode(c *kernel.Ctx, d *login) error {
	key := "auth.code.sent"
	if d.Resent {
		key = "auth.code.resent"
	}
	kb := kernel.NewKeyboard().Row(c.Tap("auth.code.resend_button", "resend"))
	_, err := c.Say(key, map[string]any{"email": maskEmail(d.Email)}, kb)
	return err
}

// resend has CopperX email another code; the code step asks again.
func (a *Auth) resend(c *kernel.Ctx, d *login) (kernel.Move, error) {
	backToEmail := func() (kernel.Move, error) {
		_ = c.RemoveButtons(c.MessageID()) // the email step has no buttons
		return kernel.Next(stepEmail), nil
	}
	if d.Email == "" {
		return backToEmail()
	}
	sid, outcome, err := a.requestCode(c, d.Email, true)
	switch {
	case err != nil:
		return kernel.Stay, err
	case outcome == codeLimited:
		return kernel.Stay, nil // the last code still works
	case outcome == codeRejected:
		return backToEmail()
	}
	if err := c.SetFlowSecret(secretSID, sid); err != nil {
		return kernel.Stay, err
	}
	d.WrongCodes, d.Resent = 0, true
	return kernel.Next(stepCode), nil
}

// takeCode deletes the message holding the code, then checks the code.
func (a *Auth) takeCode(c *kernel.Ctx, d *login) (kernel.Move, error) {
	_ = c.Delete(c.MessageID()) // best effort: the code must not linger in the chat
	code, err := parseOTP(c.Text())
	if err != nil {
		_, err = c.Say("auth.code.invalid", map[string]any{"min": minOTP, "max": maxOTP}, nil)
		return kernel.Stay, err
	}
	sid := c.FlowSecret(secretSID).Reveal()
	if d.Email == "" || sid == "" {
		return a.endLogin(c, "auth.code.expired")
	}
	granted, err := a.api.AuthenticateEmailOTP(c, d.Email, code, sid)
	var apiErr *copperx.Error
	switch {
	case err == nil:
		// finishLogin ends the flow itself before it resumes the blocked
		// command, which may start a flow of its own: Done would end that
		// one, Stay leaves it be.
		return kernel.Stay, a.finishLogin(c, d.Email, granted)
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		return a.wrongCode(c, d)
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden:
		return a.endLogin(c, "auth.code.too_many")
	case errors.Is(err, copperx.ErrValidation), errors.Is(err, copperx.ErrNotFound):
		return a.endLogin(c, "auth.code.expired")
	}
	return kernel.Stay, fmt.Errorf("authenticate email otp: %w", err)
}

// wrongCode counts a wrong code: the tries left, or the end of the login.
func (a *Auth) wrongCode(c *kernel.Ctx, d *login) (kernel.Move, error) {
	d.WrongCodes++
	if d.WrongCodes >= a.cfg.OTPAttempts {
		return a.endLogin(c, "auth.code.too_many")
	}
	left := a.cfg.OTPAttempts - d.WrongCodes
	kb := kernel.NewKeyboard().Row(c.Tap("auth.code.resend_button", "resend"))
	_, err := c.Send(c.Plural("auth.code.wrong", left, map[string]any{"left": left}), kb)
	return kernel.Stay, err
}

// endLogin ends the login with a message and a "Request a new code"
// button (too many wrong codes, an expired code).
func (a *Auth) endLogin(c *kernel.Ctx, key string) (kernel.Move, error) {
	c.EndFlow() // whatever the reply does, this login is over
	kb := kernel.NewKeyboard().Row(c.Button("auth.code.new_button", "again"))
	_, err := c.Say(key, nil, kb)
	return kernel.Done, err
}

// newCode is Request a new code, after a login ended: it sends a code to
// the last email and starts the login at the code step (or over, when the
// email is no longer known).
func (a *Auth) newCode(c *kernel.Ctx) error {
	_ = c.RemoveButtons(c.MessageID())
	if a.livePrincipal(c) != nil {
		return a.login(c)
	}
	var email string
	if !c.Get(keyLoginEmail, &email) || email == "" {
		return c.StartFlow(flowLogin, login{})
	}
	return a.startAtCode(c, email)
}

// logInButton is the Log in button under a refusal: /login, from a tap.
func (a *Auth) logInButton(c *kernel.Ctx) error {
	_ = c.RemoveButtons(c.MessageID())
	return a.login(c)
}

// switchAccount starts a fresh login while someone is logged in; the
// current login stays until the new one succeeds.
func (a *Auth) switchAccount(c *kernel.Ctx) error {
	_ = c.RemoveButtons(c.MessageID())
	return c.StartFlow(flowLogin, login{})
}

// keepAccount leaves the current login as it is.
func (a *Auth) keepAccount(c *kernel.Ctx) error {
	p := a.livePrincipal(c)
	if p == nil {
		return kernel.ErrStaleCallback
	}
	_, err := c.Show(c.T("auth.login.kept", map[string]any{"name": p.Name, "email": p.Email}), nil)
	return err
}

// finishLogin ends the login flow, loads the profile and KYC status,
// stores the principal, welcomes the user and resumes the command a guard
// blocked. The flow ends first, so the resumed command may start its own.
func (a *Auth) finishLogin(c *kernel.Ctx, email string, granted *copperx.AuthResponse) error {
	c.EndFlow()
	accessToken := granted.AccessToken
	me, err := a.api.Me(c, accessToken)
	if err != nil {
		return fmt.Errorf("load profile: %w", err)
	}
	kycStatus, err := a.api.KYCStatus(c, accessToken)
	if err != nil {
		return fmt.Errorf("load kyc status: %w", err)
	}
	expires := granted.ExpireAt
	if expires.IsZero() {
		expires = c.Now().Add(24 * time.Hour)
	}
	p := &kernel.Principal{
		UserID: me.ID, OrgID: me.OrganizationID, Email: me.Email, Name: displayName(me, email),
		Token: secret.New(accessToken.Reveal()), ExpiresAt: expires,
		Attrs: map[string]string{
			AttrKYC: kycStatus, AttrKYCChecked: c.Now().UTC().Format(time.RFC3339),
			AttrRole: me.Role, AttrAccountType: me.Type,
			AttrWalletAddress: me.WalletAddress, AttrWalletID: me.WalletID,
		},
	}
	if p.Email == "" {
		p.Email = email
	}
	var blocked blockedCommand
	hasBlocked := c.Get(keyBlockedCommand, &blocked)
	if old := c.Principal(); old != nil && old.UserID != p.UserID {
		// Another account: nothing of the old one may stay behind.
		a.revoke(c, old)
		c.ResetSession()
		if err := kernel.Emit(c, kernel.LoggedOut{Principal: old, Reason: kernel.LogoutSwitch}); err != nil {
			return err
		}
	}
	c.Del(keyLoginEmail)
	c.Del(keyBlockedCommand)
	c.SetPrincipal(p)
	c.Log.Info("logged in", "user_id", p.UserID, "org_id", p.OrgID)
	if err := kernel.Emit(c, kernel.LoggedIn{Principal: p}); err != nil {
		return err
	}
	if _, err := c.Send(a.welcome(c, p), a.menu(c, p.Attrs[AttrKYC])); err != nil {
		return err
	}
	if hasBlocked && blocked.Action != "" && c.Now().Sub(blocked.At) <= a.cfg.ResumeWithin {
		c.Log.Info("resuming blocked command", "action", blocked.Action)
		return c.Invoke(blocked.Action, blocked.Args)
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

// menu is the buttons under the welcome: the configured actions, two a
// row, each labelled with the description of the command bound to it
// (an action no enabled command binds is left out). Until KYC is
// approved, the actions behind the auth.kyc guard give way to a button
// that completes the verification, so no button leads to a refusal.
func (a *Auth) menu(c *kernel.Ctx, kycStatus string) *kernel.Keyboard {
	approved := kycStatus == copperx.KYCApproved
	var buttons []kernel.Button
	for _, action := range a.cfg.Menu {
		if !approved && c.Needs(action, GuardKYC) {
			continue
		}
		command := strings.TrimPrefix(c.CommandFor(action), "/")
		if command == "" {
			continue
		}
		if b, ok := c.ActionButton("commands."+command, action); ok {
			buttons = append(buttons, b)
		}
	}
	kb := kernel.NewKeyboard().Grid(2, buttons...)
	if !approved {
		kb.Row(c.URLButton("auth.kyc.button", a.cfg.KYCURL))
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
