// Package fakebot is a fake Telegram Bot API that gotgbot talks to over
// HTTP: it keeps each chat's messages as they stand (sent, edited,
// deleted, with their buttons), refuses what Telegram refuses (HTML it
// cannot parse, an edit that changes nothing, oversized button data) and
// can inject 429s and 5xx. The console of `payoutbot chat` and the kernel's
// test harness (kerneltest) both stand on it; it imports no test package,
// so the binary that ships the console links no testing code.
package fakebot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/kernel/tghtml"
)

// Call is one request the bot made to the Bot API.
type Call struct {
	Method    string
	Params    map[string]string
	Files     map[string][]byte
	FileNames map[string]string
}

// Int returns a numeric parameter (0 when absent).
func (c Call) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Params[name], 10, 64)
	return n
}

// Button is an inline button as the fake received it.
type Button struct {
	Text string
	Data string
	URL  string
	Copy string
}

// Message is a message the bot sent, as it currently stands in the chat.
type Message struct {
	ChatID    int64
	ID        int64
	Text      string // text, or caption of a photo
	ParseMode string
	Buttons   [][]Button
	Photo     []byte
	Document  []byte // a file sent with sendDocument
	FileName  string // its name
	Deleted   bool
	Edits     int
	FromUser  bool // a message the user sent (tracked for deletes)
}

// AllButtons lists the buttons row by row.
func (m *Message) AllButtons() []Button {
	var out []Button
	for _, r := range m.Buttons {
		out = append(out, r...)
	}
	return out
}

// Labels are the texts of the buttons, row by row.
func (m *Message) Labels() []string {
	var out []string
	for _, b := range m.AllButtons() {
		out = append(out, b.Text)
	}
	return out
}

// Event is something that happened in a chat, in order.
type Event struct {
	Kind    string // "send", "photo", "edit", "delete", "answer", "markup"
	Message *Message
	// Answer is the text of an answerCallbackQuery; Alert whether shown as one.
	Answer string
	Alert  bool
}

// Refusal is a call the fake answered with an error, as Telegram would
// have (not an injected fault).
type Refusal struct {
	Call        Call
	Code        int
	Description string
}

// fault makes the next Times calls of a method fail.
type fault struct {
	status     int
	retryAfter int
	times      int
}

// BotAPI is a fake Telegram Bot API server.
type BotAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	nextID   map[int64]int64
	messages map[int64]map[int64]*Message
	events   map[int64][]Event
	faults   map[string]*fault
	updates  []gotgbot.Update
	notify   chan struct{}
	webhook  string
	commands map[string]string // language → JSON of setMyCommands

	refused []Refusal
	actions []chatAction
	files   map[string]userFile // documents users sent, by file_id

	hookMu  sync.Mutex // serializes hook calls, so they see events in order
	hooks   []func(chatID int64, e Event)
	pending []chatEvent
}

// userFile is a document a user sent, served by getFile and the file URL.
type userFile struct {
	path string
	data []byte
}

type chatEvent struct {
	chatID int64
	e      Event
}

// New starts a fake Bot API; Close stops it.
func New() *BotAPI {
	b := &BotAPI{
		nextID: map[int64]int64{}, messages: map[int64]map[int64]*Message{},
		events: map[int64][]Event{}, faults: map[string]*fault{}, notify: make(chan struct{}, 1),
		commands: map[string]string{}, files: map[string]userFile{},
	}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	return b
}

// URL is the base URL to configure as telegram.api_url.
func (b *BotAPI) URL() string { return b.srv.URL }

// Close stops the server.
func (b *BotAPI) Close() { b.srv.Close() }

