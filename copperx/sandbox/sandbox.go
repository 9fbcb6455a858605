// Package sandbox runs the bot without Telegram or a CopperX account:
// Chat is `payoutbot chat` (the real kernel and plugins in a terminal, on
// the console's fake Bot API, against the CopperX emulator with --sandbox),
// Emulator is `payoutbot emulator` (the emulator on its own, for a bot
// started separately). It is wiring, like main: the one package under
// copperx/ that knows the kernel, so that main.go only lists the plugins
// and parses flags.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/console"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Plugins builds the bot's plugins around a CopperX client; o carries what
// the sandbox must change in them (typed, never by writing into a plugin's
// config).
type Plugins func(api *copperx.Client, o PluginOptions) []kernel.Plugin

// PluginOptions are the sandbox's settings for the plugins.
type PluginOptions struct {
	// WebsocketURL is the emulator's Pusher websocket ("" outside the
	// sandbox): deposit notifications come through it.
	WebsocketURL string
}

// ChatOptions shape `payoutbot chat`.
type ChatOptions struct {
	Kernel   kernel.Config
	CopperX  copperx.Config
	Networks copperx.Networks
	Locales  fs.FS
	// LocaleOverlay replaces the messages it defines (i18n.dir).
	LocaleOverlay fs.FS
	Plugins       Plugins
	// Sandbox runs against an in-process emulator instead of CopperX.
	Sandbox bool
	// OTP is accepted for any email in the sandbox, besides the code the
	// emulator prints; KYC is the status of new sandbox accounts
	// (approved, pending, rejected, or "" for none).
	OTP, KYC string
	// Lang is the user's Telegram language code.
	Lang string
	// Verbose logs at the configured level (default: warnings only).
	Verbose bool
	// In is read line by line; Script makes it a script (echoed, paced,
	// checks fail the run); Interactive prompts.
	In          io.Reader
	Script      bool
	Interactive bool
	Out, Err    io.Writer
	Color       bool
	// Started, when set (tests), gets the sandbox's emulator.
	Started func(*copperxtest.Server)
}

// Chat is the bot in the terminal: the console's fake Bot API stands in
// for Telegram, and in the sandbox the emulator for CopperX. Sessions stay
// in memory, never in a Redis shared with a deployed bot.
func Chat(ctx context.Context, o ChatOptions) error {
	pace := time.Duration(0)
	if o.Script {
		pace = 3 * time.Second // a replayed line stands for a person's typing pace
	}
	con := console.New(console.Options{
		Out: o.Out, Color: o.Color, Script: o.Script, Prompt: o.Interactive,
		LanguageCode: o.Lang, Pace: pace,
	})
	defer con.Close()

	kc := o.Kernel
	kc.Telegram.Token, kc.Telegram.APIURL, kc.Telegram.Webhook.URL = console.Token, con.APIURL(), ""
	kc.Redis.URL, kc.Redis.Addrs = "", nil
	if !o.Verbose {
		kc.Log.Level = "warn"
	}
	logger := kernel.NewLogger(o.Err, kc.Log)

	cx := o.CopperX
	var popts PluginOptions
	if o.Sandbox {
		emu, email := startEmulator(con, o)
		defer emu.Close()
		cx.APIURL, popts.WebsocketURL = emu.URL(), emu.WSURL()
		if o.Started != nil {
			o.Started(emu)
		}
		con.Command(depositCommand(emu, o.Networks, con, email))
		con.Command(transfersCommand(emu, con, email))
		con.Command(settleCommand(emu, con, email))
		con.Command(tickCommand(emu, con))
		kyc := o.KYC
		if kyc == "" {
			kyc = "none"
		}
		con.Note("🧪 sandbox: CopperX emulator at %s; any email logs in (code %s or the one printed); KYC %s", cx.APIURL, o.OTP, kyc)
	}
	api, err := copperx.New(cx, copperx.WithLogger(logger))
	if err != nil {
		return err
	}
	k, err := kernel.New(kernel.Options{
		Config: kc, Plugins: o.Plugins(api, popts), Locales: o.Locales, LocaleOverlay: o.LocaleOverlay, Logger: logger,
		Store: store.NewMemory(store.WithClock(con.Now)), Limiter: ratelimit.NewMemory(ratelimit.WithClock(con.Now)),
	})
	if err != nil {
		return err
	}
	defer k.Close()
	return con.Run(ctx, k, o.In)
}

