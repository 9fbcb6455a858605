package copperx

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Payee is a saved recipient (PayeeDto).
type Payee struct {
	ID             string    `json:"id"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	OrganizationID string    `json:"organizationId"`
	NickName       string    `json:"nickName"`
	FirstName      string    `json:"firstName,omitempty"`
	LastName       string    `json:"lastName,omitempty"`
	Email          string    `json:"email"`
	PhoneNumber    string    `json:"phoneNumber,omitempty"`
	DisplayName    string    `json:"displayName,omitempty"`
	IsGuest        bool      `json:"isGuest,omitempty"`
	HasBankAccount bool      `json:"hasBankAccount"`
}

// CreatePayeeRequest creates a payee (CreatePayeeDto, without bank details).
type CreatePayeeRequest struct {
	NickName    string `json:"nickName"`
	Email       string `json:"email"`
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// Payees lists payees, optionally filtered by search (GET /api/payees).
func (c *Client) Payees(ctx context.Context, tok Token, page, limit int, search string) (*Page[Payee], error) {
	q := pageQuery(nil, page, limit)
	if search != "" {
		q.Set("searchText", search)
	}
	var out Page[Payee]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/payees", tok: &tok, query: q, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Payee returns one payee (GET /api/payees/{id}).
func (c *Client) Payee(ctx context.Context, tok Token, id string) (*Payee, error) {
	if id == "" {
		return nil, errEmptyID("payee")
	}
	var out Payee
	err := c.do(ctx, call{
		method: http.MethodGet, path: "/api/payees/" + escape(id), route: "/api/payees/{id}",
		tok: &tok, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CreatePayee saves a payee (POST /api/payees).
func (c *Client) CreatePayee(ctx context.Context, tok Token, r CreatePayeeRequest) (*Payee, error) {
	var out Payee
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/payees", tok: &tok, body: r, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdatePayeeRequest changes a payee (UpdatePayeeDto): NickName is
// required; the other fields are sent only when set. The email cannot change.
type UpdatePayeeRequest struct {
	NickName    string `json:"nickName"`
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	PhoneNumber string `json:"phoneNumber,omitempty"`
}

// UpdatePayee changes a payee's names and phone (PUT /api/payees/{id}).
// Never retried.
func (c *Client) UpdatePayee(ctx context.Context, tok Token, id string, r UpdatePayeeRequest) (*Payee, error) {
	if id == "" {
		return nil, errEmptyID("update payee")
	}
	if r.NickName == "" {
		return nil, fmt.Errorf("copperx: update payee: nickName is required")
	}
	var out Payee
	err := c.do(ctx, call{
		method: http.MethodPut, path: "/api/payees/" + escape(id), route: "/api/payees/{id}",
		tok: &tok, body: r, out: &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePayee deletes a payee (DELETE /api/payees/{id}).
func (c *Client) DeletePayee(ctx context.Context, tok Token, id string) error {
	if id == "" {
		return errEmptyID("delete payee")
	}
	return c.do(ctx, call{
		method: http.MethodDelete, path: "/api/payees/" + escape(id), route: "/api/payees/{id}",
		tok: &tok, out: &Success{},
	})
}
