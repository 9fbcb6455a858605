package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/copperx/sandbox"
)

// scriptDir holds the end-to-end chat scripts (syntax: kernel/console);
// pluginScripts are the plugins' own, replayed the same way.
const (
	scriptDir     = "kernel/console/testdata/scripts"
	pluginScripts = "plugins/*/testdata/*.chat"
)

const ada = "ada@example.com"

// after checks the emulator's state once a script ran: what the replies
// claimed must have happened there. The key is the script's test name
// (scriptName); transcript is what the script printed.
var after = map[string]func(t *testing.T, emu *copperxtest.Server, transcript string){
	"send_email": func(t *testing.T, emu *copperxtest.Server, _ string) {
		wantBalance(t, emu, ada, "1240.50")
		sends := posts(emu, "/api/transfers/send")
		if len(sends) != 1 || sends[0].Body["email"] != "bob@example.com" || sends[0].Body["amount"] != "1000000000" {
			t.Errorf("send calls = %+v, want one of 10 USDC to bob", bodies(sends))
		}
	},
	"withdraw_wallet": func(t *testing.T, emu *copperxtest.Server, _ string) {
		wantBalance(t, emu, ada, "1245.50")
		calls := append(posts(emu, "/api/transfers/send"), posts(emu, "/api/transfers/wallet-withdraw")...)
		if len(calls) != 1 || !strings.EqualFold(calls[0].Body["walletAddress"].(string), "0x1111111111111111111111111111111111111111") {
			t.Errorf("money-moving calls = %+v, want one to 0x1111…", bodies(calls))
		}
	},
	"withdraw_bank":   wantOneBankWithdrawal,
	"deposit_arrives": func(t *testing.T, emu *copperxtest.Server, _ string) { wantBalance(t, emu, ada, "1275.50") },
	"cancel":          func(t *testing.T, emu *copperxtest.Server, _ string) { wantNothingMoved(t, emu) },
	"bad_input":       func(t *testing.T, emu *copperxtest.Server, _ string) { wantNothingMoved(t, emu) },
	"kyc_pending":     func(t *testing.T, emu *copperxtest.Server, _ string) { wantNothingMoved(t, emu) },
}

// wantOneBankWithdrawal (withdraw_bank.chat): exactly one offramp of 25 USDC
// reached the emulator, nothing else moved money, the Polygon (default)
// wallet went down by the amount plus the fee the emulator recorded (0 in
// the sandbox: runChat builds the emulator without WithFee), and the
// transfer id the chat showed is the emulator's.
func wantOneBankWithdrawal(t *testing.T, emu *copperxtest.Server, transcript string) {
	t.Helper()
	offramps := posts(emu, "/api/transfers/offramp")
	if len(offramps) != 1 {
		t.Errorf("%d POST /api/transfers/offramp, want exactly 1: %+v", len(offramps), bodies(offramps))
		return // (not Fatal: TestChatScripts then logs the transcript)
	}
	if st := offramps[0].Status; st < 200 || st > 299 {
		t.Errorf("POST /api/transfers/offramp answered %d, want 2xx", st)
	}
	var quote struct {
		Amount   string `json:"amount"`
		TotalFee string `json:"totalFee"`
	}
	if payload, _ := offramps[0].Body["quotePayload"].(string); json.Unmarshal([]byte(payload), &quote) != nil || quote.Amount != "2500000000" {
		t.Errorf("offramp body = %+v, want a signed quote of 25 USDC (2500000000 units)", offramps[0].Body)
	}
	for _, p := range []string{"/api/transfers/send", "/api/transfers/wallet-withdraw", "/api/transfers/send-batch"} {
		if n := len(posts(emu, p)); n != 0 {
			t.Errorf("%d POST %s, want none", n, p)
		}
	}
	var withdrawals []copperxtest.Transfer
	for _, tr := range emu.Transfers(ada) {
		if tr.Type == "withdraw" {
			withdrawals = append(withdrawals, tr)
		}
	}
	if len(withdrawals) != 1 {
		t.Errorf("the emulator has %d withdrawals for %s, want 1: %+v", len(withdrawals), ada, withdrawals)
		return
	}
	w := withdrawals[0]
	amount, err1 := decimal.NewFromString(w.Amount)
	fee, err2 := decimal.NewFromString(w.TotalFee)
	if err1 != nil || err2 != nil {
		t.Errorf("withdrawal amount %q, fee %q: not numbers", w.Amount, w.TotalFee)
		return
	}
	amount, fee = amount.Shift(-8), fee.Shift(-8) // 10^-8 units
	if !amount.Equal(decimal.NewFromInt(25)) {
		t.Errorf("withdrawal amount = %s USDC, want 25", amount)
	}
	if quote.TotalFee != "" && quote.TotalFee != w.TotalFee {
		t.Errorf("withdrawal fee %s units differs from the quote's %s", w.TotalFee, quote.TotalFee)
	}
	wantBalance(t, emu, ada, decimal.RequireFromString("1250.50").Sub(amount).Sub(fee).String())
	if w.ID == "" || !strings.Contains(transcript, w.ID) {
		t.Errorf("the chat does not show the withdrawal's id %q", w.ID)
	}
}

