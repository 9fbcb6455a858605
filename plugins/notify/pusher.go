package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The Pusher protocol-7 subscriber: one websocket per bot process carrying
// the channels this replica holds. It reads pusher:connection_established,
// answers pings, pings after activity_timeout of silence, and reconnects
// with exponential backoff and jitter. Pusher's error codes (pusher:error
// or the close code) say what to do: 4000-4099 "do not reconnect with the
// same parameters" — the ones that only a config change fixes (4000 SSL
// only, 4001 unknown app key, 4005 path not found, 4006-4008 protocol
// version) stop the client for good, the others (4003 app disabled, 4004
// over the connection quota, 4009 unauthorized, ...) may clear up on
// Pusher's side, so the client retries slowly (every 15-30 minutes);
// 4100-4199 back off, 4200-4299 reconnect at once, anything else backs
// off. A refused subscription (pusher_internal:subscription_error) is
// handed to onRefused; the connection stays.

const (
	handshakeTimeout = 15 * time.Second
	writeTimeout     = 10 * time.Second
	pongTimeout      = 30 * time.Second
	defaultIdle      = 120 * time.Second
	readLimit        = 1 << 20
	// slowRetry is the wait (jittered down to half) before reconnecting
	// after a 4000-4099 error that is not a config error.
	slowRetry = 30 * time.Minute
)

// configCodes are the 4000-4099 errors only a config change fixes.
var configCodes = []int{4000, 4001, 4005, 4006, 4007, 4008}

// client states.
const (
	running = iota // connected or reconnecting with the usual backoff
	slow           // waiting slowRetry after a 4000-4099 error
	stopped        // refused for good
)

