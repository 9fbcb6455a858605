package main

// Helpers for the tests that run the bot as an operator does: the real
// binary (built once per `go test` run by buildBinary), started as child
// processes configured by the environment, against a fake Bot API served
// by the test (kernel/fakebot) and a CopperX emulator (in the test process,
// or `payoutbot emulator` as a child).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// child is a process the test started. Its output is kept; when the test
// fails, the tail of it is logged.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdout *kerneltest.SyncBuffer
	stderr *kerneltest.SyncBuffer
	done   chan struct{} // closed once the process exited
	err    error         // Wait's result, set before done closes
}

// startChild runs bin with args and exactly the environment env (nothing
// of the test's own environment leaks in: a REDIS_URL set for the test
// reaches a child only when the test passes it). With a non-zero
// openFiles, the child runs under `ulimit -n openFiles` (exec'd by sh, so
// the pid signalled is the bot's).
func startChild(t *testing.T, name string, env []string, openFiles int, bin string, args ...string) *child {
	t.Helper()
	c := &child{name: name, stdout: &kerneltest.SyncBuffer{}, stderr: &kerneltest.SyncBuffer{}, done: make(chan struct{})}
	if openFiles > 0 {
		script := fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, openFiles)
		c.cmd = exec.Command("sh", append([]string{"-c", script, bin}, args...)...)
	} else {
		c.cmd = exec.Command(bin, args...)
	}
	c.cmd.Env = env
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		if c.running() {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("%s stderr (tail):\n%s", name, tail(c.stderr.String(), 60))
			t.Logf("%s stdout (tail):\n%s", name, tail(c.stdout.String(), 20))
		}
	})
	return c
}

func (c *child) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// signal sends sig and waits for the exit (at most within), returning the
// exit code (-1 when killed by a signal).
func (c *child) signal(t *testing.T, sig syscall.Signal, within time.Duration) int {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", c.name, err)
	}
	select {
	case <-c.done:
	case <-time.After(within):
		t.Fatalf("%s did not exit within %s of %s", c.name, within, sig)
	}
	return c.cmd.ProcessState.ExitCode()
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every 10ms until it holds, failing the test after
// within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline, not synchronization
	}
}

// logLine is one JSON log record of a child bot.
type logLine map[string]any

func (l logLine) str(key string) string { s, _ := l[key].(string); return s }

// logLines parses a bot's JSON log (lines that are not JSON are kept with
// their text as msg and level "RAW").
func logLines(out string) []logLine {
	var lines []logLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			l = logLine{"level": "RAW", "msg": sc.Text()}
		}
		lines = append(lines, l)
	}
	return lines
}

// warnings are the log lines at WARN or above, and any line that is not
// a structured record.
func warnings(out string) []string {
	var bad []string
	for _, l := range logLines(out) {
		switch l.str("level") {
		case "WARN", "ERROR", "RAW":
			b, _ := json.Marshal(l)
			bad = append(bad, string(b))
		}
	}
	return bad
}

// sharedRedis is the Redis every replica of a test shares: REDIS_URL when
// set (CI runs a real server), else a miniredis the test starts; the
// children reach either over TCP. Keys go under a prefix of their own, so
// tests sharing a server do not meet.
func sharedRedis(t *testing.T) (url, prefix string) {
	t.Helper()
	prefix = fmt.Sprintf("cxbot-test-%d-%d:", os.Getpid(), testSeq.Add(1))
	if u := os.Getenv("REDIS_URL"); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		t.Cleanup(func() { // sessions live 30 days: leave nothing behind
			rdb := redis.NewClient(opt)
			defer rdb.Close()
			ctx := context.Background()
			iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
			for iter.Next(ctx) {
				rdb.Del(ctx, iter.Val())
			}
		})
		return u, prefix
	}
	m := miniredis.RunT(t)
	tickTTLs(t, m)
	return "redis://" + m.Addr() + "/0", prefix
}

// tickTTLs makes miniredis expire keys as time passes (it only does on
// FastForward), so locks and rate limits expire as in Redis.
func tickTTLs(t *testing.T, m *miniredis.Miniredis) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		const step = 50 * time.Millisecond
		tick := time.NewTicker(step)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				m.FastForward(step)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

var testSeq atomic.Int64