// apology reports the kernel's apology (kernel.error in en.yaml) in a
// transcript: a handler failed.
func apology(transcript string) bool {
	return strings.Contains(strings.ToLower(transcript), "something went wrong on my side")
}

func wantBalance(t *testing.T, emu *copperxtest.Server, email, want string) {
	t.Helper()
	if got := emu.Balance(email, copperxtest.NetworkPolygon, "USDC"); !got.Equal(decimal.RequireFromString(want)) {
		t.Errorf("Polygon USDC balance of %s = %s, want %s", email, got, want)
	}
}

func wantNothingMoved(t *testing.T, emu *copperxtest.Server) {
	t.Helper()
	wantBalance(t, emu, ada, "1250.50")
	for _, p := range []string{"/api/transfers/send", "/api/transfers/wallet-withdraw", "/api/transfers/offramp"} {
		if n := len(posts(emu, p)); n != 0 {
			t.Errorf("%d POST %s, want none", n, p)
		}
	}
}

func posts(emu *copperxtest.Server, path string) []copperxtest.Call {
	return emu.CallsTo("POST", path)
}

func bodies(calls []copperxtest.Call) []map[string]any {
	out := make([]map[string]any, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Body)
	}
	return out
}

// scriptName is a script's subtest name: "send_email" for
// kernel/console/testdata/scripts/send_email.chat, "transfer/sandbox" for
// plugins/transfer/testdata/sandbox.chat.
func scriptName(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), ".chat")
	if rest, ok := strings.CutPrefix(filepath.ToSlash(path), "plugins/"); ok {
		plugin, _, _ := strings.Cut(rest, "/")
		return plugin + "/" + name
	}
	return name
}

// TestChatScripts replays every script (kernel/console's and the plugins')
// with `chat --sandbox --script`, in-process, then checks the emulator's
// state where it matters.
func TestChatScripts(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(scriptDir, "*.chat"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts in %s (%v)", scriptDir, err)
	}
	plugin, err := filepath.Glob(pluginScripts)
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, plugin...)
	names := map[string]bool{}
	for _, path := range paths {
		names[scriptName(path)] = true
	}
	for name := range after {
		if !names[name] {
			t.Errorf("after[%q] checks a script that does not exist", name)
		}
	}
	for _, path := range paths {
		name := scriptName(path)
		t.Run(name, func(t *testing.T) {
			var emu *copperxtest.Server
			sandboxStarted = func(s *copperxtest.Server) { emu = s }
			t.Cleanup(func() { sandboxStarted = nil })
			var stdout, stderr bytes.Buffer
			args := []string{"chat", "--sandbox", "--config", "config.yaml", "--script", path}
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n--- transcript ---\n%s\n--- stderr ---\n%s", err, stdout.String(), stderr.String())
			}
			if apology(stdout.String()) || strings.Contains(stdout.String(), "✗ expected") {
				t.Errorf("the transcript has an apology or a failed check:\n%s", stdout.String())
			}
			if emu == nil {
				t.Fatal("the sandbox emulator was not started")
			}
			if check := after[name]; check != nil {
				check(t, emu, stdout.String())
			}
			if t.Failed() {
				t.Logf("transcript:\n%s", stdout.String())
			}
		})
	}
}

