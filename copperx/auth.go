package copperx

import (
	"context"
	"net/http"
	"time"
)

// OTPRequest is the answer to RequestEmailOTP; SID goes back with the OTP.
type OTPRequest struct {
	Email string `json:"email"`
	SID   string `json:"sid"`
}

// AuthResponse is the answer to AuthenticateEmailOTP. There is no refresh:
// when ExpireAt passes, the user logs in again.
type AuthResponse struct {
	Scheme        string    `json:"scheme"`
	AccessToken   Token     `json:"accessToken"`
	AccessTokenID string    `json:"accessTokenId"`
	ExpireAt      time.Time `json:"expireAt"`
	User          AuthUser  `json:"user"`
}

// AuthUser is the signed-in user (AuthUserDto).
type AuthUser struct {
	ID                string   `json:"id"`
	FirstName         string   `json:"firstName,omitempty"`
	LastName          string   `json:"lastName,omitempty"`
	Email             string   `json:"email,omitempty"`
	ProfileImage      string   `json:"profileImage,omitempty"`
	OrganizationID    string   `json:"organizationId,omitempty"`
	Role              string   `json:"role"`           // owner|user|admin|member
	Status            string   `json:"status"`         // pending|active|suspended
	Type              string   `json:"type,omitempty"` // individual|business
	RelayerAddress    string   `json:"relayerAddress"`
	Flags             []string `json:"flags,omitempty"`
	WalletAddress     string   `json:"walletAddress,omitempty"`
	WalletID          string   `json:"walletId,omitempty"`
	WalletAccountType string   `json:"walletAccountType,omitempty"`
}

// Success is the API's SuccessDto.
type Success struct {
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
}

// RequestEmailOTP asks CopperX to email a one-time password
// (POST /api/auth/email-otp/request).
func (c *Client) RequestEmailOTP(ctx context.Context, email string) (*OTPRequest, error) {
	var out OTPRequest
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/auth/email-otp/request",
		body: map[string]string{"email": email},
		out:  &out,
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// AuthenticateEmailOTP exchanges the emailed OTP and the sid from
// RequestEmailOTP for an access token (POST /api/auth/email-otp/authenticate).
func (c *Client) AuthenticateEmailOTP(ctx context.Context, email, otp, sid string) (*AuthResponse, error) {
	var out AuthResponse
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/auth/email-otp/authenticate",
		body:    map[string]string{"email": email, "otp": otp, "sid": sid},
		out:     &out,
		secrets: []string{otp, sid},
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Me returns the token's user (GET /api/auth/me).
func (c *Client) Me(ctx context.Context, tok Token) (*AuthUser, error) {
	var out AuthUser
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/auth/me", tok: &tok, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout revokes the token (POST /api/auth/logout).
func (c *Client) Logout(ctx context.Context, tok Token) error {
	return c.do(ctx, call{method: http.MethodPost, path: "/api/auth/logout", tok: &tok, out: &Success{}})
}