// frame is a protocol-7 message; Data is an object or a JSON string of one.
type frame struct {
	Event   string          `json:"event"`
	Channel string          `json:"channel,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// payload is the frame's data as JSON: a JSON string is unwrapped.
func (f frame) payload() []byte {
	var s string
	if json.Unmarshal(f.Data, &s) == nil {
		return []byte(s)
	}
	return f.Data
}

// pusherError is a pusher:error (or close code) in 4000-4299.
type pusherError struct {
	Code    int
	Message string
}

func (e *pusherError) Error() string { return fmt.Sprintf("pusher error %d: %s", e.Code, e.Message) }

// errNotConnected: a subscribe with no live connection (the next
// connection subscribes everything anyway).
var errNotConnected = errors.New("pusher: not connected")

// client is the subscriber. The callbacks run on the read loop: they must
// not block (start goroutines for network work).
type client struct {
	url      string
	min, max time.Duration
	slow     time.Duration // slowRetry (tests shorten it)
	log      *slog.Logger
	idle     time.Duration // overrides the server's activity_timeout (tests)
	pongWait time.Duration
	metrics  *metrics // nil: none

	onConnect    func(socketID string)
	onSubscribed func(channel string)
	onRefused    func(channel string) // a subscription Pusher refused
	onEvent      func(channel, event string, data []byte)

	mu       sync.Mutex
	conn     *websocket.Conn
	socketID string
	live     map[string]bool // channels subscribed on the current connection
	state    int
	gaveUp   error // why the client stopped for good
}

// backoff is the wait before reconnection attempt n (0-based): min·2ⁿ
// capped at max, with jitter in [d/2, d].
func (c *client) backoff(n int) time.Duration {
	d := c.min
	for i := 0; i < n && d < c.max; i++ {
		d *= 2
	}
	return jitter(min(d, c.max))
}

// jitter is a duration drawn from [d/2, d].
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// usable reports whether the client is connected or about to be: not
// stopped, not refused since its last connection (such a replica holds
// nothing).
func (c *client) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == running
}

func (c *client) setState(state int, reason error) {
	c.mu.Lock()
	c.state = state
	if state == stopped {
		c.gaveUp = reason
	}
	c.mu.Unlock()
}

// run connects and reconnects until ctx ends or Pusher refuses for good.
func (c *client) run(ctx context.Context) {
	attempt := 0
	for {
		established, err := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if established {
			attempt = 0
		}
		wait := c.backoff(attempt)
		var pe *pusherError
		switch {
		case errors.As(err, &pe) && slices.Contains(configCodes, pe.Code):
			c.log.Error("pusher refused the connection; not reconnecting: check plugins.notify.ws_url, app_key and cluster", "code", pe.Code, "message", pe.Message)
			c.setState(stopped, err)
			return
		case errors.As(err, &pe) && pe.Code >= 4000 && pe.Code < 4100:
			wait = jitter(c.slow)
			attempt = 0
			c.setState(slow, nil)
			c.log.Error("pusher refused the connection; retrying slowly", "code", pe.Code, "message", pe.Message, "in", wait)
		case errors.As(err, &pe) && pe.Code >= 4200 && pe.Code < 4300:
			wait = 0
			attempt = 0
			c.log.Warn("pusher asked to reconnect", "err", err)
		default:
			attempt++
			c.log.Warn("pusher connection lost; reconnecting", "err", err, "in", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session runs one connection; established reports whether Pusher
// accepted it (which resets the backoff).
func (c *client) session(ctx context.Context) (established bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	conn, _, err := websocket.Dial(dctx, c.url, nil)
	cancel()
	if err != nil {
		return false, fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(readLimit)

	var wg sync.WaitGroup
	defer wg.Wait()
	defer conn.CloseNow()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	defer c.detach(conn)

	frames := make(chan []byte)
	readErr := make(chan error, 1)
	wg.Go(func() {
		for {
			_, b, err := conn.Read(sctx)
			if err != nil {
				readErr <- err
				return
			}
			select {
			case frames <- b:
			case <-sctx.Done():
				return
			}
		}
	})

	// The first frame must be pusher:connection_established.
	idle, err := c.handshake(ctx, frames, readErr, conn)
	if err != nil {
		return false, err
	}
	timer := time.NewTimer(idle)
	defer timer.Stop()
	pinged := false
	for {
		select {
		case <-ctx.Done():
			_ = conn.Close(websocket.StatusNormalClosure, "")
			return true, ctx.Err()
		case err := <-readErr:
			return true, closeErr(err)
		case <-timer.C:
			if pinged {
				return true, errors.New("no pong from pusher")
			}
			if err := c.write(sctx, conn, frame{Event: "pusher:ping", Data: json.RawMessage(`{}`)}); err != nil {
				return true, err
			}
			pinged = true
			timer.Reset(c.pongWait)
		case b := <-frames:
			pinged = false
			timer.Reset(idle)
			if err := c.handle(sctx, conn, b); err != nil {
				return true, err
			}
		}
	}
}

// handshake waits for pusher:connection_established and attaches the
// connection; it returns how long silence may last before a ping.
func (c *client) handshake(ctx context.Context, frames <-chan []byte, readErr <-chan error, conn *websocket.Conn) (time.Duration, error) {
	t := time.NewTimer(handshakeTimeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case err := <-readErr:
		return 0, closeErr(err)
	case <-t.C:
		return 0, errors.New("no connection_established from pusher")
	case b := <-frames:
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			return 0, fmt.Errorf("first frame: %w", err)
		}
		if f.Event == "pusher:error" {
			return 0, parseError(f.payload())
		}
		if f.Event != "pusher:connection_established" {
			return 0, fmt.Errorf("first frame is %q, not pusher:connection_established", f.Event)
		}
		var d struct {
			SocketID        string `json:"socket_id"`
			ActivityTimeout int    `json:"activity_timeout"`
		}
		if err := json.Unmarshal(f.payload(), &d); err != nil || d.SocketID == "" {
			return 0, errors.New("connection_established without a socket_id")
		}
		idle := defaultIdle
		if d.ActivityTimeout > 0 {
			idle = time.Duration(d.ActivityTimeout) * time.Second
		}
		if c.idle > 0 {
			idle = c.idle
		}
		c.mu.Lock()
		c.conn, c.socketID, c.live = conn, d.SocketID, map[string]bool{}
		c.state = running
		c.gauges(true, 0)
		c.mu.Unlock()
		c.log.Info("pusher connected", "activity_timeout", idle)
		c.onConnect(d.SocketID)
		return idle, nil
	}
}

// detach forgets conn if it is still the current connection.
func (c *client) detach(conn *websocket.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == conn {
		c.conn, c.socketID, c.live = nil, "", nil
		c.gauges(false, 0)
	}
}

// gauges sets websocket_up and channels_subscribed; the caller holds mu.
func (c *client) gauges(up bool, channels int) {
	if c.metrics == nil {
		return
	}
	if up {
		c.metrics.websocketUp.Set(1)
	} else {
		c.metrics.websocketUp.Set(0)
	}
	c.metrics.channels.Set(float64(channels))
}

// handle acts on one frame after the handshake.
func (c *client) handle(ctx context.Context, conn *websocket.Conn, b []byte) error {
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.log.Warn("pusher sent a frame that is not JSON; ignored", "bytes", len(b))
		return nil
	}
	switch f.Event {
	case "pusher:ping":
		return c.write(ctx, conn, frame{Event: "pusher:pong", Data: json.RawMessage(`{}`)})
	case "pusher:pong", "pusher:connection_established":
	case "pusher:error":
		err := parseError(f.payload())
		var pe *pusherError
		if errors.As(err, &pe) && pe.Code >= 4000 && pe.Code < 4300 {
			return err
		}
		c.log.Warn("pusher error", "err", err)
	case "pusher_internal:subscription_succeeded":
		c.mu.Lock()
		if c.conn == conn {
			c.live[f.Channel] = true
			c.gauges(true, len(c.live))
		}
		c.mu.Unlock()
		c.log.Debug("pusher subscribed", "channel", f.Channel)
		c.onSubscribed(f.Channel)
	case "pusher_internal:subscription_error", "pusher:subscription_error":
		var d struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		_ = json.Unmarshal(f.payload(), &d)
		c.log.Warn("pusher refused a subscription; retrying at the next resync", "channel", f.Channel, "type", d.Type, "status", d.Status)
		if f.Channel != "" && c.onRefused != nil {
			c.onRefused(f.Channel)
		}
	default:
		if f.Channel != "" && !strings.HasPrefix(f.Event, "pusher") {
			c.onEvent(f.Channel, f.Event, f.payload())
		}
	}
	return nil
}

// parseError reads a pusher:error's data {code, message}; the signature
// Pusher quotes back in "Invalid signature" errors is cut off.
func parseError(data []byte) error {
	var d struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(data, &d)
	msg, _, _ := strings.Cut(d.Message, ", but got")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if d.Code == nil {
		return fmt.Errorf("pusher error: %s", msg)
	}
	return &pusherError{Code: *d.Code, Message: msg}
}

// closeErr turns a websocket close with a Pusher code into a pusherError.
func closeErr(err error) error {
	if code := int(websocket.CloseStatus(err)); code >= 4000 && code < 4300 {
		var ce websocket.CloseError
		errors.As(err, &ce)
		return &pusherError{Code: code, Message: ce.Reason}
	}
	return fmt.Errorf("read: %w", err)
}

// write sends one frame, bounded in time.
func (c *client) write(ctx context.Context, conn *websocket.Conn, f frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := conn.Write(wctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("write %s: %w", f.Event, err)
	}
	return nil
}

// current is the live connection and its socket id (nil when down).
func (c *client) current() (*websocket.Conn, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn, c.socketID
}

// subscribe subscribes a private channel on the live connection with the
// auth that sign returns for its socket id.
func (c *client) subscribe(ctx context.Context, channel string, sign func(ctx context.Context, socketID string) (string, error)) error {
	conn, socketID := c.current()
	if conn == nil {
		return errNotConnected
	}
	auth, err := sign(ctx, socketID)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(map[string]string{"channel": channel, "auth": auth})
	return c.write(ctx, conn, frame{Event: "pusher:subscribe", Data: data})
}

// unsubscribe leaves a channel on the live connection.
func (c *client) unsubscribe(ctx context.Context, channel string) error {
	conn, _ := c.current()
	if conn == nil {
		return nil
	}
	c.mu.Lock()
	delete(c.live, channel)
	c.gauges(c.conn != nil, len(c.live))
	c.mu.Unlock()
	data, _ := json.Marshal(map[string]string{"channel": channel})
	return c.write(ctx, conn, frame{Event: "pusher:unsubscribe", Data: data})
}

// subscribed reports whether channel is subscribed on the live connection.
func (c *client) subscribed(channel string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live[channel]
}

// channels lists the channels subscribed on the live connection.
func (c *client) channels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Collect(maps.Keys(c.live))
}