// sessionKey is a SESSION_ENCRYPTION_KEY made by `payoutbot genkey`.
func sessionKey(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(buildBinary(t), "genkey").Output()
	if err != nil {
		t.Fatalf("genkey: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// botSetup is what one or more bot processes of a test share.
type botSetup struct {
	tg       *telegram
	apiURL   string // COPPERX_API_URL
	wsURL    string // the Pusher websocket
	redisURL string // "": sessions in memory
	prefix   string // redis.key_prefix
	key      string // SESSION_ENCRYPTION_KEY
	webhook  bool   // webhook mode (else long polling)
	secret   string // WEBHOOK_SECRET
	env      []string
}

// bot is one `payoutbot run` process.
type bot struct {
	*child
	setup *botSetup
	addr  string // the public listener (health, readiness, metrics, webhook)
}

// webhookPath is where the bots serve the webhook (WEBHOOK_URL's path).
const webhookPath = "/telegram/hook"

// startBot runs `payoutbot run` with the setup's environment plus extra
// (KEY=value, later wins), listening on a free port, and waits until
// /readyz answers 200.
func startBot(t *testing.T, s *botSetup, openFiles int, extra ...string) *bot {
	t.Helper()
	config, err := filepath.Abs("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TELEGRAM_BOT_TOKEN=123456:test-token", "TELEGRAM_API_URL=" + s.tg.api.URL(),
		"COPPERX_API_URL=" + s.apiURL, "COPPERX_BOT_PLUGINS__NOTIFY__WS_URL=" + s.wsURL,
		"SESSION_ENCRYPTION_KEY=" + s.key, "LISTEN_ADDR=127.0.0.1:0",
		"LOG_FORMAT=json", "LOG_LEVEL=info",
		// Quick reconnects: a test's emulator may come and go.
		"COPPERX_BOT_PLUGINS__NOTIFY__RECONNECT_MIN=100ms",
	}
	if s.redisURL != "" {
		env = append(env, "REDIS_URL="+s.redisURL, "COPPERX_BOT_REDIS__KEY_PREFIX="+s.prefix)
	}
	if s.webhook {
		// Telegram would POST to this URL; the test plays Telegram and
		// posts to the address the bot bound instead.
		env = append(env, "WEBHOOK_URL=http://127.0.0.1"+webhookPath, "WEBHOOK_SECRET="+s.secret)
	}
	env = append(append(env, s.env...), extra...)
	b := &bot{setup: s, child: startChild(t, fmt.Sprintf("bot %d", testSeq.Add(1)), env, openFiles, buildBinary(t), "run", "--config", config)}
	waitFor(t, 20*time.Second, "the bot to listen", func() bool {
		if !b.running() {
			t.Fatalf("the bot exited: %v\n%s", b.err, b.stderr.String())
		}
		for _, l := range logLines(b.stderr.String()) {
			if l.str("msg") == "listening" && l["admin"] == false {
				b.addr = l.str("addr")
				return true
			}
		}
		return false
	})
	waitFor(t, 20*time.Second, "/readyz to answer 200", func() bool {
		code, _ := b.get("/readyz")
		return code == http.StatusOK
	})
	return b
}

// get fetches a path of the public listener: status and body (0 when the
// request failed).
func (b *bot) get(path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.addr+path, nil)
	res, err := freshClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// deliver posts an update to the bot's webhook as Telegram does and
// returns the status (0 when the request failed: a dead replica).
func (b *bot) deliver(u gotgbot.Update) int {
	body, _ := json.Marshal(u)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+b.addr+webhookPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", b.setup.secret)
	res, err := webhookClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// freshClient opens a connection per request: a probe that reused one
// would not notice that new connections wait.
var freshClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// webhookClient keeps enough connections for a test's bursts.
var webhookClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// deliverUntilHandled posts u as Telegram does with its webhook: again
// (after a short wait) while the answer is not 200, up to within. It
// returns how many deliveries it took; safe in any goroutine.
func (b *bot) deliverUntilHandled(u gotgbot.Update, within time.Duration) (tries int, err error) {
	deadline := time.Now().Add(within)
	for {
		tries++
		code := b.deliver(u)
		if code == http.StatusOK {
			return tries, nil
		}
		if time.Now().After(deadline) {
			return tries, fmt.Errorf("update %d not accepted after %d deliveries (last answer %d)", u.UpdateId, tries, code)
		}
		time.Sleep(100 * time.Millisecond) // Telegram's redelivery backoff, shortened
	}
}

// stop sends SIGTERM and checks a clean shutdown: exit status 0 and not
// one log line at WARN or above but those containing one of expected (a
// warning the test provoked).
func (b *bot) stop(t *testing.T, expected ...string) {
	t.Helper()
	if code := b.signal(t, syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("%s exited with status %d after SIGTERM", b.name, code)
	}
	var bad []string
	for _, line := range warnings(b.stderr.String()) {
		if !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(line, e) }) {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%s logged at WARN or above:\n%s", b.name, strings.Join(bad, "\n"))
	}
}

// metrics scrapes /metrics of the public listener.
func (b *bot) metrics(t *testing.T) []sample {
	t.Helper()
	code, body := b.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	samples, err := parseExposition(body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return samples
}

// telegram is the fake Bot API, and the users the test plays.
type telegram struct {
	api *fakebot.BotAPI
}

func newTelegram(t *testing.T) *telegram {
	api := fakebot.New()
	t.Cleanup(api.Close)
	return &telegram{api: api}
}

var updateSeq atomic.Int64

// message is a private message from user (= chat) id, with a new update
// id; the message gets an id in the fake chat, so the bot can delete it.
func (tg *telegram) message(id int64, text string) gotgbot.Update {
	msgID := tg.api.UserMessage(id, text)
	return gotgbot.Update{UpdateId: updateSeq.Add(1), Message: &gotgbot.Message{
		MessageId: msgID, Date: time.Now().Unix(), Text: text,
		Chat: gotgbot.Chat{Id: id, Type: "private"},
		From: &gotgbot.User{Id: id, FirstName: "User" + strconv.FormatInt(id%1000, 10), LanguageCode: "en"},
	}}
}

var callbackSeq atomic.Int64

// tap is a tap on the newest button of chat id whose label contains
// label (false when there is none).
func (tg *telegram) tap(id int64, label string) (gotgbot.Update, bool) {
	msgs := tg.api.Messages(id)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, btn := range msgs[i].AllButtons() {
			if btn.Data != "" && strings.Contains(btn.Text, label) {
				return gotgbot.Update{UpdateId: updateSeq.Add(1), CallbackQuery: &gotgbot.CallbackQuery{
					Id:   fmt.Sprintf("%d_%d", id, callbackSeq.Add(1)),
					From: gotgbot.User{Id: id, FirstName: "User", LanguageCode: "en"},
					Message: &gotgbot.Message{MessageId: msgs[i].ID, Date: time.Now().Unix(),
						Chat: gotgbot.Chat{Id: id, Type: "private"}},
					ChatInstance: "ci", Data: btn.Data,
				}}, true
			}
		}
	}
	return gotgbot.Update{}, false
}

// texts are the texts of the chat's sends and edits since event from.
func (tg *telegram) texts(id int64, from int) []string {
	var out []string
	for _, e := range tg.api.Events(id, from) {
		if e.Message != nil && (e.Kind == "send" || e.Kind == "edit" || e.Kind == "photo" || e.Kind == "document") {
			out = append(out, e.Message.Text)
		} else if e.Kind == "answer" && e.Answer != "" {
			out = append(out, e.Answer)
		}
	}
	return out
}

// count is how many of the chat's texts since from contain s.
func (tg *telegram) count(id int64, from int, s string) int {
	n := 0
	for _, text := range tg.texts(id, from) {
		if strings.Contains(text, s) {
			n++
		}
	}
	return n
}

// waitText waits until a text of the chat since from contains s.
func (tg *telegram) waitText(t *testing.T, id int64, from int, s string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for tg.count(id, from, s) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("chat %d: no reply containing %q within %s; the chat says:\n%s", id, s, within, strings.Join(tg.texts(id, 0), "\n---\n"))
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

// conversation drives one user through a bot: each step sends an update
// (polled or delivered to the webhook of via) and waits for a reply
// containing want.
type conversation struct {
	t   *testing.T
	tg  *telegram
	id  int64
	via *bot // nil: long polling
}

// say sends text and waits for want; it returns the event index the
// reply search started from.
func (c conversation) say(text, want string) int {
	c.t.Helper()
	return c.send(c.tg.message(c.id, text), want)
}

// press taps the newest button labelled label and waits for want.
func (c conversation) press(label, want string) int {
	c.t.Helper()
	u, ok := c.tg.tap(c.id, label)
	if !ok {
		c.t.Fatalf("chat %d: no button %q; the chat says:\n%s", c.id, label, strings.Join(c.tg.texts(c.id, 0), "\n---\n"))
	}
	return c.send(u, want)
}

func (c conversation) send(u gotgbot.Update, want string) int {
	c.t.Helper()
	from := c.tg.api.EventCount(c.id)
	if c.via != nil {
		if _, err := c.via.deliverUntilHandled(u, 20*time.Second); err != nil {
			c.t.Fatal(err)
		}
	} else {
		c.tg.api.PushUpdate(u)
	}
	c.tg.waitText(c.t, c.id, from, want, 20*time.Second)
	return from
}

// login logs the user in with the sandbox's fixed code.
func (c conversation) login(email string) {
	c.t.Helper()
	c.say("/login", locale(c.t, "auth.email.prompt"))
	c.say(email, locale(c.t, "auth.code.sent"))
	c.say("123456", locale(c.t, "auth.welcome.title"))
}

// locale is the beginning of an English message up to its first template
// action or line break: text the fake Bot API receives verbatim.
func locale(t *testing.T, key string) string {
	t.Helper()
	localesOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("locales", "en.yaml"))
		if err == nil {
			err = yaml.Unmarshal(raw, &localesEN)
		}
		localesErr = err
	})
	if localesErr != nil {
		t.Fatal(localesErr)
	}
	var v any = localesEN
	for _, part := range strings.Split(key, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no message %s in locales/en.yaml", key)
		}
		v = m[part]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("no message %s in locales/en.yaml", key)
	}
	s, _, _ = strings.Cut(s, "{{")
	s, _, _ = strings.Cut(s, "\n")
	if strings.TrimSpace(s) == "" {
		t.Fatalf("message %s starts with a template action: nothing fixed to look for", key)
	}
	return s
}

