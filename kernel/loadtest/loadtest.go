// Package loadtest drives a bot over its webhook on loopback and measures
// it: updates per second, latency from webhook receipt to the last Bot API
// call of the update, CPU per update, peak RSS, Redis round trips, heap
// and Redis bytes per chat, and start-up time.
//
// The program under test runs as a child process (a Process: the bot, or
// the bare net/http + JSON handler of ServeBare), so its CPU and memory are
// its own: the driver, the fake Bot API (kernel/fakebot) and whatever else
// the caller runs (a CopperX emulator) stay in the driver's process. The
// child is configured through the environment (the kernel's short names:
// TELEGRAM_API_URL, WEBHOOK_URL, LISTEN_ADDR...) and serves the counters
// only it can read (Redis round trips, heap after a GC) on StatsAddrEnv
// (ServeStats). Everything listens on 127.0.0.1 and the run stops by
// itself: after every chat went through the script, or after the duration.
//
// The package knows nothing of the bot's plugins: a script is a list of
// Steps (text to type, buttons to tap by label) that the caller builds.
package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/redis/go-redis/v9"

	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/secret"
)

// Step is one update a chat sends: text it types, or a tap on a button.
type Step struct {
	// Text is typed as a message; "{chat}" in it becomes the chat's id
	// (one email per chat: "user{chat}@example.com").
	Text string
	// Tap taps the newest callback button whose label contains Tap.
	Tap string
	// Expect, when set, must be in the text of a message the update sent
	// or edited, or of its tap's notice (not checked against a bare
	// Process).
	Expect string
}

func (s Step) String() string {
	if s.Tap != "" {
		return "tap " + strconv.Quote(s.Tap)
	}
	return strconv.Quote(s.Text)
}

// Process is a program under test, started once per run.
type Process struct {
	// Name labels its figures ("bot", "bare").
	Name string
	// Path and Args start it; Env is added to the environment the driver
	// gives it (which inherits only PATH, HOME, TMPDIR and the Go runtime's
	// variables from the driver, so an exported REDIS_URL changes nothing).
	Path string
	Args []string
	Env  []string
	// Bare says that the program answers every update with one message and
	// no buttons: a Tap step is sent as a tap with made-up data.
	Bare bool
}

// Options shape a run.
type Options struct {
	// Chats is how many private chats go through Script (ids FirstChat,
	// FirstChat+1, ...); Concurrency how many updates are in flight at
	// once (one per chat: a chat sends its next update once the last one
	// was answered).
	Chats       int
	Concurrency int
	// Duration stops the run early: no update starts after it.
	Duration time.Duration
	Script   []Step
	// FirstChat is the first chat (and user) id; 0 means 1,000,000.
	FirstChat int64
	// WarmupChats chats (the ids after the measured ones) go through
	// Warmup before the measurement starts, unmeasured: users who are
	// already there (logged in) while the measured chats run.
	WarmupChats int
	Warmup      []Step
	// RedisURL runs the bot on Redis sessions (under a fresh key prefix,
	// deleted after the run); empty: memory sessions.
	RedisURL string
	// ReadyTimeout bounds the wait for the child's /readyz (default 60s).
	ReadyTimeout time.Duration
	// Log receives progress lines and, when a child fails, the end of its
	// stderr (nil: discarded).
	Log io.Writer
}

// Environment variables the driver sets for a child besides the kernel's.
const (
	// StatsAddrEnv is where the child serves ServeStats.
	StatsAddrEnv = "LOADTEST_STATS_ADDR"
	// Token is the bot token children are given (the fake Bot API takes any).
	Token = "123456:LOADTEST"
	// webhookPath is the path of the webhook on the child's listener.
	webhookPath = "/telegram/webhook"
)

