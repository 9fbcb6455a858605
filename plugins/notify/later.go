package notify

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// laterQueue runs jobs after a delay (a deposit checked again once the
// claim of another replica should have turned into a seen mark) with one
// timer, however many jobs wait.
type laterQueue struct {
	mu    sync.Mutex
	items laterHeap
	wake  chan struct{}
}

type laterItem struct {
	at  time.Time
	job func(ctx context.Context)
}

type laterHeap []laterItem

func (h laterHeap) Len() int           { return len(h) }
func (h laterHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h laterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laterHeap) Push(x any)        { *h = append(*h, x.(laterItem)) }
func (h *laterHeap) Pop() any {
	old := *h
	item := old[len(old)-1]
	*h = old[:len(old)-1]
	return item
}

func newLaterQueue() *laterQueue { return &laterQueue{wake: make(chan struct{}, 1)} }

// add schedules job to run after d.
func (q *laterQueue) add(d time.Duration, job func(ctx context.Context)) {
	q.mu.Lock()
	heap.Push(&q.items, laterItem{at: time.Now().Add(d), job: job})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run hands each job to start when it is due, until ctx ends (jobs not
// due by then are dropped: the catch-up of the next start covers them).
func (q *laterQueue) run(ctx context.Context, start func(func(ctx context.Context))) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		q.mu.Lock()
		var due []func(ctx context.Context)
		now := time.Now()
		for q.items.Len() > 0 && !q.items[0].at.After(now) {
			due = append(due, heap.Pop(&q.items).(laterItem).job)
		}
		wait := time.Hour
		if q.items.Len() > 0 {
			wait = q.items[0].at.Sub(now)
		}
		q.mu.Unlock()
		for _, job := range due {
			start(job)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-timer.C:
		}
	}
}
