package wallet_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

func buildWith(t *testing.T, block string, env ...string) error {
	t.Helper()
	api, err := copperx.New(copperx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, err = kerneltest.Build(t, kerneltest.Options{
		Config:       baseConfig + "  wallet: " + block + "\n",
		Env:          env,
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, wallet.New(api, nil), stub{}},
		ExtraLocales: map[string]string{"en": plugintest.Locale + stubLocale},
	})
	return err
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name, block string
		env         []string
		wantErr     string // "" = valid
	}{
		{"defaults", "{enabled: true}", nil, ""},
		{"all keys", "{enabled: true, deposit_token: USDT, qr_size: 1024, show_testnets: true}", nil, ""},
		{"qr too small", "{enabled: true, qr_size: 64}", nil, "plugins.wallet.qr_size: must be between 128 and 2048 pixels"},
		{"qr too large", "{enabled: true, qr_size: 4096}", nil, "plugins.wallet.qr_size: must be between 128 and 2048 pixels"},
		{"lower-case token", "{enabled: true, deposit_token: usdc}", nil, "plugins.wallet.deposit_token: must be a token symbol"},
		{"empty token", `{enabled: true, deposit_token: ""}`, nil, "plugins.wallet.deposit_token: must be a token symbol"},
		{"unknown key", "{enabled: true, qr_sise: 300}", nil, "qr_sise"},
		{"wrong type", "{enabled: true, qr_size: big}", nil, "qr_size"},
		{"env override checked", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__WALLET__QR_SIZE=5"}, "plugins.wallet.qr_size"},
		{"env override valid", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__WALLET__SHOW_TESTNETS=true"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := buildWith(t, tc.block, tc.env...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
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
	if err := buildWith(t, string(js)); err != nil {
		t.Fatal(err)
	}
}

func TestSetupWithoutClient(t *testing.T) {
	_, err := kerneltest.Build(t, kerneltest.Options{
		Config:       baseConfig + "  wallet: {enabled: true}\n",
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, wallet.New(nil, nil), stub{}},
		ExtraLocales: map[string]string{"en": plugintest.Locale + stubLocale},
	})
	if err == nil || !strings.Contains(err.Error(), "no CopperX client") {
		t.Fatalf("err = %v", err)
	}
}
