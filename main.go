// Command payoutbot is the CopperX Payout Telegram bot.
//
//	payoutbot [run]        serve Telegram (polling, or a webhook when WEBHOOK_URL is set)
//	payoutbot check-config validate config.yaml and the locales, print what is enabled
//	payoutbot genkey       print a new SESSION_ENCRYPTION_KEY
//
// main only wires: it loads config, builds the CopperX client, lists the
// plugins and runs a subcommand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/locales"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "payoutbot:", err)
		os.Exit(1)
	}
}

// settings is the whole configuration: the kernel's sections and ours.
type settings struct {
	kernel  kernel.Config
	copperx copperx.Config
}

func loadSettings(path string) (*settings, error) {
	s := &settings{kernel: kernel.DefaultConfig(), copperx: copperx.DefaultConfig()}
	if err := kernel.LoadConfig(kernel.Source{Path: path}, &s.kernel, map[string]any{"copperx": &s.copperx}); err != nil {
		return nil, err
	}
	if err := s.copperx.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// plugins is the table of contents of the bot, in start order.
func plugins(api *copperx.Client) []kernel.Plugin {
	_ = api
	return []kernel.Plugin{}
}

func localesFS(cfg kernel.Config) fs.FS {
	if cfg.I18n.Dir != "" {
		return os.DirFS(cfg.I18n.Dir)
	}
	return locales.FS
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	fl := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fl.SetOutput(stderr)
	defPath := os.Getenv("COPPERX_BOT_CONFIG")
	if defPath == "" {
		defPath = "config.yaml"
	}
	cfgPath := fl.String("config", defPath, "path of config.yaml (COPPERX_BOT_CONFIG)")
	if err := fl.Parse(args); err != nil {
		return err
	}

	switch cmd {
	case "genkey":
		key, err := secret.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	case "run", "check-config":
	default:
		return fmt.Errorf("unknown command %q (want run, check-config, genkey)", cmd)
	}

	s, err := loadSettings(*cfgPath)
	if err != nil {
		return err
	}
	logger := kernel.NewLogger(stderr, s.kernel.Log)
	api, err := copperx.New(s.copperx, copperx.WithLogger(logger))
	if err != nil {
		return err
	}
	k, err := kernel.New(kernel.Options{
		Config: s.kernel, Plugins: plugins(api), Locales: localesFS(s.kernel), Logger: logger,
	})
	if err != nil {
		return err
	}
	if cmd == "check-config" {
		defer k.Close()
		fmt.Fprintln(stdout, "config OK")
		fmt.Fprintln(stdout, "plugins:", k.Enabled())
		for _, line := range k.Commands() {
			fmt.Fprintln(stdout, " ", line)
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := k.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
