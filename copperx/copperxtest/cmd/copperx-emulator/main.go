// Command copperx-emulator serves the CopperX API emulator (package
// copperxtest) as a standalone process, for running the bot against it by
// hand: every email gets the demo account and the OTP is printed.
//
//	go run ./copperx/copperxtest/cmd/copperx-emulator -addr :8090 -otp 123456
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
	"github.com/shopspring/decimal"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	otp := flag.String("otp", "123456", "OTP accepted for every login besides the random one (\"\" = none)")
	autoSeed := flag.Bool("autoseed", true, "give every email that asks for an OTP the demo account")
	fee := flag.String("fee", "0", "fee in percent of outgoing transfers")
	kyc := flag.String("kyc", copperxtest.DefaultKYCStatus, "KYC status of seeded accounts")
	key := flag.String("pusher-key", copperxtest.DefaultPusherKey, "Pusher app key")
	secret := flag.String("pusher-secret", copperxtest.DefaultPusherSecret, "Pusher app secret")
	flag.Parse()

	feePct, err := decimal.NewFromString(*fee)
	if err != nil {
		fmt.Fprintln(os.Stderr, "copperx-emulator: -fee:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := copperxtest.New(
		copperxtest.WithFixedOTP(*otp),
		copperxtest.WithAutoSeed(*autoSeed),
		copperxtest.WithFee(feePct),
		copperxtest.WithDefaultKYC(*kyc),
		copperxtest.WithPusherApp(*key, *secret),
		copperxtest.WithLogger(log),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("pusher websocket", "url", "ws://"+*addr+"/app/"+*key+"?protocol=7", "secret", *secret)
	if err := srv.ListenAndServe(ctx, *addr); err != nil {
		log.Error("copperx-emulator stopped", "err", err)
		os.Exit(1)
	}
}
