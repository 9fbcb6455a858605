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

func TestConfigDecoding(t *testing.T) {
	api, err := copperx.New(copperx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	build := func(block string, env ...string) error {
		_, err := kerneltest.Build(t, kerneltest.Options{
			Config:  "plugins:\n  auth: " + block + "\ncommands:\n  - {name: login, action: auth.login}\n",
			Plugins: []kernel.Plugin{auth.New(api)},
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
		{"unknown key", "{enabled: true, otp_attemps: 3}", nil, "plugins.auth"},
		{"wrong type", "{enabled: true, kyc_refresh: soon}", nil, "plugins.auth"},
		{"bad value", "{enabled: true, otp_attempts: 0}", nil, "plugins.auth.otp_attempts: must be between 1 and 10"},
		{"env override", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__AUTH__OTP_ATTEMPTS=0"}, "plugins.auth.otp_attempts"},
		{"menu without label", "{enabled: true, menu: [nosuch]}", nil, "plugins.auth.menu: no locale key commands.nosuch"},
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

func TestOTPAttemptsFromEnv(t *testing.T) {
	f := newFixture(t, fixtureOpt{env: []string{"COPPERX_BOT_PLUGINS__AUTH__OTP_ATTEMPTS=1"}})
	u := f.h.Private(30)
	u.Send("/login")
	u.Send("ada@example.com")
	u.Send(wrongCode(f.emu.OTP("ada@example.com"))).Expect(t, "Too many wrong codes")
}