// Result is one run's figures for one Process.
type Result struct {
	Name string `json:"name"`
	// Chats went through the script (some partly, when Duration ran out).
	Chats int `json:"chats"`
	// Updates were answered 200 with at least one Bot API call in their
	// chat; Failed were refused or not answered (an error, a non-200);
	// Unanswered were answered 200 with no Bot API call.
	Updates    int `json:"updates"`
	Failed     int `json:"failed"`
	Unanswered int `json:"unanswered"`
	// FirstProblem describes the first failed or unanswered update.
	FirstProblem string  `json:"first_problem,omitempty"`
	Seconds      float64 `json:"seconds"`
	PerSecond    float64 `json:"updates_per_second"`
	// P50, P95 and P99 are milliseconds from sending the webhook request
	// to the last Bot API call the update made (as the fake Bot API
	// timestamped it).
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	// CPUPerUpdate is the child's user+system CPU during the drive, in
	// milliseconds per update (/proc/<pid>/stat, 10 ms ticks).
	CPUPerUpdate float64 `json:"cpu_ms_per_update"`
	// PeakRSS is the child's VmHWM in bytes, at the end of the drive.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// StartupMS is from starting the child to its first ready /readyz.
	StartupMS float64 `json:"startup_to_ready_ms"`
	// AllocsPerUpdate is the heap objects the child allocated during the
	// drive, per update (its background work included).
	AllocsPerUpdate float64 `json:"allocs_per_update"`
	// CallsPerUpdate counts the Bot API calls that changed a chat (sends,
	// edits, deletes, callback answers) per update.
	CallsPerUpdate float64 `json:"bot_api_calls_per_update"`
	// HeapPerChat is the child's live heap after a GC, after the drive
	// minus before it, divided by Chats: what a chat that went through the
	// script leaves behind in memory (its session, with memory sessions).
	HeapPerChat int64 `json:"heap_bytes_per_chat"`
	// RedisRoundTrips per update (a pipeline or a script run is one; the
	// child's background work counts too); nil without Redis.
	RedisRoundTrips *float64 `json:"redis_round_trips_per_update,omitempty"`
	// RedisBytesPerSession is the mean MEMORY USAGE of a session key, and
	// RedisBytesPerChat of all the run's keys divided by Chats; 0 without
	// Redis.
	RedisBytesPerSession int64 `json:"redis_bytes_per_session,omitempty"`
	RedisBytesPerChat    int64 `json:"redis_bytes_per_chat,omitempty"`
}

// chatState is what the fake Bot API's hook records for one chat.
type chatState struct {
	id     int64
	events atomic.Int64
	last   atomic.Int64 // unix nanoseconds of the newest event
}