var (
	localesOnce sync.Once
	localesEN   map[string]any
	localesErr  error
)

// emulatorProcess is `payoutbot emulator` as a child, with what its banner
// printed.
type emulatorProcess struct {
	*child
	api, ws, admin string // http://host:port, ws://..., http://host:port
}

var (
	bannerAPI   = regexp.MustCompile(`(?m)^  API:\s+(http://\S+)$`)
	bannerWS    = regexp.MustCompile(`(?m)^  Pusher:\s+(ws://\S+)`)
	bannerAdmin = regexp.MustCompile(`(?m)^  Admin API:\s+(http://\S+)$`)
)

// startEmulator runs `payoutbot emulator` on free ports (it accepts port
// 0 and prints the bound addresses) and reads its banner.
func startEmulator(t *testing.T, args ...string) *emulatorProcess {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	e := &emulatorProcess{child: startChild(t, "emulator", env, 0, buildBinary(t),
		append([]string{"emulator", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}, args...)...)}
	waitFor(t, 20*time.Second, "the emulator's banner", func() bool {
		if !e.running() {
			t.Fatalf("the emulator exited: %v\n%s%s", e.err, e.stdout.String(), e.stderr.String())
		}
		out := e.stdout.String()
		api, ws, admin := bannerAPI.FindStringSubmatch(out), bannerWS.FindStringSubmatch(out), bannerAdmin.FindStringSubmatch(out)
		if api == nil || ws == nil || admin == nil {
			return false
		}
		e.api, e.ws, e.admin = api[1], ws[1], admin[1]
		return true
	})
	return e
}

