// Command payoutbot is the CopperX Payout Telegram bot.
//
// main only wires: it parses the command line, loads the configuration,
// builds the CopperX client, lists the plugins and runs a subcommand
// (`payoutbot help` lists them).
package main

import (
	"net/http"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/copperx/sandbox"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/locales"
	"github.com/copperx-bot/payoutbot/plugins/auth"
	"github.com/copperx-bot/payoutbot/plugins/notify"
	"github.com/copperx-bot/payoutbot/plugins/payees"
	"github.com/copperx-bot/payoutbot/plugins/payouts"
	"github.com/copperx-bot/payoutbot/plugins/transfer"
	"github.com/copperx-bot/payoutbot/plugins/wallet"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // the help was printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "payoutbot:", err)
		os.Exit(1)
	}
}

// plugins is the table of contents of the bot, in start order.
func plugins(api *copperx.Client, nets copperx.Networks, o sandbox.PluginOptions) []kernel.Plugin {
	var notifyOpts []notify.Option
	if o.WebsocketURL != "" {
		notifyOpts = append(notifyOpts, notify.WithWebsocketURL(o.WebsocketURL))
	}
	return []kernel.Plugin{
		auth.New(api),
		wallet.New(api, nets),
		transfer.New(api, nets),
		notify.New(api, nets, notifyOpts...),
		payees.New(api),
		payouts.New(api, nets),
	}
}

