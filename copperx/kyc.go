package copperx

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// KYC statuses the bot cares about; the API has more (see copperx-api.md).
const (
	KYCApproved = "approved"
	KYCRejected = "rejected"
	KYCPending  = "pending"
	// KYCNotStarted is KYCStatus's answer when the user has no KYC record.
	KYCNotStarted = ""
)

// KYCURL is where a user completes KYC.
const KYCURL = "https://payout.copperx.io/app/kyc"

// KYC is one KYC record (KycDto), without the provider details.
type KYC struct {
	ID             string    `json:"id"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	OrganizationID string    `json:"organizationId"`
	Status         string    `json:"status"`
	Type           string    `json:"type"` // individual|business
	Country        string    `json:"country,omitempty"`
	ProviderCode   string    `json:"providerCode,omitempty"`
	StatusUpdates  string    `json:"statusUpdates,omitempty"` // e.g. a rejection reason
}

// KYCs lists the user's KYC records (GET /api/kycs).
func (c *Client) KYCs(ctx context.Context, tok Token, page, limit int) (*Page[KYC], error) {
	var out Page[KYC]
	err := c.do(ctx, call{
		method: http.MethodGet, path: "/api/kycs", tok: &tok,
		query: pageQuery(nil, page, limit), out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// KYCStatus returns the user's effective KYC status: "approved" if any record
// is approved, else the newest record's status, else KYCNotStarted (also when
// the API answers 404).
func (c *Client) KYCStatus(ctx context.Context, tok Token) (string, error) {
	p, err := c.KYCs(ctx, tok, 1, 50)
	if errors.Is(err, ErrNotFound) {
		return KYCNotStarted, nil
	}
	if err != nil {
		return "", err
	}
	return BestKYCStatus(p.Data), nil
}

// BestKYCStatus applies KYCStatus's rule to records; "newest" is by createdAt
// (updatedAt when absent), and the first record wins a tie.
func BestKYCStatus(records []KYC) string {
	best := KYCNotStarted
	var newest time.Time
	for i, k := range records {
		if k.Status == KYCApproved {
			return KYCApproved
		}
		t := k.CreatedAt
		if t.IsZero() {
			t = k.UpdatedAt
		}
		if i == 0 || t.After(newest) {
			best, newest = k.Status, t
		}
	}
	return best
}
