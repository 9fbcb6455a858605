package kernel

import (
	"context"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// dispatcher runs updates concurrently across chats but one at a time, in
// arrival order, within a chat. (The store lock extends "one at a time" to
// other replicas; this queue gives the order within the process.)
type dispatcher struct {
	handle func(ctx context.Context, u *gotgbot.Update, lastTry bool) string
	sem    chan struct{}

	mu     sync.Mutex
	queues map[int64][]job
	closed bool
	wg     sync.WaitGroup

	// idle hands a chat to a drain goroutine that finished its own and is
	// waiting for more: a goroutine that handled an update has grown its
	// stack, and a fresh one per chat grew it again on every update.
	idle chan int64
	quit chan struct{} // closed by close: idle goroutines end
}

// idleFor is how long a drain goroutine waits for another chat.
const idleFor = 10 * time.Second

// job is one update to handle. An update Telegram will not deliver again
// (polling) is retried here, tries times, when it could not be handled
// (its chat stayed locked, the store failed); a webhook's is answered
// "deliver it again" instead.
type job struct {
	ctx   context.Context // the submitter's, without its cancellation
	u     *gotgbot.Update
	done  chan string // the outcome, once
	tries int
}

// pollTries is how often a polled update is tried before it is given up
// with an apology.
const pollTries = 3

func newDispatcher(workers int, handle func(context.Context, *gotgbot.Update, bool) string) *dispatcher {
	return &dispatcher{handle: handle, sem: make(chan struct{}, workers), queues: map[int64][]job{},
		idle: make(chan int64), quit: make(chan struct{})}
}

// chatOf is the ordering key: the chat, else the user.
func chatOf(u *gotgbot.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.Id
	case u.CallbackQuery != nil:
		if u.CallbackQuery.Message != nil {
			return u.CallbackQuery.Message.GetChat().Id
		}
		return u.CallbackQuery.From.Id
	}
	return 0
}

// submit queues an update; the returned channel receives its outcome once
// it was handled. tries is pollTries for a polled update; 0 for a
// webhook's, which is never apologized for here: an update that could not
// be handled is answered "deliver it again" (503) and Telegram does; 1
// for an update tried once and apologized for if it cannot be handled.
// After close it returns nil and drops the update.
func (d *dispatcher) submit(ctx context.Context, u *gotgbot.Update, tries int) <-chan string {
	j := job{ctx: context.WithoutCancel(ctx), u: u, done: make(chan string, 1), tries: tries}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.enqueue(j)
	return j.done
}

// enqueue adds j to its chat's queue, starting the chat's drain; the
// caller holds mu.
func (d *dispatcher) enqueue(j job) {
	key := chatOf(j.u)
	q, running := d.queues[key]
	d.queues[key] = append(q, j)
	if running {
		return
	}
	select {
	case d.idle <- key:
	default:
		d.wg.Add(1)
		go d.run(key)
	}
}

// run drains key's queue, then the queues of the chats it is handed, until
// none comes for idleFor or the dispatcher closes.
func (d *dispatcher) run(key int64) {
	defer d.wg.Done()
	wait := time.NewTimer(idleFor)
	defer wait.Stop()
	for {
		d.drain(key)
		wait.Reset(idleFor)
		select {
		case key = <-d.idle:
		case <-wait.C:
			return
		case <-d.quit:
			return
		}
	}
}

// drain handles a chat's queue until it is empty.
func (d *dispatcher) drain(key int64) {
	for {
		d.mu.Lock()
		q := d.queues[key]
		if len(q) == 0 {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		j := q[0]
		d.queues[key] = q[1:]
		d.mu.Unlock()

		d.sem <- struct{}{}
		outcome := d.handle(j.ctx, j.u, j.tries == 1)
		<-d.sem
		if outcome == outcomeRetry && j.tries > 1 {
			j.tries--
			time.Sleep(time.Second) // let the holder of the chat, or the store, recover
			d.mu.Lock()
			d.queues[key] = append(d.queues[key], j)
			d.mu.Unlock()
			continue
		}
		j.done <- outcome
	}
}

// close stops taking updates and waits for the queued ones, or for ctx.
func (d *dispatcher) close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.quit)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
