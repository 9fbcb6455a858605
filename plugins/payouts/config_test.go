package payouts_test

import (
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/payouts"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// buildWith builds a kernel with FakeAuth and the plugin with the
// plugins.payouts block given, and returns its error.
func buildWith(t *testing.T, block string, env ...string) error {
	t.Helper()
	config, err := plugintest.MergeYAML(testConfig, "plugins: {auth: {enabled: true}, payouts: "+block+"}")
	if err != nil {
		t.Fatal(err)
	}
	api, err := copperx.New(copperx.DefaultConfig()) // nothing calls it: Setup does no I/O
	if err != nil {
		t.Fatal(err)
	}
	_, err = kerneltest.Build(t, kerneltest.Options{
		Config: config, Env: env,
		Plugins:      []kernel.Plugin{plugintest.FakeAuth{}, payouts.New(api, nil)},
		ExtraLocales: map[string]string{"en": plugintest.Locale},
	})
	return err
}

// TestConfig: every key's bounds, with units, each refusal on one line
// naming its key; environment overrides apply.
func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name, block string
		env         []string
		want        []string // nil = valid
	}{
		{"defaults", "{enabled: true}", nil, nil},
		{"all keys", "{enabled: true, currency: USDC, decimals: 6, min_amount: '1', max_amount: '50000', batch_max: 100, file_max_bytes: 1048576, note_max: 200, " +
			"confirm_ttl: 1h, result_ttl: 720h, submit_timeout: 5m, reconcile_skew: 1h, reconcile_attempts: 10, reconcile_interval: 10s, absent_after: 24h, " +
			"schedules_page_size: 10, schedule_max_ahead: 43920h}", nil, nil},
		{"a duration without a unit", "{enabled: true, confirm_ttl: 300}", nil, []string{"plugins.payouts.confirm_ttl"}},
		{"an unknown key", "{enabled: true, batch_size: 3}", nil, []string{"plugins.payouts.batch_size"}},
		{"amounts", "{enabled: true, min_amount: 'abc', max_amount: '1e3'}", nil,
			[]string{"config: plugins.payouts.min_amount: must be a decimal number", "config: plugins.payouts.max_amount: must be a decimal number"}},
		{"max below min", "{enabled: true, min_amount: '10', max_amount: '5'}", nil, []string{"config: plugins.payouts.max_amount: must not be below min_amount"}},
		{"batch_max", "{enabled: true, batch_max: 101}", nil, []string{"config: plugins.payouts.batch_max: must be between 1 and 100 lines"}},
		{"file_max_bytes", "{enabled: true, file_max_bytes: 100}", nil, []string{"config: plugins.payouts.file_max_bytes: must be between 1024 and 1048576 bytes"}},
		{"currency", "{enabled: true, currency: usdc}", nil, []string{"config: plugins.payouts.currency: must be 1-10 upper-case"}},
		{"decimals", "{enabled: true, decimals: 9}", nil, []string{"config: plugins.payouts.decimals: must be between 0 and 8"}},
		{"confirm_ttl", "{enabled: true, confirm_ttl: 10s}", nil, []string{"config: plugins.payouts.confirm_ttl: must be between 30s and 1h"}},
		{"submit_timeout below the client's", "{enabled: true, submit_timeout: 10s}", nil, []string{"config: plugins.payouts.submit_timeout: must be at least copperx.timeout"}},
		{"absent_after", "{enabled: true, absent_after: 30s}", nil, []string{"config: plugins.payouts.absent_after: must be between 1m and 24h"}},
		{"result_ttl", "{enabled: true, result_ttl: 1h}", nil, []string{"config: plugins.payouts.result_ttl: must be between 24h and 720h"}},
		{"reconcile", "{enabled: true, reconcile_attempts: 0, reconcile_interval: 11s, reconcile_skew: -1s}", nil, []string{
			"config: plugins.payouts.reconcile_attempts: must be between 1 and 10", "config: plugins.payouts.reconcile_interval: must be between 0 and 10s",
			"config: plugins.payouts.reconcile_skew: must be between 0 and 1h"}},
		{"schedules", "{enabled: true, schedules_page_size: 0, schedule_max_ahead: 1h}", nil, []string{
			"config: plugins.payouts.schedules_page_size: must be between 1 and 10", "config: plugins.payouts.schedule_max_ahead: must be between 24h and 43920h"}},
		{"from the environment", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__PAYOUTS__BATCH_MAX=0"},
			[]string{"config: plugins.payouts.batch_max: must be between 1 and 100 lines"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := buildWith(t, tc.block, tc.env...)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
