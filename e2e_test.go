package main

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestEndToEndDepositReachesAnotherProcess runs what README's "Try it"
// tells an operator to: `payoutbot emulator` in one process and `payoutbot
// run` in another, configured only by the environment the emulator's
// banner prints, with the test as Telegram (long polling). A user logs in,
// a deposit made through the emulator's admin API reaches them as a
// notification, once, and SIGTERM stops the bot cleanly: exit status 0,
// nothing logged at WARN or above (issue 12: "Done when").
func TestEndToEndDepositReachesAnotherProcess(t *testing.T) {
	emu := startEmulator(t)
	tg := newTelegram(t)
	setup := &botSetup{tg: tg, apiURL: emu.api, wsURL: emu.ws, key: sessionKey(t)}
	if os.Getenv("REDIS_URL") != "" {
		setup.redisURL, setup.prefix = sharedRedis(t)
	}
	b := startBot(t, setup, 0)

	const email = "ada@example.com"
	user := conversation{t: t, tg: tg, id: 5550001}
	user.login(email)
	// The login subscribes the user's organization on the Pusher
	// websocket; a deposit made before that would only be found by the
	// next catch-up, so wait for it as an operator would see it.
	waitFor(t, 20*time.Second, "the organization's Pusher channel", func() bool {
		return metricValue(b.metrics(t), "bot_notify_channels_subscribed") >= 1
	})

	from := tg.api.EventCount(user.id)
	dep := emu.adminPost(t, "/_emulator/deposit", `{"email":"`+email+`","amount":"25","currency":"USDC","network":"polygon"}`)
	if dep["transferId"] == nil {
		t.Fatalf("deposit answered %v", dep)
	}
	notice := locale(t, "notify.deposit")
	tg.waitText(t, user.id, from, notice, 20*time.Second)
	waitFor(t, 10*time.Second, "the deposit to be counted", func() bool {
		return metricValue(b.metrics(t), "bot_notify_deposits_total", "outcome", "announced") == 1
	})

	b.stop(t)
	if n := tg.count(user.id, from, notice); n != 1 {
		t.Errorf("%d deposit notices, want 1:\n%v", n, tg.texts(user.id, from))
	}
	if !emu.running() {
		t.Errorf("the emulator exited: %v", emu.err)
	}
}

// TestSignalDuringStartupExitsQuietly: SIGTERM while the bot is still
// starting (publishing its command menu, which Telegram answers 502) is
// a clean stop too: exit status 0 and nothing at WARN or above. Guards
// kernel.Run treating what a cancelled start-up cut short (the menu, the
// services) as no failure.
func TestSignalDuringStartupExitsQuietly(t *testing.T) {
	tg := newTelegram(t)
	tg.api.Fail("setMyCommands", 502, 0, 1000)
	emu := newEmulator(t)
	b := startBot(t, &botSetup{tg: tg, apiURL: emu.URL(), wsURL: emu.WSURL(), key: sessionKey(t)}, 0)
	waitFor(t, 10*time.Second, "the bot to publish its menu", func() bool {
		return len(tg.api.Calls("setMyCommands")) > 0
	})
	b.stop(t)
}

// metricValue sums the samples of a metric family whose labels include
// the given name/value pairs (0 when there are none).
func metricValue(samples []sample, family string, labels ...string) float64 {
	total := 0.0
	for _, s := range samples {
		if s.name != family {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && s.labels[labels[i]] == labels[i+1]
		}
		if v, err := strconv.ParseFloat(s.value, 64); match && err == nil {
			total += v
		}
	}
	return total
}
