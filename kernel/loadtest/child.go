package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// Stats are what a child reports on StatsAddrEnv.
type Stats struct {
	// HeapAlloc is the live heap after a forced GC.
	HeapAlloc uint64 `json:"heap_alloc"`
	// Mallocs counts the heap objects allocated so far.
	Mallocs uint64 `json:"mallocs"`
	// RedisRoundTrips counted so far; -1 when the child has no Redis.
	RedisRoundTrips int64 `json:"redis_round_trips"`
}

// ServeStats serves Stats at http://$LOADTEST_STATS_ADDR/stats until ctx
// ends (nothing when the variable is unset). roundTrips counts the
// child's Redis round trips (nil: no Redis). Each request forces a GC, so
// the driver asks only before and after the measured drive.
func ServeStats(ctx context.Context, roundTrips func() int64) error {
	addr := os.Getenv(StatsAddrEnv)
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("loadtest: stats listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s := Stats{HeapAlloc: m.HeapAlloc, Mallocs: m.Mallocs, RedisRoundTrips: -1}
		if roundTrips != nil {
			s.RedisRoundTrips = roundTrips()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return nil
}

// BareReplyEnv set to "webhook" makes the bare handler answer in the
// webhook's response instead of calling sendMessage (Telegram allows one
// method call there), to measure what that saves.
const BareReplyEnv = "LOADTEST_BARE_REPLY"

// ServeBare is the floor the bot is compared with: a net/http webhook
// handler that decodes the update and answers it with one sendMessage,
// encoded as JSON and sent over a keep-alive client (or, with
// BareReplyEnv=webhook, written as the webhook's response). It reads the
// environment the driver gives a child and serves until ctx ends.
func ServeBare(ctx context.Context) error {
	apiURL := strings.TrimSuffix(os.Getenv("TELEGRAM_API_URL"), "/")
	token := os.Getenv("TELEGRAM_BOT_TOKEN")
	hook, err := url.Parse(os.Getenv("WEBHOOK_URL"))
	if err != nil || apiURL == "" || token == "" || hook.Path == "" {
		return errors.New("loadtest: the bare handler needs TELEGRAM_API_URL, TELEGRAM_BOT_TOKEN and WEBHOOK_URL")
	}
	if err := ServeStats(ctx, nil); err != nil {
		return err
	}
	send := apiURL + "/bot" + token + "/sendMessage"
	inResponse := os.Getenv(BareReplyEnv) == "webhook"
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64, IdleConnTimeout: time.Minute},
		Timeout: 15 * time.Second}
	buffers := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ready\n") })
	mux.HandleFunc("POST "+hook.Path, func(w http.ResponseWriter, r *http.Request) {
		var u gotgbot.Update
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		var chat int64
		switch {
		case u.Message != nil:
			chat = u.Message.Chat.Id
		case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
			chat = u.CallbackQuery.Message.GetChat().Id
		default:
			return
		}
		buf := buffers.Get().(*bytes.Buffer)
		defer buffers.Put(buf)
		buf.Reset()
		if inResponse {
			_ = json.NewEncoder(buf).Encode(map[string]any{"method": "sendMessage", "chat_id": chat, "text": "Hello <b>there</b>", "parse_mode": "HTML"})
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(buf.Bytes())
			return
		}
		_ = json.NewEncoder(buf).Encode(map[string]any{"chat_id": chat, "text": "Hello <b>there</b>", "parse_mode": "HTML"})
		res, err := hc.Post(send, "application/json", buf)
		if err != nil {
			http.Error(w, "sendMessage failed", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	})
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
