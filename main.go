// Command payoutbot is the CopperX Payout Telegram bot.
//
//	payoutbot [run]        serve Telegram (polling, or a webhook when WEBHOOK_URL is set)
//	payoutbot chat         the whole bot in the terminal (--sandbox: against the CopperX emulator)
//	payoutbot emulator     serve the CopperX emulator on its own (--addr 127.0.0.1:8090)
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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/console"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/locales"
	"github.com/copperx-bot/payoutbot/plugins/auth"
	"github.com/copperx-bot/payoutbot/plugins/notify"
	"github.com/copperx-bot/payoutbot/plugins/transfer"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "payoutbot:", err)
		os.Exit(1)
	}
}

// settings is the whole configuration: the kernel's sections and ours.
type settings struct {
	kernel   kernel.Config
	copperx  copperx.Config
	networks copperx.Networks
	sandbox  sandboxConfig
}

// sandboxConfig is the sandbox: section (chat --sandbox, emulator).
type sandboxConfig struct {
	// OTP is accepted for any email, besides the code the emulator prints.
	OTP string `koanf:"otp"`
}

func loadSettings(path string) (*settings, error) {
	s := &settings{kernel: kernel.DefaultConfig(), copperx: copperx.DefaultConfig(),
		networks: copperx.DefaultNetworks(), sandbox: sandboxConfig{OTP: "123456"}}
	if err := kernel.LoadConfig(kernel.Source{Path: path}, &s.kernel, map[string]any{
		"copperx": &s.copperx, "networks": &s.networks, "sandbox": &s.sandbox,
	}); err != nil {
		return nil, err
	}
	if err := s.copperx.Validate(); err != nil {
		return nil, err
	}
	if err := s.networks.Validate(); err != nil {
		return nil, fmt.Errorf("config: networks: %w", err)
	}
	if s.sandbox.OTP != "" && !sixDigits(s.sandbox.OTP) {
		return nil, errors.New("config: sandbox.otp: must be 6 digits or empty")
	}
	return s, nil
}

func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// plugins is the table of contents of the bot, in start order.
func plugins(api *copperx.Client, nets copperx.Networks) []kernel.Plugin {
	return []kernel.Plugin{
		auth.New(api),
		wallet.New(api, nets),
		transfer.New(api, nets),
		notify.New(api, nets),
	}
}

func localesFS(cfg kernel.Config) fs.FS {
	if cfg.I18n.Dir != "" {
		return os.DirFS(cfg.I18n.Dir)
	}
	return locales.FS
}

