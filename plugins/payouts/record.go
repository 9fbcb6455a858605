package payouts

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// The store keys of the exactly-once Confirm, all kept result_ttl:
//
//	payouts:confirm:<id>   a summary's one-time confirmation id, claimed with SetNX;
//	                       its value is the batch it submitted (or the schedule's outcome key)
//	payouts:batch:<id>     a batch's record: each line's request ids and outcome (the truth)
//	payouts:schedule:<id>  the outcome of a /schedule Confirm

func confirmKey(id string) string  { return "payouts:confirm:" + id }
func batchKey(id string) string    { return "payouts:batch:" + id }
func scheduleKey(id string) string { return "payouts:schedule:" + id }

// newID is a random id (12 base32 characters): confirmation ids, and a
// batch's id (its first Confirm's).
func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:12])
}

// confirmation is a summary's Confirm: its one-time id and when it was
// shown (confirm_ttl runs from there, and the second line of defence
// looks at transfers made since).
type confirmation struct {
	ID      string    `json:"id"`
	ShownAt time.Time `json:"shownAt"`
}

// Line states in a batch's record. A line moves pending → sent, refused
// or unknown; unknown → sent (a listing shows it) or absent (a listing
// absent_after after its submit still does not); refused and absent →
// pending again only by "Retry failed lines", with a new request id.
const (
	statePending = "pending" // claimed by a submit that has not recorded its answer
	stateSent    = "sent"    // CopperX has the transfer (its answer, or a listing showed it)
	stateRefused = "refused" // a 4xx for the line: nothing moved
	stateUnknown = "unknown" // no answer, a 5xx, an unreadable answer: not listed yet
	stateAbsent  = "absent"  // was unknown; a listing absent_after later does not show it
)

// entry is one line of a batch with its outcome.
type entry struct {
	line
	State string `json:"state"`
	// RequestID is the send-batch requestId of the line's latest submit
	// ("<batch>-<line>-<attempt>"); Earlier are the ones before it.
	RequestID string   `json:"requestId,omitempty"`
	Earlier   []string `json:"earlier,omitempty"`
	Attempt   int      `json:"attempt,omitempty"`
	// Round is the submit (index into record.Rounds) that last sent it.
	Round int `json:"round"`
	// TransferID and Status: the transfer CopperX made, once sent.
	TransferID string `json:"transferId,omitempty"`
	Status     string `json:"status,omitempty"`
	// Already: the listing before the submit showed this payout made
	// since the summary, so it was not sent again.
	Already bool `json:"already,omitempty"`
	// Reason and Detail are a refusal's copperx.Reason and CopperX's words
	// (kept while a retry is under way: its own answer replaces them).
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Was is the state a retry found the line in (refused or absent), to
	// go back to when the retry resends nothing.
	Was string `json:"was,omitempty"`
}

// resendable reports a line "Retry failed lines" sends again: refused, or
// known to be absent.
func (e *entry) resendable() bool { return e.State == stateRefused || e.State == stateAbsent }

// round is one submit of a batch: the first Confirm, then each retry.
type round struct {
	// Confirm is the confirmation id that made it; ShownAt when its
	// summary was shown.
	Confirm string    `json:"confirm"`
	ShownAt time.Time `json:"shownAt"`
	// Started is when its POST started (zero: not yet); Before are the
	// transfer ids listed just before (Listed: that listing was read),
	// which no line of this round can be.
	Started time.Time `json:"started,omitzero"`
	Before  []string  `json:"before,omitempty"`
	Listed  bool      `json:"listed,omitempty"`
	// Done is set once the round's answer (or its absence) is recorded;
	// Aborted when it resent nothing (CopperX's listing could not be read).
	Done    bool `json:"done,omitempty"`
	Aborted bool `json:"aborted,omitempty"`
}

