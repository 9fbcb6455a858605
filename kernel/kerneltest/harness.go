package kerneltest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
	"github.com/copperx-bot/payoutbot/kernel/ratelimit"
	"github.com/copperx-bot/payoutbot/kernel/store"
	"github.com/copperx-bot/payoutbot/locales"
)

// Token is the bot token the harness configures.
const Token = "123:TEST-token"

// Options shape a Harness.
type Options struct {
	// Config is config.yaml for the test (plugins, commands, limits...).
	Config string
	// Env adds environment overrides ("K=V").
	Env []string
	// Plugins are the plugins to load (enabled by Config).
	Plugins []kernel.Plugin
	// Extra sections decoded from Config (e.g. "copperx": &cfg).
	Extra map[string]any
	// ExtraLocales appends test-only YAML to a language's file.
	ExtraLocales map[string]string
	// LocaleOverlay is laid over the locales as i18n.dir would be (a new
	// language's file adds the language).
	LocaleOverlay fs.FS
	// Store and Limiter override the defaults (a fresh memory store).
	Store   store.Store
	Limiter ratelimit.Limiter
	// AllowUselessEdits turns off the check, when the test ends, that no
	// editMessageReplyMarkup changed nothing (Telegram refuses those, and
	// each costs a call against the chat's limit).
	AllowUselessEdits bool
}

// Harness is a kernel wired to a fake Bot API and a fake clock.
type Harness struct {
	T      testing.TB
	API    *fakebot.BotAPI
	Kernel *kernel.Kernel
	Clock  *Clock
	Store  store.Store
	Logs   *SyncBuffer
}

// Update and callback ids are unique across every harness of the process,
// as Telegram's are for one bot, so two harnesses on one store (two
// replicas) never take each other's updates for duplicates.
var nextUpdate, nextCB atomic.Int64

// New builds a kernel for a test; everything is closed by t.Cleanup.
func New(t testing.TB, opts Options) *Harness {
	t.Helper()
	h, err := Build(t, opts)
	if err != nil {
		t.Fatalf("kerneltest: %v", err)
	}
	return h
}

// Build is New returning the kernel's error (for config-validation tests).
func Build(t testing.TB, opts Options) (*Harness, error) {
	api := fakebot.New()
	t.Cleanup(api.Close)
	env := append([]string{"TELEGRAM_BOT_TOKEN=" + Token, "TELEGRAM_API_URL=" + api.URL()}, opts.Env...)
	cfg := kernel.DefaultConfig()
	if err := kernel.LoadConfig(kernel.Source{YAML: []byte(opts.Config + "\n"), Environ: env}, &cfg, opts.Extra); err != nil {
		return nil, err
	}
	loc, err := Locales(opts.ExtraLocales)
	if err != nil {
		return nil, err
	}
	clock := NewClock()
	// The fake clock drives the memory store's expiry and the rate limits,
	// so Clock.Advance gets past a TTL or a limit's window.
	st := opts.Store
	if st == nil {
		st = store.NewMemory(store.WithClock(clock.Now))
	}
	limiter := opts.Limiter
	if limiter == nil && opts.Store == nil {
		limiter = ratelimit.NewMemory(ratelimit.WithClock(clock.Now))
	}
	logs := &SyncBuffer{}
	k, err := kernel.New(kernel.Options{
		Config: cfg, Plugins: opts.Plugins, Locales: loc, LocaleOverlay: opts.LocaleOverlay, Store: st, Limiter: limiter,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:  clock.Now,
	})
	if err != nil {
		return nil, err
	}
	h := &Harness{T: t, API: api, Kernel: k, Clock: clock, Store: st, Logs: logs}
	t.Cleanup(func() { _ = k.Close() })
	if !opts.AllowUselessEdits {
		t.Cleanup(func() {
			for _, r := range api.Refused() {
				if r.Call.Method == "editMessageReplyMarkup" && strings.Contains(r.Description, "not modified") {
					t.Errorf("kerneltest: the bot removed or set buttons that were already so (message %s in chat %s): a useless Bot API call", r.Call.Params["message_id"], r.Call.Params["chat_id"])
				}
			}
		})
	}
	return h, nil
}

