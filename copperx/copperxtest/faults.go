package copperxtest

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sync"
	"time"
)

// Fault is a failure injected on a route with Server.Fail.
//
// Latency delays the answer (combined with any other field). Then the
// first field set wins, in this order:
//   - DropConnection: the connection is closed without an answer; the
//     request is not processed.
//   - Malformed: a truncated JSON body with Status (default 200); the
//     request is not processed.
//   - LoseResponse: the request IS processed (money moves, transfers are
//     created), then the answer is lost: the connection is closed, or, if
//     Status is set (e.g. 504), that status and Body are answered instead.
//     This is how exactly-once behaviour is tested.
//   - Status: that status with Body (default: an ErrorDto for the status;
//     429 also carries "Retry-After: 1"); the request is not processed.
//
// LateWork, set, comes before all of those: the request is answered at
// once with Status (default 504, a gateway that gave up waiting) and Body,
// and performed LateWork later on the emulator's clock, before the first
// request served (or Advance) after that: a gateway timeout whose work
// completes anyway. Its answer is lost.
type Fault struct {
	Status         int
	Body           string
	Latency        time.Duration
	Malformed      bool
	DropConnection bool
	LoseResponse   bool
	LateWork       time.Duration
	// Times is how many requests the fault applies to; 0 means until
	// ClearFaults.
	Times int
}

type faultRule struct {
	method, pattern string
	fault           Fault
	left            int // remaining uses; -1 = unlimited
}

type faultSet struct {
	mu    sync.Mutex
	rules []*faultRule
	batch map[string][]*errorBody // FailBatchItem, by requestId
	like  []batchFault            // FailBatchItemLike, in the order added
}

// batchFault is a FailBatchItemLike failure not used yet.
type batchFault struct {
	pattern string
	body    *errorBody
}

// Fail injects f on requests whose method is method ("" or "*" for any)
// and whose path matches pattern (path.Match syntax, e.g.
// "/api/transfers/send" or "/api/payees/*"). Faults are tried in the order
// they were added.
func (s *Server) Fail(method, pattern string, f Fault) {
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = append(s.faults.rules, &faultRule{method: method, pattern: pattern, fault: f, left: left})
}

// ClearFaults removes every fault, including unused FailBatchItem ones.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = nil
	s.faults.batch = nil
	s.faults.like = nil
}

// takeBatch returns (and uses up) the failure injected for a batch item.
func (fs *faultSet) takeBatch(requestID string) *errorBody {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if q := fs.batch[requestID]; len(q) > 0 {
		fs.batch[requestID] = q[1:]
		return q[0]
	}
	for i, f := range fs.like {
		if ok, _ := path.Match(f.pattern, requestID); ok {
			fs.like = slices.Delete(fs.like, i, i+1)
			return f.body
		}
	}
	return nil
}

// take returns the fault for a request, counting one use.
func (fs *faultSet) take(method, p string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, r := range fs.rules {
		if r.method != "" && r.method != "*" && r.method != method {
			continue
		}
		if ok, _ := path.Match(r.pattern, p); !ok && r.pattern != p {
			continue
		}
		f := r.fault
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				fs.rules = slices.Delete(fs.rules, i, i+1)
			}
		}
		return &f
	}
	return nil
}

// Call is one request the emulator received.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	// Header holds the request headers without Authorization.
	Header http.Header
	// Body is the JSON body decoded into a map (nil if it was not a JSON
	// object); RawBody is the body as received.
	Body    map[string]any
	RawBody []byte
	// Status is the status answered (0 if the connection was dropped or
	// the call is still being served).
	Status int
	Time   time.Time
}

type callLog struct {
	mu    sync.Mutex
	calls []*Call
}

func (l *callLog) add(r *http.Request, body []byte) *Call {
	h := r.Header.Clone()
	h.Del("Authorization")
	c := Call{
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   maps.Clone(r.URL.Query()),
		Header:  h,
		RawBody: slices.Clone(body),
		Time:    time.Now(),
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		c.Body = m
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, &c)
	return &c
}

func (l *callLog) setStatus(c *Call, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.Status = status
}

// Calls returns every request received since the last ResetCalls.
func (s *Server) Calls() []Call {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	out := make([]Call, len(s.calls.calls))
	for i, c := range s.calls.calls {
		out[i] = *c
	}
	return out
}

// CallsTo returns the calls with that method ("" for any) and path.
func (s *Server) CallsTo(method, p string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if (method == "" || c.Method == method) && c.Path == p {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	s.calls.calls = nil
}
