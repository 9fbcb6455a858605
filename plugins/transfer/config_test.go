package transfer

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// build builds a kernel with FakeAuth, the plugin and the wallet stub, with
// config merged over testConfig, and returns its error (Setup does no I/O,
// so the plugin needs no CopperX client).
func build(t *testing.T, over string, env ...string) error {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, "plugins: {auth: {enabled: true}}")
	if err == nil {
		config, err = plugintest.MergeYAML(config, over)
	}
	if err != nil {
		t.Fatal(err)
	}
	locale, err := plugintest.MergeYAML(plugintest.Locale, stubLocale)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kerneltest.Build(t, kerneltest.Options{
		Config:       config,
		Env:          env,
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, New(nil, nil), walletStub{}, payeesStub{}},
		ExtraLocales: map[string]string{"en": locale},
	})
	return err
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name, block string
		env         []string
		want        []string // nil: valid
	}{
		{"defaults", "{enabled: true}", nil, nil},
		{"all keys", `{enabled: true, currency: USDC, decimals: 2, max_amount: "5000", send_min: "0.5", send_max: "100", confirm_ttl: 3m,
			result_ttl: 1h, reconcile_skew: 1m, reconcile_attempts: 5, reconcile_interval: 500ms, history_page_size: 20, payees_shown: 5,
			bank_accounts_url: "https://example.com/banks"}`, nil, nil},
		{"no currency", `{enabled: true, currency: ""}`, nil, []string{"config: plugins.transfer.currency: must be set"}},
		{"decimals", "{enabled: true, decimals: 9}", nil, []string{"config: plugins.transfer.decimals: must be between 0 and 8"}},
		{"max_amount zero", `{enabled: true, max_amount: "0"}`, nil, []string{"config: plugins.transfer.max_amount: must be positive"}},
		{"max_amount float", `{enabled: true, max_amount: "1e6"}`, nil, []string{"config: plugins.transfer.max_amount: must be a decimal number"}},
		{"send_max below send_min", `{enabled: true, send_max: "0.5"}`, nil, []string{"config: plugins.transfer.send_max: must not be below send_min"}},
		{"confirm_ttl", "{enabled: true, confirm_ttl: 0s}", nil, []string{"config: plugins.transfer.confirm_ttl: must be positive"}},
		{"confirm_ttl without a unit", "{enabled: true, confirm_ttl: 5}", nil, []string{"plugins.transfer.confirm_ttl"}},
		{"result_ttl", "{enabled: true, result_ttl: 1m}", nil, []string{"config: plugins.transfer.result_ttl: must be at least confirm_ttl"}},
		{"reconcile_skew", "{enabled: true, reconcile_skew: -1s}", nil, []string{"config: plugins.transfer.reconcile_skew: must not be negative"}},
		{"reconcile_attempts", "{enabled: true, reconcile_attempts: 0}", nil, []string{"config: plugins.transfer.reconcile_attempts: must be between 1 and 10"}},
		{"reconcile_interval", "{enabled: true, reconcile_interval: 11s}", nil, []string{"config: plugins.transfer.reconcile_interval: must be between 0 and 10s"}},
		{"history_page_size", "{enabled: true, history_page_size: 0}", nil, []string{"config: plugins.transfer.history_page_size: must be between 1 and 50"}},
		{"payees_shown", "{enabled: true, payees_shown: 51}", nil, []string{"config: plugins.transfer.payees_shown: must be between 1 and 50"}},
		{"bank_accounts_url", `{enabled: true, bank_accounts_url: "http://x"}`, nil, []string{"config: plugins.transfer.bank_accounts_url: must be an https URL"}},
		{"request keys", `{enabled: true, default_purpose: "", reconfirm_above: "0", request_ttl: 24h, request_max_open: 5, request_note_max: 50,
			request_qr_size: 256}`, nil, nil},
		{"default_purpose", `{enabled: true, default_purpose: lunch}`, nil, []string{"config: plugins.transfer.default_purpose: must be empty (ask) or one of self, salary"}},
		{"reconfirm_above", `{enabled: true, reconfirm_above: "-1"}`, nil, []string{"config: plugins.transfer.reconfirm_above: must be a decimal number"}},
		{"reconfirm_above float", `{enabled: true, reconfirm_above: "1e3"}`, nil, []string{"config: plugins.transfer.reconfirm_above: must be a decimal number"}},
		{"request_ttl", `{enabled: true, request_ttl: 30m}`, nil, []string{"config: plugins.transfer.request_ttl: must be between 1h and 2160h"}},
		{"request_ttl without a unit", `{enabled: true, request_ttl: 7}`, nil, []string{"plugins.transfer.request_ttl"}},
		{"request_max_open", `{enabled: true, request_max_open: 0}`, nil, []string{"config: plugins.transfer.request_max_open: must be between 1 and 100"}},
		{"request_note_max", `{enabled: true, request_note_max: 201}`, nil, []string{"config: plugins.transfer.request_note_max: must be between 1 and 200"}},
		{"request_qr_size", `{enabled: true, request_qr_size: 64}`, nil, []string{"config: plugins.transfer.request_qr_size: must be between 128 and 2048"}},
		{"request_ttl env", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__TRANSFER__REQUEST_TTL=10m"}, []string{"config: plugins.transfer.request_ttl: must be between"}},
		{"two bad keys, one line each", `{enabled: true, decimals: 9, payees_shown: 0}`, nil,
			[]string{"config: plugins.transfer.decimals: must be", "\nconfig: plugins.transfer.payees_shown: must be"}},
		{"unknown key", "{enabled: true, currencyy: USDC}", nil, []string{"plugins.transfer.currencyy"}},
		{"wrong type", "{enabled: true, decimals: six}", nil, []string{"plugins.transfer.decimals"}},
		{"env override checked", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__TRANSFER__SEND_MAX=0"}, []string{"config: plugins.transfer.send_max: must be positive"}},
		{"env override valid", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__TRANSFER__CONFIRM_TTL=3m"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := build(t, "plugins: {transfer: "+tc.block+"}", tc.env...)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error = %v, want it to contain %q", err, want)
				}
			}
		})
	}
}