// subcommands, in the order help lists them.
var subcommands = []struct{ name, usage, help string }{
	{"run", "", "serve Telegram: long polling, or a webhook when WEBHOOK_URL is set (the default)"},
	{"chat", "[--sandbox] [--script FILE]", "the whole bot in this terminal; --sandbox runs it against the CopperX emulator"},
	{"emulator", "[--addr HOST:PORT] [--admin-addr HOST:PORT]", "serve the CopperX emulator on its own, for a bot started separately; its admin API makes deposits and settles transfers"},
	{"check-config", "", "validate the configuration and the locales without secrets; list what is enabled"},
	{"genkey", "", "print a new SESSION_ENCRYPTION_KEY"},
	{"healthcheck", "[--url URL]", "exit 0 when the bot's /healthz answers (a container's health check: no shell needed)"},
	{"loadtest", "[--chats N] [--concurrency N] [--duration D] [--script STEPS] [--redis URL] [--runs N] [--json]", "measure the bot in webhook mode on loopback against a fake Telegram and the CopperX emulator, beside a bare net/http handler"},
	{"version", "", "print the version and the source revision"},
	{"help", "", "this list"},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "payoutbot: the CopperX Payout Telegram bot.")
	fmt.Fprintln(w, "\nUsage: payoutbot [command] [flags]   (payoutbot COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.help)
	}
	fmt.Fprintf(w, "\nThe configuration comes from --config or %s (default config.yaml), then the\nenvironment (see config.yaml and README.md).\n", kernel.PathEnv)
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
	admin   string
	settle  time.Duration
	fee     string
	url     string
	load    loadtestFlags
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	} else if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		// Asked at the top level: what the commands are, then the flags
		// of run, the command a bare payoutbot runs.
		usage(stdout)
		fmt.Fprintln(stdout, "\nWithout a command, payoutbot runs run:")
		cmd = "run"
	}
	if cmd == loadtestChild {
		return runLoadtestChild(ctx, args, stderr)
	}
	known := false
	for _, c := range subcommands {
		known = known || c.name == cmd
	}
	switch {
	case !known:
		usage(stderr)
		return fmt.Errorf("unknown command %q (payoutbot help lists them)", cmd)
	case cmd == "help":
		usage(stdout)
		return nil
	case cmd == "version":
		fmt.Fprintln(stdout, version())
		return nil
	}
	fl := newFlagSet(cmd, stdout)
	var f flags
	defineFlags(fl, cmd, &f)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", cmd, fl.Arg(0))
	}
	if cmd == "chat" && f.script != "" {
		// A script carries its own flags ("#! --kyc pending"); the command
		// line wins over them.
		head, err := scriptFlags(f.script)
		if err != nil {
			return err
		}
		fl = newFlagSet(cmd, stdout)
		f = flags{}
		defineFlags(fl, cmd, &f)
		if err := fl.Parse(append(head, args...)); err != nil {
			return fmt.Errorf("%s: %w", f.script, err)
		}
	}

	switch cmd {
	case "genkey":
		key, err := secret.GenerateKey()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, key)
		return nil
	case "emulator":
		return runEmulator(ctx, f, stdout)
	case "healthcheck":
		return healthcheck(ctx, f.url)
	case "loadtest":
		return runLoadtest(ctx, f, stdout, stderr)
	}

	s, err := loadSettings(f.config)
	if err != nil {
		return err
	}
	switch cmd {
	case "chat":
		return runChat(ctx, s, f, stdout, stderr)
	case "check-config":
		return checkConfig(s, stdout)
	}
	logger := kernel.NewLogger(stderr, s.kernel.Log)
	store.LogTo(logger)
	// One registry for everything /metrics shows: the process, the Go
	// runtime, the CopperX client, the kernel and the plugins.
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api, err := copperx.New(s.copperx, copperx.WithLogger(logger), copperx.WithRegisterer(registry))
	if err != nil {
		return err
	}
	k, err := kernel.New(kernel.Options{
		Config: s.kernel, Plugins: plugins(api, s.networks, sandbox.PluginOptions{}), Locales: locales.FS, LocaleOverlay: localeOverlay(s.kernel),
		Logger: logger, Registry: registry,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := k.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func newFlagSet(cmd string, out io.Writer) *flag.FlagSet {
	fl := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fl.SetOutput(out)
	fl.Usage = func() {
		for _, c := range subcommands {
			if c.name == cmd {
				fmt.Fprintf(out, "payoutbot %s %s\n  %s\n\nFlags:\n", c.name, c.usage, c.help)
			}
		}
		fl.PrintDefaults()
	}
	return fl
}

func defineFlags(fl *flag.FlagSet, cmd string, f *flags) {
	defPath := os.Getenv(kernel.PathEnv)
	if defPath == "" {
		defPath = "config.yaml"
	}
	if cmd != "genkey" && cmd != "emulator" && cmd != "healthcheck" {
		fl.StringVar(&f.config, "config", defPath, "path of config.yaml ("+kernel.PathEnv+")")
	}
	switch cmd {
	case "chat":
		fl.BoolVar(&f.sandbox, "sandbox", false, "run against the in-process CopperX emulator instead of the real API")
		fl.StringVar(&f.script, "script", "", "replay this chat script and exit (its \"#! --flag value\" lines are flags too)")
		fl.StringVar(&f.lang, "lang", "en", "your Telegram language code")
		fl.BoolVar(&f.verbose, "verbose", false, "log at the configured level (default: warnings only)")
	case "healthcheck":
		fl.StringVar(&f.url, "url", "http://127.0.0.1:8080/healthz", "the URL to probe")
	case "loadtest":
		defineLoadtestFlags(fl, &f.load)
	case "emulator":
		fl.StringVar(&f.addr, "addr", "127.0.0.1:8090", "listen address")
		fl.StringVar(&f.admin, "admin-addr", sandbox.DefaultAdminAddr, "admin API listen address (deposits, settling transfers)")
		fl.DurationVar(&f.settle, "settle-delay", 0, "how long transfers stay processing (0: 2s; negative: until the admin API settles them)")
		fl.StringVar(&f.fee, "fee", "0", "fee in percent of outgoing transfers")
	}
	if cmd == "chat" || cmd == "emulator" {
		fl.StringVar(&f.kyc, "kyc", copperxtest.DefaultKYCStatus, "KYC status of sandbox accounts: approved, pending, rejected or none")
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

// Validate implements the config sections' validation.
func (c *sandboxConfig) Validate() error {
	if c.OTP != "" && (len(c.OTP) != 6 || strings.Trim(c.OTP, "0123456789") != "") {
		return kernel.ConfigErrorf("otp", "must be 6 digits or empty")
	}
	return nil
}

func loadSettings(path string) (*settings, error) {
	s := &settings{kernel: kernel.DefaultConfig(), copperx: copperx.DefaultConfig(),
		networks: copperx.DefaultNetworks(), sandbox: sandboxConfig{OTP: "123456"}}
	if err := kernel.LoadConfig(kernel.Source{Path: path}, &s.kernel, map[string]any{
		"copperx": &s.copperx, "networks": &s.networks, "sandbox": &s.sandbox,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// localeOverlay is the folder i18n.dir names (nil when unset): its partial
// language files replace the built-in messages they define.
func localeOverlay(cfg kernel.Config) fs.FS {
	if cfg.I18n.Dir == "" {
		return nil
	}
	return os.DirFS(cfg.I18n.Dir)
}

// checkConfig validates everything it can without secrets and without
// connecting anywhere; unset secrets are listed, not refused.
func checkConfig(s *settings, stdout io.Writer) error {
	api, err := copperx.New(s.copperx)
	if err != nil {
		return err
	}
	k, err := kernel.New(kernel.Options{
		Config: s.kernel, Plugins: plugins(api, s.networks, sandbox.PluginOptions{}), Locales: locales.FS, LocaleOverlay: localeOverlay(s.kernel), CheckOnly: true,
	})
	if err != nil {
		return err
	}
	defer k.Close()
	fmt.Fprintln(stdout, "config OK")
	fmt.Fprintln(stdout, "plugins:", k.Enabled())
	for _, line := range k.Commands() {
		fmt.Fprintln(stdout, " ", line)
	}
	if over := k.LocaleOverrides(); len(over) > 0 {
		fmt.Fprintf(stdout, "messages overridden by %s:\n", s.kernel.I18n.Dir)
		for _, o := range over {
			fmt.Fprintln(stdout, "  "+o)
		}
	}
	if missing := k.MissingSecrets(); len(missing) > 0 {
		fmt.Fprintln(stdout, "secrets to set before running:")
		for _, m := range missing {
			fmt.Fprintf(stdout, "  %s (%s): %s\n", m.Env, m.Key, m.Why)
		}
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

// runChat is `payoutbot chat`.
func runChat(ctx context.Context, s *settings, f flags, stdout, stderr io.Writer) error {
	kyc, err := kycStatus(f.kyc)
	if err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	interactive := f.script == "" && isTerminal(os.Stdin)
	if f.script != "" {
		file, err := os.Open(f.script)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return sandbox.Chat(ctx, sandbox.ChatOptions{
		Kernel: s.kernel, CopperX: s.copperx, Networks: s.networks, Locales: locales.FS, LocaleOverlay: localeOverlay(s.kernel),
		Plugins: func(api *copperx.Client, o sandbox.PluginOptions) []kernel.Plugin { return plugins(api, s.networks, o) },
		Sandbox: f.sandbox, OTP: s.sandbox.OTP, KYC: kyc, Lang: f.lang, Verbose: f.verbose,
		In: in, Script: !interactive, Interactive: interactive, Out: stdout, Err: stderr, Color: isTerminal(stdout),
		Started: sandboxStarted,
	})
}

// sandboxStarted, when set (tests), gets the emulator of chat --sandbox.
var sandboxStarted func(*copperxtest.Server)

// runEmulator is `payoutbot emulator`.
func runEmulator(ctx context.Context, f flags, stdout io.Writer) error {
	kyc, err := kycStatus(f.kyc)
	if err != nil {
		return err
	}
	fee, err := decimal.NewFromString(f.fee)
	if err != nil || fee.IsNegative() {
		return fmt.Errorf("--fee: %q is not a percentage", f.fee)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return sandbox.Emulator(ctx, sandbox.EmulatorOptions{Addr: f.addr, AdminAddr: f.admin, SettleDelay: f.settle, OTP: "123456", KYC: kyc, Fee: fee, Out: stdout})
}

// healthcheck probes url: nil when it answers 200 within 3 seconds.
func healthcheck(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
	}
	return nil
}

// scriptFlags reads a chat script's "#! --flag value" lines.
func scriptFlags(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#!"); ok {
			out = append(out, strings.Fields(rest)...)
		}
	}
	return out, nil
}

// version is the module version and the VCS revision the binary was built
// from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "payoutbot (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	rev, modified, at := "", false, ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		case "vcs.time":
			at = s.Value
		}
	}
	out := "payoutbot " + v + " " + bi.GoVersion
	if rev != "" {
		out += " revision " + rev
		if modified {
			out += " (modified)"
		}
		if at != "" {
			out += " " + at
		}
	}
	return out
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
