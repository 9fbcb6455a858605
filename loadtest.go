package main

// `payoutbot loadtest`: the bot in webhook mode as a child process of this
// binary, on loopback, against a fake Bot API and the CopperX emulator
// (both in this process), driven by kernel/loadtest and compared with a
// bare net/http + JSON handler run the same way.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/copperx/sandbox"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/loadtest"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/locales"
)

// loadtestChild is the hidden subcommand the load test starts its
// children with: "loadtest-child bot" serves the bot as `run` does (plus
// the counters the driver reads), "loadtest-child bare" the bare handler.
const loadtestChild = "loadtest-child"

// loadtestOTP is the code the emulator accepts for every login.
const loadtestOTP = "123456"

// loadtestFlags are the options of `payoutbot loadtest`.
type loadtestFlags struct {
	chats       int
	concurrency int
	duration    time.Duration
	script      string
	redis       string
	runs        int
	users       int
	json        bool
	bare        bool
	bareReply   string
	adminAddr   string
	binary      string // the executable to start as the children (tests)
}

func defineLoadtestFlags(fl *flag.FlagSet, f *loadtestFlags) {
	fl.IntVar(&f.chats, "chats", 2000, "private chats, each taken once through the script")
	fl.IntVar(&f.concurrency, "concurrency", 32, "updates in flight at once (one per chat)")
	fl.DurationVar(&f.duration, "duration", 2*time.Minute, "stop sending new updates after this long")
	fl.StringVar(&f.script, "script", "start,help,balance", "comma-separated steps: login, send (to an email, with Confirm), any command (start, balance, history...), or logged-in (login,balance,send,history)")
	fl.StringVar(&f.redis, "redis", "", "Redis URL for the bot's sessions (its keys get a fresh prefix, deleted afterwards); default memory sessions")
	fl.IntVar(&f.users, "users", 0, "log this many other users in first, unmeasured (notifications then hold their organizations)")
	fl.IntVar(&f.runs, "runs", 1, "run the bot and the bare handler this many times each, alternating, and report medians")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON")
	fl.BoolVar(&f.bare, "bare", true, "also run the bare net/http + JSON handler and report the bot's figures as ratios to it")
	fl.StringVar(&f.adminAddr, "admin-addr", "", "serve the bot's /metrics and /debug/pprof here during the run (go tool pprof http://ADDR/debug/pprof/profile)")
	fl.StringVar(&f.bareReply, "bare-reply", "call", "how the bare handler answers: call (sendMessage over its keep-alive client) or webhook (the method in the webhook's response)")
}