// startEmulator starts the in-process emulator of the sandbox; email is
// the address that last asked for a login code.
func startEmulator(con *console.Console, o ChatOptions) (*copperxtest.Server, func() string) {
	var last struct {
		sync.Mutex
		email string
	}
	emu := copperxtest.New(
		copperxtest.WithAutoSeed(true),
		copperxtest.WithSettleDelay(chatSettleDelay),
		copperxtest.WithFixedOTP(o.OTP),
		copperxtest.WithDefaultKYC(o.KYC),
		copperxtest.WithOTPPrinter(func(email, code string) {
			last.Lock()
			last.email = email
			last.Unlock()
			con.Note("📧 OTP for %s: %s", email, code)
		}),
	)
	emu.Start()
	return emu, func() string {
		last.Lock()
		defer last.Unlock()
		return last.email
	}
}

// chatSettleDelay is how long the chat sandbox's transfers to addresses
// and banks stay processing before they complete on their own: long
// enough for ":settle" to move one on first, short enough to watch the
// bot edit a receipt to "completed".
const chatSettleDelay = 30 * time.Second

// settleCommand is the sandbox's ":settle STATUS": the logged-in email's
// newest processing transfer ends with STATUS (as the chain or the bank
// would answer), then it waits for the bot to notice (its outcome
// tracking checks the transfer within seconds).
func settleCommand(emu *copperxtest.Server, con *console.Console, email func() string) console.Command {
	return console.Command{
		Name: "settle", Usage: "STATUS",
		Help: "the newest processing transfer ends: success, failed, canceled or refunded (then waits for the bot)",
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return errors.New("usage: :settle success|failed|canceled|refunded")
			}
			who := email()
			if who == "" {
				return errors.New("nobody has logged in yet: /login first")
			}
			id := ""
			for _, t := range emu.Transfers(who) { // newest first
				if t.Status == copperxtest.StatusProcessing {
					id = t.ID
					break
				}
			}
			if id == "" {
				return errors.New("no transfer is processing")
			}
			if err := emu.Settle(id, strings.ToLower(args[0])); err != nil {
				return err
			}
			con.Note("🔔 transfer %s is now %s at the emulator", id, strings.ToLower(args[0]))
			// The bot's tracker looks within seconds; its edit and message
			// come one after the other.
			if con.WaitEvent(ctx, 30*time.Second) {
				for con.WaitEvent(ctx, time.Second) {
				}
			}
			return nil
		},
	}
}

// tickCommand is the sandbox's ":tick [DURATION]": the emulator's clock
// moves on by DURATION (none: it only catches up with its clock), so
// transfer schedules that fell due make their transfers and processing
// transfers whose settle delay passed complete.
func tickCommand(emu *copperxtest.Server, con *console.Console) console.Command {
	return console.Command{
		Name: "tick", Usage: "[DURATION]",
		Help: "the emulator's clock moves on (90m, 24h, 7d; none: to now): due schedules make their transfers",
		Run: func(_ context.Context, args []string) error {
			if len(args) > 1 {
				return errors.New("usage: :tick [24h|90m|7d]")
			}
			d := time.Duration(0)
			if len(args) == 1 {
				var err error
				if d, err = TickDuration(args[0]); err != nil {
					return err
				}
			}
			made := emu.Advance(d)
			con.Note("⏰ emulator clock +%s, now %s: %d scheduled transfer(s) made", d, emu.Now().UTC().Format("2006-01-02 15:04 UTC"), made)
			return nil
		},
	}
}

// maxTick bounds one :tick (a daily schedule runs at most a year's worth
// of times in one tick anyway).
const maxTick = 400 * 24 * time.Hour

// TickDuration reads a :tick duration: Go's ("90m", "24h", "1h30m") or
// whole days ("7d"), from 0 up to 400 days.
func TickDuration(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (90m, 24h, 7d)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration (90m, 24h, 7d)", s)
		}
	}
	if d < 0 || d > maxTick {
		return 0, fmt.Errorf("%s is out of range (0 to 400 days)", s)
	}
	return d, nil
}

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
				if network = NetworkID(nets, args[2]); network == "" {
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
			// A deposit notification, if a plugin sends one, comes
			// asynchronously: live within milliseconds, or through the
			// catch-up when the deposit beat the channel's subscription
			// right after a login. The bound is for a loaded machine;
			// the wait ends as soon as the message is there.
			con.WaitEvent(ctx, 10*time.Second)
			return nil
		},
	}
}

