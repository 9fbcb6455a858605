package kernel

import (
	"sync"

	"slices"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// retryClient retries Bot API calls (all but getUpdates, which its loop
// retries itself) a bounded number of times: after a 429 it waits the
// retry_after Telegram asks for (up to telegram.max_retry_after), after a
// 5xx a short backoff (0.5s, 1s, 2s...). A 5xx may come after Telegram
// did the work, so a retried send can, rarely, show twice: better than a
// receipt that never arrives.
type retryClient struct {
	gotgbot.BotClient
	retries int
	maxWait time.Duration
	onRetry func(method string)
	observe func(method string, took time.Duration, err error)
}

func (c *retryClient) RequestWithContext(ctx context.Context, token, method string, params map[string]any, opts *gotgbot.RequestOpts) (json.RawMessage, error) {
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		start := time.Now()
		res, err := c.BotClient.RequestWithContext(ctx, token, method, params, opts)
		if c.observe != nil {
			c.observe(method, time.Since(start), err)
		}
		var te *gotgbot.TelegramError
		if err == nil || method == "getUpdates" || attempt >= c.retries || !errors.As(err, &te) {
			return res, err
		}
		var wait time.Duration
		switch {
		case te.Code == http.StatusTooManyRequests:
			wait = time.Second
			if te.ResponseParams != nil && te.ResponseParams.RetryAfter > 0 {
				wait = time.Duration(te.ResponseParams.RetryAfter) * time.Second
			}
			if wait > c.maxWait {
				return res, err
			}
		case te.Code >= 500:
			wait, backoff = backoff, backoff*2
		default:
			return res, err
		}
		if c.onRetry != nil {
			c.onRetry(method)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (k *Kernel) newBot() error {
	tg := k.cfg.Telegram
	token := tg.Token
	if token == "" {
		return cfgErr("telegram.token", "must be set (TELEGRAM_BOT_TOKEN)")
	}
	base := newJSONClient(tg.APIURL, tg.RequestTimeout, max(k.cfg.Updates.Workers, 8))
	client := &retryClient{BotClient: base, retries: tg.SendRetries, maxWait: tg.MaxRetryAfter,
		onRetry: func(method string) { k.metrics.telegramRetries.WithLabelValues(metricMethod(method)).Inc() },
		observe: k.observeTelegram}
	bot, err := gotgbot.NewBot(token, &gotgbot.BotOpts{DisableTokenCheck: true, BotClient: client})
	if err != nil {
		return cfgErr("telegram.token", "must look like 123456:ABC... (from @BotFather)")
	}
	k.bot = bot
	return nil
}

// replyCtx lets a reply outlive the handler's deadline: a handler that ran
// out of time (say, checking whether a transfer went through) must still be
// able to tell the user what happened. Each Bot API call stays bounded by
// telegram.request_timeout.
func replyCtx(c *Ctx) context.Context { return context.WithoutCancel(c) }

// The kernel's own sends and edits call the Bot API client with their
// parameters rather than through gotgbot's methods, which decode the
// Message Telegram returns in full (some 150 fields) where the kernel reads
// only its id. The parameters are those gotgbot's methods send.

func (k *Kernel) send(c *Ctx, chatID int64, text string, kb *Keyboard) (int64, error) {
	mk, err := kb.markup()
	if err != nil {
		return 0, err
	}
	params := map[string]any{"chat_id": chatID, "text": text, "parse_mode": gotgbot.ParseModeHTML, "link_preview_options": noPreview}
	if mk != nil {
		params["reply_markup"] = *mk
	}
	id, err := k.callForMessage(replyCtx(c), "sendMessage", params)
	if err != nil {
		return 0, fmt.Errorf("sendMessage: %w", err)
	}
	return id, nil
}

func (k *Kernel) edit(c *Ctx, chatID, messageID int64, text string, kb *Keyboard) error {
	mk, err := kb.markup()
	if err != nil {
		return err
	}
	params := map[string]any{"chat_id": chatID, "message_id": messageID, "text": text,
		"parse_mode": gotgbot.ParseModeHTML, "link_preview_options": noPreview}
	if mk != nil {
		params["reply_markup"] = *mk
	}
	_, err = k.callForMessage(replyCtx(c), "editMessageText", params)
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil // Refresh with nothing new is not a failure
	}
	if err != nil {
		return fmt.Errorf("editMessageText: %w", err)
	}
	return nil
}

// noPreview turns off link previews in the kernel's messages.
var noPreview = &gotgbot.LinkPreviewOptions{IsDisabled: true}

// callForMessage calls a method that returns the Message it sent or
// edited, and returns that message's id (0 when Telegram answers true, as
// for an inline message's edit).
func (k *Kernel) callForMessage(ctx context.Context, method string, params map[string]any) (int64, error) {
	raw, err := k.bot.RequestWithContext(ctx, method, params, nil)
	if err != nil {
		return 0, err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return 0, nil
	}
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, fmt.Errorf("decode the sent message: %w", err)
	}
	return m.MessageID, nil
}

func (k *Kernel) removeButtons(c *Ctx, chatID, messageID int64) error {
	return k.editButtons(c, chatID, messageID, nil)
}

func (k *Kernel) editButtons(c *Ctx, chatID, messageID int64, kb *Keyboard) error {
	mk, err := kb.markup()
	if err != nil {
		return err
	}
	if mk == nil {
		mk = &gotgbot.InlineKeyboardMarkup{InlineKeyboard: [][]gotgbot.InlineKeyboardButton{}}
	}
	_, err = k.callForMessage(replyCtx(c), "editMessageReplyMarkup",
		map[string]any{"chat_id": chatID, "message_id": messageID, "reply_markup": *mk})
	if err != nil && !strings.Contains(err.Error(), "message is not modified") {
		return fmt.Errorf("editMessageReplyMarkup: %w", err)
	}
	return nil
}

func (k *Kernel) deleteMessage(c *Ctx, chatID, messageID int64) error {
	if _, err := k.bot.DeleteMessageWithContext(replyCtx(c), chatID, messageID, nil); err != nil {
		return fmt.Errorf("deleteMessage: %w", err)
	}
	return nil
}

func (k *Kernel) sendPhoto(c *Ctx, chatID int64, name string, png []byte, caption string, kb *Keyboard) (int64, error) {
	mk, err := kb.markup()
	if err != nil {
		return 0, err
	}
	opts := &gotgbot.SendPhotoOpts{Caption: caption, ParseMode: gotgbot.ParseModeHTML}
	if mk != nil {
		opts.ReplyMarkup = *mk
	}
	m, err := k.bot.SendPhotoWithContext(replyCtx(c), chatID, gotgbot.InputFileByReader(name, bytes.NewReader(png)), opts)
	if err != nil {
		return 0, fmt.Errorf("sendPhoto: %w", err)
	}
	return m.MessageId, nil
}

func (k *Kernel) sendDocument(c *Ctx, chatID int64, name string, data []byte, caption string, kb *Keyboard) (int64, error) {
	mk, err := kb.markup()
	if err != nil {
		return 0, err
	}
	opts := &gotgbot.SendDocumentOpts{Caption: caption, ParseMode: gotgbot.ParseModeHTML}
	if mk != nil {
		opts.ReplyMarkup = *mk
	}
	m, err := k.bot.SendDocumentWithContext(replyCtx(c), chatID, gotgbot.InputFileByReader(name, bytes.NewReader(data)), opts)
	if err != nil {
		return 0, fmt.Errorf("sendDocument: %w", err)
	}
	return m.MessageId, nil
}

// typingAfter shows "typing…" in the chat when the update is still being
// handled after delay (a slow CopperX call), renewed every 4.5 seconds
// (Telegram shows it for 5) until stop is called.
//
// A timer runs the first call, not a goroutine waiting on one: most
// updates are answered well before delay, and then nothing ran at all.
func (k *Kernel) typingAfter(c *Ctx, delay time.Duration) (stop func()) {
	ty := &typing{}
	ty.mu.Lock()
	defer ty.mu.Unlock()
	ty.timer = time.AfterFunc(delay, func() {
		if !ty.begin() {
			return
		}
		defer ty.running.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c), k.cfg.Telegram.RequestTimeout)
		defer cancel()
		if _, err := k.bot.SendChatActionWithContext(ctx, c.ChatID, "typing", nil); err != nil {
			c.Log.Debug("sendChatAction failed", "err", err)
		}
		ty.mu.Lock()
		if !ty.stopped {
			ty.timer.Reset(4500 * time.Millisecond)
		}
		ty.mu.Unlock()
	})
	return ty.stop
}