// flags are every subcommand's options.
type flags struct {
	config  string
	sandbox bool
	kyc     string
	script  string
	lang    string
	verbose bool
	addr    string
	fee     string
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
	var f flags
	fl.StringVar(&f.config, "config", defPath, "path of config.yaml (COPPERX_BOT_CONFIG)")
	switch cmd {
	case "chat":
		fl.BoolVar(&f.sandbox, "sandbox", false, "run against the in-process CopperX emulator instead of the real API")
		fl.StringVar(&f.script, "script", "", "replay this chat script and exit (see kernel/console)")
		fl.StringVar(&f.lang, "lang", "en", "your Telegram language code")
		fl.BoolVar(&f.verbose, "verbose", false, "log at the configured level (default: warnings only)")
	case "emulator":
		fl.StringVar(&f.addr, "addr", "127.0.0.1:8090", "listen address")
		fl.StringVar(&f.fee, "fee", "0", "fee in percent of outgoing transfers")
	}
	if cmd == "chat" || cmd == "emulator" {
		fl.StringVar(&f.kyc, "kyc", copperxtest.DefaultKYCStatus, "KYC status of sandbox accounts: approved, pending, rejected or none")
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fl.Arg(0))
	}

	switch cmd {
	case "genkey":
		key, err := secret.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	case "run", "check-config", "chat", "emulator":
	default:
		return fmt.Errorf("unknown command %q (want run, chat, emulator, check-config, genkey)", cmd)
	}

	s, err := loadSettings(f.config)
	if err != nil {
		return err
	}
	switch cmd {
	case "chat":
		return runChat(ctx, s, f, os.Stdin, stdout, stderr)
	case "emulator":
		return runEmulator(ctx, s, f, stdout)
	}
	logger := kernel.NewLogger(stderr, s.kernel.Log)
	api, err := copperx.New(s.copperx, copperx.WithLogger(logger))
	if err != nil {
		return err
	}
	k, err := kernel.New(kernel.Options{
		Config: s.kernel, Plugins: plugins(api, s.networks), Locales: localesFS(s.kernel), Logger: logger,
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

// kycStatus maps the --kyc flag to the emulator's status ("" = no record).
func kycStatus(flag string) (string, error) {
	switch strings.ToLower(flag) {
	case "approved", "pending", "rejected":
		return strings.ToLower(flag), nil
	case "none", "":
		return "", nil
	}
	return "", fmt.Errorf("--kyc: want approved, pending, rejected or none, not %q", flag)
}

// runChat is the bot in the terminal: the console's fake Bot API stands in
// for Telegram, and with --sandbox the emulator for CopperX.
func runChat(ctx context.Context, s *settings, f flags, stdin io.Reader, stdout, stderr io.Writer) error {
	in := stdin
	interactive := isTerminal(stdin) && f.script == ""
	if f.script != "" {
		file, err := os.Open(f.script)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	pace := time.Duration(0)
	if !interactive {
		pace = 3 * time.Second // a replayed line stands for a person's typing pace
	}
	con := console.New(console.Options{
		Out: stdout, Color: isTerminal(stdout), Script: !interactive, Prompt: interactive,
		LanguageCode: f.lang, Pace: pace,
	})
	defer con.Close()

	// The terminal is one local user: sessions stay in memory, never in a
	// Redis shared with a deployed bot.
	kc := s.kernel
	kc.Telegram.Token, kc.Telegram.APIURL, kc.Telegram.Webhook.URL = console.Token, con.APIURL(), ""
	kc.Redis.URL, kc.Redis.Addrs = "", nil
	if !f.verbose {
		kc.Log.Level = "warn"
	}
	logger := kernel.NewLogger(stderr, kc.Log)

	cx := s.copperx
	if f.sandbox {
		kyc, err := kycStatus(f.kyc)
		if err != nil {
			return err
		}
		var lastEmail struct {
			sync.Mutex
			s string
		}
		emu := copperxtest.New(
			copperxtest.WithAutoSeed(true),
			copperxtest.WithFixedOTP(s.sandbox.OTP),
			copperxtest.WithDefaultKYC(kyc),
			copperxtest.WithOTPPrinter(func(email, code string) {
				lastEmail.Lock()
				lastEmail.s = email
				lastEmail.Unlock()
				con.Note("📧 OTP for %s: %s", email, code)
			}),
		)
		cx.APIURL = emu.Start()
		defer emu.Close()
		if blk := kc.Plugins["notify"]; blk != nil {
			blk["ws_url"] = emu.WSURL() // deposits reach the chat through the emulator's Pusher
		}
		if sandboxStarted != nil {
			sandboxStarted(emu)
		}
		email := func() string {
			lastEmail.Lock()
			defer lastEmail.Unlock()
			return lastEmail.s
		}
		con.Command(depositCommand(emu, s.networks, con, email))
		con.Command(transfersCommand(emu, con, email))
		con.Note("🧪 sandbox: CopperX emulator at %s; any email logs in (code %s or the one printed); KYC %s", cx.APIURL, s.sandbox.OTP, f.kyc)
	}
	api, err := copperx.New(cx, copperx.WithLogger(logger))
	if err != nil {
		return err
	}
	k, err := kernel.New(kernel.Options{
		Config: kc, Plugins: plugins(api, s.networks), Locales: localesFS(kc), Logger: logger,
		Store: store.NewMemory(), Limiter: ratelimit.NewMemory(ratelimit.WithClock(con.Now)),
	})
	if err != nil {
		return err
	}
	defer k.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return con.Run(ctx, k, in)
}

// sandboxStarted, when set (tests), gets the emulator of chat --sandbox.
var sandboxStarted func(*copperxtest.Server)

// transfersCommand is the sandbox's ":transfers N": N settled transfers are
// added to the logged-in email's history (to try paging).
func transfersCommand(emu *copperxtest.Server, con *console.Console, email func() string) console.Command {
	return console.Command{
		Name: "transfers", Usage: "N",
		Help: "add N settled transfers to the logged-in email's history (1-500)",
		Run: func(_ context.Context, args []string) error {
			n, err := strconv.Atoi(strings.Join(args, ""))
			if err != nil || n < 1 || n > 500 {
				return errors.New("usage: :transfers 25 (1-500)")
			}
			who := email()
			if who == "" {
				return errors.New("nobody has logged in yet: /login first")
			}
			emu.AddTransfers(who, n)
			con.Note("🧾 %d transfers added to %s's history", n, who)
			return nil
		},
	}
}

// depositCommand is the sandbox's ":deposit AMOUNT [CURRENCY] [NETWORK]":
// a deposit arrives for the email that last asked for a code.
func depositCommand(emu *copperxtest.Server, nets copperx.Networks, con *console.Console, email func() string) console.Command {
	return console.Command{
		Name: "deposit", Usage: "AMOUNT [CURRENCY] [NETWORK]",
		Help: "a deposit arrives for the logged-in email (default USDC on the default wallet)",
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 || len(args) > 3 {
				return errors.New("usage: :deposit 25 USDC [polygon|137]")
			}
			amount, err := decimal.NewFromString(args[0])
			if err != nil || !amount.IsPositive() {
				return fmt.Errorf("%q is not a positive amount", args[0])
			}
			currency, network := "USDC", ""
			if len(args) > 1 {
				currency = strings.ToUpper(args[1])
			}
			if len(args) > 2 {
				if network = networkID(nets, args[2]); network == "" {
					return fmt.Errorf("unknown network %q (a name such as Polygon, or a chain id such as 137)", args[2])
				}
			}
			who := email()
			if who == "" {
				return errors.New("nobody has logged in yet: /login first")
			}
			id, err := emu.Deposit(emu.OrgID(who), amount, currency, network)
			if err != nil {
				return err
			}
			where := "the default wallet"
			if network != "" {
				where = copperx.NetworkName(network)
				if n, ok := nets.Lookup(network); ok {
					where = n.Name
				}
			}
			con.Note("💸 deposit of %s %s arrived for %s on %s (transfer %s)", amount, currency, who, where, id)
			// A deposit notification, if a plugin sends one, comes asynchronously.
			con.WaitEvent(ctx, 2*time.Second)
			return nil
		},
	}
}

// networkID resolves a network name or chain id ("" if unknown).
func networkID(nets copperx.Networks, s string) string {
	if _, ok := nets.Lookup(s); ok {
		return s
	}
	for _, id := range nets.IDs() {
		if n, _ := nets.Lookup(id); strings.EqualFold(n.Name, s) || strings.EqualFold(strings.ReplaceAll(n.Name, " ", ""), s) {
			return id
		}
	}
	return ""
}

// runEmulator serves the CopperX emulator on its own, for a bot process
// pointed at it with COPPERX_API_URL.
func runEmulator(ctx context.Context, s *settings, f flags, stdout io.Writer) error {
	kyc, err := kycStatus(f.kyc)
	if err != nil {
		return err
	}
	fee, err := decimal.NewFromString(f.fee)
	if err != nil || fee.IsNegative() {
		return fmt.Errorf("--fee: %q is not a percentage", f.fee)
	}
	emu := copperxtest.New(
		copperxtest.WithAutoSeed(true),
		copperxtest.WithFixedOTP(s.sandbox.OTP),
		copperxtest.WithDefaultKYC(kyc),
		copperxtest.WithFee(fee),
		copperxtest.WithOTPPrinter(func(email, code string) {
			fmt.Fprintf(stdout, "📧 OTP for %s: %s\n", email, code)
		}),
	)
	const demo = "demo@copperx.io"
	emu.SeedUser(demo)
	fmt.Fprintf(stdout, "CopperX emulator on http://%s (Pusher: ws://%s/app/%s?protocol=7, secret %s)\n",
		f.addr, f.addr, emu.PusherKey(), emu.PusherSecret())
	fmt.Fprintf(stdout, "any email logs in with the printed code or %s; seeded demo user: %s; KYC %s; fee %s%%\n",
		s.sandbox.OTP, demo, f.kyc, fee)
	fmt.Fprintf(stdout, "point a bot at it: COPPERX_API_URL=http://%s go run .\n", f.addr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := emu.ListenAndServe(ctx, f.addr); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
