package kernel_test

import (
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
)

func TestConfigValidation(t *testing.T) {
	base := "plugins:\n  demo: {enabled: true}\n"
	cmds := "commands:\n  - {name: greet, action: demo.greet}\n"
	tests := []struct {
		name   string
		config string
		env    []string
		want   string
	}{
		{"unknown top-level key", base + "telegramm: {}\n", nil, "config: telegramm: unknown section"},
		{"unknown nested key", base + "telegram: {tokn: x}\n", nil, "tokn"},
		{"wrong type", base + "updates: {workers: many}\n", nil, "workers"},
		{"bad duration", base + "flows: {timeout: soon}\n", nil, "timeout"},
		{"unknown action", base + "commands:\n  - {name: x, action: demo.nope}\n", nil, `commands[0] (x).action: unknown action "demo.nope"`},
		{"unknown plugin in action", base + "commands:\n  - {name: x, action: ghost.run}\n", nil, `unknown action "ghost.run"`},
		{"duplicate command", base + cmds + "  - {name: greet, action: demo.order}\n", nil, "/greet is already used by"},
		{"duplicate alias", base + "commands:\n  - {name: greet, action: demo.greet, aliases: [order]}\n  - {name: order, action: demo.order}\n", nil, "/order is already used by"},
		{"bad command name", base + "commands:\n  - {name: Greet-Me, action: demo.greet}\n", nil, `"Greet-Me" is not a Telegram command name`},
		{"too long command", base + "commands:\n  - {name: " + strings.Repeat("a", 33) + ", action: demo.greet}\n", nil, "is not a Telegram command name"},
		{"action and message", base + "commands:\n  - {name: x, action: demo.greet, message: support.text}\n", nil, "needs exactly one of action or message"},
		{"missing locale key", base + "commands:\n  - {name: x, message: no.such.key}\n", nil, `locale key "no.such.key" is missing from en.yaml`},
		{"missing description", base + "commands:\n  - {name: undescribed, action: demo.greet}\n", nil, `locale key "commands.undescribed" (its description) is missing`},
		{"bad button url", base + "commands:\n  - {name: support, message: support.text, buttons: [{label: support.button, url: 'not a url'}]}\n", nil, "is not an absolute URL"},
		{"builtin disabled", base + "commands:\n  - {name: help, action: kernel.help, enabled: false}\n", nil, "built-in /help cannot be disabled"},
		{"unknown plugin section", "plugins:\n  demo: {enabled: true}\n  ghost: {enabled: true}\n", nil, "plugins.ghost: no such plugin"},
		{"unknown plugin key", "plugins:\n  demo: {enabled: true, colour: red}\n", nil, "colour"},
		{"plugin enabled not bool", "plugins:\n  demo: {enabled: maybe}\n", nil, "plugins.demo.enabled"},
		{"rate limit without its plugin", base + "rate_limits:\n  ghost: {rate: 1, period: 1m}\n", nil, "config: rate_limits.ghost: a limit is named after its plugin: rate_limits.<plugin>.ghost"},
		{"rate limit of no plugin", base + "rate_limits:\n  ghost: {slow: {rate: 1, period: 1m}}\n", nil, "config: rate_limits.ghost.slow: no plugin ghost"},
		{"undeclared rate limit", base + "rate_limits:\n  demo: {slow: {rate: 1, period: 1m}}\n", nil, "config: rate_limits.demo.slow: plugin demo has no rate limit slow"},
		{"duration without unit", base + "flows: {timeout: 15}\n", nil, "config: flows.timeout: a duration needs a unit, like 15s or 15m"},
		{"handler timeout without unit", base + "updates: {handler_timeout: 60}\n", nil, "config: updates.handler_timeout: a duration needs a unit"},
		{"request timeout without unit", base + "telegram: {request_timeout: 15}\n", nil, "config: telegram.request_timeout: a duration needs a unit"},
		{"env duration without unit", base, []string{"COPPERX_BOT_FLOWS__TIMEOUT=15"}, `config: flows.timeout: want a duration with a unit, like 30s, 5m or 1h (got "15")`},
		{"rate limit period without unit", base + "rate_limits:\n  default: {rate: 1, period: 60}\n", nil, "config: rate_limits.default.period: a duration needs a unit"},
		{"plain http webhook", base, []string{"WEBHOOK_URL=http://bot.example.com/hook", "WEBHOOK_SECRET=0123456789abcdef"}, "config: telegram.webhook.url: must be https"},
		{"wrong type names no Go type", base + "updates: {workers: [1, 2]}\n", nil, "config: updates.workers: want a whole number, not a list"},
		{"bad rate limit", base + "rate_limits:\n  default: {rate: 0, period: 1m}\n", nil, "rate_limits.default"},
		{"redis without key", base, []string{"REDIS_URL=redis://127.0.0.1:6379/0"}, "config: session.encryption_key: must be set (SESSION_ENCRYPTION_KEY)"},
		{"bad encryption key", base, []string{"SESSION_ENCRYPTION_KEY=abc"}, "session.encryption_key"},
		{"bad log level", base, []string{"LOG_LEVEL=loud"}, `log.level: must be debug, info, warn or error, not "loud"`},
		{"webhook without secret", base, []string{"WEBHOOK_URL=https://x.example/hook"}, "telegram.webhook.secret"},
		{"lock ttl too short", base + "updates: {lock_ttl: 1s}\n", nil, "updates.lock_ttl: must be between 3s and 5m"},
		{"shutdown shorter than a handler", base + "http: {shutdown_timeout: 30s}\n", nil, "http.shutdown_timeout: must be longer than updates.handler_timeout"},
		{"missing guard", "plugins:\n  needy: {enabled: true}\n", nil, `plugin needy: needy.x needs guard "nobody", which no plugin provides`},
		{"guard of a disabled plugin", "plugins:\n  needy: {enabled: true}\n  demo: {enabled: false}\n", nil, "config: plugins.demo.enabled: needy needs plugin demo: enable it, or disable them"},
		{"env wrong type", base, []string{"COPPERX_BOT_UPDATES__WORKERS=lots"}, "workers"},
		{"env unknown key", base, []string{"COPPERX_BOT_TELEGRAM__NOPE=1"}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kerneltest.Build(t, kerneltest.Options{
				Config: tt.config, Env: tt.env,
				Plugins:      []kernel.Plugin{&demo{}, &needy{}},
				ExtraLocales: map[string]string{"en": demoLocale},
			})
			if err == nil {
				t.Fatalf("config accepted; want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConfigEnvOverrides(t *testing.T) {
	cfg := kernel.DefaultConfig()
	err := kernel.LoadConfig(kernel.Source{
		YAML:    []byte("telegram: {token: from-file}\nflows: {timeout: 5m}\n"),
		Environ: []string{"COPPERX_BOT_TELEGRAM__TOKEN=from-long-env", "TELEGRAM_BOT_TOKEN=from-short-env", "COPPERX_BOT_FLOWS__TIMEOUT=7m", "LISTEN_ADDR=:9999"},
	}, &cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telegram.Token != "from-short-env" || cfg.Flows.Timeout.String() != "7m0s" || cfg.HTTP.ListenAddr != ":9999" {
		t.Fatalf("cfg = token %q timeout %s addr %q", cfg.Telegram.Token, cfg.Flows.Timeout, cfg.HTTP.ListenAddr)
	}
}

// TestShippedConfig decodes the repository's config.yaml strictly.
func TestShippedConfig(t *testing.T) {
	cfg := kernel.DefaultConfig()
	var rest map[string]any
	err := kernel.LoadConfig(kernel.Source{Path: "../config.yaml", Environ: []string{}}, &cfg, map[string]any{"copperx": &rest, "sandbox": &rest, "networks": &rest})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.I18n.Default != "en" || len(cfg.Commands) == 0 {
		t.Fatalf("unexpected shipped config: %+v", cfg.I18n)
	}
}

// needy is a plugin that needs a guard nobody provides.
type needy struct{}

func (needy) Name() string { return "needy" }
func (needy) Setup(r *kernel.Registrar) error {
	r.Action("x", func(*kernel.Ctx) error { return nil }, kernel.Guard("nobody"))
	r.Action("y", func(*kernel.Ctx) error { return nil }, kernel.Guard("demo.guard"))
	r.Action("z", func(*kernel.Ctx) error { return nil }, kernel.Guard("demo.guard"))
	return nil
}

// limited declares a rate limit of its own.
type limited struct{}

func (limited) Name() string { return "limited" }
func (limited) Setup(r *kernel.Registrar) error {
	r.RateLimit("slowly", ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 1})
	r.Action("x", func(*kernel.Ctx) error { return nil }, kernel.Limit("slowly"))
	return nil
}

// TestDisabledPluginKeepsItsConfigValid: turning a plugin off must not make
// its own rate limit an "unknown" key, and its commands vanish.
func TestDisabledPluginKeepsItsConfigValid(t *testing.T) {
	h, err := kerneltest.Build(t, kerneltest.Options{
		Config: "plugins:\n  demo: {enabled: true}\n  limited: {enabled: false}\nrate_limits:\n  limited: {slowly: {rate: 2, period: 1m}}\n" +
			"commands:\n  - {name: greet, action: demo.greet}\n  - {name: x, action: limited.x, menu: true}\n",
		Plugins:      []kernel.Plugin{&demo{}, limited{}},
		ExtraLocales: map[string]string{"en": strings.Replace(demoLocale, "commands:\n", "commands:\n  x: X\n", 1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := h.Private(1)
	u.Send("/x").Expect(t, "I don't know /x")
	if u.Send("/help").Contains("/x") {
		t.Fatal("a disabled plugin's command is in /help")
	}
}

// badFlow declares a flow with a step that takes no input.
type badFlow struct{}

func (badFlow) Name() string { return "badflow" }
func (badFlow) Setup(r *kernel.Registrar) error {
	r.Flow("f", kernel.Flow[struct{}]{Steps: []kernel.Step[struct{}]{
		{Name: "a", Ask: func(*kernel.Ctx, *struct{}) error { return nil }},
	}})
	return nil
}

func TestFlowStepWithoutInputFailsStart(t *testing.T) {
	_, err := kerneltest.Build(t, kerneltest.Options{
		Config:  "plugins:\n  badflow: {enabled: true}\n",
		Plugins: []kernel.Plugin{badFlow{}},
	})
	if err == nil || !strings.Contains(err.Error(), `plugin badflow: flow "f": step "a" takes neither text nor taps`) {
		t.Fatalf("err = %v", err)
	}
}

// failing declares its limit only after its config decoded, like the real
// plugins; a bad config must be the error reported, not the limit.
type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Setup(r *kernel.Registrar) error {
	var cfg struct {
		Max int `koanf:"max"`
	}
	if err := r.Config(&cfg); err != nil {
		return err
	}
	r.RateLimit("slowly", ratelimit.Limit{Rate: 1, Period: time.Minute})
	return nil
}

func TestSetupErrorIsTheOneReported(t *testing.T) {
	_, err := kerneltest.Build(t, kerneltest.Options{
		Config:  "plugins:\n  failing: {enabled: true, max: lots}\nrate_limits:\n  failing: {slowly: {rate: 2, period: 1m}}\n",
		Plugins: []kernel.Plugin{failing{}},
	})
	if err == nil || err.Error() != `config: plugins.failing.max: want a whole number, not "lots"` {
		t.Fatalf("err = %v", err)
	}
}

// TestConfigPathVariableIsNotAKey: COPPERX_BOT_CONFIG names the file; the
// environment loader must not read it as a config key.
func TestConfigPathVariableIsNotAKey(t *testing.T) {
	cfg := kernel.DefaultConfig()
	err := kernel.LoadConfig(kernel.Source{YAML: []byte("flows: {timeout: 5m}\n"), Environ: []string{kernel.PathEnv + "=config.yaml"}}, &cfg, nil)
	if err != nil {
		t.Fatalf("LoadConfig with %s set: %v", kernel.PathEnv, err)
	}
}