// OnEvent calls f with every event in any chat, in order, before the Bot
// API call that caused it is answered (so after a synchronous
// Kernel.HandleUpdate every event of the update was seen). f must not
// block for long; it may call the BotAPI's methods.
func (b *BotAPI) OnEvent(f func(chatID int64, e Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hooks = append(b.hooks, f)
}

// record appends an event to a chat and queues it for the hooks; the caller
// holds mu.
func (b *BotAPI) record(chatID int64, e Event) {
	b.events[chatID] = append(b.events[chatID], e)
	if len(b.hooks) > 0 {
		b.pending = append(b.pending, chatEvent{chatID: chatID, e: e})
	}
}

// runHooks hands the queued events to the hooks; the caller does not hold mu.
func (b *BotAPI) runHooks() {
	b.hookMu.Lock()
	defer b.hookMu.Unlock()
	b.mu.Lock()
	pending, hooks := b.pending, b.hooks
	b.pending = nil
	b.mu.Unlock()
	for _, p := range pending {
		for _, h := range hooks {
			h(p.chatID, p.e)
		}
	}
}

// Fail makes the next times calls of method answer status (429 carries
// retry_after seconds).
func (b *BotAPI) Fail(method string, status, retryAfter, times int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults[method] = &fault{status: status, retryAfter: retryAfter, times: times}
}

// Calls returns the recorded calls, all or of the given methods.
func (b *BotAPI) Calls(methods ...string) []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Call
	for _, c := range b.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// chatAction is a sendChatAction ("typing").
type chatAction struct {
	chatID int64
	action string
}

// ChatActions lists the actions ("typing") shown in a chat, in order.
func (b *BotAPI) ChatActions(chatID int64) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, a := range b.actions {
		if a.chatID == chatID {
			out = append(out, a.action)
		}
	}
	return out
}

// Refused lists the calls answered with an error, in order.
func (b *BotAPI) Refused() []Refusal {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Refusal(nil), b.refused...)
}

// Events returns what happened in a chat since index from.
func (b *BotAPI) Events(chatID int64, from int) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	ev := b.events[chatID]
	if from > len(ev) {
		return nil
	}
	return append([]Event(nil), ev[from:]...)
}

// EventCount is the number of events in a chat so far.
func (b *BotAPI) EventCount(chatID int64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events[chatID])
}

// Messages returns the chat's messages from the bot that are not deleted,
// oldest first.
func (b *BotAPI) Messages(chatID int64) []*Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*Message
	for id := int64(1); id <= b.nextID[chatID]; id++ {
		if m := b.messages[chatID][id]; m != nil && !m.Deleted && !m.FromUser {
			cp := *m
			out = append(out, &cp)
		}
	}
	return out
}

// Message returns a copy of a message by id (nil if unknown).
func (b *BotAPI) Message(chatID, id int64) *Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m := b.messages[chatID][id]; m != nil {
		cp := *m
		return &cp
	}
	return nil
}

// UserMessage registers a message the user sent, giving it an id in the
// chat's sequence (as Telegram does), so the bot can delete it.
func (b *BotAPI) UserMessage(chatID int64, text string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.newMessage(chatID)
	m.Text, m.FromUser = text, true
	return m.ID
}

// UserDocument registers a document the user sent (a CSV file), giving
// its message an id in the chat's sequence; getFile and the file URL
// (/file/bot<token>/<file_path>) then serve data, as Telegram does.
func (b *BotAPI) UserDocument(chatID int64, name string, data []byte) (messageID int64, fileID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.newMessage(chatID)
	m.FileName, m.FromUser = name, true
	fileID = fmt.Sprintf("doc-%d-%d", chatID, m.ID)
	b.files[fileID] = userFile{path: "documents/" + fileID, data: append([]byte(nil), data...)}
	return m.ID, fileID
}

// Commands returns the last setMyCommands payload for a language ("" for
// the default).
func (b *BotAPI) Commands(lang string) []gotgbot.BotCommand {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []gotgbot.BotCommand
	_ = json.Unmarshal([]byte(b.commands[lang]), &out)
	return out
}

// Webhook is the URL of the last setWebhook call.
func (b *BotAPI) Webhook() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.webhook
}

