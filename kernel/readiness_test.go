package kernel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// runKernel runs h's kernel until the test ends and returns the base URL
// of its public listener and the channel Run's result arrives on.
func runKernel(t *testing.T, h *kerneltest.Harness) (string, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.Kernel.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-errc:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for len(h.Kernel.Addrs()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not listen")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "http://" + h.Kernel.Addrs()[0], errc
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// eventually polls f until it is true or 5s passed.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRefusedTokenStopsStart: a token Telegram refuses stops Run with one
// line naming the setting, instead of a healthy-looking bot that answers
// nobody.
func TestRefusedTokenStopsStart(t *testing.T) {
	h, _ := newDemo(t, "", func(o *kerneltest.Options) { o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0") })
	h.API.Fail("getMe", http.StatusUnauthorized, 0, 100)
	err := h.Kernel.Run(context.Background())
	if !errors.Is(err, kernel.ErrTokenRefused) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "config: telegram.token: refused by Telegram") {
		t.Fatalf("Run = %v", err)
	}
}

// TestReadyzFollowsTelegram: while Telegram does not answer getMe, the bot
// serves /healthz but /readyz says why it is not ready; once getMe works
// it is ready and serves.
func TestReadyzFollowsTelegram(t *testing.T) {
	h, _ := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0", "COPPERX_BOT_TELEGRAM__POLL_TIMEOUT=1s")
	})
	h.API.Fail("getMe", http.StatusBadGateway, 0, 2)
	base, _ := runKernel(t, h)
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "telegram:") {
		t.Fatalf("/readyz while getMe fails = %d %q", code, body)
	}
	eventually(t, "ready once getMe answers", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	h.API.PushUpdate(h.Private(3).MessageUpdate("/greet"))
	eventually(t, "the update answered", func() bool { return len(h.API.Calls("sendMessage")) > 0 })
}

// TestReadyzFollowsTheStore: /readyz is not ready while Redis does not
// answer, and ready again once it does.
func TestReadyzFollowsTheStore(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	h, _ := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0", "COPPERX_BOT_TELEGRAM__POLL_TIMEOUT=1s")
		o.Store = store.NewRedis(rdb, "ready:")
	})
	base, _ := runKernel(t, h)
	eventually(t, "ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	m.Close()
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store: unreachable") {
		t.Fatalf("/readyz with Redis down = %d %q", code, body)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ready again", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
}

// TestReadyzDuringShutdown: once a shutdown began, /readyz says so while
// the update in flight finishes.
func TestReadyzDuringShutdown(t *testing.T) {
	h, d := newDemo(t, "", func(o *kerneltest.Options) {
		o.Env = append(o.Env, "LISTEN_ADDR=127.0.0.1:0", "COPPERX_BOT_TELEGRAM__POLL_TIMEOUT=1s")
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.Kernel.Run(ctx) }()
	eventually(t, "listening", func() bool { return len(h.Kernel.Addrs()) > 0 })
	base := "http://" + h.Kernel.Addrs()[0]
	eventually(t, "ready", func() bool { c, _ := get(t, base+"/readyz"); return c == http.StatusOK })
	h.API.PushUpdate(h.Private(4).MessageUpdate("/slow"))
	<-d.entered
	cancel()
	eventually(t, "draining", func() bool {
		c, body := get(t, base+"/readyz")
		return c == http.StatusServiceUnavailable && strings.Contains(body, "shutdown: draining")
	})
	close(d.release)
	if err := <-errc; err != nil {
		t.Fatalf("Run after a signal = %v, want nil", err)
	}
	if d.finished.Load() != 1 {
		t.Fatal("the update in flight did not finish")
	}
}
