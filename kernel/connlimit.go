package kernel

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// connLimit bounds a listener's open connections without letting idle
// ones starve new ones: when a new connection would pass the limit, the
// connection idle the longest — kept alive between requests, or accepted
// without having sent a request yet — is closed to make room. Only when
// every connection is busy with a request (each bounded by
// http.read_timeout and http.write_timeout) does Accept wait.
type connLimit struct {
	net.Listener
	limit int

	mu    sync.Mutex
	open  map[net.Conn]time.Time // open connections; the time they went idle (zero: busy)
	freed chan struct{}          // a connection closed (buffered, 1)

	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func newConnLimit(ln net.Listener, limit int) *connLimit {
	return &connLimit{Listener: ln, limit: limit, open: map[net.Conn]time.Time{},
		freed: make(chan struct{}, 1), done: make(chan struct{})}
}

// Accept accepts a connection, then makes room for it: under the limit
// it is served at once; at the limit the longest-idle connection is
// closed for it, or, when every connection is busy, it waits for one to
// finish.
func (l *connLimit) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	for {
		l.mu.Lock()
		if len(l.open) < l.limit {
			l.open[c] = time.Now() // idle until its first request starts
			l.mu.Unlock()
			return c, nil
		}
		var oldest net.Conn
		var since time.Time
		for o, idle := range l.open {
			if !idle.IsZero() && (oldest == nil || idle.Before(since)) {
				oldest, since = o, idle
			}
		}
		l.mu.Unlock()
		if oldest != nil {
			_ = oldest.Close() // its server goroutine reports it closed
		}
		select {
		case <-l.freed:
		case <-l.done:
			_ = c.Close()
			return nil, net.ErrClosed
		}
	}
}

// Close closes the listener and stops any Accept waiting for room.
func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// track is the server's ConnState hook.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateActive:
		if _, ok := l.open[c]; ok {
			l.open[c] = time.Time{}
		}
	case http.StateIdle:
		if _, ok := l.open[c]; ok {
			l.open[c] = time.Now()
		}
	case http.StateClosed, http.StateHijacked:
		if _, ok := l.open[c]; ok {
			delete(l.open, c)
			select {
			case l.freed <- struct{}{}:
			default:
			}
		}
	}
}
