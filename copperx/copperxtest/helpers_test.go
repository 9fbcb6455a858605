package copperxtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 4, 20, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTest starts an emulator whose 2xx responses are checked against the
// OpenAPI document.
func newTest(t *testing.T, opts ...Option) *Server {
	t.Helper()
	check := WithResponseCheck(func(method, path string, err error) {
		t.Errorf("response of %s %s does not match the OpenAPI document: %v", method, path, err)
	})
	return NewTestServer(t, append([]Option{check}, opts...)...)
}

// client is a plain net/http client of the emulator.
type client struct {
	t     *testing.T
	base  string
	token string
}

func newClient(t *testing.T, s *Server, token string) *client {
	return &client{t: t, base: s.URL(), token: token}
}

// response is a decoded answer.
type response struct {
	status int
	raw    []byte
	header http.Header
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.raw, err)
	}
	return m
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.raw, v); err != nil {
		t.Fatalf("decode %q: %v", r.raw, err)
	}
}

// do sends a request; body is marshalled unless it is a string (sent as
// is). A transport error fails the test unless allowErr.
func (c *client) send(method, path string, body any) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, raw: raw, header: resp.Header}, err
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	r, err := c.send(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// mustOK fails unless the answer is 200 and returns it.
func (c *client) mustOK(method, path string, body any) response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d, body %s", method, path, r.status, r.raw)
	}
	return r
}

// wantError checks an ErrorDto answer and returns its message.
func wantError(t *testing.T, r response, status int) any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	m := r.object(t)
	if sc, _ := m["statusCode"].(float64); int(sc) != status {
		t.Errorf("statusCode %v, want %d", m["statusCode"], status)
	}
	if _, ok := m["error"].(string); !ok {
		t.Errorf("error field missing in %s", r.raw)
	}
	if m["message"] == nil {
		t.Errorf("message missing in %s", r.raw)
	}
	return m["message"]
}
