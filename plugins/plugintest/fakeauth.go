package plugintest

import (
	"crypto/sha256"
	"encoding/hex"

	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// FakeAuth is a stand-in for plugins/auth in other plugins' tests. It
// provides the guards "auth" (logged in) and "auth.kyc" (KYC approved),
// and two actions: "/fakelogin <token> [kyc] [org]" sets the principal and
// emits kernel.LoggedIn (the principal's UserID stands for the CopperX
// account: one per token); "/fakelogout" wipes the session and emits
// kernel.LoggedOut.
type FakeAuth struct{}

// Name implements kernel.Plugin.
func (FakeAuth) Name() string { return "auth" }

// Setup implements kernel.Plugin.
func (FakeAuth) Setup(r *kernel.Registrar) error {
	r.Action("login", func(c *kernel.Ctx) error {
		args := c.Args()
		if len(args) == 0 {
			return kernel.Fail("plugintest.usage", nil)
		}
		kyc, org := "approved", "org-1"
		if len(args) > 1 {
			kyc = args[1]
		}
		if len(args) > 2 {
			org = args[2]
		}
		p := &kernel.Principal{
			UserID: accountID(args[0]), OrgID: org, Email: Email, Name: "Ada Lovelace",
			Token: secret.New(args[0]), ExpiresAt: c.Now().Add(24 * time.Hour),
			Attrs: map[string]string{"kyc": strings.ToLower(kyc)},
		}
		c.SetPrincipal(p)
		if err := kernel.Emit(c, kernel.LoggedIn{Principal: p}); err != nil {
			return err
		}
		_, err := c.Say("plugintest.logged_in", nil, nil)
		return err
	})
	r.Action("logout", func(c *kernel.Ctx) error {
		p := c.Principal()
		c.ResetSession()
		if p != nil {
			if err := kernel.Emit(c, kernel.LoggedOut{Principal: p, Reason: kernel.LogoutAsked}); err != nil {
				return err
			}
		}
		_, err := c.Say("plugintest.logged_out", nil, nil)
		return err
	})
	r.Guard("auth", func(c *kernel.Ctx) (bool, error) {
		if p := c.Principal(); p != nil && c.Now().Before(p.ExpiresAt) {
			return true, nil
		}
		_, err := c.Say("plugintest.login_required", nil, nil)
		return false, err
	})
	r.Guard("auth.kyc", func(c *kernel.Ctx) (bool, error) {
		if p := c.Principal(); p != nil && p.Attrs["kyc"] == "approved" {
			return true, nil
		}
		_, err := c.Say("plugintest.kyc_required", nil, nil)
		return false, err
	})
	return nil
}

// accountID stands for the CopperX user id: one per token, so logging in
// with another user's token is logging in to another account.
func accountID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "user-" + hex.EncodeToString(sum[:4])
}

var _ kernel.Plugin = FakeAuth{}
