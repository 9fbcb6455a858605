// Package auth is the gate to everything: a person logs in to CopperX from
// Telegram with their email and a one-time code, sees who they are and their
// KYC status, and logs out. It provides the "auth" guard (logged in, token
// alive) and the "kyc" guard (KYC approved) other plugins name, remembers
// the command a guard blocked and runs it after the login, and turns any
// 401/403 from the API, in any plugin, into "please log in again".
//
// Events: "auth.login" (payload *kernel.Principal) after a login,
// "auth.logout" (payload *kernel.Principal, the one gone) after a logout,
// a switch to another user, or when an expired or refused token is dropped.
package auth

import (
	"fmt"
	"log/slog"
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
	GuardKYC = "kyc"
	// EventLogin is emitted after a login with the new *kernel.Principal.
	EventLogin = "auth.login"
	// EventLogout is emitted with the *kernel.Principal that is no longer
	// logged in (logout, account switch, expired or refused token).
	EventLogout = "auth.logout"
	// LimitOTP is the rate limit on emailed codes (initial and resent).
	LimitOTP = "otp"

	// Principal.Attrs keys set by this plugin.
	AttrKYC           = "kyc"
	AttrKYCChecked    = "kyc_checked" // RFC 3339
	AttrRole          = "role"
	AttrAccountType   = "account_type"
	AttrWalletAddress = "wallet_address"
	AttrWalletID      = "wallet_id"
)

// Session values and flow data keys.
const (
	keyPending    = "auth.pending"     // the command a guard blocked
	keyLoginEmail = "auth.login_email" // the email of a login in progress
	flowLogin     = "login"
	stepEmail     = "email"
	stepCode      = "code"
	dataEmail     = "email"
	dataSID       = "sid"
	dataAttempts  = "attempts"
)

// Auth is the auth plugin.
type Auth struct {
	api *copperx.Client
	cfg Config
	log *slog.Logger
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
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	for _, m := range a.cfg.Menu {
		if !r.HasLocaleKey("commands." + m) {
			return fmt.Errorf("plugins.auth.menu: no locale key commands.%s", m)
		}
	}
	a.log = r.Logger()

	r.RateLimit(LimitOTP, ratelimit.Limit{Rate: 3, Period: 10 * time.Minute, Burst: 3})

	r.Action("login", a.login, kernel.Private())
	r.Action("logout", a.logout, kernel.Private())
	r.Action("profile", a.profile, kernel.Private(), kernel.Guard(GuardAuth))
	r.Action("kyc", a.kyc, kernel.Private(), kernel.Guard(GuardAuth))

	r.Flow(flowLogin, kernel.Flow{Version: 1, Steps: map[string]kernel.Step{
		stepEmail: {Text: a.onEmail, Next: []string{stepCode}},
		stepCode:  {Text: a.onCode},
	}})
	r.Callback("resend", a.resend, kernel.Private())
	r.Callback("again", a.again, kernel.Private())
	r.Callback("start", a.startButton, kernel.Private())
	r.Callback("switch", a.switchAccount, kernel.Private())
	r.Callback("keep", a.keep, kernel.Private())
	r.Callback("logout", a.logoutConfirm, kernel.Private())

	r.Guard(GuardAuth, a.guardAuth)
	r.Guard(GuardKYC, a.guardKYC)
	r.OnError(a.onError)
	return nil
}

var _ kernel.Plugin = (*Auth)(nil)