// typing is one update's "typing…" timer.
type typing struct {
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	running sync.WaitGroup // a sendChatAction in flight
}

// begin reports whether the timer may send (not stopped), counting the send.
func (ty *typing) begin() bool {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	if ty.stopped {
		return false
	}
	ty.running.Add(1)
	return true
}

// stop ends the timer and waits for a send in flight.
func (ty *typing) stop() {
	ty.mu.Lock()
	ty.stopped = true
	ty.timer.Stop()
	ty.mu.Unlock()
	ty.running.Wait()
}

func (k *Kernel) answer(c *Ctx, id, text string, alert bool) {
	if _, err := k.bot.AnswerCallbackQueryWithContext(replyCtx(c), id, &gotgbot.AnswerCallbackQueryOpts{Text: text, ShowAlert: alert}); err != nil {
		c.Log.Warn("answerCallbackQuery failed", "err", err)
	}
}

// setCommands publishes the menu with setMyCommands: once without a language
// (the default locale) and once per locale.
func (k *Kernel) setCommands(ctx context.Context) error {
	for i, lang := range k.catalog.Languages() {
		cmds := make([]gotgbot.BotCommand, 0, len(k.menu))
		for _, c := range k.menu {
			desc := k.catalog.T(lang, "commands."+c.name, nil)
			cmds = append(cmds, gotgbot.BotCommand{Command: c.name, Description: truncate(desc, 256)})
		}
		opts := &gotgbot.SetMyCommandsOpts{LanguageCode: lang}
		if i == 0 {
			if _, err := k.bot.SetMyCommandsWithContext(ctx, cmds, &gotgbot.SetMyCommandsOpts{}); err != nil {
				return fmt.Errorf("setMyCommands: %w", err)
			}
		}
		if _, err := k.bot.SetMyCommandsWithContext(ctx, cmds, opts); err != nil {
			return fmt.Errorf("setMyCommands %s: %w", lang, err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// observeTelegram counts one Bot API attempt by method and result.
func (k *Kernel) observeTelegram(method string, took time.Duration, err error) {
	method = metricMethod(method)
	k.metrics.telegramDuration.WithLabelValues(method).Observe(took.Seconds())
	result := "ok"
	var te *gotgbot.TelegramError
	switch {
	case err == nil:
	case errors.As(err, &te) && te.Code == http.StatusTooManyRequests:
		result = "rate_limited"
	case errors.As(err, &te) && te.Code >= 500:
		result = "server_error"
	case errors.As(err, &te):
		result = "client_error"
	default:
		result = "network"
	}
	k.metrics.telegramRequests.WithLabelValues(method, result).Inc()
}

// metricMethod keeps the method label bounded.
func metricMethod(method string) string {
	if slices.Contains(telegramMethods, method) {
		return method
	}
	return "other"
}