// PushUpdate queues an update for getUpdates.
func (b *BotAPI) PushUpdate(u gotgbot.Update) {
	b.mu.Lock()
	b.updates = append(b.updates, u)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

func (b *BotAPI) newMessage(chatID int64) *Message {
	b.nextID[chatID]++
	m := &Message{ChatID: chatID, ID: b.nextID[chatID]}
	if b.messages[chatID] == nil {
		b.messages[chatID] = map[int64]*Message{}
	}
	b.messages[chatID][m.ID] = m
	return m
}

func (b *BotAPI) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/file/") {
		b.serveFile(w, r)
		return
	}
	// Path: /bot<token>/<method>
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "bot") {
		http.NotFound(w, r)
		return
	}
	method := parts[1]
	call := Call{Method: method, Params: map[string]string{}, Files: map[string][]byte{}, FileNames: map[string]string{}}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var fields map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&fields); err != nil {
			http.Error(w, "bad JSON body", http.StatusBadRequest)
			return
		}
		for k, raw := range fields {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				call.Params[k] = s
			} else {
				call.Params[k] = string(raw)
			}
		}
	} else if err := r.ParseMultipartForm(32 << 20); err == nil && r.MultipartForm != nil {
		for k, v := range r.MultipartForm.Value {
			call.Params[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err == nil {
				call.Files[k], _ = io.ReadAll(f)
				call.FileNames[k] = fhs[0].Filename
				f.Close()
			}
		}
	} else {
		_ = r.ParseForm()
		for k, v := range r.Form {
			call.Params[k] = v[0]
		}
	}

	if method == "getUpdates" {
		b.mu.Lock()
		b.calls = append(b.calls, call)
		b.mu.Unlock()
		b.getUpdates(w, r, call)
		return
	}

	b.mu.Lock()
	b.calls = append(b.calls, call)
	if f := b.faults[method]; f != nil && f.times > 0 {
		f.times--
		b.mu.Unlock()
		resp := map[string]any{"ok": false, "error_code": f.status, "description": http.StatusText(f.status)}
		if f.status == http.StatusTooManyRequests {
			resp["description"] = fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter)
			resp["parameters"] = map[string]any{"retry_after": f.retryAfter}
		}
		w.WriteHeader(f.status)
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	result, errCode, desc := b.apply(call)
	if errCode != 0 {
		b.refused = append(b.refused, Refusal{Call: call, Code: errCode, Description: desc})
	}
	b.mu.Unlock()
	b.runHooks()
	if errCode != 0 {
		w.WriteHeader(errCode)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error_code": errCode, "description": desc})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// serveFile answers a file URL, /file/bot<token>/<file_path>.
func (b *BotAPI) serveFile(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/file/"), "/", 2)
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "bot") {
		http.NotFound(w, r)
		return
	}
	b.mu.Lock()
	b.calls = append(b.calls, Call{Method: "file", Params: map[string]string{"file_path": parts[1]}})
	var data []byte
	found := false
	for _, f := range b.files {
		if f.path == parts[1] {
			data, found = f.data, true
			break
		}
	}
	b.mu.Unlock()
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func (b *BotAPI) getUpdates(w http.ResponseWriter, r *http.Request, call Call) {
	offset := call.Int("offset")
	timeout := time.Duration(call.Int("timeout")) * time.Second
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		var out []gotgbot.Update
		kept := b.updates[:0]
		for _, u := range b.updates {
			if u.UpdateId >= offset {
				kept = append(kept, u)
				out = append(out, u)
			}
		}
		b.updates = kept
		b.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": out})
			return
		}
		select {
		case <-b.notify:
		case <-deadline:
			timeout = 0
		case <-r.Context().Done():
			return
		}
	}
}

