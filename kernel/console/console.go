// Package console is a terminal transport for the bot: a person (or a
// script) types as a Telegram user and the bot's messages, edits, deletions,
// photos and inline buttons are printed as they would appear in the chat.
//
// It is only another transport: an in-process fake Bot API
// (fakebot.BotAPI) stands in for Telegram, the kernel's gotgbot client
// talks to it over HTTP (telegram.api_url = APIURL(), token Token), and each
// line typed becomes an update handed to Kernel.HandleUpdate, synchronously,
// so the output order is deterministic. Plugins need nothing special.
//
// Input lines:
//
//	text or /command      sent to the bot as a message
//	1 or #1               taps button 1 of the last message that has buttons
//	                      (a bare number taps only when such a button exists
//	                      and the bot is not waiting for typed text, such as
//	                      an amount; otherwise it is sent as text)
//	:tap LABEL            taps the button labelled LABEL, else the newest whose
//	                      label contains it (last message with buttons first)
//	:say TEXT             sends TEXT as a message even if it looks like a tap
//	LINE \                a line ending in a backslash goes on on the next line: one message
//	:file PATH [CAPTION]  sends the file at PATH (relative to the working
//	                      folder) as a document, as a phone's "attach file"
//	:buttons              shows the buttons you can tap
//	:help, :quit          console help; end (Ctrl-D too)
//	# comment             ignored ("#" then a space or nothing)
//	--expect TEXT         script check: the replies to the previous input
//	                      (messages, edits, notices, button labels, console
//	                      notes) contain TEXT; else the run fails
//	--expect-not TEXT     ... do not contain TEXT
//
// Scripts (files of such lines, e.g. testdata/scripts/*.chat, replayed by
// `payoutbot chat --sandbox --script FILE` and by main_test.go) may start
// with "#! --flag value" lines: comments here, extra chat flags for the test.
//
// The package is domain-free: it imports neither plugins nor CopperX code.
// Extra console commands (":deposit" in the sandbox) are added by main with
// Command.
package console

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/fakebot"
)

// Token is the bot token the console's fake Bot API accepts.
const Token = "123:console"

// MaxLine is the longest line the console sends (Telegram's message limit).
const MaxLine = 4096

// ErrExpectation is returned by Run when a script's --expect fails.
var ErrExpectation = errors.New("console: expectation failed")

// Options shape a Console.
type Options struct {
	// Out receives the chat transcript.
	Out io.Writer
	// Color turns on ANSI styles (use it only when Out is a terminal).
	Color bool
	// Script echoes each input line ("you › ...") and makes a failed
	// --expect end Run with ErrExpectation. Without it a failed check is
	// only reported.
	Script bool
	// Prompt is printed before each line is read (interactive use).
	Prompt bool
	// User as Telegram sees them; defaults: id 1001, "Ada", "en".
	UserID       int64
	FirstName    string
	LanguageCode string
	// PhotoDir receives photos the bot sends; default: a new temp folder,
	// removed by Close.
	PhotoDir string
	// Pace is how much time each input line stands for on the Now clock
	// (scripts type faster than people; a rate limiter on Now sees a
	// person's pace). 0 means real time.
	Pace time.Duration
}

// Command is an extra console command (":name args").
type Command struct {
	Name  string
	Usage string // e.g. "AMOUNT [CURRENCY] [NETWORK]"
	Help  string
	Run   func(ctx context.Context, args []string) error
}

// Console is a chat between a terminal and a kernel.
type Console struct {
	opts   Options
	api    *fakebot.BotAPI
	chatID int64

	mu       sync.Mutex // guards output and the fields below
	replies  strings.Builder
	lastKb   int64 // message whose buttons numbers refer to
	photoDir string
	tempDir  bool // photoDir was made by the console: Close removes it
	events   chan struct{}

	cmds     map[string]Command
	inputs   atomic.Int64
	updateID atomic.Int64
	cbID     atomic.Int64
}

// New starts the fake Bot API; Close stops it.
func New(opts Options) *Console {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.UserID == 0 {
		opts.UserID = 1001
	}
	if opts.FirstName == "" {
		opts.FirstName = "Ada"
	}
	if opts.LanguageCode == "" {
		opts.LanguageCode = "en"
	}
	c := &Console{opts: opts, api: fakebot.New(), chatID: opts.UserID,
		cmds: map[string]Command{}, events: make(chan struct{}, 1), photoDir: opts.PhotoDir}
	c.api.OnEvent(c.onEvent)
	return c
}