// Validate's errors name keys relative to plugins.transfer (the kernel
// adds the prefix).
func TestConfigValidateKeys(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c.SendMax = "0.5"
	if err := c.Validate(); err == nil || err.Error() != "config: send_max: must not be below send_min" {
		t.Fatalf("err = %v", err)
	}
}

// The shipped config.yaml's plugins.transfer and rate_limits.transfer
// blocks decode strictly and are valid.
func TestShippedConfig(t *testing.T) {
	raw, err := os.ReadFile("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var shipped struct {
		Plugins    map[string]any `yaml:"plugins"`
		RateLimits map[string]any `yaml:"rate_limits"`
	}
	if err := yaml.Unmarshal(raw, &shipped); err != nil {
		t.Fatal(err)
	}
	block, limits := shipped.Plugins["transfer"], shipped.RateLimits["transfer"]
	if block == nil || limits == nil {
		t.Fatalf("config.yaml lacks plugins.transfer (%v) or rate_limits.transfer (%v)", block, limits)
	}
	js, err := json.Marshal(map[string]any{"plugins": map[string]any{"transfer": block}, "rate_limits": map[string]any{"transfer": limits}})
	if err != nil {
		t.Fatal(err)
	}
	if err := build(t, string(js)); err != nil {
		t.Fatalf("shipped config: %v", err)
	}
	if !strings.Contains(string(js), `"start"`) {
		t.Fatalf("rate_limits.transfer has no start limit: %s", js)
	}
}

// rate_limits.transfer.start limits starting /send and /withdraw, not the
// steps of a running flow, nor /history.
func TestStartRateLimit(t *testing.T) {
	e := newEnv(t, setup{config: "rate_limits: {transfer: {start: {rate: 2, period: 1h, burst: 2}}}"})
	e.U.Send("/send").Expect(t, "Who should receive it?")
	e.U.Send("/withdraw").Expect(t, "Which account?")
	e.U.Tap("Chase Bank").Expect(t, "withdraw to Chase Bank")
	e.U.Send("10").Expect(t, "Your quote")
	e.U.Tap("Get a new quote").Expect(t, "New quote.")
	e.U.Send("/send").Expect(t, "Slow down")
	e.U.Send("/history").Expect(t, "No transfers yet")
}