// apply performs a method on the fake's state; the caller holds mu.
func (b *BotAPI) apply(c Call) (any, int, string) {
	chatID := c.Int("chat_id")
	switch c.Method {
	case "getMe":
		return gotgbot.User{Id: 123, IsBot: true, FirstName: "CopperX Test", Username: "copperx_test_bot"}, 0, ""
	case "setWebhook":
		b.webhook = c.Params["url"]
		return true, 0, ""
	case "deleteWebhook":
		b.webhook = ""
		return true, 0, ""
	case "setMyCommands":
		b.commands[c.Params["language_code"]] = c.Params["commands"]
		return true, 0, ""
	case "sendChatAction":
		b.actions = append(b.actions, chatAction{chatID: chatID, action: c.Params["action"]})
		return true, 0, ""
	case "sendMessage", "sendPhoto", "sendDocument":
		if chatID == 0 {
			return nil, 400, "Bad Request: chat_id is empty"
		}
		m := b.newMessage(chatID)
		m.Text, m.ParseMode = c.Params["text"], c.Params["parse_mode"]
		kind := "send"
		switch c.Method {
		case "sendPhoto":
			m.Text, m.Photo, kind = c.Params["caption"], c.Files["photo"], "photo"
		case "sendDocument":
			m.Text, m.Document, kind = c.Params["caption"], c.Files["document"], "document"
			m.FileName = c.FileNames["document"]
		}
		if m.Text == "" && kind == "send" {
			return nil, 400, "Bad Request: message text is empty"
		}
		if err := checkHTML(m.Text, m.ParseMode); err != nil {
			delete(b.messages[chatID], m.ID)
			b.nextID[chatID]--
			return nil, 400, "Bad Request: can't parse entities: " + err.Error()
		}
		bt, err := parseMarkup(c.Params["reply_markup"])
		if err != nil {
			return nil, 400, "Bad Request: " + err.Error()
		}
		m.Buttons = bt
		b.record(chatID, Event{Kind: kind, Message: copyMsg(m)})
		return apiMessage(m), 0, ""
	case "editMessageText", "editMessageReplyMarkup":
		m := b.messages[chatID][c.Int("message_id")]
		if m == nil || m.Deleted || m.FromUser {
			return nil, 400, "Bad Request: message to edit not found"
		}
		bt, err := parseMarkup(c.Params["reply_markup"])
		if err != nil {
			return nil, 400, "Bad Request: " + err.Error()
		}
		kind := "markup"
		if c.Method == "editMessageReplyMarkup" && buttonsEqual(m.Buttons, bt) {
			return nil, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"
		}
		if c.Method == "editMessageText" {
			kind = "edit"
			if err := checkHTML(c.Params["text"], c.Params["parse_mode"]); err != nil {
				return nil, 400, "Bad Request: can't parse entities: " + err.Error()
			}
			if m.Text == c.Params["text"] && buttonsEqual(m.Buttons, bt) {
				return nil, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"
			}
			m.Text, m.ParseMode = c.Params["text"], c.Params["parse_mode"]
		}
		m.Buttons = bt
		m.Edits++
		b.record(chatID, Event{Kind: kind, Message: copyMsg(m)})
		return apiMessage(m), 0, ""
	case "deleteMessage":
		m := b.messages[chatID][c.Int("message_id")]
		if m == nil || m.Deleted {
			return nil, 400, "Bad Request: message to delete not found"
		}
		m.Deleted = true
		b.record(chatID, Event{Kind: "delete", Message: copyMsg(m)})
		return true, 0, ""
	case "getFile":
		f, ok := b.files[c.Params["file_id"]]
		if !ok {
			return nil, 400, "Bad Request: invalid file_id"
		}
		id := c.Params["file_id"]
		return gotgbot.File{FileId: id, FileUniqueId: "u" + id, FileSize: int64(len(f.data)), FilePath: f.path}, 0, ""
	case "answerCallbackQuery":
		id := c.Params["callback_query_id"]
		chat, _, _ := strings.Cut(id, "_")
		cid, _ := strconv.ParseInt(chat, 10, 64)
		b.record(cid, Event{Kind: "answer", Answer: c.Params["text"], Alert: c.Params["show_alert"] == "true"})
		return true, 0, ""
	}
	return nil, 404, "Not Found: method " + c.Method
}

func copyMsg(m *Message) *Message { cp := *m; return &cp }

func apiMessage(m *Message) gotgbot.Message {
	return gotgbot.Message{MessageId: m.ID, Date: time.Now().Unix(), Chat: gotgbot.Chat{Id: m.ChatID, Type: "private"}, Text: m.Text}
}

func parseMarkup(raw string) ([][]Button, error) {
	if raw == "" {
		return nil, nil
	}
	var mk gotgbot.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		return nil, fmt.Errorf("can't parse reply keyboard markup JSON object")
	}
	var rows [][]Button
	for _, r := range mk.InlineKeyboard {
		var row []Button
		for _, btn := range r {
			if btn.Text == "" {
				return nil, fmt.Errorf("button text is empty")
			}
			if len(btn.CallbackData) > 64 {
				return nil, fmt.Errorf("BUTTON_DATA_INVALID")
			}
			nb := Button{Text: btn.Text, Data: btn.CallbackData, URL: btn.Url}
			if btn.CopyText != nil {
				nb.Copy = btn.CopyText.Text
			}
			row = append(row, nb)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func buttonsEqual(a, b [][]Button) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkHTML applies Telegram's HTML rules when the parse mode is HTML.
func checkHTML(text, mode string) error {
	if !strings.EqualFold(mode, "HTML") {
		return nil
	}
	return tghtml.Check(text)
}