// adminPost posts JSON to the emulator's admin API and decodes the answer.
func (e *emulatorProcess) adminPost(t *testing.T, path, body string) map[string]any {
	t.Helper()
	res, err := http.Post(e.admin+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("POST %s %s: %d %s", path, body, res.StatusCode, raw)
	}
	return out
}

// sample is one line of the Prometheus text exposition.
type sample struct {
	family string // the metric as registered (a histogram's name for its _bucket, _sum and _count)
	name   string
	labels map[string]string
	value  string
}

// parseExposition reads the Prometheus text format /metrics answers in:
// "# TYPE family kind" starts a family, other comments are skipped, and
// each other line is name{label="value",...} value.
func parseExposition(text string) ([]sample, error) {
	var out []sample
	family := ""
	for n, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			family, _, _ = strings.Cut(rest, " ")
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w: %q", n+1, err, line)
		}
		s.family = s.name
		if rest, ok := strings.CutPrefix(s.name, family); ok && family != "" && (rest == "" || rest == "_bucket" || rest == "_sum" || rest == "_count") {
			s.family = family
		}
		out = append(out, s)
	}
	return out, nil
}

var errSample = errors.New("not a sample")

func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, errSample
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, `="`)
			if eq <= 0 {
				return s, errSample
			}
			name := line[:eq]
			line = line[eq+2:]
			var value strings.Builder
			closed := false
			for j := 0; j < len(line); j++ {
				switch c := line[j]; {
				case c == '\\' && j+1 < len(line):
					j++
					switch line[j] {
					case 'n':
						value.WriteByte('\n')
					default:
						value.WriteByte(line[j])
					}
				case c == '"':
					line, closed = line[j+1:], true
				default:
					value.WriteByte(c)
				}
				if closed {
					break
				}
			}
			if !closed {
				return s, errSample
			}
			s.labels[name] = value.String()
			line = strings.TrimPrefix(line, ",")
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 1 || len(fields) > 2 {
		return s, errSample
	}
	s.value = fields[0]
	return s, nil
}

