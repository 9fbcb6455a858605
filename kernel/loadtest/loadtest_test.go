package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes this test binary the bare handler instead of running the
// tests: the driver's child.
const childEnv = "LOADTEST_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "bare" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := ServeBare(ctx)
		stop()
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func bareProcess(t *testing.T) Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Process{Name: "bare", Path: exe, Env: []string{childEnv + "=bare"}, Bare: true}
}

// TestRunAnswersEveryUpdate drives the bare handler: every update of every
// chat is answered and counted, and the figures that are not timings are
// exact.
func TestRunAnswersEveryUpdate(t *testing.T) {
	script := []Step{{Text: "/start"}, {Text: "user{chat}@example.com"}, {Tap: "Confirm"}}
	res, err := Run(context.Background(), Options{Chats: 20, Concurrency: 4, Duration: time.Minute, Script: script}, bareProcess(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Updates != 60 || res.Failed != 0 || res.Unanswered != 0 || res.Chats != 20 {
		t.Fatalf("updates %d, failed %d, unanswered %d, chats %d; want 60 answered in 20 chats (first problem: %s)",
			res.Updates, res.Failed, res.Unanswered, res.Chats, res.FirstProblem)
	}
	if res.AllocsPerUpdate <= 0 {
		t.Errorf("allocs per update = %v, want some", res.AllocsPerUpdate)
	}
	if res.CallsPerUpdate != 1 {
		t.Errorf("calls per update = %v, want 1 (the bare handler sends one message)", res.CallsPerUpdate)
	}
	if res.PeakRSS <= 0 || res.StartupMS <= 0 || res.PerSecond <= 0 || res.P50 <= 0 || res.P99 < res.P50 {
		t.Errorf("figures missing or out of order: %+v", res)
	}
	if res.RedisRoundTrips != nil {
		t.Errorf("Redis round trips reported without Redis: %v", *res.RedisRoundTrips)
	}
}

// TestRunMakesTheCallOfAWebhookAnswer: an update answered with a method
// in the webhook's response is answered as Telegram would (the driver
// makes the call).
func TestRunMakesTheCallOfAWebhookAnswer(t *testing.T) {
	p := bareProcess(t)
	p.Env = append(p.Env, BareReplyEnv+"=webhook")
	res, err := Run(context.Background(), Options{Chats: 10, Concurrency: 3, Script: []Step{{Text: "/start"}, {Tap: "OK"}}}, p)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updates != 20 || res.Failed+res.Unanswered != 0 || res.CallsPerUpdate != 1 {
		t.Fatalf("updates %d, failed %d, unanswered %d, calls per update %v; want 20 answered by one call each (%s)",
			res.Updates, res.Failed, res.Unanswered, res.CallsPerUpdate, res.FirstProblem)
	}
}

// TestRunStopsAtTheDuration: a run whose chats would take longer than its
// duration stops by itself, with what it did.
func TestRunStopsAtTheDuration(t *testing.T) {
	script := []Step{{Text: "/a"}, {Text: "/b"}}
	start := time.Now()
	res, err := Run(context.Background(), Options{Chats: 1_000_000, Concurrency: 2, Duration: 300 * time.Millisecond, Script: script}, bareProcess(t))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("a 300ms run took %s", took)
	}
	if res.Chats == 0 || res.Chats >= 1_000_000 || res.Failed != 0 || res.Unanswered != 0 {
		t.Fatalf("chats %d, failed %d, unanswered %d: want some chats, not all, none failed", res.Chats, res.Failed, res.Unanswered)
	}
}

// TestRunReportsAChildThatDoesNotStart names the child and shows its
// output.
func TestRunReportsAChildThatDoesNotStart(t *testing.T) {
	p := bareProcess(t)
	p.Env = append(p.Env, "WEBHOOK_URL=") // the bare handler refuses to start without it
	_, err := Run(context.Background(), Options{Chats: 1, Script: []Step{{Text: "/x"}}, ReadyTimeout: 20 * time.Second}, p)
	if err == nil || !strings.Contains(err.Error(), "bare") || !strings.Contains(err.Error(), "WEBHOOK_URL") {
		t.Fatalf("err = %v; want one naming the child and showing why it stopped", err)
	}
}

func TestRunRefusesBadScripts(t *testing.T) {
	for _, script := range [][]Step{nil, {{}}, {{Text: "/a", Tap: "OK"}}} {
		if _, err := Run(context.Background(), Options{Script: script}, Process{Name: "never started", Path: "/nonexistent"}); err == nil {
			t.Errorf("script %v: no error", script)
		}
	}
}

// TestCompareReportsRatios runs the bare handler as both sides: the
// ratios of identical programs are about 1, and the report prints them.
func TestCompareReportsRatios(t *testing.T) {
	p := bareProcess(t)
	bot := p
	bot.Name, bot.Bare = "bot", false
	rep, err := Compare(context.Background(), Options{Chats: 10, Concurrency: 2, Duration: time.Minute, Script: []Step{{Text: "/start"}}},
		"start", 2, bot, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.BotRuns) != 2 || len(rep.BareRuns) != 2 || rep.Bot.Updates != 10 || rep.Bare.Updates != 10 {
		t.Fatalf("runs %d and %d, updates %d and %d; want 2 runs of 10 updates each", len(rep.BotRuns), len(rep.BareRuns), rep.Bot.Updates, rep.Bare.Updates)
	}
	if rep.Ratios.PeakRSS < 0.5 || rep.Ratios.PeakRSS > 2 {
		t.Errorf("peak RSS ratio of a program to itself = %v", rep.Ratios.PeakRSS)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10 chats × start, concurrency 2, memory sessions, medians of 2 runs", "bot ÷ bare", "CPU ms/update", "peak RSS MB"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"machine", "bot", "bare", "ratios", "bot_runs", "bare_runs"} {
		if shape[key] == nil {
			t.Errorf("JSON report lacks %q", key)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{"1234 (payoutbot) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0", 3 * time.Second, true},
		{"1234 (a b) c)) R 1 1 1 0 -1 0 0 0 0 0 7 3 0 0", 100 * time.Millisecond, true},
		{"1234 payoutbot S 1", 0, false},
		{"1234 (x) S 1 2", 0, false},
		{"1234 (x) S 1 1 1 0 -1 0 0 0 0 0 x 3", 0, false},
	}
	for _, tc := range tests {
		got, err := parseStatCPU([]byte(tc.line))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v (ok %v)", tc.line, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := []byte("Name:\tpayoutbot\nVmPeak:\t 999 kB\nVmHWM:\t   38912 kB\nVmRSS:\t 30000 kB\n")
	if got, err := parseStatusKB(status, "VmHWM"); err != nil || got != 38912<<10 {
		t.Errorf("VmHWM = %d, %v; want %d", got, err, 38912<<10)
	}
	for _, bad := range []string{"VmRSS:\t1 kB\n", "VmHWM:\t12 MB\n", "VmHWM:\tx kB\n"} {
		if _, err := parseStatusKB([]byte(bad), "VmHWM"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// This process has a /proc entry: the readers work on the real files.
	if rss, err := procPeakRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("procPeakRSS(self) = %d, %v", rss, err)
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Errorf("procCPU(self): %v", err)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i))
	}
	for p, want := range map[int]time.Duration{50: 100, 95: 190, 99: 198, 100: 200} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%d = %d, want %d", p, got, want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %v", got)
	}
}

func TestMedianSumsProblems(t *testing.T) {
	rt := func(v float64) *float64 { return &v }
	runs := []Result{
		{CPUPerUpdate: 3, PeakRSS: 30, Failed: 1, FirstProblem: "first", RedisRoundTrips: rt(2)},
		{CPUPerUpdate: 1, PeakRSS: 10, RedisRoundTrips: rt(4)},
		{CPUPerUpdate: 2, PeakRSS: 20, Unanswered: 2, FirstProblem: "second", RedisRoundTrips: rt(3)},
	}
	m := median(runs)
	if m.CPUPerUpdate != 2 || m.PeakRSS != 20 || *m.RedisRoundTrips != 3 {
		t.Errorf("medians %v %v %v, want 2 20 3", m.CPUPerUpdate, m.PeakRSS, *m.RedisRoundTrips)
	}
	if m.Failed != 1 || m.Unanswered != 2 || m.FirstProblem != "first" {
		t.Errorf("problems %d %d %q: want every run's counted, the first named", m.Failed, m.Unanswered, m.FirstProblem)
	}
	if even := median(runs[:2]); even.CPUPerUpdate != 2 {
		t.Errorf("median of 3 and 1 = %v, want 2", even.CPUPerUpdate)
	}
}
