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
	case outcome == codeRejected, outcome == codeUnavailable:
		return c.StartFlow(flowLogin, login{}) // told why; the email again
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
	case outcome == codeRejected, outcome == codeUnavailable:
		return kernel.Stay, nil // told why; they may type the email again
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
	codeSent        codeOutcome = iota
	codeLimited                 // too many codes asked for: the user was told when to try again
	codeRejected                // CopperX refused the email: the user was told why
	codeUnavailable             // CopperX did not answer: the user was told to try again shortly
)

// requestCode asks CopperX to email a login code to email, within the otp
// limit, and returns the session id that goes with the code. resending
// (the Resend button: the last code still works) answers a cooldown or
// CopperX not answering with a notice on the button, not a message.
func (a *Auth) requestCode(c *kernel.Ctx, email string, resending bool) (secret.Secret, codeOutcome, error) {
	allowed, wait, err := c.Allow(LimitOTP)
	if err != nil {
		return secret.Secret{}, codeSent, err
	}
	if !allowed {
		return secret.Secret{}, codeLimited, a.sayLimited(c, wait, resending)
	}
	otp, err := a.api.RequestEmailOTP(c, email)
	if err != nil {
		outcome, err := a.noCode(c, email, err, resending)
		return secret.Secret{}, outcome, err
	}
	if err := c.Set(keyLoginEmail, email); err != nil {
		return secret.Secret{}, codeSent, err
	}
	if err := c.Set(keyCodeSentAt, c.Now()); err != nil {
		return secret.Secret{}, codeSent, err
	}
	return secret.New(otp.SID), codeSent, nil
}

// noCode tells the user why CopperX sent no code, inside the login: too
// many codes asked for; CopperX not answering; or CopperX refusing the
// email — a 400/422 as "not an email address", any other 4xx (401 and
// 403 included: nobody is logged in here, so no session "ended") with the
// API's own reason. Every refusal is logged with the API's message (the
// client redacts secrets from it). Anything else is returned.
func (a *Auth) noCode(c *kernel.Ctx, email string, err error, resending bool) (codeOutcome, error) {
	var apiErr *copperx.Error
	switch {
	case errors.Is(err, copperx.ErrRateLimited):
		var wait time.Duration
		if errors.As(err, &apiErr) {
			wait = apiErr.RetryAfter
		}
		return codeLimited, a.sayLimited(c, wait, resending)
	case copperx.Unavailable(err):
		c.Log.Warn("copperx is not answering the login code request", "err", err)
		if resending {
			c.Answer(c.T("auth.code.unavailable_keep", nil), false)
			return codeUnavailable, nil
		}
		_, err := c.Say("auth.email.unavailable", nil, nil)
		return codeUnavailable, err
	case !errors.As(err, &apiErr) || apiErr.Status < 400 || apiErr.Status > 499:
		return codeSent, fmt.Errorf("request email otp: %w", err)
	}
	c.Log.Info("copperx refused the login code request", "status", apiErr.Status,
		"reason", apiErr.Reason(), "api_message", apiErr.Message)
	if errors.Is(err, copperx.ErrValidation) {
		_, err := c.Say("auth.email.rejected", map[string]any{"email": email}, nil)
		return codeRejected, err
	}
	reason := refusalText(apiErr)
	if reason == "" {
		_, err := c.Say("auth.email.refused_plain", map[string]any{"email": email}, nil)
		return codeRejected, err
	}
	_, err = c.Say("auth.email.refused", map[string]any{"email": email, "reason": reason}, nil)
	return codeRejected, err
}

// maxReason is how much of CopperX's reason a refusal quotes.
const maxReason = 200

// refusalText is CopperX's reason for a refusal as the user may read it:
// its message, shortened; "" when the API said nothing but the status
// ("Forbidden").
func refusalText(e *copperx.Error) string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" || strings.EqualFold(msg, http.StatusText(e.Status)) || strings.EqualFold(msg, e.Code()) {
		return ""
	}
	if r := []rune(msg); len(r) > maxReason {
		msg = string(r[:maxReason-1]) + "…"
	}
	return msg
}

// sayLimited tells a user who asked for too many codes when to try again:
// a notice on the Resend button (the prompt and the last code stay), else
// a message.
func (a *Auth) sayLimited(c *kernel.Ctx, wait time.Duration, resending bool) error {
	if wait <= 0 {
		wait = time.Minute // CopperX did not say: a minute is a fair guess
	}
	data := map[string]any{"wait": c.FormatDuration(wait)}
	if resending {
		c.Answer(c.T("auth.code.limited_keep", data), false) // a toast: "... the last code I sent still works"
		return nil
	}
	_, err := c.Say("auth.code.limited", data, nil) // "... and send /login again"
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
	case outcome == codeLimited, outcome == codeUnavailable:
		return kernel.Stay, nil // told on the button; the last code still works
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
	case copperx.Unavailable(err):
		// Not a wrong code: the same code may be typed again.
		c.Log.Warn("copperx is not answering the login code check", "err", err)
		_, err := c.Say("auth.code.unavailable", nil, nil)
		return kernel.Stay, err
	}
	return kernel.Stay, fmt.Errorf("authenticate email otp: %w", err)
}

