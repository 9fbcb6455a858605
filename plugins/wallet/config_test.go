package wallet_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

// buildWith builds a kernel with FakeAuth, the wallet plugin with the
// plugins.wallet block given and the transfer stub, and returns its error.
func buildWith(t *testing.T, api *copperx.Client, block string, env ...string) error {
	t.Helper()
	config := testConfig
	for _, over := range []string{sendCommand, "plugins: {auth: {enabled: true}, wallet: " + block + "}"} {
		var err error
		if config, err = plugintest.MergeYAML(config, over); err != nil {
			t.Fatal(err)
		}
	}
	locale, err := plugintest.MergeYAML(plugintest.Locale, stubLocale)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kerneltest.Build(t, kerneltest.Options{
		Config:       config,
		Env:          env,
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, wallet.New(api, nil), transferStub{}},
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
		{"all keys", "{enabled: true, deposit_token: USDT, qr_size: 1024, show_testnets: true, home_timeout: 500ms}", nil, nil},
		{"home timeout too short", "{enabled: true, home_timeout: 10ms}", nil, []string{"config: plugins.wallet.home_timeout: must be between 100ms and 10s"}},
		{"home timeout too long", "{enabled: true, home_timeout: 1m}", nil, []string{"config: plugins.wallet.home_timeout: must be between 100ms and 10s"}},
		{"home timeout without a unit", "{enabled: true, home_timeout: 2}", nil, []string{"plugins.wallet.home_timeout"}},
		{"qr too small", "{enabled: true, qr_size: 64}", nil, []string{"config: plugins.wallet.qr_size: must be between 128 and 2048 pixels"}},
		{"qr too large", "{enabled: true, qr_size: 4096}", nil, []string{"config: plugins.wallet.qr_size: must be between 128 and 2048 pixels"}},
		{"lower-case token", "{enabled: true, deposit_token: usdc}", nil, []string{"config: plugins.wallet.deposit_token: must be a token symbol"}},
		{"empty token", `{enabled: true, deposit_token: ""}`, nil, []string{"config: plugins.wallet.deposit_token: must be a token symbol"}},
		{"two bad keys, one line each", "{enabled: true, deposit_token: usdc, qr_size: 64}", nil,
			[]string{"config: plugins.wallet.deposit_token: must be", "\nconfig: plugins.wallet.qr_size: must be"}},
		{"unknown key", "{enabled: true, qr_sise: 300}", nil, []string{"plugins.wallet.qr_sise"}},
		{"wrong type", "{enabled: true, qr_size: big}", nil, []string{"plugins.wallet.qr_size"}},
		{"not a boolean", "{enabled: true, show_testnets: maybe}", nil, []string{"plugins.wallet.show_testnets"}},
		{"env override checked", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__WALLET__QR_SIZE=5"}, []string{"config: plugins.wallet.qr_size: must be between"}},
		{"env override valid", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__WALLET__SHOW_TESTNETS=true"}, nil},
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
// plugins.wallet, for the kernel to prefix.
func TestValidateNamesKeysRelative(t *testing.T) {
	cfg := wallet.DefaultConfig()
	cfg.DepositToken, cfg.QRSize = "usdc", 64
	err := cfg.Validate()
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *kernel.ConfigError
		if !errors.As(e, &ce) {
			t.Fatalf("%v is not a kernel.ConfigError", e)
		}
		keys = append(keys, ce.Key)
	}
	if strings.Join(keys, " ") != "deposit_token qr_size" {
		t.Fatalf("keys = %q", keys)
	}
	if err := wallet.DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// TestShippedConfigBlock decodes the plugins.wallet block of the
// repository's config.yaml strictly.
func TestShippedConfigBlock(t *testing.T) {
	cfg := kernel.DefaultConfig()
	var rest map[string]any
	err := kernel.LoadConfig(kernel.Source{Path: "../../config.yaml", Environ: []string{}}, &cfg,
		map[string]any{"copperx": &rest, "sandbox": &rest, "networks": &rest})
	if err != nil {
		t.Fatal(err)
	}
	block, ok := cfg.Plugins["wallet"]
	if !ok {
		t.Fatal("config.yaml has no plugins.wallet block")
	}
	for _, key := range []string{"deposit_token", "qr_size", "show_testnets"} {
		if _, ok := block[key]; !ok {
			t.Errorf("config.yaml does not document plugins.wallet.%s", key)
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
