package kernel

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

func textUpdate(id, chat int64) *gotgbot.Update {
	return &gotgbot.Update{UpdateId: id, Message: &gotgbot.Message{Chat: gotgbot.Chat{Id: chat}, Text: "x"}}
}

// goroutineID reads the running goroutine's id from its stack header.
func goroutineID() int64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.ParseInt(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	return id
}

// TestDispatcherOrderAndLimit: within a chat updates run one at a time in
// arrival order; across chats at most workers run at once.
func TestDispatcherOrderAndLimit(t *testing.T) {
	const workers, chats, perChat = 3, 12, 20
	var (
		mu      sync.Mutex
		seen    = map[int64][]int64{}
		running atomic.Int32
		peak    atomic.Int32
		inChat  sync.Map
	)
	d := newDispatcher(workers, func(_ context.Context, u *gotgbot.Update, _ bool) string {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if _, busy := inChat.LoadOrStore(u.Message.Chat.Id, true); busy {
			t.Errorf("chat %d: two updates at once", u.Message.Chat.Id)
		}
		time.Sleep(200 * time.Microsecond)
		mu.Lock()
		seen[u.Message.Chat.Id] = append(seen[u.Message.Chat.Id], u.UpdateId)
		mu.Unlock()
		inChat.Delete(u.Message.Chat.Id)
		running.Add(-1)
		return outcomeOK
	})
	var dones []<-chan string
	for i := range int64(perChat) {
		for chat := range int64(chats) {
			dones = append(dones, d.submit(context.Background(), textUpdate(i, chat), 0))
		}
	}
	for _, done := range dones {
		if got := <-done; got != outcomeOK {
			t.Fatalf("outcome %q", got)
		}
	}
	for chat := range int64(chats) {
		for i, id := range seen[chat] {
			if id != int64(i) {
				t.Fatalf("chat %d handled %v, want 0..%d in order", chat, seen[chat], perChat-1)
			}
		}
	}
	if p := peak.Load(); p > workers {
		t.Errorf("%d updates ran at once, limit %d", p, workers)
	}
	if err := d.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.submit(context.Background(), textUpdate(99, 1), 0) != nil {
		t.Error("submit after close queued an update")
	}
}

// TestDispatcherReusesGoroutines: a chat that arrives after another was
// drained is handled by the same, idle goroutine (its stack already grown),
// and close ends the idle ones.
func TestDispatcherReusesGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ids := map[int64]bool{}
	var mu sync.Mutex
	d := newDispatcher(4, func(context.Context, *gotgbot.Update, bool) string {
		mu.Lock()
		ids[goroutineID()] = true
		mu.Unlock()
		return outcomeOK
	})
	for chat := range int64(50) {
		<-d.submit(context.Background(), textUpdate(1, chat), 0)
		// the goroutine reaches its idle wait right after answering
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if runtime.NumGoroutine() <= before+1 {
				break
			}
		}
	}
	if len(ids) > 2 {
		t.Errorf("50 chats, one after another, took %d goroutines", len(ids))
	}
	if err := d.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after close, %d before", runtime.NumGoroutine(), before)
		}
	}
}
