package notify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/plugins/plugintest"
)

// buildWith builds a kernel with FakeAuth and n (nil: New(api, nil)) with
// block as plugins.notify and returns its start-up error.
func buildWith(t *testing.T, api *copperx.Client, n *Notify, block string, env ...string) error {
	t.Helper()
	if n == nil {
		n = New(api, nil)
	}
	_, err := kerneltest.Build(t, kerneltest.Options{
		Config:       "plugins:\n  auth: {enabled: true}\n  notify: " + block + "\ncommands:\n  - {name: notifications, action: notify.toggle}\n",
		Env:          env,
		Plugins:      append([]kernel.Plugin{plugintest.FakeAuth{}, n}, stubs()...), // disabled: the links stay valid
		ExtraLocales: map[string]string{"en": plugintest.Locale},
	})
	return err
}

func TestConfig(t *testing.T) {
	api, err := copperx.New(copperx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, block string
		env         []string
		wantErr     string // "" = valid
	}{
		{"defaults", "{enabled: true}", nil, ""},
		{"all keys", `{enabled: true, ws_url: "ws://127.0.0.1:1/app/k?protocol=7", app_key: abc, cluster: eu, reconnect_min: 2s, reconnect_max: 2m, catch_up: false, catch_up_max_age: 12h, resync_interval: 30s, heartbeat_interval: 5s}`, nil, ""},
		{"http url", `{enabled: true, ws_url: "http://x/app/k"}`, nil, "plugins.notify.ws_url: must be a ws:// or wss:// URL"},
		{"bad key", `{enabled: true, app_key: "a b"}`, nil, "plugins.notify.app_key: must be 1-64 letters and digits"},
		{"bad cluster", `{enabled: true, cluster: "AP1"}`, nil, "plugins.notify.cluster: must be 1-32"},
		{"zero min", `{enabled: true, reconnect_min: 0s}`, nil, "plugins.notify.reconnect_min: must be positive"},
		{"max below min", `{enabled: true, reconnect_min: 10s, reconnect_max: 1s}`, nil, "plugins.notify.reconnect_max: must be at least reconnect_min"},
		{"catch-up too old", `{enabled: true, catch_up_max_age: 48h}`, nil, "plugins.notify.catch_up_max_age: must be positive and below 48h"},
		{"zero resync", `{enabled: true, resync_interval: 0s}`, nil, "plugins.notify.resync_interval: must be positive"},
		{"zero heartbeat", `{enabled: true, heartbeat_interval: 0s}`, nil, "plugins.notify.heartbeat_interval: must be between 10ms and 10m"},
		{"slow heartbeat", `{enabled: true, heartbeat_interval: 1h}`, nil, "plugins.notify.heartbeat_interval: must be between 10ms and 10m"},
		{"heartbeat without unit", `{enabled: true, heartbeat_interval: 10}`, nil, "heartbeat_interval"},
		{"unknown key", `{enabled: true, reconect_min: 1s}`, nil, "reconect_min"},
		{"wrong type", `{enabled: true, catch_up: maybe}`, nil, "catch_up"},
		{"env override checked", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__NOTIFY__WS_URL=ftp://x"}, "plugins.notify.ws_url"},
		{"env override valid", "{enabled: true}", []string{"COPPERX_BOT_PLUGINS__NOTIFY__WS_URL=ws://127.0.0.1:8090/app/e089376087cac1a62785?protocol=7"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := buildWith(t, api, nil, tc.block, tc.env...)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if err := buildWith(t, nil, New(nil, nil), "{enabled: true}"); err == nil || !strings.Contains(err.Error(), "no CopperX client") {
		t.Fatalf("without a client: %v", err)
	}
}

// TestWebsocketURLOption: WithWebsocketURL overrides plugins.notify.ws_url
// (the sandbox dials the emulator with it); a URL that is not ws:// or
// wss:// fails the start.
func TestWebsocketURLOption(t *testing.T) {
	api, err := copperx.New(copperx.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, option, block, want, wantErr string
	}{
		{"over the default", "ws://127.0.0.1:1/app/k?protocol=7", "{enabled: true}", "ws://127.0.0.1:1/app/k?protocol=7", ""},
		{"over the config", "wss://emulator.test/app/k", `{enabled: true, ws_url: "ws://127.0.0.1:2/app/x"}`, "wss://emulator.test/app/k", ""},
		{"not a websocket", "http://emulator.test/app/k", "{enabled: true}", "", `notify: WithWebsocketURL("http://emulator.test/app/k"): must be a ws:// or wss:// URL`},
		{"config still checked", "ws://127.0.0.1:1/app/k", `{enabled: true, ws_url: "ftp://x"}`, "", "plugins.notify.ws_url: must be a ws:// or wss:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := New(api, nil, WithWebsocketURL(tc.option))
			err := buildWith(t, api, n, tc.block)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case n.cfg.url() != tc.want:
				t.Fatalf("dials %q, want %q", n.cfg.url(), tc.want)
			}
		})
	}
}

func TestDefaultURL(t *testing.T) {
	if got, want := DefaultConfig().url(), "wss://ws-ap1.pusher.com/app/e089376087cac1a62785?protocol=7&client=go&version=1.0"; got != want {
		t.Fatalf("url = %q, want %q", got, want)
	}
}

// TestShippedConfigBlock decodes the plugins.notify block of the
// repository's config.yaml strictly.
func TestShippedConfigBlock(t *testing.T) {
	cfg := kernel.DefaultConfig()
	var rest map[string]any
	err := kernel.LoadConfig(kernel.Source{Path: "../../config.yaml", Environ: []string{}}, &cfg,
		map[string]any{"copperx": &rest, "sandbox": &rest, "networks": &rest})
	if err != nil {
		t.Fatal(err)
	}
	block, ok := cfg.Plugins["notify"]
	if !ok {
		t.Fatal("config.yaml has no plugins.notify block")
	}
	for _, key := range []string{"ws_url", "app_key", "cluster", "reconnect_min", "reconnect_max", "catch_up", "catch_up_max_age", "resync_interval", "heartbeat_interval"} {
		if _, ok := block[key]; !ok {
			t.Errorf("config.yaml does not document plugins.notify.%s", key)
		}
	}
	js, err := json.Marshal(block)
	if err != nil {
		t.Fatal(err)
	}
	api, _ := copperx.New(copperx.DefaultConfig())
	if err := buildWith(t, api, nil, string(js)); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cfg.Commands {
		found = found || (c.Name == "notifications" && c.Action == "notify.toggle")
	}
	if !found {
		t.Error("config.yaml does not bind /notifications to notify.toggle")
	}
}
