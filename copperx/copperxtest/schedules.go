package copperxtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Schedule statuses and repeat types (TransferScheduleStatus,
// TransferScheduleRepeatType).
const (
	ScheduleActive   = "active"
	ScheduleInactive = "inactive"

	RepeatDaily   = "daily"
	RepeatWeekly  = "weekly"
	RepeatMonthly = "monthly"
	RepeatOneTime = "one_time"
)

// maxCatchUp bounds the occurrences one Tick runs for one schedule (a
// daily schedule after Advance(1000 days) runs 366 times, not 1000).
const maxCatchUp = 366

// schedule is a stored transfer schedule.
type schedule struct {
	id                    string
	user                  *user
	createdAt, updatedAt  time.Time
	status                string
	amount                decimal.Decimal // 10^-8 units
	currency, purposeCode string
	email, walletAddress  string
	payeeID               string
	repeatType, spec      string
	anchor                time.Time // the first occurrence
	runs                  int       // occurrences run so far
	next                  time.Time // the next occurrence; zero when none
}

// TransferSchedule is the wire form of a schedule (TransferScheduleDto).
type TransferSchedule struct {
	ID                 string     `json:"id"`
	CreatedAt          string     `json:"createdAt"`
	UpdatedAt          string     `json:"updatedAt"`
	OrganizationID     string     `json:"organizationId"`
	Status             string     `json:"status"`
	Type               string     `json:"type"`
	SourceCountry      string     `json:"sourceCountry"`
	DestinationCountry string     `json:"destinationCountry"`
	Amount             string     `json:"amount"`
	Currency           string     `json:"currency"`
	PurposeCode        string     `json:"purposeCode,omitempty"`
	WalletAddress      string     `json:"walletAddress,omitempty"`
	Email              string     `json:"email,omitempty"`
	PayeeID            string     `json:"payeeId,omitempty"`
	Payee              *payeeJSON `json:"payee,omitempty"`
	RepeatType         string     `json:"repeatType"`
	Schedule           string     `json:"schedule"`
}

func (s *Server) scheduleOut(sc *schedule) TransferSchedule {
	out := TransferSchedule{
		ID: sc.id, CreatedAt: ts(sc.createdAt), UpdatedAt: ts(sc.updatedAt), OrganizationID: sc.user.orgID,
		Status: sc.status, Type: "on_chain", SourceCountry: "none", DestinationCountry: "none",
		Amount: units(sc.amount), Currency: sc.currency, PurposeCode: sc.purposeCode,
		WalletAddress: sc.walletAddress, Email: sc.email, PayeeID: sc.payeeID,
		RepeatType: sc.repeatType, Schedule: sc.spec,
	}
	if p := findPayee(sc.user, sc.payeeID); p != nil {
		po := payeeOut(sc.user, p)
		out.Payee = &po
	}
	return out
}

// scheduleBody is CreateTransferScheduleDto.
type scheduleBody struct {
	Amount        string `json:"amount"`
	PurposeCode   string `json:"purposeCode"`
	WalletAddress string `json:"walletAddress"`
	Email         string `json:"email"`
	PayeeID       string `json:"payeeId"`
	RepeatType    string `json:"repeatType"`
	Schedule      string `json:"schedule"`
}

// parseScheduleTime reads the schedule string: the document does not say
// its format, so the emulator takes the first occurrence as an RFC 3339
// date-time ("2025-04-21T09:00:00Z") or a date ("2025-04-21", midnight UTC).
func parseScheduleTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// occurrence is the n-th (from 0) occurrence of a schedule starting at
// anchor. Monthly occurrences count months from the anchor and keep its
// day, or the month's last day when it is shorter: a schedule on the 31st
// runs on Feb 28 and again on Mar 31.
func occurrence(anchor time.Time, repeat string, n int) time.Time {
	switch repeat {
	case RepeatDaily:
		return anchor.AddDate(0, 0, n)
	case RepeatWeekly:
		return anchor.AddDate(0, 0, 7*n)
	case RepeatMonthly:
		first := time.Date(anchor.Year(), anchor.Month()+time.Month(n), 1, anchor.Hour(), anchor.Minute(),
			anchor.Second(), anchor.Nanosecond(), anchor.Location())
		last := first.AddDate(0, 1, -1).Day()
		return first.AddDate(0, 0, min(anchor.Day(), last)-1)
	}
	return anchor
}

// checkRecipientLocked checks a send's recipient as sendLocked does,
// without sending: exactly one of email, address and payee; a valid email
// that is not the sender's; an address of the default wallet's network; a
// payee of u.
func (s *Server) checkRecipientLocked(u *user, email, addr, payeeID string) error {
	n := 0
	for _, v := range []string{email, addr, payeeID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return unprocessable([]string{"exactly one of email, walletAddress or payeeId must be provided"})
	}
	switch {
	case payeeID != "":
		if findPayee(u, payeeID) == nil {
			return notFound("Payee not found")
		}
	case email != "":
		if !emailRe.MatchString(email) {
			return unprocessable([]string{"email must be an email"})
		}
		if normEmail(email) == u.email {
			return unprocessable("You cannot send funds to yourself")
		}
	default:
		if network := u.defaultW().network; !validAddress(network, addr) {
			return constraint("walletAddress", "isValidAddress", fmt.Sprintf("walletAddress must be a valid %s address", networkName(network)))
		}
	}
	return nil
}

// createSchedule stores a schedule; its transfers are created when due
// (Tick, Advance, or before any API request).
func (s *Server) createSchedule(r *http.Request, sess *session) (any, error) {
	var in scheduleBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	amount, err := parseAmount(in.Amount)
	if err != nil {
		return nil, err
	}
	first, ok := parseScheduleTime(in.Schedule)
	if !ok {
		return nil, constraint("schedule", "isDateString", "schedule must be a valid ISO 8601 date string")
	}
	purpose := in.PurposeCode
	if purpose == "" {
		purpose = "self"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	if err := s.checkRecipientLocked(u, in.Email, in.WalletAddress, in.PayeeID); err != nil {
		return nil, err
	}
	if err := requireKYC(u); err != nil {
		return nil, err
	}
	now := s.now()
	sc := &schedule{
		id: newID(), user: u, createdAt: now, updatedAt: now, status: ScheduleActive,
		amount: amount, currency: "USDC", purposeCode: purpose,
		email: normEmail(in.Email), walletAddress: in.WalletAddress, payeeID: in.PayeeID,
		repeatType: in.RepeatType, spec: in.Schedule, anchor: first, next: first,
	}
	if first.Before(now) {
		if in.RepeatType == RepeatOneTime {
			return nil, constraint("schedule", "minDate", "schedule must be in the future")
		}
		// A repeating schedule that started in the past runs from its next
		// occurrence on.
		for sc.next.Before(now) {
			sc.runs++
			sc.next = occurrence(first, in.RepeatType, sc.runs)
		}
	}
	s.schedules = append(s.schedules, sc)
	return s.scheduleOut(sc), nil
}

// ownSchedules returns u's schedules, newest first.
func (s *Server) ownSchedules(u *user) []*schedule {
	var out []*schedule
	for _, sc := range s.schedules {
		if sc.user == u {
			out = append(out, sc)
		}
	}
	slices.Reverse(out)
	return out
}

// listSchedules answers a page of the caller's schedules, newest first,
// filtered by email, payeeId and status.
func (s *Server) listSchedules(r *http.Request, sess *session) (any, error) {
	q := r.URL.Query()
	email, payeeID, status := normEmail(q.Get("email")), q.Get("payeeId"), q.Get("status")
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []TransferSchedule
	for _, sc := range s.ownSchedules(sess.user) {
		if email != "" && sc.email != email || payeeID != "" && sc.payeeID != payeeID || status != "" && sc.status != status {
			continue
		}
		items = append(items, s.scheduleOut(sc))
	}
	return paginate(r, items), nil
}

// findScheduleLocked returns u's schedule with that id, or nil.
func (s *Server) findScheduleLocked(u *user, id string) *schedule {
	for _, sc := range s.schedules {
		if sc.id == id && sc.user == u {
			return sc
		}
	}
	return nil
}

// getSchedule answers one of the caller's schedules.
func (s *Server) getSchedule(r *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.findScheduleLocked(sess.user, r.PathValue("id"))
	if sc == nil {
		return nil, notFound("Transfer schedule not found")
	}
	return s.scheduleOut(sc), nil
}

// deactivateSchedule stops a schedule (already inactive: answered as it is).
func (s *Server) deactivateSchedule(r *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.findScheduleLocked(sess.user, r.PathValue("id"))
	if sc == nil {
		return nil, notFound("Transfer schedule not found")
	}
	if sc.status != ScheduleInactive {
		sc.status, sc.updatedAt, sc.next = ScheduleInactive, s.now(), time.Time{}
	}
	return s.scheduleOut(sc), nil
}

// tickLocked settles processing transfers whose delay passed and runs the
// schedules that fell due; it returns the transfers the schedules created.
func (s *Server) tickLocked() int {
	now := s.now()
	// Only the transfers still waiting are kept; one settled by other
	// means (Settle, a fault) has a zero settleAt and drops out.
	s.settling = slices.DeleteFunc(s.settling, func(t *transfer) bool {
		s.settleLocked(t)
		return t.settleAt.IsZero()
	})
	created := 0
	for _, sc := range s.schedules {
		for n := 0; sc.status == ScheduleActive && !sc.next.IsZero() && !sc.next.After(now) && n < maxCatchUp; n++ {
			s.runScheduleLocked(sc, sc.next)
			created++
			sc.runs++
			sc.updatedAt = now
			if sc.repeatType == RepeatOneTime {
				sc.status, sc.next = ScheduleInactive, time.Time{}
				break
			}
			sc.next = occurrence(sc.anchor, sc.repeatType, sc.runs)
		}
	}
	return created
}

// runScheduleLocked sends one occurrence of sc, dated at. A send the API
// would refuse (insufficient balance, KYC, limit, payee deleted) is
// recorded as a "failed" transfer, with nothing moved.
func (s *Server) runScheduleLocked(sc *schedule, at time.Time) {
	u := sc.user
	in := sendBody{Email: sc.email, WalletAddress: sc.walletAddress, PayeeID: sc.payeeID,
		Amount: units(sc.amount), PurposeCode: sc.purposeCode, Currency: sc.currency}
	t, err := s.sendLocked(u, in)
	if err != nil {
		s.cfg.logger.Info("copperx emulator: scheduled transfer failed", "schedule", sc.id, "err", err)
		src := u.defaultW()
		t = s.newTransferLocked(u, Transfer{
			Type: "send", Mode: "on_chain", Status: StatusFailed, Amount: units(sc.amount), Currency: sc.currency,
			AmountSubtotal: units(sc.amount), TotalFee: "0", FeePercentage: s.cfg.fee.String(), PurposeCode: sc.purposeCode,
			SourceAccountID: src.accountID, SenderDisplayName: u.displayName(), SourceAccount: s.walletAccount(src),
			DestinationAccount: &TransferAccount{ID: newID(), Type: "web3_wallet", Network: src.network,
				WalletAddress: sc.walletAddress, PayeeEmail: sc.email, PayeeID: sc.payeeID},
		}, 0)
	}
	t.wire.CreatedAt = ts(at)
	for i := range t.wire.Transactions {
		t.wire.Transactions[i].CreatedAt = ts(at)
	}
}

// Schedules returns email's transfer schedules, newest first.
func (s *Server) Schedules(email string) []TransferSchedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TransferSchedule
	for _, sc := range s.ownSchedules(s.mustUserLocked(email)) {
		out = append(out, s.scheduleOut(sc))
	}
	return out
}
