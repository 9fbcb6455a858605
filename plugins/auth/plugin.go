// Package auth is the gate to everything: a person logs in to CopperX from
// Telegram with their email and a one-time code, sees who they are and their
// KYC status, and logs out. It provides the guards other plugins name,
// "auth" (logged in, token alive) and "auth.kyc" (KYC approved), remembers
// the command a guard blocked and runs it after the login, and turns any
// 401/403 from the API, in any plugin, into "please log in again" and
// CopperX not answering (5xx, 429, no answer), in any plugin, into one
// "CopperX is not answering right now". /start says who is logged in.
//
// Events: kernel.LoggedIn after a login; kernel.LoggedOut whenever a login
// ends: a logout (kernel.LogoutAsked), a switch to another account
// (LogoutSwitch), an expired token dropped by a guard (LogoutExpired) or a
// token the API refused (LogoutRefused).
package auth

import (
	"fmt"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
)

// Names other plugins and config refer to.
const (
	// GuardAuth passes when the user is logged in with a live token.
	GuardAuth = "auth"
	// GuardKYC passes when the logged-in user's KYC/KYB is approved.
	GuardKYC = "auth.kyc"
	// LimitOTP is the rate limit on emailed codes, first and resent
	// (rate_limits.auth.otp in config).
	LimitOTP = "otp"

	// Principal.Attrs keys set by this plugin.
	AttrKYC           = "kyc"
	AttrKYCChecked    = "kyc_checked" // RFC 3339
	AttrRole          = "role"
	AttrAccountType   = "account_type"
	AttrWalletAddress = "wallet_address"
	AttrWalletID      = "wallet_id"
)

// Session values, the login flow and its secret.
const (
	keyBlockedCommand = "auth.pending"      // the command a guard blocked, run after the login
	keyLoginEmail     = "auth.login_email"  // the email of the last code sent, for "Request a new code"
	keyCodeSentAt     = "auth.code_sent_at" // when the last code was emailed: a code typed after the login ended is still deleted
	flowLogin         = "login"
	stepEmail         = "email"
	stepCode          = "code"
	secretSID         = "sid" // the login's CopperX session id, a flow secret
)

// Auth is the auth plugin.
type Auth struct {
	api *copperx.Client
	cfg Config
}

// New builds the plugin around the CopperX client.
func New(api *copperx.Client) *Auth { return &Auth{api: api} }

// Name implements kernel.Plugin.
func (a *Auth) Name() string { return "auth" }

// Setup implements kernel.Plugin.
func (a *Auth) Setup(r *kernel.Registrar) error {
	if a.api == nil {
		return fmt.Errorf("auth: no CopperX client")
	}
	a.cfg = DefaultConfig()
	if err := r.Config(&a.cfg); err != nil {
		return err
	}
	r.ConfigLinks("menu", a.cfg.Menu)
	r.RateLimit(LimitOTP, ratelimit.Limit{Rate: 3, Period: 10 * time.Minute, Burst: 3})

	// Menus offer Log in to whoever is logged out, Log out to whoever is in.
	r.Action("login", a.login, kernel.Private(), kernel.Offer(func(c *kernel.Ctx) bool { return a.livePrincipal(c) == nil }))
	r.Action("logout", a.logout, kernel.Private(), kernel.Offer(func(c *kernel.Ctx) bool { return a.livePrincipal(c) != nil }))
	r.Action("profile", a.profile, kernel.Private(), kernel.Guard(GuardAuth))
	r.Action("kyc", a.kyc, kernel.Private(), kernel.Guard(GuardAuth))

	r.Flow(flowLogin, kernel.Flow[login]{Version: 2, Steps: []kernel.Step[login]{
		{Name: stepEmail, Ask: a.askEmail, Text: a.takeEmail},
		{Name: stepCode, Ask: a.askCode, Text: a.takeCode, Tap: kernel.Taps[login]{"resend": a.resend}},
	}}, kernel.Private())

	r.Callback("again", a.newCode, kernel.Private())
	r.Callback("start", a.logInButton, kernel.Private())
	r.Callback("switch", a.switchAccount, kernel.Private())
	r.Callback("keep", a.keepAccount, kernel.Private())
	r.Callback("logout", a.confirmLogout, kernel.Private())

	r.Guard(GuardAuth, a.guardAuth, kernel.Quietly(a.loggedIn))
	r.Guard(GuardKYC, a.guardKYC, kernel.Quietly(a.kycLikely))
	r.OnError(a.onError)
	r.Home(a.home)
	r.StrayText(a.lateCode)
	return nil
}

var _ kernel.Plugin = (*Auth)(nil)