// record is a batch as the store keeps it: the truth about what was sent.
type record struct {
	ID      string `json:"id"`
	UserID  int64  `json:"user"`
	Account string `json:"account"`
	// Currency, Purpose and Network (the paying wallet's) it was sent with.
	Currency string    `json:"currency"`
	Purpose  string    `json:"purpose"`
	Network  string    `json:"network,omitempty"`
	Created  time.Time `json:"created"`
	Lines    []entry   `json:"lines"`
	Rounds   []round   `json:"rounds"`
	// Message is the chat message showing the latest result (a retry's
	// result replaces the earlier one there too).
	Message int64 `json:"message,omitempty"`
}

// sameUser reports whether the record belongs to the current Telegram
// user and the CopperX account they are logged in to now.
func (r *record) sameUser(c *kernel.Ctx) bool {
	return r.UserID == c.UserID && r.Account != "" && r.Account == account(c)
}

// count is how many lines are in each state.
func (r *record) count() map[string]int {
	n := map[string]int{}
	for _, e := range r.Lines {
		n[e.State]++
	}
	return n
}

// casTries bounds the CompareAndSwap retries of one record change.
const casTries = 20

// errBatchChanged: a retry's precondition no longer holds (another retry
// ran, or a line is not failed any more).
var errBatchChanged = errors.New("payouts: the batch changed since the summary")

// loadRecord reads batch id's record (nil when there is none).
func (p *Payouts) loadRecord(ctx context.Context, id string) (*record, int64, error) {
	raw, ver, err := p.st.Get(ctx, batchKey(id), 0)
	if err != nil {
		return nil, 0, fmt.Errorf("payouts: read batch: %w", err)
	}
	if raw == nil {
		return nil, 0, nil
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("payouts: decode batch: %w", err)
	}
	return &r, ver, nil
}

// createRecord writes a new batch's record; it fails if one exists.
func (p *Payouts) createRecord(ctx context.Context, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := p.st.CompareAndSwap(ctx, batchKey(r.ID), b, 0, p.cfg.ResultTTL); err != nil {
		return fmt.Errorf("payouts: create batch: %w", err)
	}
	return nil
}

// updateRecord changes batch id's record with CompareAndSwap: change gets
// the record as stored and reports whether it changed it (an error stops
// with nothing written). It returns the record as it then stands.
func (p *Payouts) updateRecord(ctx context.Context, id string, change func(r *record) (bool, error)) (*record, error) {
	for range casTries {
		r, ver, err := p.loadRecord(ctx, id)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, fmt.Errorf("payouts: batch %s: no record", id)
		}
		changed, err := change(r)
		if err != nil || !changed {
			return r, err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		_, err = p.st.CompareAndSwap(ctx, batchKey(id), b, ver, p.cfg.ResultTTL)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("payouts: write batch: %w", err)
		}
		return r, nil
	}
	return nil, errors.New("payouts: write batch: too many concurrent changes")
}

// requestID is a line's send-batch requestId for an attempt: unique per
// batch, line and attempt.
func requestID(batch string, n, attempt int) string {
	return fmt.Sprintf("%s-%d-%d", batch, n, attempt)
}

// claimLines marks lines (by number) pending in a new round, with new
// request ids; they must all be resendable (or new, for the first round).
func claimLines(r *record, numbers []int, rd round) error {
	want := map[int]bool{}
	for _, n := range numbers {
		want[n] = true
	}
	idx := len(r.Rounds)
	for i := range r.Lines {
		e := &r.Lines[i]
		if !want[e.N] {
			continue
		}
		delete(want, e.N)
		if e.State != "" && !e.resendable() {
			return errBatchChanged
		}
		if e.RequestID != "" {
			e.Earlier = append(e.Earlier, e.RequestID)
		}
		e.Attempt++
		e.Was = e.State
		e.State, e.Round, e.RequestID = statePending, idx, requestID(r.ID, e.N, e.Attempt)
		e.TransferID, e.Status, e.Already = "", "", false
	}
	if len(want) > 0 {
		return errBatchChanged
	}
	r.Rounds = append(r.Rounds, rd)
	return nil
}