// Run starts p, drives opts.Chats chats through opts.Script over its
// webhook, measures, stops p and returns its figures. An error means the
// run could not be made (the child did not start or get ready); updates
// that failed are counted in the Result instead.
func Run(ctx context.Context, opts Options, p Process) (*Result, error) {
	opts = opts.withDefaults()
	if len(opts.Script) == 0 {
		return nil, errors.New("loadtest: empty script")
	}
	for _, s := range opts.Script {
		if (s.Text == "") == (s.Tap == "") {
			return nil, fmt.Errorf("loadtest: a step types text or taps a button, not %+v", s)
		}
	}
	api := fakebot.New()
	defer api.Close()
	chats := make(map[int64]*chatState, opts.Chats+opts.WarmupChats)
	for i := range opts.Chats + opts.WarmupChats {
		id := opts.FirstChat + int64(i)
		chats[id] = &chatState{id: id}
	}
	api.OnEvent(func(chatID int64, _ fakebot.Event) {
		if s := chats[chatID]; s != nil {
			s.last.Store(time.Now().UnixNano())
			s.events.Add(1)
		}
	})

	var redisPrefix string
	var rdb *redis.Client
	if opts.RedisURL != "" {
		ro, err := redis.ParseURL(opts.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("loadtest: --redis: %w", err)
		}
		rdb = redis.NewClient(ro)
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("loadtest: redis %s: %w", opts.RedisURL, err)
		}
		redisPrefix = "loadtest:" + randomHex(6) + ":"
		defer deleteKeys(context.WithoutCancel(ctx), rdb, redisPrefix)
	}

	child, err := startChild(ctx, opts, p, api.URL(), redisPrefix)
	if err != nil {
		return nil, err
	}
	defer child.stop()
	res := &Result{Name: p.Name}
	res.StartupMS = ms(child.ready)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.Concurrency, MaxIdleConns: opts.Concurrency,
		IdleConnTimeout: time.Minute}, Timeout: 2 * time.Minute}
	defer client.CloseIdleConnections()
	newDriver := func(first int64, n int, script []Step) *driver {
		return &driver{opts: opts, p: p, api: api, chats: chats, hook: child.hookURL, secret: child.secret, client: client,
			first: first, count: n, script: script}
	}
	if opts.WarmupChats > 0 && len(opts.Warmup) > 0 && !p.Bare {
		fmt.Fprintf(opts.Log, "loadtest: %s: warming up with %d chats\n", p.Name, opts.WarmupChats)
		w := newDriver(opts.FirstChat+int64(opts.Chats), opts.WarmupChats, opts.Warmup)
		started := time.Now()
		w.drive(ctx, time.Hour)
		fmt.Fprintf(opts.Log, "loadtest: %s: warmed up in %s; measuring\n", p.Name, time.Since(started).Round(time.Millisecond))
		if w.failed+w.unanswered > 0 {
			return nil, fmt.Errorf("loadtest: %s: %d updates of the warm-up failed; first: %s", p.Name, w.failed+w.unanswered, w.firstProblem)
		}
	}
	before, err := child.stats(ctx)
	if err != nil {
		return nil, err
	}
	events0 := int64(0)
	for _, s := range chats {
		events0 += s.events.Load()
	}
	cpu0, err := procCPU(child.pid())
	if err != nil {
		return nil, err
	}
	d := newDriver(opts.FirstChat, opts.Chats, opts.Script)
	start := time.Now()
	d.drive(ctx, opts.Duration)
	elapsed := time.Since(start)
	cpu1, err := procCPU(child.pid())
	if err != nil {
		return nil, err
	}
	res.PeakRSS, err = procPeakRSS(child.pid())
	if err != nil {
		return nil, err
	}
	after, err := child.stats(ctx)
	if err != nil {
		return nil, err
	}

	res.Chats = int(d.chatsStarted.Load())
	res.Updates, res.Failed, res.Unanswered = len(d.latencies), d.failed, d.unanswered
	res.FirstProblem = d.firstProblem
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.PerSecond = float64(res.Updates) / res.Seconds
	}
	slices.Sort(d.latencies)
	res.P50, res.P95, res.P99 = ms(percentile(d.latencies, 50)), ms(percentile(d.latencies, 95)), ms(percentile(d.latencies, 99))
	if n := res.Updates + res.Unanswered; n > 0 {
		res.CPUPerUpdate = ms(cpu1-cpu0) / float64(n)
		events := -events0
		for _, s := range chats {
			events += s.events.Load()
		}
		res.CallsPerUpdate = float64(events) / float64(n)
		res.AllocsPerUpdate = float64(after.Mallocs-before.Mallocs) / float64(n)
		if before.RedisRoundTrips >= 0 {
			rt := float64(after.RedisRoundTrips-before.RedisRoundTrips) / float64(n)
			res.RedisRoundTrips = &rt
		}
	}
	if res.Chats > 0 {
		res.HeapPerChat = (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(res.Chats)
	}
	child.stop()
	if rdb != nil && res.Chats > 0 {
		session, all, err := redisBytes(ctx, rdb, redisPrefix)
		if err != nil {
			return nil, err
		}
		res.RedisBytesPerSession, res.RedisBytesPerChat = session, all/int64(res.Chats)
	}
	return res, nil
}

