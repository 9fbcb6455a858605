// Package plugintest helps plugin tests that need a logged-in user without
// depending on plugins/auth: FakeAuth provides the "auth" and "kyc" guards
// and logs a user in with a token issued by the CopperX emulator.
package plugintest

import (
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// Config enables FakeAuth and binds /fakelogin; append plugin blocks and
// commands after it (it ends inside the commands list).
const Config = `
plugins:
  auth: {enabled: true}
commands:
  - {name: fakelogin, action: auth.login}
`

// Locale holds FakeAuth's strings, for kerneltest.Options.ExtraLocales["en"].
const Locale = `
commands:
  fakelogin: "Log in (test)"
plugintest:
  login_required: "Please log in first (test guard)."
  kyc_required: "KYC not approved (test guard)."
  logged_in: "Logged in (test)."
`

// FakeAuth is a stand-in for plugins/auth in other plugins' tests.
type FakeAuth struct{}

// Name implements kernel.Plugin.
func (FakeAuth) Name() string { return "auth" }

// Setup implements kernel.Plugin: "/fakelogin <token> [kyc-status] [org-id]"
// sets the principal; guard "auth" needs one, guard "kyc" needs
// Attrs["kyc"] == "approved".
func (FakeAuth) Setup(r *kernel.Registrar) error {
	r.Action("login", func(c *kernel.Ctx) error {
		args := c.Args()
		if len(args) == 0 {
			return kernel.Fail("plugintest.login_required", nil)
		}
		kyc, org := "approved", "org-1"
		if len(args) > 1 {
			kyc = args[1]
		}
		if len(args) > 2 {
			org = args[2]
		}
		c.SetPrincipal(&kernel.Principal{
			UserID: "user-1", OrgID: org, Email: "ada@example.com", Name: "Ada Lovelace",
			Token: secret.New(args[0]), ExpiresAt: c.Now().Add(24 * time.Hour),
			Attrs: map[string]string{"kyc": strings.ToLower(kyc)},
		})
		_, err := c.Say("plugintest.logged_in", nil, nil)
		return err
	})
	r.Guard("auth", func(c *kernel.Ctx) (bool, error) {
		if p := c.Principal(); p != nil && c.Now().Before(p.ExpiresAt) {
			return true, nil
		}
		_, err := c.Say("plugintest.login_required", nil, nil)
		return false, err
	})
	r.Guard("kyc", func(c *kernel.Ctx) (bool, error) {
		if p := c.Principal(); p != nil && p.Attrs["kyc"] == "approved" {
			return true, nil
		}
		_, err := c.Say("plugintest.kyc_required", nil, nil)
		return false, err
	})
	return nil
}