// Locales is the project's locales with test-only YAML appended per language.
func Locales(extra map[string]string) (fs.FS, error) {
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(locales.FS, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := fs.ReadFile(locales.FS, e.Name())
		if err != nil {
			return nil, err
		}
		lang := strings.TrimSuffix(e.Name(), ".yaml")
		if x, ok := extra[lang]; ok {
			if b, err = mergeYAML(b, []byte(x)); err != nil {
				return nil, fmt.Errorf("extra locale %s: %w", lang, err)
			}
		}
		out[e.Name()] = &fstest.MapFile{Data: b}
	}
	return out, nil
}

// mergeYAML deep-merges extra into base (extra wins on leaves).
func mergeYAML(base, extra []byte) ([]byte, error) {
	var a, b map[string]any
	if err := yaml.Unmarshal(base, &a); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(extra, &b); err != nil {
		return nil, err
	}
	var merge func(dst, src map[string]any)
	merge = func(dst, src map[string]any) {
		for k, v := range src {
			sm, sok := v.(map[string]any)
			dm, dok := dst[k].(map[string]any)
			if sok && dok {
				merge(dm, sm)
				continue
			}
			dst[k] = v
		}
	}
	if a == nil {
		a = map[string]any{}
	}
	merge(a, b)
	return yaml.Marshal(a)
}

// Private starts a private chat with a user (chat id = user id).
func (h *Harness) Private(userID int64) *Chat {
	return &Chat{h: h, UserID: userID, ChatID: userID, Type: "private", LanguageCode: "en", FirstName: "Ada"}
}

// Group is a user talking in a group chat.
func (h *Harness) Group(chatID, userID int64) *Chat {
	return &Chat{h: h, UserID: userID, ChatID: chatID, Type: "group", LanguageCode: "en", FirstName: "Ada"}
}

// NextUpdateID hands out increasing update ids.
func (h *Harness) NextUpdateID() int64 { return nextUpdate.Add(1) }

// Chat drives a conversation as one Telegram user.
type Chat struct {
	h            *Harness
	UserID       int64
	ChatID       int64
	Type         string
	LanguageCode string
	FirstName    string
}

// MessageUpdate builds a text message update; the message gets an id in the
// fake chat so the bot can delete it.
func (c *Chat) MessageUpdate(text string) gotgbot.Update {
	id := c.h.API.UserMessage(c.ChatID, text)
	return gotgbot.Update{UpdateId: c.h.NextUpdateID(), Message: &gotgbot.Message{
		MessageId: id, Date: c.h.Clock.Now().Unix(), Text: text,
		Chat: gotgbot.Chat{Id: c.ChatID, Type: c.Type},
		From: &gotgbot.User{Id: c.UserID, FirstName: c.FirstName, LanguageCode: c.LanguageCode},
	}}
}

// DocumentUpdate builds a message carrying a file (a Telegram document)
// named name, with an optional caption; the fake Bot API serves data to
// getFile and the file URL, as Telegram does.
func (c *Chat) DocumentUpdate(name string, data []byte, caption string) gotgbot.Update {
	id, fileID := c.h.API.UserDocument(c.ChatID, name, data)
	return gotgbot.Update{UpdateId: c.h.NextUpdateID(), Message: &gotgbot.Message{
		MessageId: id, Date: c.h.Clock.Now().Unix(), Caption: caption,
		Document: &gotgbot.Document{FileId: fileID, FileUniqueId: "u" + fileID, FileName: name,
			MimeType: "text/csv", FileSize: int64(len(data))},
		Chat: gotgbot.Chat{Id: c.ChatID, Type: c.Type},
		From: &gotgbot.User{Id: c.UserID, FirstName: c.FirstName, LanguageCode: c.LanguageCode},
	}}
}

// SendDocument sends a file (see DocumentUpdate) and returns the replies.
func (c *Chat) SendDocument(name string, data []byte, caption string) Replies {
	return c.Handle(c.DocumentUpdate(name, data, caption))
}

// CallbackUpdate builds a button tap on message msgID with data.
func (c *Chat) CallbackUpdate(msgID int64, data string) gotgbot.Update {
	return gotgbot.Update{UpdateId: c.h.NextUpdateID(), CallbackQuery: &gotgbot.CallbackQuery{
		Id:   fmt.Sprintf("%d_%d", c.ChatID, nextCB.Add(1)),
		From: gotgbot.User{Id: c.UserID, FirstName: c.FirstName, LanguageCode: c.LanguageCode},
		Message: &gotgbot.Message{MessageId: msgID, Date: c.h.Clock.Now().Unix(),
			Chat: gotgbot.Chat{Id: c.ChatID, Type: c.Type}},
		ChatInstance: "ci", Data: data,
	}}
}