func (o Options) withDefaults() Options {
	if o.Chats <= 0 {
		o.Chats = 1
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.Duration <= 0 {
		o.Duration = time.Minute
	}
	if o.FirstChat == 0 {
		o.FirstChat = 1_000_000
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// driver sends the updates and keeps the counts.
type driver struct {
	opts   Options
	p      Process
	api    *fakebot.BotAPI
	chats  map[int64]*chatState
	hook   string
	secret string
	client *http.Client
	// first is the first of count chats taken through script.
	first  int64
	count  int
	script []Step

	nextUpdate   atomic.Int64
	nextCallback atomic.Int64
	chatsStarted atomic.Int64

	mu           sync.Mutex
	latencies    []time.Duration
	failed       int
	unanswered   int
	firstProblem string
}

// drive runs opts.Concurrency workers, each taking the next chat through
// the whole script, until every chat is done or the duration is over.
func (d *driver) drive(ctx context.Context, duration time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	next := make(chan int64)
	go func() {
		defer close(next)
		for i := range d.count {
			select {
			case next <- d.first + int64(i):
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range min(d.opts.Concurrency, d.count) {
		wg.Go(func() {
			for id := range next {
				d.chatsStarted.Add(1)
				d.chat(ctx, d.chats[id])
			}
		})
	}
	wg.Wait()
}

// chat takes one chat through the script; a step that fails ends it.
func (d *driver) chat(ctx context.Context, s *chatState) {
	for _, step := range d.script {
		if ctx.Err() != nil {
			return
		}
		u, err := d.update(s.id, step)
		if err != nil {
			d.problem(false, fmt.Sprintf("chat %d, %s: %v", s.id, step, err))
			return
		}
		body, err := json.Marshal(u)
		if err != nil {
			d.problem(false, err.Error())
			return
		}
		events := s.events.Load()
		var from int
		if step.Expect != "" && !d.p.Bare {
			from = d.api.EventCount(s.id)
		}
		sent := time.Now()
		if err := d.post(ctx, s.id, body); err != nil {
			d.problem(false, fmt.Sprintf("chat %d, %s: %v", s.id, step, err))
			return
		}
		if s.events.Load() == events {
			d.problem(true, fmt.Sprintf("chat %d, %s: no Bot API call answered it", s.id, step))
			return
		}
		took := time.Duration(s.last.Load() - sent.UnixNano())
		if step.Expect != "" && !d.p.Bare && !said(d.api.Events(s.id, from), step.Expect) {
			d.problem(true, fmt.Sprintf("chat %d, %s: no reply says %q", s.id, step, step.Expect))
			return
		}
		d.mu.Lock()
		d.latencies = append(d.latencies, took)
		d.mu.Unlock()
	}
}

func (d *driver) problem(unanswered bool, what string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if unanswered {
		d.unanswered++
	} else {
		d.failed++
	}
	if d.firstProblem == "" {
		d.firstProblem = what
	}
}

// update builds the step's update for chat id, as Telegram would send it.
func (d *driver) update(id int64, step Step) (*gotgbot.Update, error) {
	from := gotgbot.User{Id: id, FirstName: "Load", LanguageCode: "en"}
	chat := gotgbot.Chat{Id: id, Type: "private"}
	now := time.Now().Unix()
	uid := d.nextUpdate.Add(1)
	if step.Tap == "" {
		text := strings.ReplaceAll(step.Text, "{chat}", strconv.FormatInt(id, 10))
		msgID := d.api.UserMessage(id, text)
		return &gotgbot.Update{UpdateId: uid, Message: &gotgbot.Message{
			MessageId: msgID, Date: now, Text: text, Chat: chat, From: &from}}, nil
	}
	msgID, data := int64(1), "loadtest"
	if !d.p.Bare {
		m, b := findButton(d.api.Messages(id), step.Tap)
		if m == nil {
			return nil, errors.New("no such button")
		}
		msgID, data = m.ID, b.Data
	}
	return &gotgbot.Update{UpdateId: uid, CallbackQuery: &gotgbot.CallbackQuery{
		// The fake Bot API files an answerCallbackQuery under the chat
		// before the "_".
		Id:   fmt.Sprintf("%d_%d", id, d.nextCallback.Add(1)),
		From: from, ChatInstance: "loadtest", Data: data,
		Message: &gotgbot.Message{MessageId: msgID, Date: now, Chat: chat},
	}}, nil
}

// said reports whether a message sent or edited, or a tap's notice,
// among events contains text.
func said(events []fakebot.Event, text string) bool {
	for _, e := range events {
		if strings.Contains(e.Answer, text) || e.Message != nil && strings.Contains(e.Message.Text, text) {
			return true
		}
	}
	return false
}

// findButton is the newest message's callback button whose label contains
// label.
func findButton(msgs []*fakebot.Message, label string) (*fakebot.Message, fakebot.Button) {
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].AllButtons() {
			if b.Data != "" && strings.Contains(b.Text, label) {
				return msgs[i], b
			}
		}
	}
	return nil, fakebot.Button{}
}

// post delivers one update to the webhook, as Telegram does, and, as
// Telegram does, makes the method call the webhook answered with, if any.
func (d *driver) post(ctx context.Context, chat int64, body []byte) error {
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, d.hook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", d.secret)
	res, err := d.client.Do(req)
	if err != nil {
		return err
	}
	reply, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if err != nil {
		return fmt.Errorf("read the webhook's answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %s", res.Status)
	}
	if len(reply) == 0 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return nil
	}
	return d.call(ctx, chat, reply)
}

// call makes the method call of a webhook's answer on the fake Bot API.
// Telegram reports nothing about it to the bot; the driver reports a
// refused call as the update's failure.
func (d *driver) call(ctx context.Context, chat int64, reply []byte) error {
	var params map[string]json.RawMessage
	if err := json.Unmarshal(reply, &params); err != nil {
		return fmt.Errorf("the webhook answered JSON that is not a method call: %w", err)
	}
	var method string
	if err := json.Unmarshal(params["method"], &method); err != nil || method == "" {
		return fmt.Errorf("the webhook's answer names no method: %s", reply)
	}
	delete(params, "method")
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, d.api.URL()+"/bot"+Token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := d.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s in the webhook's answer (chat %d): the Bot API answered %s", method, chat, res.Status)
	}
	return nil
}

// child is a started Process.
type child struct {
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   *tail
	hookURL  string
	secret   string
	statsURL string
	ready    time.Duration
	stopOnce sync.Once
}

// startChild starts p with the driver's environment and waits until its
// /readyz answers 200.
func startChild(ctx context.Context, opts Options, p Process, apiURL, redisPrefix string) (*child, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, err
	}
	stats, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c := &child{
		hookURL: "http://" + listen + webhookPath, secret: randomHex(16), statsURL: "http://" + stats + "/stats",
		exited: make(chan struct{}), stderr: &tail{max: 16 << 10},
	}
	env := inheritedEnv()
	env = append(env,
		"TELEGRAM_BOT_TOKEN="+Token, "TELEGRAM_API_URL="+apiURL,
		"WEBHOOK_URL="+c.hookURL, "WEBHOOK_SECRET="+c.secret, "LISTEN_ADDR="+listen,
		StatsAddrEnv+"="+stats, "LOG_LEVEL=warn", "LOG_FORMAT=text",
		// The driver types faster than a person: the default limit must
		// not answer "slow down" (it is applied all the same).
		"COPPERX_BOT_RATE_LIMITS__DEFAULT__RATE=1000000000", "COPPERX_BOT_RATE_LIMITS__DEFAULT__BURST=1000000000",
	)
	if redisPrefix != "" {
		key, err := secret.GenerateKey()
		if err != nil {
			return nil, err
		}
		env = append(env, "REDIS_URL="+opts.RedisURL, "COPPERX_BOT_REDIS__KEY_PREFIX="+redisPrefix, "SESSION_ENCRYPTION_KEY="+key)
	}
	c.cmd = exec.Command(p.Path, p.Args...)
	c.cmd.Env = append(env, p.Env...)
	c.cmd.Stdout, c.cmd.Stderr = c.stderr, c.stderr
	started := time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: start %s: %w", p.Name, err)
	}
	go func() { _ = c.cmd.Wait(); close(c.exited) }()
	fmt.Fprintf(opts.Log, "loadtest: %s started (pid %d), waiting for %s/readyz\n", p.Name, c.cmd.Process.Pid, "http://"+listen)
	if err := c.waitReady(ctx, "http://"+listen+"/readyz", opts.ReadyTimeout); err != nil {
		c.stop()
		return nil, fmt.Errorf("loadtest: %s: %w\n%s", p.Name, err, c.stderr)
	}
	c.ready = time.Since(started)
	return c, nil
}

