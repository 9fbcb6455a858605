package payees_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/payees"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// buildWith builds a kernel with FakeAuth, the payees plugin with the
// plugins.payees block given and the transfer stub, and returns its error.
func buildWith(t *testing.T, api *copperx.Client, block string, env ...string) error {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, "plugins: {auth: {enabled: true}, payees: "+block+"}")
	if err != nil {
		t.Fatal(err)
	}
	locale, err := plugintest.MergeYAML(plugintest.Locale, stubLocale["en"])
	if err != nil {
		t.Fatal(err)
	}
	_, err = kerneltest.Build(t, kerneltest.Options{
		Config:       config,
		Env:          env,
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, payees.New(api), transferStub{}},
		ExtraLocales: map[string]string{"en": locale},
	})
	return err
}

// client is a CopperX client nothing calls (Setup does no I/O).
func client(t *testing.T) *copperx.Client {
	t.Helper()
	api, err := copperx.New(copperx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name, block string
		env         []string
		wantErr     []string // nil = valid
	}{
		{"defaults", "{enabled: true}", nil, nil},
		{"all keys", "{enabled: true, page_size: 10, nickname_max: 64}", nil, nil},
		{"smallest", "{enabled: true, page_size: 1, nickname_max: 1}", nil, nil},
		{"page too small", "{enabled: true, page_size: 0}", nil, []string{"config: plugins.payees.page_size: must be between 1 and 10"}},
		{"page too large", "{enabled: true, page_size: 11}", nil, []string{"config: plugins.payees.page_size: must be between 1 and 10"}},
		{"nickname too short", "{enabled: true, nickname_max: 0}", nil, []string{"config: plugins.payees.nickname_max: must be between 1 and 64 characters"}},
		{"nickname too long", "{enabled: true, nickname_max: 65}", nil, []string{"config: plugins.payees.nickname_max: must be between 1 and 64"}},
		{"two bad keys, one line each", "{enabled: true, page_size: 0, nickname_max: 0}", nil,
			[]string{"config: plugins.payees.page_size: must be", "\nconfig: plugins.payees.nickname_max: must be"}},
		{"unknown key", "{enabled: true, page_sise: 5}", nil, []string{"plugins.payees.page_sise"}},
		{"wrong type", "{enabled: true, page_size: many}", nil, []string{"plugins.payees.page_size"}},
		{"env override checked", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__PAYEES__PAGE_SIZE=50"}, []string{"config: plugins.payees.page_size: must be between"}},
		{"env override valid", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__PAYEES__NICKNAME_MAX=16"}, nil},
		{"write limit overridable", "{enabled: true}", []string{"COPPERX_BOT_RATE_LIMITS__PAYEES__WRITE__RATE=5", "COPPERX_BOT_RATE_LIMITS__PAYEES__WRITE__PERIOD=1m", "COPPERX_BOT_RATE_LIMITS__PAYEES__WRITE__BURST=3"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := buildWith(t, client(t), tc.block, tc.env...)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			for _, want := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error = %v, want it to contain %q", err, want)
				}
			}
		})
	}
}

// TestValidateNamesKeysRelative: Validate names keys relative to
// plugins.payees, for the kernel to prefix.
func TestValidateNamesKeysRelative(t *testing.T) {
	cfg := payees.DefaultConfig()
	cfg.PageSize, cfg.NicknameMax = 0, 100
	err := cfg.Validate()
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *kernel.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a kernel.ConfigError", e)
		}
		keys = append(keys, ce.Key)
	}
	if strings.Join(keys, " ") != "page_size nickname_max" {
		t.Fatalf("keys = %q", keys)
	}
	if err := payees.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if d := payees.DefaultConfig(); d.PageSize != 8 || d.NicknameMax != 32 {
		t.Fatalf("defaults = %+v, want page size 8 and nicknames of 32", d)
	}
}

// TestShippedConfig decodes the plugins.payees block of the repository's
// config.yaml strictly, and checks it binds the commands and documents the
// write limit.
func TestShippedConfig(t *testing.T) {
	cfg := kernel.DefaultConfig()
	var rest map[string]any
	err := kernel.LoadConfig(kernel.Source{Path: "../../config.yaml", Environ: []string{}}, &cfg,
		map[string]any{"copperx": &rest, "sandbox": &rest, "networks": &rest})
	if err != nil {
		t.Fatal(err)
	}
	block, ok := cfg.Plugins["payees"]
	if !ok {
		t.Fatal("config.yaml has no plugins.payees block")
	}
	for _, key := range []string{"page_size", "nickname_max"} {
		if _, ok := block[key]; !ok {
			t.Errorf("config.yaml does not document plugins.payees.%s", key)
		}
	}
	if _, ok := cfg.RateLimits["payees.write"]; !ok {
		t.Error("config.yaml does not document rate_limits.payees.write")
	}
	bound := map[string]bool{}
	for _, c := range cfg.Commands {
		bound[c.Action] = true
	}
	for _, action := range []string{"payees.list", "payees.add"} {
		if !bound[action] {
			t.Errorf("config.yaml binds no command to %s", action)
		}
	}
	js, err := json.Marshal(block) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	if err := buildWith(t, client(t), string(js)); err != nil {
		t.Fatal(err)
	}
}

func TestSetupWithoutClient(t *testing.T) {
	if err := buildWith(t, nil, "{enabled: true}"); err == nil || !strings.Contains(err.Error(), "no CopperX client") {
		t.Fatalf("err = %v", err)
	}
}