// Handle runs an update synchronously and returns what happened in the chat.
func (c *Chat) Handle(u gotgbot.Update) Replies {
	from := c.h.API.EventCount(c.ChatID)
	c.h.Kernel.HandleUpdate(context.Background(), &u)
	return Replies(c.h.API.Events(c.ChatID, from))
}

// Send types text (a command or an answer) and returns the replies.
func (c *Chat) Send(text string) Replies { return c.Handle(c.MessageUpdate(text)) }

// Tap taps the button whose label contains label on the newest message that
// has one, failing the test when there is none.
func (c *Chat) Tap(label string) Replies {
	c.h.T.Helper()
	m, b := c.FindButton(label)
	if m == nil {
		c.h.T.Fatalf("no button %q in chat %d; buttons: %s", label, c.ChatID, c.describeButtons())
	}
	return c.Handle(c.CallbackUpdate(m.ID, b.Data))
}

// FindButton finds the newest message with a callback button whose label
// contains label.
func (c *Chat) FindButton(label string) (*fakebot.Message, fakebot.Button) {
	msgs := c.h.API.Messages(c.ChatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].AllButtons() {
			if b.Data != "" && strings.Contains(b.Text, label) {
				return msgs[i], b
			}
		}
	}
	return nil, fakebot.Button{}
}

// MustFindButton is FindButton failing t when there is no such button.
func (c *Chat) MustFindButton(t testing.TB, label string) (*fakebot.Message, fakebot.Button) {
	t.Helper()
	m, b := c.FindButton(label)
	if m == nil {
		t.Fatalf("no button %q among %s", label, c.describeButtons())
	}
	return m, b
}

// Retap taps a button recorded earlier again, as it was (a stale or
// repeated tap).
func (c *Chat) Retap(m *fakebot.Message, b fakebot.Button) Replies {
	return c.Handle(c.CallbackUpdate(m.ID, b.Data))
}

func (c *Chat) describeButtons() string {
	var labels []string
	for _, m := range c.h.API.Messages(c.ChatID) {
		for _, b := range m.AllButtons() {
			labels = append(labels, fmt.Sprintf("%q", b.Text))
		}
	}
	return strings.Join(labels, ", ")
}

// Last is the newest message from the bot still in the chat.
func (c *Chat) Last() *fakebot.Message {
	msgs := c.h.API.Messages(c.ChatID)
	if len(msgs) == 0 {
		return nil
	}
	return msgs[len(msgs)-1]
}

// Replies are the events one update caused in a chat.
type Replies []fakebot.Event

// LastOf is the newest message of the events of kind ("send", "edit",
// "photo"...), failing t when there is none.
func (r Replies) LastOf(t testing.TB, kind string) *fakebot.Message {
	t.Helper()
	for i := len(r) - 1; i >= 0; i-- {
		if r[i].Kind == kind {
			return r[i].Message
		}
	}
	t.Fatalf("no %q event in %v: %s", kind, r.Kinds(), r.Text())
	return nil
}

// Text joins the text of every sent or edited message and every callback
// answer, one per line.
func (r Replies) Text() string {
	var b strings.Builder
	for _, e := range r {
		switch {
		case e.Kind == "answer" && e.Answer != "":
			b.WriteString(e.Answer + "\n")
		case e.Kind == "send" || e.Kind == "edit" || e.Kind == "photo" || e.Kind == "document":
			b.WriteString(e.Message.Text + "\n")
		}
	}
	return b.String()
}

// Contains reports whether any reply contains s.
func (r Replies) Contains(s string) bool { return strings.Contains(r.Text(), s) }

// Kinds lists the event kinds, for asserting edits vs sends.
func (r Replies) Kinds() []string {
	out := make([]string, 0, len(r))
	for _, e := range r {
		out = append(out, e.Kind)
	}
	return out
}

// Expect fails the test unless the replies contain every s.
func (r Replies) Expect(t testing.TB, s ...string) Replies {
	t.Helper()
	for _, want := range s {
		if !r.Contains(want) {
			t.Fatalf("replies do not contain %q; got:\n%s", want, r.Text())
		}
	}
	return r
}

// Clock is a settable clock for flow timeouts and expiry.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)} }

// Now is the current fake time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// SyncBuffer is a goroutine-safe log sink tests can search.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything logged so far.
func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
