package copperx

import (
	"context"
	"fmt"
	"net/http"
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

// TransferSchedule is a recurring or one-time send (TransferScheduleDto).
// Amount arrives in 10^-8 units and decodes to tokens.
type TransferSchedule struct {
	ID                    string    `json:"id"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
	OrganizationID        string    `json:"organizationId"`
	Status                string    `json:"status"` // active|inactive
	Type                  string    `json:"type"`   // on_ramp|off_ramp|remittance|on_chain
	SourceCountry         string    `json:"sourceCountry"`
	DestinationCountry    string    `json:"destinationCountry"`
	Amount                Units     `json:"amount"`
	Currency              string    `json:"currency"`
	PurposeCode           string    `json:"purposeCode,omitempty"`
	SourceOfFunds         string    `json:"sourceOfFunds,omitempty"`
	RecipientRelationship string    `json:"recipientRelationship,omitempty"`
	WalletAddress         string    `json:"walletAddress,omitempty"`
	Email                 string    `json:"email,omitempty"`
	PayeeID               string    `json:"payeeId,omitempty"`
	Payee                 *Payee    `json:"payee,omitempty"`
	RepeatType            string    `json:"repeatType"` // daily|weekly|monthly|one_time
	// Schedule is as the API sent it; its format is not documented.
	Schedule string `json:"schedule"`
}

// ScheduleRequest creates a transfer schedule: set exactly one of Email,
// WalletAddress and PayeeID. Amount is in tokens.
type ScheduleRequest struct {
	Email         string
	WalletAddress string
	PayeeID       string
	Amount        decimal.Decimal
	PurposeCode   string // self|salary|gift|…
	RepeatType    string // daily|weekly|monthly|one_time
	// Schedule is sent as it is: its format is not documented
	// (copperx-api.md); the emulator takes the first occurrence as an RFC
	// 3339 date-time, e.g. ScheduleAt(t).
	Schedule string
}

// ScheduleAt renders a first occurrence as the Schedule string: the one
// place the format lives. The document types it as a bare string; the
// field's name and the date-time fields everywhere else in the document
// point at an ISO 8601 date-time, so it is RFC 3339 in UTC, to the second
// ("2026-03-27T09:00:00Z"), which the emulator validates. ScheduleTime
// reads it back.
func ScheduleAt(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ScheduleTime reads a Schedule string as ScheduleAt writes it (any RFC
// 3339 date-time, or a bare date at midnight UTC, which is what a
// schedule created elsewhere may carry); false when it is neither, and
// then the string is shown as the API sent it.
func ScheduleTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// scheduleBody is ScheduleRequest on the wire (CreateTransferScheduleDto).
type scheduleBody struct {
	Amount        string `json:"amount"`
	PurposeCode   string `json:"purposeCode,omitempty"`
	WalletAddress string `json:"walletAddress,omitempty"`
	Email         string `json:"email,omitempty"`
	PayeeID       string `json:"payeeId,omitempty"`
	RepeatType    string `json:"repeatType"`
	Schedule      string `json:"schedule"`
}

// CreateTransferSchedule creates a schedule (POST /api/transfer-schedules).
// Never retried.
func (c *Client) CreateTransferSchedule(ctx context.Context, tok Token, r ScheduleRequest) (*TransferSchedule, error) {
	send, err := SendRequest{Email: r.Email, WalletAddress: r.WalletAddress, PayeeID: r.PayeeID, Amount: r.Amount}.body()
	if err != nil {
		return nil, fmt.Errorf("copperx: create transfer schedule: %w", err)
	}
	if r.RepeatType == "" || r.Schedule == "" {
		return nil, fmt.Errorf("copperx: create transfer schedule: repeatType and schedule are required")
	}
	body := scheduleBody{
		Amount: send.Amount, PurposeCode: r.PurposeCode, WalletAddress: r.WalletAddress, Email: r.Email,
		PayeeID: r.PayeeID, RepeatType: r.RepeatType, Schedule: r.Schedule,
	}
	var out TransferSchedule
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/transfer-schedules", tok: &tok, body: body, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ScheduleQuery filters TransferSchedules. Zero values are left out.
type ScheduleQuery struct {
	Page, Limit int
	Email       string
	PayeeID     string
	Status      string // active|inactive
}

// TransferSchedules lists schedules (GET /api/transfer-schedules).
func (c *Client) TransferSchedules(ctx context.Context, tok Token, q ScheduleQuery) (*Page[TransferSchedule], error) {
	v := pageQuery(nil, q.Page, q.Limit)
	if q.Email != "" {
		v.Set("email", q.Email)
	}
	if q.PayeeID != "" {
		v.Set("payeeId", q.PayeeID)
	}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	var out Page[TransferSchedule]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/transfer-schedules", tok: &tok, query: v, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// TransferSchedule returns one schedule (GET /api/transfer-schedules/{id}).
func (c *Client) TransferSchedule(ctx context.Context, tok Token, id string) (*TransferSchedule, error) {
	if id == "" {
		return nil, errEmptyID("transfer schedule")
	}
	var out TransferSchedule
	err := c.do(ctx, call{
		method: http.MethodGet, path: "/api/transfer-schedules/" + escape(id), route: "/api/transfer-schedules/{id}",
		tok: &tok, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeactivateTransferSchedule stops a schedule
// (POST /api/transfer-schedules/{id}/deactivate). Never retried.
func (c *Client) DeactivateTransferSchedule(ctx context.Context, tok Token, id string) (*TransferSchedule, error) {
	if id == "" {
		return nil, errEmptyID("deactivate transfer schedule")
	}
	var out TransferSchedule
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/transfer-schedules/" + escape(id) + "/deactivate",
		route: "/api/transfer-schedules/{id}/deactivate", tok: &tok, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
