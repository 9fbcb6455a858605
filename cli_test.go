package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestHelp: `help` lists every subcommand, and --help on each shows its
// flags; both are a success (main exits 0 on flag.ErrHelp).
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range subcommands {
		if !strings.Contains(out.String(), c.name) {
			t.Errorf("help does not list %s:\n%s", c.name, out.String())
		}
	}
	for _, c := range subcommands {
		if c.name == "help" || c.name == "version" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{c.name, "--help"}, &out, &out)
			if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "payoutbot "+c.name) {
				t.Fatalf("%s --help = %v:\n%s", c.name, err, out.String())
			}
		})
	}
}

// TestHelpAndVersionExitZero runs the built binary as an operator would.
func TestHelpAndVersionExitZero(t *testing.T) {
	bin := buildBinary(t)
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"run", "--help"}, {"version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("payoutbot %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		// At the top level, help lists the commands.
		if args[0] != "run" && args[0] != "version" && !strings.Contains(string(out), "check-config") {
			t.Errorf("payoutbot %s does not list the commands:\n%s", strings.Join(args, " "), out)
		}
		if args[0] == "version" && !strings.HasPrefix(string(out), "payoutbot ") {
			t.Errorf("version printed %q", out)
		}
	}
	if out, err := exec.Command(bin, "nope").CombinedOutput(); err == nil || !strings.Contains(string(out), `unknown command "nope"`) {
		t.Errorf("payoutbot nope: %v\n%s", err, out)
	}
}

// buildBinary builds the bot once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "payoutbot-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "payoutbot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
