package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/loadtest"
)

// runLoadtestJSON runs `payoutbot loadtest --json` with the binary built
// for the tests as the children, and decodes its report.
func runLoadtestJSON(t *testing.T, lf loadtestFlags) loadtest.Report {
	t.Helper()
	lf.binary, lf.json = buildBinary(t), true
	var out, errs bytes.Buffer
	err := runLoadtest(context.Background(), flags{config: "config.yaml", load: lf}, &out, &errs)
	if err != nil {
		t.Fatalf("loadtest: %v\n%s\n%s", err, out.String(), errs.String())
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, out.String())
	}
	return rep
}

// wantEveryUpdateAnswered checks a run's counts (never its timings).
func wantEveryUpdateAnswered(t *testing.T, r loadtest.Result, updates int) {
	t.Helper()
	if r.Updates != updates || r.Failed != 0 || r.Unanswered != 0 {
		t.Errorf("%s: %d updates answered, %d failed, %d unanswered; want %d answered (first problem: %s)",
			r.Name, r.Updates, r.Failed, r.Unanswered, updates, r.FirstProblem)
	}
	if r.CPUPerUpdate < 0 || r.PeakRSS <= 0 || r.StartupMS <= 0 || r.PerSecond <= 0 || r.P99 < r.P50 {
		t.Errorf("%s: figures missing: %+v", r.Name, r)
	}
}

// TestLoadtestBeforeLogin is a short `payoutbot loadtest`: the bot and
// the bare handler answer every update of 50 chats × /start, /help,
// /balance, and the report has its shape.
func TestLoadtestBeforeLogin(t *testing.T) {
	rep := runLoadtestJSON(t, loadtestFlags{chats: 50, concurrency: 8, duration: 2 * time.Minute, script: "start,help,balance", runs: 1, bare: true, bareReply: "call"})
	wantEveryUpdateAnswered(t, rep.Bot, 150)
	wantEveryUpdateAnswered(t, rep.Bare, 150)
	if rep.Bot.Name != "bot" || rep.Bare.Name != "bare" || rep.Sessions != "memory" || rep.Chats != 50 || rep.Script != "start,help,balance" {
		t.Errorf("report: %+v", rep)
	}
	if rep.Ratios.CPUPerUpdate <= 0 || rep.Ratios.PeakRSS <= 0 || rep.Machine.CPUs <= 0 || rep.Machine.BinaryBytes <= 0 {
		t.Errorf("ratios or machine missing: %+v %+v", rep.Ratios, rep.Machine)
	}
	if rep.Bot.RedisRoundTrips != nil {
		t.Errorf("Redis round trips with memory sessions: %v", *rep.Bot.RedisRoundTrips)
	}
}

// TestLoadtestLoggedIn takes chats through login, balance, send with
// Confirm (the receipt says "Sent") and history, with users logged in
// before, on Redis when REDIS_URL is set.
func TestLoadtestLoggedIn(t *testing.T) {
	lf := loadtestFlags{chats: 8, concurrency: 4, duration: 2 * time.Minute, script: "logged-in", runs: 1, users: 5, bare: true, bareReply: "call", redis: os.Getenv("REDIS_URL")}
	rep := runLoadtestJSON(t, lf)
	wantEveryUpdateAnswered(t, rep.Bot, 8*11)
	if rep.Users != 5 || len(rep.BareRuns) != 1 {
		t.Errorf("users %d, bare runs %d; want 5 and 1", rep.Users, len(rep.BareRuns))
	}
	if lf.redis != "" {
		if rep.Sessions != "redis" || rep.Bot.RedisRoundTrips == nil || *rep.Bot.RedisRoundTrips < 2 || rep.Bot.RedisBytesPerSession <= 0 {
			t.Errorf("Redis figures missing: %+v", rep.Bot)
		}
	}
}

// TestLoadtestRefuses checks the flags and script steps it refuses.
func TestLoadtestRefuses(t *testing.T) {
	for _, lf := range []loadtestFlags{
		{chats: 1, concurrency: 1, runs: 1, duration: time.Second, script: "start,Bad Step", bareReply: "call"},
		{chats: 0, concurrency: 1, runs: 1, duration: time.Second, script: "start", bareReply: "call"},
		{chats: 1, concurrency: 1, runs: 1, duration: time.Second, script: "start", users: -1, bareReply: "call"},
		{chats: 1, concurrency: 1, runs: 1, duration: time.Second, script: "start", bareReply: "carrier pigeon"},
	} {
		err := runLoadtest(context.Background(), flags{config: "config.yaml", load: lf}, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: err = %v, want one naming the flag", lf, err)
		}
	}
}

func TestLoadtestSteps(t *testing.T) {
	steps, err := loadtestSteps("start, /help,logged-in")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, s.String())
	}
	want := []string{`"/start"`, `"/help"`, `"/login"`, `"user{chat}@loadtest.example"`, `"123456"`, `"/balance"`,
		`"/send"`, `tap "Email"`, `"friend{chat}@loadtest.example"`, `"10"`, `tap "Gift"`, `tap "Confirm"`, `"/history"`}
	if !slices.Equal(got, want) {
		t.Errorf("steps:\n%v\nwant\n%v", got, want)
	}
	if steps[11].Expect == "" || steps[4].Expect == "" { // the Confirm, the code
		t.Errorf("the Confirm and the code must be checked: %+v", steps)
	}
}
