package auth_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/auth"
)

// shippedBlock is plugins.auth of the shipped config.yaml, as one line.
func shippedBlock(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Plugins map[string]map[string]any `yaml:"plugins"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc.Plugins["auth"])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConfigDecoding builds a kernel with plugins.auth as given: the
// kernel decodes it strictly, Validate's keys come out under
// plugins.auth, and the menu's actions are checked as links.
func TestConfigDecoding(t *testing.T) {
	api, err := copperx.New(copperx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	build := func(block string, env ...string) error {
		_, err := kerneltest.Build(t, kerneltest.Options{
			Config: "plugins:\n  auth: " + block + "\ncommands:\n  - {name: login, action: auth.login}\n",
			// The menu's actions belong to these (disabled here).
			Plugins: []kernel.Plugin{auth.New(api), absentPlugin("wallet"), absentPlugin("transfer")},
			Env:     env,
		})
		return err
	}
	for _, tc := range []struct {
		name, block string
		env         []string
		want        string
	}{
		{"shipped", shippedBlock(t), nil, ""},
		{"defaults", "{enabled: true}", nil, ""},
		{"unknown key", "{enabled: true, otp_attemps: 3}", nil, "config: plugins.auth.otp_attemps: unknown key"},
		{"wrong type", "{enabled: true, kyc_refresh: soon}", nil, "config: plugins.auth.kyc_refresh"},
		{"bad value", "{enabled: true, otp_attempts: 0}", nil, "config: plugins.auth.otp_attempts: must be between 1 and 10"},
		{"env override", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__AUTH__OTP_ATTEMPTS=0"}, "config: plugins.auth.otp_attempts: must be between 1 and 10"},
		{"menu of commands", "{enabled: true, menu: [balance, send]}", nil, `config: plugins.auth.menu: "balance" is not an action`},
		{"menu action unknown", "{enabled: true, menu: [auth.nosuch]}", nil, `config: plugins.auth.menu: links to unknown action "auth.nosuch"`},
		{"menu plugin unknown", "{enabled: true, menu: [nosuch.balance]}", nil, `config: plugins.auth.menu: links to unknown action "nosuch.balance"`},
		{"menu own action", "{enabled: true, menu: [auth.profile]}", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := build(tc.block, tc.env...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}