// families are the distinct metric families of samples, sorted.
func families(samples []sample) []string {
	var out []string
	for _, s := range samples {
		out = append(out, s.family)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// freeAddr is a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// redisServer is a Redis the test stops and starts again on the same port:
// a redis-server process without persistence (`--save "" --appendonly
// no`: a restart loses everything, as a crash of a cache-configured
// Redis does), or, when redis-server is not installed, a miniredis (Close
// and Restart; it keeps its data).
type redisServer struct {
	t      *testing.T
	addr   string
	bin    string // redis-server; "" for miniredis
	proc   *child
	mini   *miniredis.Miniredis
	policy string // miniredis: what CONFIG GET maxmemory-policy answers
	dir    string // redis-server: where SAVE writes the snapshot a start loads
	saved  []savedKey
}

// savedKey is a miniredis key copied by snapshot.
type savedKey struct {
	key, kind string
	ttl       time.Duration
	str       string
	hash      map[string]string
	zset      map[string]float64
}

// redisOption configures startRedisServer.
type redisOption func(*redisServer)

// withSnapshots keeps redis-server's snapshot in dir: snapshot saves one,
// restore restarts the server from it.
func withSnapshots(dir string) redisOption {
	return func(r *redisServer) { r.dir = dir }
}

func startRedisServer(t *testing.T, opts ...redisOption) *redisServer {
	t.Helper()
	r := &redisServer{t: t, policy: "noeviction"}
	for _, o := range opts {
		o(r)
	}
	if bin, err := exec.LookPath("redis-server"); err == nil {
		r.bin, r.addr = bin, freeAddr(t)
	} else {
		t.Log("redis-server is not installed: using miniredis (Close and Restart)")
		r.mini = miniredis.NewMiniRedis()
		if err := r.mini.Start(); err != nil {
			t.Fatal(err)
		}
		r.addr = r.mini.Addr()
		r.mini.Close()
		tickTTLs(t, r.mini)
	}
	r.start()
	t.Cleanup(func() {
		if r.mini != nil {
			r.mini.Close()
		}
	})
	return r
}

// url is the REDIS_URL of the server.
func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// start starts the server on its port and waits until it answers PING.
func (r *redisServer) start() {
	r.t.Helper()
	if r.mini != nil {
		if err := r.mini.StartAddr(r.addr); err != nil {
			r.t.Fatal(err)
		}
		// miniredis has no CONFIG: answer CONFIG GET maxmemory-policy.
		_ = r.mini.Server().Register("CONFIG", func(c *server.Peer, _ string, args []string) {
			if len(args) == 2 && strings.EqualFold(args[0], "GET") && args[1] == "maxmemory-policy" {
				c.WriteMapLen(1)
				c.WriteBulk("maxmemory-policy")
				c.WriteBulk(r.policy)
				return
			}
			c.WriteError("ERR unsupported CONFIG " + strings.Join(args, " "))
		})
		return
	}
	_, port, _ := net.SplitHostPort(r.addr)
	args := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	if r.dir != "" {
		args = append(args, "--dir", r.dir, "--dbfilename", "snapshot.rdb")
	}
	r.proc = startChild(r.t, "redis-server", []string{"PATH=" + os.Getenv("PATH")}, 0, r.bin, args...)
	waitFor(r.t, 10*time.Second, "redis-server to answer", func() bool {
		if !r.proc.running() {
			r.t.Fatalf("redis-server exited: %v\n%s", r.proc.err, r.proc.stdout.String())
		}
		return r.do("PING") == nil
	})
}

// stop stops the server (SIGTERM; redis-server saves nothing).
func (r *redisServer) stop() {
	r.t.Helper()
	if r.mini != nil {
		r.mini.Close()
		return
	}
	if code := r.proc.signal(r.t, syscall.SIGTERM, 10*time.Second); code != 0 {
		r.t.Fatalf("redis-server exited with %d", code)
	}
}

// snapshot takes a snapshot of the data: SAVE on a redis-server, a copy
// of every key on a miniredis.
func (r *redisServer) snapshot() {
	r.t.Helper()
	if r.mini == nil {
		if r.dir == "" {
			r.t.Fatal("snapshot needs withSnapshots")
		}
		if err := r.do("SAVE"); err != nil {
			r.t.Fatal(err)
		}
		return
	}
	r.saved = nil
	for _, k := range r.mini.Keys() {
		sk := savedKey{key: k, kind: r.mini.Type(k), ttl: r.mini.TTL(k)}
		var err error
		switch sk.kind {
		case "string":
			sk.str, err = r.mini.Get(k)
		case "hash":
			var fields []string
			fields, err = r.mini.HKeys(k)
			sk.hash = map[string]string{}
			for _, f := range fields {
				sk.hash[f] = r.mini.HGet(k, f)
			}
		case "zset":
			var members []string
			members, err = r.mini.ZMembers(k)
			sk.zset = map[string]float64{}
			for _, m := range members {
				if sk.zset[m], err = r.mini.ZScore(k, m); err != nil {
					break
				}
			}
		default:
			r.t.Fatalf("snapshot: key %s of type %s", k, sk.kind)
		}
		if err != nil {
			r.t.Fatalf("snapshot %s: %v", k, err)
		}
		r.saved = append(r.saved, sk)
	}
}

// restore brings the server back as it was at the last snapshot: a
// redis-server is stopped and started again from it; a miniredis is
// emptied and given the copied keys back.
func (r *redisServer) restore() {
	r.t.Helper()
	if r.mini == nil {
		r.stop()
		r.start()
		return
	}
	r.mini.FlushAll()
	for _, sk := range r.saved {
		switch sk.kind {
		case "string":
			if err := r.mini.Set(sk.key, sk.str); err != nil {
				r.t.Fatal(err)
			}
		case "hash":
			for f, v := range sk.hash {
				r.mini.HSet(sk.key, f, v)
			}
		case "zset":
			for m, score := range sk.zset {
				if _, err := r.mini.ZAdd(sk.key, score, m); err != nil {
					r.t.Fatal(err)
				}
			}
		}
		if sk.ttl > 0 {
			r.mini.SetTTL(sk.key, sk.ttl)
		}
	}
}

// flush empties a stopped miniredis, which keeps its data across a
// restart; a redis-server without persistence comes back empty anyway.
func (r *redisServer) flush() {
	if r.mini != nil {
		r.mini.FlushAll()
	}
}

// setPolicy sets maxmemory-policy (CONFIG SET on a redis-server).
func (r *redisServer) setPolicy(policy string) {
	r.t.Helper()
	if r.mini != nil {
		r.policy = policy
		return
	}
	if err := r.do("CONFIG", "SET", "maxmemory-policy", policy); err != nil {
		r.t.Fatal(err)
	}
}

// do runs one command on a fresh connection.
func (r *redisServer) do(args ...any) error {
	rdb := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return rdb.Do(ctx, args...).Err()
}
