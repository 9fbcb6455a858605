package main

import (
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// metricsReadmes are the READMEs whose "Metrics" sections document what
// /metrics exports: the kernel's, each plugin's, the CopperX client's.
func metricsReadmes(t *testing.T) []string {
	t.Helper()
	plugins, err := filepath.Glob(filepath.Join("plugins", "*", "README.md"))
	if err != nil || len(plugins) == 0 {
		t.Fatalf("no plugin READMEs: %v", err)
	}
	return append([]string{"README.md", filepath.Join("kernel", "README.md"), filepath.Join("copperx", "README.md")}, plugins...)
}

// documentedName is a metric name in backticks: the bot's own metrics
// start with bot_, the CopperX client's with copperx_.
var documentedName = regexp.MustCompile("`((?:bot|copperx)_[a-z0-9_]*[a-z0-9])[`{]") // not a prefix such as `bot_notify_`

// documentedMetrics maps each metric name a README's "Metrics" section
// names to the README.
func documentedMetrics(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, path := range metricsReadmes(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, section := range markdownSections(string(raw), "Metrics") {
			for _, m := range documentedName.FindAllStringSubmatch(section, -1) {
				if _, ok := out[m[1]]; !ok {
					out[m[1]] = path
				}
			}
		}
	}
	return out
}

// markdownSections returns the bodies of the "## title" sections of a
// Markdown document (up to the next heading of that level or higher).
func markdownSections(doc, title string) []string {
	var out []string
	var cur *strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "# ") {
			if cur != nil {
				out = append(out, cur.String())
				cur = nil
			}
			if strings.TrimSpace(strings.TrimLeft(line, "#")) == title {
				cur = &strings.Builder{}
			}
			continue
		}
		if cur != nil {
			cur.WriteString(line + "\n")
		}
	}
	if cur != nil {
		out = append(out, cur.String())
	}
	return out
}

// labelNames are the only label names a metric may have: each takes a
// bounded set of values (update kinds and outcomes, Bot API methods and
// results, limit and store operation names, CopperX route templates and
// status classes; le and quantile are bucket bounds, version the Go
// release). A new label is added here once it is known never to carry a
// user, chat, email or id.
var labelNames = []string{"le", "quantile", "version", "kind", "outcome", "limit", "op", "method", "result", "endpoint", "status"}

var (
	longDigits = regexp.MustCompile(`[0-9]{6,}`)
	uuidLike   = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
)