// lateCode deletes a login code typed when no login takes it any more
// (cancelled, timed out, stopped after too many wrong codes, interrupted
// by a command) within late_code_for of the last code emailed, and says
// how to log in again, with Request a new code (or Log in when the email
// is not known): the kernel hands it text no flow takes. A successful
// login forgets when the code was sent.
func (a *Auth) lateCode(c *kernel.Ctx) (bool, error) {
	if _, err := parseOTP(c.Text()); err != nil {
		return false, nil
	}
	var sentAt time.Time
	if a.cfg.LateCodeFor <= 0 || !c.Get(keyCodeSentAt, &sentAt) || c.Now().Sub(sentAt) > a.cfg.LateCodeFor {
		return false, nil
	}
	if err := c.Delete(c.MessageID()); err != nil {
		c.Log.Warn("could not delete a late login code", "err", err)
	}
	if p := a.livePrincipal(c); p != nil { // a switch of account given up
		_, err := c.Say("auth.late_code.logged_in", map[string]any{"email": p.Email}, nil)
		return true, err
	}
	kb := a.loginKeyboard(c)
	var email string
	if c.Get(keyLoginEmail, &email) && email != "" {
		kb = kernel.NewKeyboard().Row(c.Button("auth.code.new_button", "again"))
	}
	_, err := c.Say("auth.late_code.ended", nil, kb)
	return true, err
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
	// The code was right: CopperX not answering the two reads after it
	// must not cost the user a new code. The login's own answer stands in
	// for the profile; a KYC status not known yet is asked again by the
	// auth.kyc guard when it matters.
	me, err := a.api.Me(c, accessToken)
	switch {
	case err == nil:
	case copperx.Unavailable(err) && granted.User.ID != "":
		c.Log.Warn("profile unavailable at login; using the login's answer", "err", err)
		me = &granted.User
	default:
		return fmt.Errorf("load profile: %w", err)
	}
	attrs := map[string]string{
		AttrRole: me.Role, AttrAccountType: me.Type,
		AttrWalletAddress: me.WalletAddress, AttrWalletID: me.WalletID,
	}
	kycStatus, err := a.api.KYCStatus(c, accessToken)
	switch {
	case err == nil:
		attrs[AttrKYC], attrs[AttrKYCChecked] = kycStatus, c.Now().UTC().Format(time.RFC3339)
	case copperx.Unavailable(err):
		c.Log.Warn("kyc status unavailable at login; the auth.kyc guard asks again", "err", err)
	default:
		return fmt.Errorf("load kyc status: %w", err)
	}
	expires := granted.ExpireAt
	if expires.IsZero() {
		expires = c.Now().Add(24 * time.Hour)
	}
	p := &kernel.Principal{
		UserID: me.ID, OrgID: me.OrganizationID, Email: me.Email, Name: displayName(me, email),
		Token: secret.New(accessToken.Reveal()), ExpiresAt: expires, Attrs: attrs,
	}
	if p.Email == "" {
		p.Email = email
	}
	var blocked blockedCommand
	hasBlocked := c.Get(keyBlockedCommand, &blocked)
	if old := c.Principal(); old != nil && old.UserID != p.UserID {
		// Another account: nothing of the old one may stay behind. The
		// listeners hear of it before CopperX revokes the token.
		c.ResetSession()
		err := kernel.Emit(c, kernel.LoggedOut{Principal: old, Reason: kernel.LogoutSwitch})
		a.revoke(c, old)
		if err != nil {
			return err
		}
	}
	c.Del(keyLoginEmail)
	c.Del(keyCodeSentAt)
	c.Del(keyBlockedCommand)
	c.SetPrincipal(p)
	c.Log.Info("logged in", "user_id", p.UserID, "org_id", p.OrgID)
	if err := kernel.Emit(c, kernel.LoggedIn{Principal: p}); err != nil {
		return err
	}
	if _, err := c.Send(a.welcome(c, p), a.menu(c, p)); err != nil {
		return err
	}
	if hasBlocked && blocked.Action != "" && c.Now().Sub(blocked.At) <= a.cfg.ResumeWithin {
		c.Log.Info("resuming blocked command", "action", blocked.Action)
		return c.Invoke(blocked.Action, blocked.Args)
	}
	return nil
}

// welcome is the message after a login: the name, the email (never an
// id: the API has no organisation name to show) and the verification.
func (a *Auth) welcome(c *kernel.Ctx, p *kernel.Principal) string {
	text := c.T("auth.welcome.title", map[string]any{"name": p.Name}) + "\n\n" +
		c.T("auth.welcome.email", map[string]any{"email": p.Email}) + "\n"
	status, known := p.Attrs[AttrKYC]
	if !known {
		return text + c.T("auth.welcome.kyc_unknown", nil) + "\n\n" + c.T("auth.welcome.next", nil)
	}
	text += c.T("auth.welcome.kyc", map[string]any{"status": i18n.HTML(c.T(kycStateKey(status), map[string]any{"status": status}))})
	if status == copperx.KYCApproved {
		return text + "\n\n" + c.T("auth.welcome.next", nil)
	}
	return text + "\n\n" + c.T("auth.welcome.next_kyc", nil)
}

// menu is the buttons under the welcome: the configured actions, two a
// row, each labelled with the description of the command bound to it
// (an action no enabled command binds is left out). Until KYC is
// approved, the actions behind the auth.kyc guard give way to a button
// that completes the verification, so no button leads to a refusal (a
// status not known yet is assumed to pass, as the menus of /start do).
func (a *Auth) menu(c *kernel.Ctx, p *kernel.Principal) *kernel.Keyboard {
	status, known := p.Attrs[AttrKYC]
	approved := !known || status == copperx.KYCApproved
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
