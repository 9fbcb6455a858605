package copperxtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// lateWork holds the requests a LateWork fault answered at once and
// performs later.
type lateWork struct {
	mu   sync.Mutex
	jobs []lateJob
}

type lateJob struct {
	at   time.Time
	req  *http.Request
	body []byte
}

// deferWork keeps r (headers, token included) to be performed after d on
// the emulator's clock.
func (s *Server) deferWork(r *http.Request, body []byte, d time.Duration) {
	s.late.mu.Lock()
	defer s.late.mu.Unlock()
	s.late.jobs = append(s.late.jobs, lateJob{at: s.now().Add(d), req: r.Clone(context.Background()), body: bytes.Clone(body)})
}

// runLateWork performs the deferred requests whose time came, in the order
// they arrived; their answers go nowhere.
func (s *Server) runLateWork() {
	now := s.now()
	s.late.mu.Lock()
	var due []lateJob
	kept := s.late.jobs[:0]
	for _, j := range s.late.jobs {
		if now.Before(j.at) {
			kept = append(kept, j)
		} else {
			due = append(due, j)
		}
	}
	s.late.jobs = kept
	s.late.mu.Unlock()
	for _, j := range due {
		j.req.Body = io.NopCloser(bytes.NewReader(j.body))
		rec := httptest.NewRecorder()
		s.handle(rec, j.req, j.body)
		s.cfg.logger.Debug("copperx emulator: late work done", "method", j.req.Method, "path", j.req.URL.Path, "status", rec.Code)
	}
}
