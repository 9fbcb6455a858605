package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// scriptDir holds the end-to-end chat scripts (syntax: kernel/console).
const scriptDir = "kernel/console/testdata/scripts"

const ada = "ada@example.com"

// after checks the emulator's state once a script ran: what the replies
// claimed must have happened there.
var after = map[string]func(t *testing.T, emu *copperxtest.Server){
	"send_email": func(t *testing.T, emu *copperxtest.Server) {
		wantBalance(t, emu, ada, "1240.50")
		sends := posts(emu, "/api/transfers/send")
		if len(sends) != 1 || sends[0].Body["email"] != "bob@example.com" || sends[0].Body["amount"] != "1000000000" {
			t.Errorf("send calls = %+v, want one of 10 USDC to bob", bodies(sends))
		}
	},
	"withdraw_wallet": func(t *testing.T, emu *copperxtest.Server) {
		wantBalance(t, emu, ada, "1245.50")
		calls := append(posts(emu, "/api/transfers/send"), posts(emu, "/api/transfers/wallet-withdraw")...)
		if len(calls) != 1 || !strings.EqualFold(calls[0].Body["walletAddress"].(string), "0x1111111111111111111111111111111111111111") {
			t.Errorf("money-moving calls = %+v, want one to 0x1111…", bodies(calls))
		}
	},
	"deposit_arrives": func(t *testing.T, emu *copperxtest.Server) { wantBalance(t, emu, ada, "1275.50") },
	"cancel":          func(t *testing.T, emu *copperxtest.Server) { wantNothingMoved(t, emu) },
	"bad_input":       func(t *testing.T, emu *copperxtest.Server) { wantNothingMoved(t, emu) },
	"kyc_pending":     func(t *testing.T, emu *copperxtest.Server) { wantNothingMoved(t, emu) },
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

// scriptFlags reads "#! --flag value" header lines: extra chat flags.
func scriptFlags(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "#!"); ok {
			out = append(out, strings.Fields(rest)...)
		}
	}
	return out
}

// TestChatScripts replays every script with `chat --sandbox --script`,
// in-process, then checks the emulator's state where it matters.
func TestChatScripts(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(scriptDir, "*.chat"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts in %s (%v)", scriptDir, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".chat")
		t.Run(name, func(t *testing.T) {
			var emu *copperxtest.Server
			sandboxStarted = func(s *copperxtest.Server) { emu = s }
			t.Cleanup(func() { sandboxStarted = nil })
			var stdout, stderr bytes.Buffer
			args := append([]string{"chat", "--sandbox", "--config", "config.yaml", "--script", path}, scriptFlags(t, path)...)
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n--- transcript ---\n%s\n--- stderr ---\n%s", err, stdout.String(), stderr.String())
			}
			if strings.Contains(stdout.String(), "Something went wrong") || strings.Contains(stdout.String(), "✗ expected") {
				t.Errorf("the transcript has an apology or a failed check:\n%s", stdout.String())
			}
			if emu == nil {
				t.Fatal("the sandbox emulator was not started")
			}
			if check := after[name]; check != nil {
				check(t, emu)
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

func TestCheckConfigListsPlugins(t *testing.T) {
	t.Setenv("TELEGRAM_BOT_TOKEN", "123:check")
	// CI exports REDIS_URL; a Redis configuration needs the session key.
	t.Setenv("SESSION_ENCRYPTION_KEY", strings.Repeat("ab", 32))
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "--config", "config.yaml"}, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"config OK", "auth", "wallet", "transfer", "/send"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestNetworkID(t *testing.T) {
	s, err := loadSettings("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"137": "137", "polygon": "137", "Arbitrum One": "42161", "arbitrumone": "42161", "mars": ""} {
		if got := networkID(s.networks, in); got != want {
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
		done <- run(ctx, []string{"emulator", "--addr", addr, "--config", "config.yaml"}, &out, &errOut)
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