// loadtestSteps turns --script into the updates each chat sends.
func loadtestSteps(spec string) ([]loadtest.Step, error) {
	var steps []loadtest.Step
	text := func(t, expect string) { steps = append(steps, loadtest.Step{Text: t, Expect: expect}) }
	tap := func(label, expect string) { steps = append(steps, loadtest.Step{Tap: label, Expect: expect}) }
	var expand func(name string) error
	expand = func(name string) error {
		switch name {
		case "logged-in":
			for _, n := range []string{"login", "balance", "send", "history"} {
				if err := expand(n); err != nil {
					return err
				}
			}
		case "login":
			text("/login", "")
			text("user{chat}@loadtest.example", "")
			text(loadtestOTP, "Welcome")
		case "send":
			text("/send", "")
			tap("Email", "")
			text("friend{chat}@loadtest.example", "")
			text("10", "")
			tap("Gift", "")
			tap("Confirm", "Sent 10.00 USDC")
		default:
			if !commandWord.MatchString(name) {
				return fmt.Errorf("--script: %q is not a step (login, send, logged-in, or a command such as balance)", name)
			}
			text("/"+name, "")
		}
		return nil
	}
	for name := range strings.SplitSeq(spec, ",") {
		if err := expand(strings.TrimPrefix(strings.TrimSpace(name), "/")); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

var commandWord = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// runLoadtest is `payoutbot loadtest`.
func runLoadtest(ctx context.Context, f flags, stdout, stderr io.Writer) error {
	lf := f.load
	steps, err := loadtestSteps(lf.script)
	if err != nil {
		return err
	}
	if lf.bareReply != "call" && lf.bareReply != "webhook" {
		return fmt.Errorf("loadtest: --bare-reply: want call or webhook, not %q", lf.bareReply)
	}
	if lf.chats < 1 || lf.concurrency < 1 || lf.runs < 1 || lf.duration <= 0 || lf.users < 0 {
		return errors.New("loadtest: --chats, --concurrency, --runs and --duration must be positive, --users not negative")
	}
	var warmup []loadtest.Step
	if lf.users > 0 {
		if warmup, err = loadtestSteps("login"); err != nil {
			return err
		}
	}
	exe := lf.binary
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("loadtest: find this program to start it as the bot: %w", err)
		}
	}
	config, err := filepath.Abs(f.config)
	if err != nil {
		return err
	}
	if _, err := loadSettings(config); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	emu := copperxtest.New(copperxtest.WithAutoSeed(true), copperxtest.WithFixedOTP(loadtestOTP),
		copperxtest.WithDefaultKYC(copperxtest.DefaultKYCStatus))
	emu.Start()
	defer emu.Close()
	bot := loadtest.Process{Name: "bot", Path: exe, Args: []string{loadtestChild, "--config", config, "bot"},
		Env: []string{"COPPERX_API_URL=" + emu.URL(), "COPPERX_BOT_PLUGINS__NOTIFY__WS_URL=" + emu.WSURL()}}
	if lf.adminAddr != "" {
		bot.Env = append(bot.Env, "ADMIN_ADDR="+lf.adminAddr)
	}
	var bare loadtest.Process
	if lf.bare {
		bare = loadtest.Process{Name: "bare", Path: exe, Args: []string{loadtestChild, "bare"}, Bare: true,
			Env: []string{loadtest.BareReplyEnv + "=" + lf.bareReply}}
	}
	rep, err := loadtest.Compare(ctx, loadtest.Options{
		Chats: lf.chats, Concurrency: lf.concurrency, Duration: lf.duration, Script: steps, RedisURL: lf.redis, Log: stderr,
		WarmupChats: lf.users, Warmup: warmup,
	}, lf.script, lf.runs, bot, bare)
	if err != nil {
		return err
	}
	if lf.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if bad := rep.Bot.Failed + rep.Bot.Unanswered + rep.Bare.Failed + rep.Bare.Unanswered; bad > 0 {
		return fmt.Errorf("loadtest: %d updates failed or were not answered", bad)
	}
	return nil
}

// runLoadtestChild is the hidden `payoutbot loadtest-child bot|bare`.
func runLoadtestChild(ctx context.Context, args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet(loadtestChild, flag.ContinueOnError)
	fl.SetOutput(stderr)
	config := fl.String("config", "config.yaml", "path of config.yaml")
	if err := fl.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch fl.Arg(0) {
	case "bare":
		return loadtest.ServeBare(ctx)
	case "bot":
	default:
		return fmt.Errorf("%s: want bot or bare, not %q", loadtestChild, fl.Arg(0))
	}
	// What `run` does, with the bot's Redis client counting its round trips.
	s, err := loadSettings(*config)
	if err != nil {
		return err
	}
	logger := kernel.NewLogger(stderr, s.kernel.Log)
	store.LogTo(logger)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api, err := copperx.New(s.copperx, copperx.WithLogger(logger), copperx.WithRegisterer(registry))
	if err != nil {
		return err
	}
	opts := kernel.Options{
		Config: s.kernel, Plugins: plugins(api, s.networks, sandbox.PluginOptions{}), Locales: locales.FS, LocaleOverlay: localeOverlay(s.kernel),
		Logger: logger, Registry: registry,
	}
	var roundTrips func() int64
	if s.kernel.Redis.URL != "" || len(s.kernel.Redis.Addrs) > 0 {
		rdb, err := store.OpenRedis(s.kernel.Redis)
		if err != nil {
			return err
		}
		defer rdb.Close()
		var rt store.RoundTrips
		rdb.AddHook(&rt)
		roundTrips = rt.Count
		opts.Store, opts.Limiter = store.NewRedis(rdb, s.kernel.Redis.KeyPrefix), ratelimit.NewRedis(rdb, s.kernel.Redis.KeyPrefix)
	}
	k, err := kernel.New(opts)
	if err != nil {
		return err
	}
	if err := loadtest.ServeStats(ctx, roundTrips); err != nil {
		return err
	}
	if err := k.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