// APIURL is the Bot API URL to configure as telegram.api_url.
func (c *Console) APIURL() string { return c.api.URL() }

// API is the fake Bot API (tests inspect it).
func (c *Console) API() *fakebot.BotAPI { return c.api }

// Close stops the fake Bot API and removes the photos of a temp folder.
func (c *Console) Close() {
	c.api.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tempDir {
		_ = os.RemoveAll(c.photoDir)
	}
}

// Now is real time plus Pace for every line read so far.
func (c *Console) Now() time.Time {
	return time.Now().Add(time.Duration(c.inputs.Load()) * c.opts.Pace)
}

// Command adds a console command; it is listed by :help.
func (c *Console) Command(cmd Command) { c.cmds[strings.ToLower(cmd.Name)] = cmd }

// Note prints a console line (not a bot message), e.g. the OTP the sandbox
// "emails". It counts as a reply for --expect. Safe for concurrent use.
func (c *Console) Note(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	c.replies.WriteString(line + "\n")
	c.println(c.style(ansiYellow, line))
}

// WaitEvent waits up to d for the bot to do something in any chat (a
// message sent outside an update, e.g. a deposit notification) and reports
// whether it did.
func (c *Console) WaitEvent(ctx context.Context, d time.Duration) bool {
	select {
	case <-c.events:
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.events:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (c *Console) style(code, s string) string {
	if !c.opts.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (c *Console) println(s string) { fmt.Fprintln(c.opts.Out, s) }

// say prints a console line that is not part of the replies.
func (c *Console) say(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.println(c.style(ansiDim, fmt.Sprintf(format, args...)))
}

// Run reads lines from in until EOF, :quit or ctx ends, and returns nil
// then; in Script mode a failed --expect returns ErrExpectation (wrapped,
// with what was expected and what came).
func (c *Console) Run(ctx context.Context, k *kernel.Kernel, in io.Reader) error {
	bot := k.Bot()
	if me, err := bot.GetMeWithContext(ctx, nil); err == nil {
		bot.User = *me
	}
	stop, err := k.StartServices(ctx)
	if err != nil {
		return err
	}
	defer stop()
	c.banner(k)

	lines := make(chan string)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		r := bufio.NewReader(in)
		var held []string // lines ending in a backslash: one message
		for {
			line, err := r.ReadString('\n')
			text := strings.TrimRight(line, "\r\n")
			// A comment or a check never goes on (a "# ... \" line must not
			// swallow the command after it).
			continues := strings.HasSuffix(text, "\\") && !isComment(strings.TrimSpace(text)) && !strings.HasPrefix(strings.TrimSpace(text), "--expect")
			if continues {
				text = strings.TrimSuffix(text, "\\")
				if err == nil {
					held = append(held, text)
					continue
				}
				line = text // the input ended: what is held is sent
			}
			if len(held) > 0 {
				line = strings.Join(append(held, strings.TrimRight(line, "\r\n")), "\n")
				held = nil
			}
			if line != "" || err == nil {
				select {
				case lines <- line:
				case <-done:
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()

	var last string // the previous input, for expectation messages
	for {
		if c.opts.Prompt {
			c.mu.Lock()
			fmt.Fprint(c.opts.Out, c.style(ansiGreen, "you › "))
			c.mu.Unlock()
		}
		var line string
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			if c.opts.Prompt {
				c.mu.Lock()
				c.println("")
				c.mu.Unlock()
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case line = <-lines:
		}
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimSpace(line)

		// Script checks and comments do not count as input.
		if rest, ok := cutDirective(trimmed, "--expect-not"); ok {
			if err := c.check(last, rest, false); err != nil {
				return err
			}
			continue
		}
		if rest, ok := cutDirective(trimmed, "--expect"); ok {
			if err := c.check(last, rest, true); err != nil {
				return err
			}
			continue
		}
		if isComment(trimmed) || (trimmed == "" && c.opts.Script) {
			continue
		}

		c.inputs.Add(1)
		c.mu.Lock()
		c.replies.Reset()
		c.mu.Unlock()
		last = trimmed
		if c.opts.Script {
			c.mu.Lock()
			c.println(c.style(ansiGreen, "you › ") + shorten(line))
			c.mu.Unlock()
		}
		if quit := c.input(ctx, k, line); quit {
			return nil
		}
	}
}

func (c *Console) banner(k *kernel.Kernel) {
	var cmds []string
	for _, l := range k.Commands() {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "/") {
			cmds = append(cmds, strings.TrimSuffix(f[0], ","))
		}
	}
	c.say("payoutbot chat: you are %s (Telegram id %d, language %s). Plugins: %s.",
		c.opts.FirstName, c.opts.UserID, c.opts.LanguageCode, strings.Join(k.Enabled(), ", "))
	if len(cmds) > 0 {
		c.say("Bot commands: %s", strings.Join(cmds, " "))
	}
	c.say("Type a message or /command; a number taps a button; :help for console commands.")
}

// input handles one line; it reports whether to quit.
func (c *Console) input(ctx context.Context, k *kernel.Kernel, line string) bool {
	trimmed := strings.TrimSpace(line)
	switch {
	case trimmed == "":
		c.say("(empty line: nothing sent; type a message, a button number or :help)")
		return false
	case utf8.RuneCountInString(line) > MaxLine:
		c.say("(line too long: %d characters, Telegram allows %d; nothing sent)", utf8.RuneCountInString(line), MaxLine)
		return false
	case strings.HasPrefix(trimmed, ":"):
		return c.console(ctx, k, trimmed)
	}
	// A bare number taps a button only when the bot is not waiting for
	// typed text: at an amount prompt, "1" is an amount ("#1" always taps).
	if n, explicit, ok := tapNumber(trimmed); ok && (explicit || !k.ExpectsText(ctx, c.opts.UserID, c.chatID)) {
		m := c.buttonMessage()
		if m != nil && n >= 1 && n <= len(m.AllButtons()) {
			c.tap(ctx, k, m, m.AllButtons()[n-1])
			return false
		}
		if explicit {
			if m == nil {
				c.say("(no buttons to tap: no message with buttons in the chat)")
			} else {
				c.say("(no button %d: message #%d has buttons 1-%d)", n, m.ID, len(m.AllButtons()))
			}
			return false
		}
	}
	c.send(ctx, k, trimmed)
	return false
}

// console runs a ":command"; it reports whether to quit.
func (c *Console) console(ctx context.Context, k *kernel.Kernel, line string) bool {
	name, rest, _ := strings.Cut(strings.TrimPrefix(line, ":"), " ")
	name, rest = strings.ToLower(name), strings.TrimSpace(rest)
	switch name {
	case "quit", "q", "exit":
		c.say("bye")
		return true
	case "help", "h", "?":
		c.help()
	case "say":
		if rest == "" {
			c.say("(usage: :say TEXT)")
			return false
		}
		c.send(ctx, k, rest)
	case "tap":
		if rest == "" {
			c.say("(usage: :tap LABEL)")
			return false
		}
		m, b := c.findButton(rest)
		if m == nil {
			c.say("(no button whose label contains %q)", rest)
			return false
		}
		c.tap(ctx, k, m, b)
	case "file":
		path, caption, _ := strings.Cut(rest, " ")
		if path == "" {
			c.say("(usage: :file PATH [CAPTION])")
			return false
		}
		data, err := os.ReadFile(path)
		if err != nil {
			c.say("(:file: %v)", err)
			return false
		}
		c.sendFile(ctx, k, filepath.Base(path), data, strings.TrimSpace(caption))
	case "buttons":
		m := c.buttonMessage()
		if m == nil {
			c.say("(no message with buttons in the chat)")
			return false
		}
		c.mu.Lock()
		bl := fmt.Sprintf("buttons of #%d:\n%s", m.ID, c.buttonLines(m))
		c.replies.WriteString(stripANSI(bl) + "\n")
		c.println(bl)
		c.mu.Unlock()
	default:
		cmd, ok := c.cmds[name]
		if !ok {
			c.say("(unknown console command :%s; type :help)", name)
			return false
		}
		if err := cmd.Run(ctx, strings.Fields(rest)); err != nil {
			c.say("(:%s: %v)", name, err)
		}
	}
	return false
}

func (c *Console) help() {
	lines := []string{
		"Console commands (the bot never sees these):",
		"  TEXT or /command     send a message to the bot",
		"  N or #N              tap button N of the last message with buttons",
		"  :tap LABEL           tap the newest button whose label contains LABEL",
		"  :say TEXT            send TEXT even if it looks like a button number",
		"  LINE \\               end a line with a backslash to go on with the same message on the next line (a pasted list)",
		"  :file PATH [CAPTION] send the file at PATH as a document (a CSV, say)",
		"  :buttons             show the buttons you can tap",
	}
	names := make([]string, 0, len(c.cmds))
	for n := range c.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cmd := c.cmds[n]
		lines = append(lines, fmt.Sprintf("  %-20s %s", strings.TrimSpace(":"+cmd.Name+" "+cmd.Usage), cmd.Help))
	}
	lines = append(lines,
		"  :help                this help",
		"  :quit                end the chat (Ctrl-D too)",
		"In scripts: '# comment', '--expect TEXT' and '--expect-not TEXT' check the replies to the line before.")
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range lines {
		c.println(c.style(ansiDim, l))
	}
}

func (c *Console) send(ctx context.Context, k *kernel.Kernel, text string) {
	id := c.api.UserMessage(c.chatID, text)
	u := gotgbot.Update{UpdateId: c.updateID.Add(1), Message: &gotgbot.Message{
		MessageId: id, Date: c.Now().Unix(), Text: text,
		Chat: gotgbot.Chat{Id: c.chatID, Type: "private", FirstName: c.opts.FirstName},
		From: c.user(),
	}}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		u.Message.Entities = []gotgbot.MessageEntity{{Type: "bot_command", Offset: 0, Length: int64(utf8.RuneCountInString(cmd))}}
	}
	k.HandleUpdate(ctx, &u)
}

// sendFile sends data as a document named name, which the fake Bot API
// serves to getFile and the file URL.
func (c *Console) sendFile(ctx context.Context, k *kernel.Kernel, name string, data []byte, caption string) {
	id, fileID := c.api.UserDocument(c.chatID, name, data)
	u := gotgbot.Update{UpdateId: c.updateID.Add(1), Message: &gotgbot.Message{
		MessageId: id, Date: c.Now().Unix(), Caption: caption,
		Document: &gotgbot.Document{FileId: fileID, FileUniqueId: "u" + fileID, FileName: name, FileSize: int64(len(data))},
		Chat:     gotgbot.Chat{Id: c.chatID, Type: "private", FirstName: c.opts.FirstName},
		From:     c.user(),
	}}
	c.say("(sent the file %s, %d bytes)", name, len(data))
	k.HandleUpdate(ctx, &u)
}

func (c *Console) user() *gotgbot.User {
	return &gotgbot.User{Id: c.opts.UserID, FirstName: c.opts.FirstName, LanguageCode: c.opts.LanguageCode}
}

func (c *Console) tap(ctx context.Context, k *kernel.Kernel, m *fakebot.Message, b fakebot.Button) {
	switch {
	case b.URL != "":
		if payload, ok := startPayload(b.URL, k.Bot().Username); ok {
			// A deep link to this bot: Telegram sends "/start <payload>".
			c.Note("🔗 %s opens the chat with /start %s", b.Text, payload)
			c.send(ctx, k, "/start "+payload)
			return
		}
		c.Note("🔗 %s opens %s", b.Text, b.URL)
	case b.Copy != "":
		if c.opts.Color {
			// OSC 52: most terminals put this on the clipboard.
			fmt.Fprintf(c.opts.Out, "\x1b]52;c;%s\x07", base64.StdEncoding.EncodeToString([]byte(b.Copy)))
		}
		c.Note("📋 copied: %s", b.Copy)
	default:
		u := gotgbot.Update{UpdateId: c.updateID.Add(1), CallbackQuery: &gotgbot.CallbackQuery{
			Id:   fmt.Sprintf("%d_%d", c.chatID, c.cbID.Add(1)),
			From: *c.user(),
			Message: &gotgbot.Message{MessageId: m.ID, Date: c.Now().Unix(),
				Chat: gotgbot.Chat{Id: c.chatID, Type: "private"}},
			ChatInstance: "console", Data: b.Data,
		}}
		c.say("(tapped %q on #%d)", b.Text, m.ID)
		k.HandleUpdate(ctx, &u)
	}
}

// buttonMessage is the message button numbers refer to: the one whose
// buttons were printed last, else the newest message with buttons.
func (c *Console) buttonMessage() *fakebot.Message {
	c.mu.Lock()
	id := c.lastKb
	c.mu.Unlock()
	if id != 0 {
		if m := c.api.Message(c.chatID, id); m != nil && !m.Deleted && len(m.AllButtons()) > 0 {
			return m
		}
	}
	msgs := c.api.Messages(c.chatID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if len(msgs[i].AllButtons()) > 0 {
			return msgs[i]
		}
	}
	return nil
}

// findButton finds a button by label (case-insensitive) on the last
// message with buttons, then on older messages, newest first; within a
// message an exact label wins over one that contains label.
func (c *Console) findButton(label string) (*fakebot.Message, fakebot.Button) {
	label = strings.ToLower(strings.TrimSpace(label))
	msgs := c.api.Messages(c.chatID)
	if m := c.buttonMessage(); m != nil {
		msgs = append(msgs, m) // searched first
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		var partial *fakebot.Button
		for _, b := range msgs[i].AllButtons() {
			text := strings.ToLower(strings.TrimSpace(b.Text))
			if text == label {
				return msgs[i], b
			}
			if partial == nil && strings.Contains(text, label) {
				partial = &b
			}
		}
		if partial != nil {
			return msgs[i], *partial
		}
	}
	return nil, fakebot.Button{}
}

// onEvent prints what the bot did; it runs inside the fake's handler.
func (c *Console) onEvent(chatID int64, e fakebot.Event) {
	c.mu.Lock()
	defer func() {
		c.mu.Unlock()
		select {
		case c.events <- struct{}{}:
		default:
		}
	}()
	var plain, shown strings.Builder
	who := "bot"
	if chatID != c.chatID {
		who = fmt.Sprintf("bot → chat %d", chatID)
	}
	m := e.Message
	switch e.Kind {
	case "send", "photo", "document", "edit":
		head := fmt.Sprintf("%s #%d › ", who, m.ID)
		if e.Kind == "edit" {
			head = fmt.Sprintf("%s ✎ edited #%d › ", who, m.ID)
		}
		if e.Kind == "photo" {
			path, err := c.savePhoto(m)
			if err != nil {
				path = "(could not save the photo: " + err.Error() + ")"
			}
			fmt.Fprintf(&plain, "%s🖼  photo: %s\n", head, path)
			fmt.Fprintf(&shown, "%s🖼  photo: %s\n", c.style(ansiBold, head), path)
			head = strings.Repeat(" ", utf8.RuneCountInString(head))
		}
		if e.Kind == "document" {
			path, err := c.saveFile(m, m.FileName, m.Document)
			if err != nil {
				path = "(could not save the file: " + err.Error() + ")"
			}
			fmt.Fprintf(&plain, "%s📄 file %s: %s\n", head, m.FileName, path)
			fmt.Fprintf(&shown, "%s📄 file %s: %s\n", c.style(ansiBold, head), m.FileName, path)
			head = strings.Repeat(" ", utf8.RuneCountInString(head))
		}
		body := c.body(m.Text, m.ParseMode, false)
		plain.WriteString(indent(head, body) + "\n")
		shown.WriteString(indent(c.style(ansiBold, head), c.body(m.Text, m.ParseMode, c.opts.Color)) + "\n")
		if len(m.AllButtons()) > 0 {
			c.lastKb = m.ID
			bl := c.buttonLines(m)
			plain.WriteString(stripANSI(bl) + "\n")
			shown.WriteString(bl + "\n")
		} else if c.lastKb == m.ID {
			c.lastKb = 0
		}
	case "markup":
		if len(m.AllButtons()) == 0 {
			fmt.Fprintf(&plain, "%s ✎ #%d: buttons removed\n", who, m.ID)
			if c.lastKb == m.ID {
				c.lastKb = 0
			}
		} else {
			fmt.Fprintf(&plain, "%s ✎ #%d: new buttons\n%s\n", who, m.ID, stripANSI(c.buttonLines(m)))
			c.lastKb = m.ID
		}
		shown.WriteString(c.style(ansiDim, strings.TrimSuffix(plain.String(), "\n")) + "\n")
	case "delete":
		what := "message"
		if m.FromUser {
			what = "your message"
		}
		fmt.Fprintf(&plain, "%s ✖ deleted %s #%d\n", who, what, m.ID)
		shown.WriteString(c.style(ansiDim, strings.TrimSuffix(plain.String(), "\n")) + "\n")
		if c.lastKb == m.ID {
			c.lastKb = 0
		}
	case "answer":
		if e.Answer == "" {
			return
		}
		kind := "notice"
		if e.Alert {
			kind = "alert"
		}
		fmt.Fprintf(&plain, "%s 🔔 %s: %s\n", who, kind, e.Answer)
		shown.WriteString(c.style(ansiYellow, strings.TrimSuffix(plain.String(), "\n")) + "\n")
	default:
		return
	}
	c.replies.WriteString(plain.String())
	fmt.Fprint(c.opts.Out, shown.String())
}

func (c *Console) body(text, mode string, color bool) string {
	if strings.EqualFold(mode, "HTML") {
		return RenderHTML(text, color)
	}
	return text
}

// buttonLines numbers the buttons of m, one line per row.
func (c *Console) buttonLines(m *fakebot.Message) string {
	var b strings.Builder
	n := 0
	for i, row := range m.Buttons {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("    ")
		for j, btn := range row {
			n++
			if j > 0 {
				b.WriteString("  ")
			}
			label := btn.Text
			switch {
			case btn.URL != "":
				label += " ↗"
			case btn.Copy != "":
				label += " ⧉"
			}
			b.WriteString(c.style(ansiCode, fmt.Sprintf("[%d %s]", n, label)))
		}
	}
	return b.String()
}

func (c *Console) savePhoto(m *fakebot.Message) (string, error) {
	return c.saveFile(m, "photo.png", m.Photo)
}

// saveFile writes a photo or document the bot sent into the console's
// folder (a temp folder Close removes, unless PhotoDir was given).
func (c *Console) saveFile(m *fakebot.Message, name string, data []byte) (string, error) {
	if c.photoDir == "" {
		dir, err := os.MkdirTemp("", "payoutbot-chat-")
		if err != nil {
			return "", err
		}
		c.photoDir, c.tempDir = dir, true
	}
	path := filepath.Join(c.photoDir, fmt.Sprintf("%d-%d-%s", m.ChatID, m.ID, filepath.Base(name)))
	return path, os.WriteFile(path, data, 0o600)
}

// check runs a --expect (want=true) or --expect-not against the replies to
// the previous input.
func (c *Console) check(last, text string, want bool) error {
	c.mu.Lock()
	got := c.replies.String()
	c.mu.Unlock()
	if strings.Contains(got, text) == want {
		return nil
	}
	verb := "contain"
	if !want {
		verb = "not contain"
	}
	if got == "" {
		got = "(nothing)\n"
	}
	msg := fmt.Sprintf("✗ expected the replies to %q to %s %q; they were:\n%s", last, verb, text, indent("    ", strings.TrimSuffix(got, "\n")))
	c.mu.Lock()
	c.println(c.style(ansiRed, msg))
	c.mu.Unlock()
	if c.opts.Script {
		return fmt.Errorf("%w: replies to %q do not %s %q", ErrExpectation, last, verb, text)
	}
	return nil
}

var tapRe = regexp.MustCompile(`^(#?)([0-9]{1,3})$`)

// tapNumber parses "3" or "#3"; explicit is true for "#3".
func tapNumber(s string) (n int, explicit, ok bool) {
	m := tapRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false, false
	}
	n, _ = strconv.Atoi(m[2])
	return n, m[1] == "#", true
}

// isComment: "#" alone, or "#" followed by something that is not a digit.
func isComment(s string) bool {
	if !strings.HasPrefix(s, "#") {
		return false
	}
	rest := s[1:]
	return rest == "" || rest[0] < '0' || rest[0] > '9'
}

// cutDirective matches "--expect TEXT" (the word then a space or the end).
func cutDirective(s, word string) (string, bool) {
	rest, ok := strings.CutPrefix(s, word)
	if !ok || (rest != "" && rest[0] != ' ') {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// indent prefixes the first line with head and the others with as many spaces.
func indent(head, body string) string {
	pad := strings.Repeat(" ", utf8.RuneCountInString(stripANSI(head)))
	lines := strings.Split(body, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = pad + lines[i]
		}
	}
	return head + strings.Join(lines, "\n")
}

// shorten keeps an echoed line readable.
func shorten(s string) string {
	const keep = 120
	if n := utf8.RuneCountInString(s); n > keep+20 {
		return string([]rune(s)[:keep]) + fmt.Sprintf("… (%d characters)", n)
	}
	return s
}