// TestChatScriptFailureExits: a failed --expect is an error (exit 1) that
// says what was expected.
func TestChatScriptFailureExits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fail.chat")
	if err := os.WriteFile(path, []byte("/start\n--expect no such words\n/help\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"chat", "--sandbox", "--config", "config.yaml", "--script", path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `do not contain "no such words"`) {
		t.Fatalf("err = %v, want a failed expectation", err)
	}
	if !strings.Contains(stdout.String(), "✗ expected") || strings.Contains(stdout.String(), "you › /help") {
		t.Fatalf("transcript:\n%s", stdout.String())
	}
}

func TestRunFlagsAndConfig(t *testing.T) {
	dir := t.TempDir()
	badOTP := filepath.Join(dir, "otp.yaml")
	if err := os.WriteFile(badOTP, []byte("sandbox:\n  otp: \"12\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badNet := filepath.Join(dir, "net.yaml")
	if err := os.WriteFile(badNet, []byte("networks:\n  \"137\": {name: \"\", format: evm}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"chat", "--kyc", "maybe", "--sandbox", "--script", "/dev/null"}, "--kyc"},
		{[]string{"chat", "extra"}, `unexpected argument "extra"`},
		{[]string{"emulator", "--fee", "x"}, "--fee"},
		{[]string{"check-config", "--config", badOTP}, "sandbox.otp"},
		{[]string{"check-config", "--config", badNet}, "networks"},
		{[]string{"chat", "--script", filepath.Join(dir, "missing.chat")}, "missing.chat"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestCheckConfigWithoutSecrets: check-config validates the shipped
// config.yaml with no secret set (as CI can), exits 0 and says which
// secrets a run needs.
func TestCheckConfigWithoutSecrets(t *testing.T) {
	t.Setenv("TELEGRAM_BOT_TOKEN", "")
	t.Setenv("SESSION_ENCRYPTION_KEY", "")
	t.Setenv("REDIS_URL", "redis://127.0.0.1:6379/0") // a key is then needed too
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "--config", "config.yaml"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"config OK", "auth", "wallet", "transfer", "/send",
		"secrets to set before running:", "TELEGRAM_BOT_TOKEN (telegram.token)", "SESSION_ENCRYPTION_KEY (session.encryption_key)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCheckConfigRefuses: each mistake an operator can make is refused by
// check-config with one line naming the key.
func TestCheckConfigRefuses(t *testing.T) {
	shipped, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(string) string
		env     []string
		locales map[string]string // i18n.dir overlay files
		want    string
	}{
		{name: "flow timeout without unit", edit: replace("timeout: 15m", "timeout: 15"), want: "config: flows.timeout: a duration needs a unit"},
		{name: "handler timeout without unit", edit: replace("handler_timeout: 60s", "handler_timeout: 60"), want: "config: updates.handler_timeout: a duration needs a unit"},
		{name: "request timeout without unit", edit: replace("request_timeout: 15s", "request_timeout: 15"), want: "config: telegram.request_timeout: a duration needs a unit"},
		{name: "plain http webhook", env: []string{"WEBHOOK_URL=http://bot.example.com/hook"}, want: "config: telegram.webhook.url: must be https"},
		{name: "bare ampersand in a message", locales: map[string]string{"en.yaml": "kernel:\n  fallback: \"Tom & Jerry\"\n"}, want: "kernel.fallback: Telegram would refuse this HTML: bare '&'"},
		{name: "unclosed tag in a message", locales: map[string]string{"es.yaml": "kernel:\n  fallback: \"<b>hola\"\n"}, want: "kernel.fallback: Telegram would refuse this HTML: <b> is never closed"},
		{name: "auth disabled", env: []string{"COPPERX_BOT_PLUGINS__AUTH__ENABLED=false"}, want: "config: plugins.auth.enabled: wallet, transfer, notify, payees, payouts need plugin auth"},
		{name: "menu names a command", edit: replace("menu: [wallet.balance,", "menu: [balance,"), want: "config: plugins.auth.menu"},
		{name: "unknown link", edit: replace("menu: [wallet.balance,", "menu: [wallet.balanse,"), want: `config: plugins.auth.menu: links to unknown action "wallet.balanse"`},
		{name: "rate limit of no plugin", edit: replace("  auth:\n    otp:", "  auht:\n    otp:"), want: "config: rate_limits.auht.otp: no plugin auht"},
		{name: "wrong type", edit: replace("qr_size: 512", "qr_size: big"), want: `config: plugins.wallet.qr_size: want a whole number, not "big"`},
		{name: "plugin value", edit: replace("qr_size: 512", "qr_size: 5"), want: "config: plugins.wallet.qr_size: must be between 128 and 2048"},
		{name: "copperx value", edit: replace("max_retries: 2", "max_retries: 99"), want: "config: copperx.max_retries: must be between 0 and 10"},
		{name: "unknown key", edit: replace("  wallet:\n    enabled: true", "  wallet:\n    enabled: true\n    qr: 5"), want: "config: plugins.wallet.qr: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := string(shipped)
			if tt.edit != nil {
				cfg = tt.edit(cfg)
			}
			if tt.locales != nil {
				cfg = strings.Replace(cfg, `  dir: ""`, "  dir: "+filepath.Join(dir, "locales"), 1)
				if err := os.Mkdir(filepath.Join(dir, "locales"), 0o700); err != nil {
					t.Fatal(err)
				}
				for name, body := range tt.locales {
					if err := os.WriteFile(filepath.Join(dir, "locales", name), []byte(body), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			path := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"check-config", "--config", path}, &out, &errOut)
			if err == nil {
				t.Fatalf("check-config accepted it; want %q\n%s", tt.want, out.String())
			}
			lines := strings.Split(err.Error(), "\n")
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, tt.want) }) {
				t.Fatalf("check-config said:\n%v\nwant a line containing %q", err, tt.want)
			}
			if len(lines) != 1 {
				t.Errorf("one mistake, %d lines:\n%v", len(lines), err)
			}
		})
	}
}

func replace(old, repl string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("config.yaml has no " + old)
		}
		return strings.Replace(s, old, repl, 1)
	}
}

// TestCheckConfigListsOverrides: a locale overlay changes one message
// without a copy of every file, and check-config says which.
func TestCheckConfigListsOverrides(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "es.yaml"), []byte("kernel:\n  fallback: \"¿Cómo?\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COPPERX_BOT_I18N__DIR", dir)
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "--config", "config.yaml"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "messages overridden by "+dir+":\n  es: kernel.fallback") {
		t.Fatalf("check-config output:\n%s", out.String())
	}
}

