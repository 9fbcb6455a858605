package kernel

import (
	"context"
	"strconv"

	"encoding/json"
	"fmt"
	"time"

	"github.com/copperx-bot/payoutbot/kernel/secret"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Principal is the authenticated identity of a user, set by the plugin that
// provides login. Its Token is sealed (AES-256-GCM) before the session
// reaches the store and never prints.
type Principal struct {
	UserID    string            `json:"userId"`
	OrgID     string            `json:"orgId,omitempty"`
	Email     string            `json:"email,omitempty"`
	Name      string            `json:"name,omitempty"`
	Token     secret.Secret     `json:"-"`
	ExpiresAt time.Time         `json:"expiresAt"`
	Attrs     map[string]string `json:"attrs,omitempty"`
}

// FlowState is a running flow as stored in the session.
type FlowState struct {
	Name    string `json:"name"`
	Step    string `json:"step"`
	Version int    `json:"v"`
	// Nonce tells this run of the flow from earlier ones in its buttons.
	Nonce string `json:"nonce,omitempty"`
	// Data is the flow's typed data (the D of its Flow[D]) as JSON.
	Data    json.RawMessage `json:"data,omitempty"`
	Expires time.Time       `json:"exp"`
	// Prompt is the newest message with buttons the flow sent; when the
	// kernel ends the flow (cancel, another command, timeout) its buttons
	// are removed so no live button outlives the flow.
	Prompt int64 `json:"prompt,omitempty"`
	// Chat is where the flow runs; input from the user's other chats (a
	// group, say) never reaches it, so a private flow cannot leak there.
	Chat int64 `json:"chat,omitempty"`
	// Sealed holds the flow's secrets (SetFlowSecret), encrypted; they end
	// with the flow.
	Sealed map[string][]byte `json:"sealed,omitempty"`
}

// session is one user's persisted state.
type session struct {
	Lang      string                     `json:"lang,omitempty"`
	Flow      *FlowState                 `json:"flow,omitempty"`
	Principal *Principal                 `json:"principal,omitempty"`
	Values    map[string]json.RawMessage `json:"values,omitempty"`
	// Sealed holds encrypted secrets; they are re-sealed only when they
	// change, so an unchanged session encodes to the same bytes.
	Sealed   map[string][]byte `json:"sealed,omitempty"`
	token    secret.Secret     // the principal's token, opened lazily
	opened   bool
	tokenSet bool
}

const sealedToken = "principal.token"

func decodeSession(b []byte) (*session, error) {
	s := &session{}
	if len(b) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	return s, nil
}

// encode seals a changed token and marshals the session deterministically.
func (s *session) encode(sealer *secret.Sealer, aad []byte) ([]byte, error) {
	if s.tokenSet {
		if s.Principal == nil || s.token.IsZero() {
			delete(s.Sealed, sealedToken)
		} else {
			ct, err := sealer.Seal(s.token, aad)
			if err != nil {
				return nil, fmt.Errorf("seal token: %w", err)
			}
			if s.Sealed == nil {
				s.Sealed = map[string][]byte{}
			}
			s.Sealed[sealedToken] = ct
		}
		s.tokenSet = false
	}
	if len(s.Sealed) == 0 {
		s.Sealed = nil
	}
	if len(s.Values) == 0 {
		s.Values = nil
	}
	return json.Marshal(s)
}

// principal returns the principal with its token opened, or nil.
func (s *session) principal(sealer *secret.Sealer, aad []byte) (*Principal, error) {
	if s.Principal == nil {
		return nil, nil
	}
	if !s.opened && !s.tokenSet {
		s.opened = true
		if ct, ok := s.Sealed[sealedToken]; ok {
			tok, rotated, err := sealer.OpenRotated(ct, aad)
			if err != nil {
				return nil, fmt.Errorf("open token: %w", err)
			}
			s.token = tok
			s.tokenSet = rotated // sealed again with the current key on save
		}
	}
	p := *s.Principal
	p.Token = s.token
	return &p, nil
}

func (s *session) setPrincipal(p *Principal) {
	s.tokenSet = true
	s.opened = true
	if p == nil {
		s.Principal = nil
		s.token = secret.Secret{}
		return
	}
	cp := *p
	cp.Token = secret.Secret{}
	s.Principal = &cp
	s.token = p.Token
}

// reset wipes everything but the chosen language.
func (s *session) reset() {
	s.setPrincipal(nil)
	s.Flow = nil
	s.Values = nil
	s.Sealed = nil
}

// Sessions reads users' sessions outside of an update, for background
// services (such as a deposit subscriber) that act for a logged-in user.
type Sessions struct{ k *Kernel }

// load reads and decodes a user's session.
func (s *Sessions) load(ctx context.Context, userID int64) (*session, string, error) {
	key := sessionKey(userID)
	raw, _, err := s.k.store.Get(ctx, key, 0)
	if err != nil {
		return nil, key, fmt.Errorf("load session: %w", err)
	}
	sess, err := decodeSession(raw)
	return sess, key, err
}

// Principal returns the user's logged-in identity with its token opened,
// or nil when the user is not logged in (or the token has expired).
func (s *Sessions) Principal(ctx context.Context, userID int64) (*Principal, error) {
	sess, key, err := s.load(ctx, userID)
	if err != nil {
		return nil, err
	}
	p, err := sess.principal(s.k.sealer, []byte(key))
	if err != nil || p == nil || !s.k.now().Before(p.ExpiresAt) {
		return nil, err
	}
	return p, nil
}

// Lang is the user's chosen language ("" when they never chose one).
func (s *Sessions) Lang(ctx context.Context, userID int64) (string, error) {
	sess, _, err := s.load(ctx, userID)
	if err != nil {
		return "", err
	}
	return sess.Lang, nil
}

func sessionKey(userID int64) string { return store.SessionKey(strconv.FormatInt(userID, 10)) }