// NetworkID resolves a network name or chain id ("" if unknown).
func NetworkID(nets copperx.Networks, s string) string {
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

// EmulatorOptions shape `payoutbot emulator`.
type EmulatorOptions struct {
	// Addr is the API's (and the Pusher websocket's) listen address.
	Addr string
	// AdminAddr is the admin API's own listen address (default
	// DefaultAdminAddr): deposits and settling over HTTP, never on the
	// API's port.
	AdminAddr string
	OTP       string
	KYC       string
	Fee       decimal.Decimal // percent of outgoing transfers
	// SettleDelay is how long transfers to addresses and banks stay
	// "processing" (0: the emulator's default, 2s); negative: until the
	// admin API settles them.
	SettleDelay time.Duration
	Out         io.Writer
}

// DefaultAdminAddr is the admin API's address when EmulatorOptions.AdminAddr is empty.
const DefaultAdminAddr = "127.0.0.1:8091"

// Emulator serves the CopperX emulator on its own until ctx ends, for a bot
// process pointed at it with COPPERX_API_URL. It binds both listeners
// first: a busy port is an error, and the banner (what a separately
// started bot needs, and the admin API) is printed only once both are
// bound.
func Emulator(ctx context.Context, o EmulatorOptions) error {
	adminAddr := o.AdminAddr
	if adminAddr == "" {
		adminAddr = DefaultAdminAddr
	}
	apiLn, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on %s: %w", o.Addr, err)
	}
	adminLn, err := net.Listen("tcp", adminAddr)
	if err != nil {
		_ = apiLn.Close()
		return fmt.Errorf("emulator: admin API: listen on %s: %w", adminAddr, err)
	}
	opts := []copperxtest.Option{
		copperxtest.WithAutoSeed(true),
		copperxtest.WithFixedOTP(o.OTP),
		copperxtest.WithDefaultKYC(o.KYC),
		copperxtest.WithFee(o.Fee),
		copperxtest.WithOTPPrinter(func(email, code string) {
			fmt.Fprintf(o.Out, "📧 OTP for %s: %s\n", email, code)
		}),
	}
	if o.SettleDelay != 0 {
		opts = append(opts, copperxtest.WithSettleDelay(o.SettleDelay))
	}
	emu := copperxtest.New(opts...)
	const demo = "demo@copperx.io"
	emu.SeedUser(demo)
	printBanner(o, emu, apiLn.Addr().String(), adminLn.Addr().String(), demo)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- emu.Serve(ctx, apiLn) }()
	go func() { errs <- emu.ServeAdmin(ctx, adminLn) }()
	var first error
	for range 2 {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel() // one server failed: stop the other
		}
	}
	return first
}

// printBanner says where the emulator serves, what a bot started
// separately must be given (ready to paste into its shell), and how to
// drive the admin API.
func printBanner(o EmulatorOptions, emu *copperxtest.Server, api, admin, demo string) {
	kyc := o.KYC
	if kyc == "" {
		kyc = "none"
	}
	settle := "after " + copperxtest.DefaultSettleDelay.String()
	switch {
	case o.SettleDelay < 0:
		settle = "when you settle them (admin API)"
	case o.SettleDelay > 0:
		settle = "after " + o.SettleDelay.String()
	}
	code := "the printed code"
	if o.OTP != "" {
		code += " or " + o.OTP
	}
	ws := fmt.Sprintf("ws://%s/app/%s?protocol=7", api, emu.PusherKey())
	adminURL := "http://" + admin + strings.TrimSuffix(copperxtest.AdminPrefix, "/")
	fmt.Fprintf(o.Out, `CopperX emulator serving (Ctrl-C stops it)
  API:       http://%[1]s
  Pusher:    %[2]s (app secret %[3]s)
  Admin API: http://%[4]s
Any email logs in with %[5]s; seeded demo user: %[6]s; KYC %[7]s; fee %[8]s%%;
transfers to addresses and banks stay processing, then settle %[9]s.

Start the bot in another terminal with:
  export COPPERX_API_URL=http://%[1]s
  export COPPERX_BOT_PLUGINS__NOTIFY__WS_URL=%[2]s
  go run .

Admin API (JSON; never on the API's port):
  curl -s -X POST %[10]s/deposit -d '{"email":"%[6]s","amount":"25","currency":"USDC","network":"polygon"}'
      a deposit arrives (Pusher event, balance, history); network: chain id or name, default the default wallet
  curl -s '%[10]s/transfers?email=%[6]s'
      the user's transfers with their status, newest first
  curl -s -X POST %[10]s/settle -d '{"transfer_id":"<id>","status":"failed"}'
      a processing transfer ends: success, failed, canceled or refunded (the last three give the money back)
  curl -s -X POST %[10]s/advance -d '{"duration":"24h"}'
      the emulator's clock moves on: transfers settle, schedules run
`, api, ws, emu.PusherSecret(), admin, code, demo, kyc, o.Fee, settle, adminURL)
}