// waitReady polls url every 5 ms until it answers 200.
func (c *child) waitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		res, err := hc.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("exited before it was ready (%v)", c.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s", timeout)
		}
	}
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stats reads the child's ServeStats (after a GC).
func (c *child) stats(ctx context.Context) (Stats, error) {
	var s Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.statsURL, nil)
	if err != nil {
		return s, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("loadtest: read the child's stats: %w", err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("loadtest: decode the child's stats: %w", err)
	}
	return s, nil
}

// stop asks the child to stop (SIGTERM), and kills it after 20 seconds.
func (c *child) stop() {
	c.stopOnce.Do(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(20 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
}

// inheritedEnv is the part of the driver's environment a child gets: what
// finds programs and temporary files, and the Go runtime's knobs.
func inheritedEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "PATH", "HOME", "TMPDIR", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG":
			out = append(out, kv)
		}
	}
	return out
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// percentile of sorted durations (nearest rank); 0 when empty.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// redisBytes is the mean MEMORY USAGE of the session keys under prefix,
// and the total of all its keys.
func redisBytes(ctx context.Context, rdb *redis.Client, prefix string) (session, all int64, err error) {
	var sessions, sessionBytes int64
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return 0, 0, fmt.Errorf("loadtest: scan redis: %w", err)
	}
	for chunk := range slices.Chunk(keys, 500) {
		pipe := rdb.Pipeline()
		cmds := make([]*redis.IntCmd, len(chunk))
		for i, k := range chunk {
			cmds[i] = pipe.MemoryUsage(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return 0, 0, fmt.Errorf("loadtest: redis MEMORY USAGE: %w", err)
		}
		for i, c := range cmds {
			n := c.Val()
			all += n
			if strings.HasPrefix(chunk[i], prefix+"sess:") {
				sessions++
				sessionBytes += n
			}
		}
	}
	if sessions > 0 {
		session = sessionBytes / sessions
	}
	return session, all, nil
}

// deleteKeys removes every key under prefix.
func deleteKeys(ctx context.Context, rdb *redis.Client, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}
