package kernel

import (
	"context"
	"sync"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// dispatcher runs updates concurrently across chats but one at a time, in
// arrival order, within a chat. (The store lock extends "one at a time" to
// other replicas; this queue gives the order within the process.)
type dispatcher struct {
	handle func(context.Context, *gotgbot.Update)
	sem    chan struct{}

	mu     sync.Mutex
	queues map[int64][]job
	closed bool
	wg     sync.WaitGroup
}

type job struct {
	u    *gotgbot.Update
	done chan struct{}
}

func newDispatcher(workers int, handle func(context.Context, *gotgbot.Update)) *dispatcher {
	return &dispatcher{handle: handle, sem: make(chan struct{}, workers), queues: map[int64][]job{}}
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

// submit queues an update; the returned channel closes when it was handled.
// After close it returns nil and drops the update.
func (d *dispatcher) submit(ctx context.Context, u *gotgbot.Update) <-chan struct{} {
	j := job{u: u, done: make(chan struct{})}
	key := chatOf(u)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	q, running := d.queues[key]
	d.queues[key] = append(q, j)
	if !running {
		d.wg.Add(1)
		go d.drain(ctx, key)
	}
	d.mu.Unlock()
	return j.done
}

// drain handles a chat's queue until it is empty.
func (d *dispatcher) drain(ctx context.Context, key int64) {
	defer d.wg.Done()
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
		d.handle(context.WithoutCancel(ctx), j.u)
		<-d.sem
		close(j.done)
	}
}

// close stops taking updates and waits for the queued ones, or for ctx.
func (d *dispatcher) close(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
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
