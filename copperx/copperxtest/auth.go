package copperxtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

type sessionKey struct{}

// session is a live access token.
type session struct {
	token, tokenID string
	user           *user
	expireAt       time.Time
}

type otpSession struct {
	email    string
	code     string
	expires  time.Time
	failures int
}

// authUser is AuthUserDto.
type authUser struct {
	ID                string   `json:"id"`
	FirstName         string   `json:"firstName,omitempty"`
	LastName          string   `json:"lastName,omitempty"`
	Email             string   `json:"email,omitempty"`
	OrganizationID    string   `json:"organizationId,omitempty"`
	Role              string   `json:"role"`
	Status            string   `json:"status"`
	Type              string   `json:"type"`
	RelayerAddress    string   `json:"relayerAddress"`
	Flags             []string `json:"flags"`
	WalletAddress     string   `json:"walletAddress,omitempty"`
	WalletID          string   `json:"walletId,omitempty"`
	WalletAccountType string   `json:"walletAccountType,omitempty"`
}

func (s *Server) authUserLocked(u *user) authUser {
	a := authUser{
		ID:                u.id,
		FirstName:         u.firstName,
		LastName:          u.lastName,
		Email:             u.email,
		OrganizationID:    u.orgID,
		Role:              "owner",
		Status:            "active",
		Type:              "individual",
		RelayerAddress:    u.relayer,
		Flags:             []string{},
		WalletAccountType: "web3_auth_copperx",
	}
	if w := u.defaultW(); w != nil {
		a.WalletAddress, a.WalletID = w.address, w.id
	}
	return a
}

// authenticate returns the session of the request's bearer token, or nil.
func (s *Server) authenticate(r *http.Request) *session {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.tokens[strings.TrimSpace(token)]
	if sess == nil {
		return nil
	}
	if !s.now().Before(sess.expireAt) {
		delete(s.tokens, sess.token)
		return nil
	}
	return sess
}

// issueTokenLocked creates an access token that looks like the RS256 JWT
// the API issues (header.claims.signature; the signature is random).
func (s *Server) issueTokenLocked(u *user) *session {
	now := s.now()
	exp := now.Add(s.cfg.tokenTTL)
	tokenID := newID()
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{
		"sub": u.id, "org": u.orgID, "email": u.email, "jti": tokenID,
		"iat": now.Unix(), "exp": exp.Unix(),
	})
	token := header + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(randomBytes(32))
	sess := &session{token: token, tokenID: tokenID, user: u, expireAt: exp}
	s.tokens[token] = sess
	return sess
}

// IssueToken logs email in without an OTP (seeding the account as an OTP
// request would) and returns the access token.
func (s *Server) IssueToken(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTokenLocked(s.userForLoginLocked(email)).token
}

// ExpireToken makes token answer 401 from now on.
func (s *Server) ExpireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// userForLoginLocked returns the account of email, creating it: the demo
// account with WithAutoSeed, else a bare one.
func (s *Server) userForLoginLocked(email string) *user {
	if u := s.users[normEmail(email)]; u != nil {
		return u
	}
	if s.cfg.autoSeed {
		return s.newUserLocked(email, s.cfg.defaultKYC, true)
	}
	return s.newUserLocked(email, "", false)
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

type otpRequestBody struct {
	Email string `json:"email"`
}

// otpRequest issues a 6-digit code for an email and "emails" it.
func (s *Server) otpRequest(r *http.Request, _ *session) (any, error) {
	var in otpRequestBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if !emailRe.MatchString(in.Email) {
		return nil, unprocessable([]string{"email must be an email"})
	}
	email := normEmail(in.Email)
	code := randomDigits(6)
	sid := newID()
	s.mu.Lock()
	if s.cfg.autoSeed {
		s.userForLoginLocked(email)
	}
	s.otps[sid] = &otpSession{email: email, code: code, expires: s.now().Add(s.cfg.otpTTL)}
	s.lastOTP[email] = code
	s.mu.Unlock()

	s.cfg.logger.Info("copperx emulator: OTP issued", "email", email, "code", code)
	if s.cfg.otpPrinter != nil {
		s.cfg.otpPrinter(email, code)
	}
	return map[string]string{"email": in.Email, "sid": sid}, nil
}

type otpAuthBody struct {
	Email string `json:"email"`
	OTP   string `json:"otp"`
	SID   string `json:"sid"`
}

// otpAuthenticate exchanges email, sid and code for an access token.
func (s *Server) otpAuthenticate(r *http.Request, _ *session) (any, error) {
	var in otpAuthBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.otps[in.SID]
	if o == nil || o.email != normEmail(in.Email) {
		return nil, errStatus(http.StatusBadRequest, "Invalid or expired session. Request a new OTP")
	}
	if !s.now().Before(o.expires) {
		delete(s.otps, in.SID)
		return nil, errStatus(http.StatusBadRequest, "OTP expired. Request a new OTP")
	}
	if o.failures >= s.cfg.otpAttempts {
		return nil, errStatus(http.StatusForbidden, "Too many failed attempts. Request a new OTP")
	}
	if in.OTP != o.code && (s.cfg.fixedOTP == "" || in.OTP != s.cfg.fixedOTP) {
		o.failures++
		if o.failures >= s.cfg.otpAttempts {
			return nil, errStatus(http.StatusForbidden, "Too many failed attempts. Request a new OTP")
		}
		return nil, errStatus(http.StatusUnauthorized, fmt.Sprintf("Invalid OTP. %d attempts left", s.cfg.otpAttempts-o.failures))
	}
	delete(s.otps, in.SID)
	sess := s.issueTokenLocked(s.userForLoginLocked(o.email))
	return map[string]any{
		"scheme":        "Bearer",
		"accessToken":   sess.token,
		"accessTokenId": sess.tokenID,
		"expireAt":      ts(sess.expireAt),
		"user":          s.authUserLocked(sess.user),
	}, nil
}

// me answers the caller's AuthUser.
func (s *Server) me(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authUserLocked(sess.user), nil
}

// logout invalidates the caller's token.
func (s *Server) logout(_ *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, sess.token)
	return map[string]any{"message": "Logged out successfully", "statusCode": http.StatusOK}, nil
}

// decode reads the JSON body (already validated against the document).
func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return errStatus(http.StatusBadRequest, "Invalid JSON body")
	}
	return nil
}