// TestDisabledPlugin: an operator turns a plugin off from the environment.
// check-config accepts it and lists none of its commands, and in a chat its
// commands are unknown and /help does not offer them. (Regression test: the
// configuration must not insist on the limits or commands of a disabled
// plugin.)
func TestDisabledPlugin(t *testing.T) {
	t.Setenv("COPPERX_BOT_PLUGINS__TRANSFER__ENABLED", "false")
	transferCommands := []string{"/send", "/withdraw", "/bank", "/history"}

	t.Run("check-config", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"check-config", "--config", "config.yaml"}, &out, &errOut); err != nil {
			t.Fatalf("check-config with the transfer plugin disabled: %v\n%s", err, errOut.String())
		}
		for _, want := range []string{"config OK", "auth", "wallet", "/balance"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("check-config output lacks %q:\n%s", want, out.String())
			}
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(line, "plugins:") && strings.Contains(line, "transfer") {
				t.Errorf("the disabled plugin is listed as enabled: %q", line)
			}
		}
		for _, cmd := range transferCommands {
			if strings.Contains(out.String(), cmd) {
				t.Errorf("check-config lists %s of the disabled plugin:\n%s", cmd, out.String())
			}
		}
	})

	t.Run("chat", func(t *testing.T) {
		script := []string{
			"/send",
			"--expect don't know /send",
			"--expect-not log in",
			"/help",
			"--expect /balance",
		}
		for _, cmd := range transferCommands {
			script = append(script, "--expect-not "+cmd)
		}
		path := filepath.Join(t.TempDir(), "disabled.chat")
		if err := os.WriteFile(path, []byte(strings.Join(script, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"chat", "--sandbox", "--config", "config.yaml", "--script", path}, &stdout, &stderr); err != nil {
			t.Fatalf("%v\n--- transcript ---\n%s\n--- stderr ---\n%s", err, stdout.String(), stderr.String())
		}
		if apology(stdout.String()) || strings.Contains(stdout.String(), "✗ expected") {
			t.Errorf("the transcript has an apology or a failed check:\n%s", stdout.String())
		}
	})

	// auth declares the otp limit config.yaml sets; with auth off (and the
	// plugins that need its guard) start-up once failed with
	// "rate_limits.otp: no enabled plugin uses this limit".
	t.Run("auth too", func(t *testing.T) {
		t.Setenv("COPPERX_BOT_PLUGINS__AUTH__ENABLED", "false")
		t.Setenv("COPPERX_BOT_PLUGINS__NOTIFY__ENABLED", "false") // it needs auth's guard
		t.Setenv("COPPERX_BOT_PLUGINS__WALLET__ENABLED", "false")
		t.Setenv("COPPERX_BOT_PLUGINS__PAYEES__ENABLED", "false")  // it needs auth's guard
		t.Setenv("COPPERX_BOT_PLUGINS__PAYOUTS__ENABLED", "false") // it needs auth's guard
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"check-config", "--config", "config.yaml"}, &out, &errOut); err != nil {
			t.Fatalf("check-config with auth, wallet and transfer disabled: %v\n%s", err, errOut.String())
		}
		for _, cmd := range append(transferCommands, "/login", "/balance") {
			if strings.Contains(out.String(), cmd) {
				t.Errorf("check-config lists %s of a disabled plugin:\n%s", cmd, out.String())
			}
		}
		if !strings.Contains(out.String(), "/help") {
			t.Errorf("check-config lacks the kernel's /help:\n%s", out.String())
		}
	})
}

func TestNetworkID(t *testing.T) {
	s, err := loadSettings("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"137": "137", "polygon": "137", "Arbitrum One": "42161", "arbitrumone": "42161", "mars": ""} {
		if got := sandbox.NetworkID(s.networks, in); got != want {
			t.Errorf("networkID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEmulatorServes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"emulator", "--addr", addr, "--admin-addr", "127.0.0.1:0"}, &out, &errOut)
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		resp, err = http.Post("http://"+addr+"/api/auth/email-otp/request", "application/json", strings.NewReader(`{"email":"zed@example.com"}`))
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(out.String(), "📧 OTP for zed@example.com: ") ||
		!strings.Contains(out.String(), "demo@copperx.io") {
		t.Fatalf("status %d, output:\n%s", resp.StatusCode, out.String())
	}
}
