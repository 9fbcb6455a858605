package kernel

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestConnLimitEvictsIdle: at the limit, a new connection is served by
// closing the longest-idle one (kept alive after a request, or never sent
// one), not queued behind them.
func TestConnLimitEvictsIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := newConnLimit(ln, 2)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }),
		ConnState: cl.track, IdleTimeout: time.Hour, ReadHeaderTimeout: time.Hour}
	go func() { _ = srv.Serve(cl) }()
	t.Cleanup(func() { _ = srv.Close() })

	get := func(c net.Conn) error {
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	var idle []net.Conn
	for range 2 { // one kept alive after a request, one that never sends one
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
	}
	if err := get(idle[0]); err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // each new one is served at once
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if err := get(c); err != nil {
			t.Fatalf("connection %d at the limit: %v", i, err)
		}
		c.Close()
	}
}