// TestMetricsScrape (issue 12, "Done when"): the real binary, driven
// through a login, /balance, a send and a deposit, exports every metric a
// README documents and documents every metric it exports; the bot's own
// metrics exist from the start (a *Vec exports nothing until a label value
// is used, so its owner pre-initializes the known values); and no label
// can carry a user id, chat id or email: label names come from an
// allowlist, and no value has an '@', a run of six digits (the test's
// user ids have seven) or a UUID (CopperX's ids).
func TestMetricsScrape(t *testing.T) {
	docs := documentedMetrics(t)
	if len(docs) < 5 {
		t.Fatalf("only %d metrics documented: %v", len(docs), docs)
	}
	emu := copperxtest.NewTestServer(t, copperxtest.WithFixedOTP("123456"), copperxtest.WithAutoSeed(true))
	admin := httptest.NewServer(emu.AdminHandler())
	t.Cleanup(admin.Close)
	tg := newTelegram(t)
	setup := &botSetup{tg: tg, apiURL: emu.URL(), wsURL: emu.WSURL(), key: sessionKey(t)}
	if os.Getenv("REDIS_URL") != "" {
		setup.redisURL, setup.prefix = sharedRedis(t)
	}
	b := startBot(t, setup, 0)

	// Before any update: the bot's own metrics are there already, beside
	// the Go runtime's and the process's.
	atStart := families(b.metrics(t))
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if !slices.Contains(atStart, name) {
			t.Errorf("%s is not exported: the runtime and process collectors belong on the registry", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		if strings.HasPrefix(name, "bot_") && !slices.Contains(atStart, name) {
			t.Errorf("%s (documented in %s) is not exported before the first update: if it is a *Vec, its owner should pre-initialize its known label values (WithLabelValues at registration)", name, docs[name])
		}
	}

	const email = "grace@example.com"
	user := conversation{t: t, tg: tg, id: 7770001}
	user.login(email)
	user.say("/balance", "USDC")
	// A send, as kernel/console/testdata/scripts/withdraw_wallet.chat does.
	user.say("/send", "")
	user.press("Wallet address", "")
	user.say("0x1111111111111111111111111111111111111111", "")
	user.say("5", "")
	user.press("Myself", "")
	user.press("Confirm", "")
	waitFor(t, 20*time.Second, "the send to reach CopperX", func() bool {
		return len(emu.CallsTo("POST", "/api/transfers/wallet-withdraw"))+len(emu.CallsTo("POST", "/api/transfers/send")) == 1
	})
	waitFor(t, 20*time.Second, "the organization's Pusher channel", func() bool {
		return metricValue(b.metrics(t), "bot_notify_channels_subscribed") >= 1
	})
	from := tg.api.EventCount(user.id)
	res, err := admin.Client().Post(admin.URL+"/_emulator/deposit", "application/json",
		strings.NewReader(`{"email":"`+email+`","amount":"7","currency":"USDC","network":"polygon"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tg.waitText(t, user.id, from, locale(t, "notify.deposit"), 20*time.Second)
	waitFor(t, 10*time.Second, "the deposit to be counted", func() bool { // counted once every recipient got it
		return metricValue(b.metrics(t), "bot_notify_deposits_total", "outcome", "announced") == 1
	})

	samples := b.metrics(t)
	exported := families(samples)
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		if !slices.Contains(exported, name) {
			t.Errorf("%s (documented in %s) is not exported after a login, /balance, a send and a deposit: either it is not registered, or it is a *Vec whose owner should pre-initialize its known label values", name, docs[name])
		}
	}
	for _, name := range exported {
		if (strings.HasPrefix(name, "bot_") || strings.HasPrefix(name, "copperx_")) && docs[name] == "" {
			t.Errorf("%s is exported but no README's Metrics section documents it", name)
		}
	}
	for _, problem := range labelProblems(samples) {
		t.Error(problem)
	}
	for _, want := range []struct{ family, label, value string }{
		{"copperx_api_request_duration_seconds_count", "endpoint", "/api/wallets/balances"},
		{"bot_updates_total", "kind", "command"},
	} {
		if metricValue(samples, want.family, want.label, want.value) == 0 {
			t.Errorf("%s{%s=%q} did not count the test's traffic", want.family, want.label, want.value)
		}
	}
	b.stop(t)
}

// labelProblems lists the labels that could carry a user id, chat id or
// email: a name outside labelNames, or a value with an '@', a long digit
// run or a UUID (bucket bounds excepted).
func labelProblems(samples []sample) []string {
	var out []string
	for _, s := range samples {
		for _, label := range slices.Sorted(maps.Keys(s.labels)) {
			value := s.labels[label]
			switch {
			case !slices.Contains(labelNames, label):
				out = append(out, fmt.Sprintf("%s has label %q, which is not known to be bounded (allowed: %v)", s.family, label, labelNames))
			case label == "le" || label == "quantile":
			case strings.Contains(value, "@") || longDigits.MatchString(value) || uuidLike.MatchString(value):
				out = append(out, fmt.Sprintf("%s{%s=%q}: a label value that looks like an email, a user or chat id, or an id", s.family, label, value))
			}
		}
	}
	return out
}

// TestLabelProblems: the label check of TestMetricsScrape catches what it
// is for.
func TestLabelProblems(t *testing.T) {
	for _, tc := range []struct {
		line string
		bad  bool
	}{
		{`bot_updates_total{kind="command",outcome="ok"} 3`, false},
		{`copperx_api_request_duration_seconds_bucket{endpoint="/api/transfers/{id}",method="GET",status="2xx",le="0.0095367431640625"} 1`, false},
		{`go_info{version="go1.26.8"} 1`, false},
		{`bot_x_total{user="5"} 1`, true},
		{`bot_x_total{outcome="ada@example.com"} 1`, true},
		{`bot_x_total{outcome="7770001"} 1`, true},
		{`bot_x_total{endpoint="/api/transfers/4c622a1c-2b1a-474b-bafc-11fb4ef93315"} 1`, true},
	} {
		samples, err := parseExposition(tc.line + "\n")
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		if got := len(labelProblems(samples)) > 0; got != tc.bad {
			t.Errorf("%s: problem %v, want %v", tc.line, got, tc.bad)
		}
	}
}

// FuzzParseExposition: the parser never panics, and every sample it
// returns has a name and a value.
func FuzzParseExposition(f *testing.F) {
	for _, seed := range []string{
		"# TYPE a_total counter\na_total{x=\"1\"} 2\n",
		`h_bucket{le="+Inf",e="a\"b\\c\nd"} 1 1700000000`,
		"g 0.5", "{", `a{b="`, `a{b="c"`, "a{} 1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		samples, err := parseExposition(text)
		if err != nil {
			return
		}
		for _, s := range samples {
			if s.name == "" || s.value == "" || strings.ContainsAny(s.name, "{ ") {
				t.Fatalf("%q parsed as %+v", text, s)
			}
		}
	})
}
