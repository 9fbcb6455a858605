package copperxtest

import (
	"net/http"
	"slices"
	"strings"
)

// payeeJSON is PayeeDto.
type payeeJSON struct {
	ID             string `json:"id"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
	OrganizationID string `json:"organizationId"`
	NickName       string `json:"nickName"`
	FirstName      string `json:"firstName,omitempty"`
	LastName       string `json:"lastName,omitempty"`
	Email          string `json:"email"`
	PhoneNumber    string `json:"phoneNumber,omitempty"`
	DisplayName    string `json:"displayName,omitempty"`
	IsGuest        bool   `json:"isGuest"`
	HasBankAccount bool   `json:"hasBankAccount"`
}

func payeeOut(u *user, p *payee) payeeJSON {
	display := strings.TrimSpace(p.firstName + " " + p.lastName)
	if display == "" {
		display = p.nickName
	}
	return payeeJSON{
		ID: p.id, CreatedAt: ts(p.createdAt), UpdatedAt: ts(p.updatedAt), OrganizationID: u.orgID,
		NickName: p.nickName, FirstName: p.firstName, LastName: p.lastName, Email: p.email,
		PhoneNumber: p.phone, DisplayName: display,
	}
}

func findPayee(u *user, id string) *payee {
	for _, p := range u.payees {
		if p.id == id {
			return p
		}
	}
	return nil
}

// listPayees answers a page of payees, filtered by searchText.
func (s *Server) listPayees(r *http.Request, sess *session) (any, error) {
	q := strings.ToLower(r.URL.Query().Get("searchText"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []payeeJSON
	for _, p := range sess.user.payees {
		if q != "" && !strings.Contains(strings.ToLower(p.nickName+" "+p.email+" "+p.firstName+" "+p.lastName), q) {
			continue
		}
		items = append(items, payeeOut(sess.user, p))
	}
	return paginate(r, items), nil
}

type payeeBody struct {
	NickName    string `json:"nickName"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phoneNumber"`
}

// createPayee saves a recipient.
func (s *Server) createPayee(r *http.Request, sess *session) (any, error) {
	var in payeeBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if !emailRe.MatchString(in.Email) {
		return nil, unprocessable([]string{"email must be an email"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	email := normEmail(in.Email)
	if slices.ContainsFunc(u.payees, func(p *payee) bool { return p.email == email }) {
		return nil, unprocessable("Payee with this email already exists")
	}
	now := s.now()
	p := &payee{id: newID(), nickName: in.NickName, email: email, firstName: in.FirstName, lastName: in.LastName,
		phone: in.PhoneNumber, createdAt: now, updatedAt: now}
	u.payees = append(u.payees, p)
	return payeeOut(u, p), nil
}

// getPayee answers one payee.
func (s *Server) getPayee(r *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := findPayee(sess.user, r.PathValue("id"))
	if p == nil {
		return nil, notFound("Payee not found")
	}
	return payeeOut(sess.user, p), nil
}

// updatePayee changes a payee's names and phone.
func (s *Server) updatePayee(r *http.Request, sess *session) (any, error) {
	var in payeeBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := findPayee(sess.user, r.PathValue("id"))
	if p == nil {
		return nil, notFound("Payee not found")
	}
	p.nickName = in.NickName
	if in.FirstName != "" {
		p.firstName = in.FirstName
	}
	if in.LastName != "" {
		p.lastName = in.LastName
	}
	if in.PhoneNumber != "" {
		p.phone = in.PhoneNumber
	}
	p.updatedAt = s.now()
	return payeeOut(sess.user, p), nil
}

// deletePayee removes a payee.
func (s *Server) deletePayee(r *http.Request, sess *session) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	u := sess.user
	i := slices.IndexFunc(u.payees, func(p *payee) bool { return p.id == id })
	if i < 0 {
		return nil, notFound("Payee not found")
	}
	u.payees = slices.Delete(u.payees, i, i+1)
	return map[string]any{"message": "Payee deleted successfully", "statusCode": http.StatusOK}, nil
}
