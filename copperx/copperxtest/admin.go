package copperxtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// AdminPrefix starts every path of the admin API.
const AdminPrefix = "/_emulator/"

// AdminHandler is the emulator's admin API, for a person or a script
// driving a standalone emulator (payoutbot emulator serves it on its own
// port, never on the API's). Bodies and answers are JSON; an error answers
// {"error":"…"} with 400 (bad request), 404 (unknown user or transfer) or
// 409 (transfer already settled).
//
//	POST /_emulator/deposit   {"email","amount","currency"?,"network"?}
//	     a deposit arrives as with Deposit (wallet credited, "deposit"
//	     transfer recorded, Pusher event sent); amount is human-readable
//	     (string or number); currency defaults to USDC; network is a chain
//	     id or a name (Polygon, Base, Arbitrum, Starknet, Solana), default
//	     the default wallet's → {"transferId","email","amount","currency","network"}
//	POST /_emulator/settle    {"transfer_id","status"}
//	     status success|failed|canceled|refunded, as with Settle
//	     → {"transferId","status"}
//	GET  /_emulator/transfers?email=…
//	     → [{"id","type","status","amount","currency","createdAt"}], newest
//	     first (amount human-readable)
//	POST /_emulator/advance   {"duration":"24h"}
//	     moves the clock as with Advance → {"now","scheduledTransfers"}
func (s *Server) AdminHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST "+AdminPrefix+"deposit", s.adminDeposit)
	m.HandleFunc("POST "+AdminPrefix+"settle", s.adminSettle)
	m.HandleFunc("GET "+AdminPrefix+"transfers", s.adminTransfers)
	m.HandleFunc("POST "+AdminPrefix+"advance", s.adminAdvance)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s %s (see %sdeposit, settle, transfers, advance)", r.Method, r.URL.Path, AdminPrefix))
	})
	return m
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// adminDecode reads a JSON object body into v, refusing unknown fields.
func adminDecode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	return true
}

// adminAmount is a human-readable amount sent as a JSON string or number.
type adminAmount struct{ decimal.Decimal }

func (a *adminAmount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("amount %s is not a number", b)
	}
	a.Decimal = d
	return nil
}

// networkIDs maps the emulator's network names (lower-case, without
// spaces) to chain ids.
var networkIDs = map[string]string{
	"polygon": NetworkPolygon, "base": NetworkBase, "arbitrum": NetworkArbitrum, "arbitrumone": NetworkArbitrum,
	"starknet": NetworkStarknet, "solana": NetworkSolana,
}

// resolveNetwork returns the chain id of a chain id or a network name the
// emulator knows ("" stays "": the default wallet).
func resolveNetwork(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || slices.Contains(supportedNetworks, v) {
		return v, nil
	}
	if id, ok := networkIDs[strings.ToLower(strings.ReplaceAll(v, " ", ""))]; ok {
		return id, nil
	}
	var known []string
	for _, id := range supportedNetworks {
		known = append(known, id+" "+networkName(id))
	}
	return "", fmt.Errorf("unknown network %q (one of %s)", v, strings.Join(known, ", "))
}

func (s *Server) adminDeposit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string       `json:"email"`
		Amount   *adminAmount `json:"amount"`
		Currency string       `json:"currency"`
		Network  string       `json:"network"`
	}
	if !adminDecode(w, r, &in) {
		return
	}
	if in.Email == "" || in.Amount == nil {
		adminError(w, http.StatusBadRequest, `"email" and "amount" are required`)
		return
	}
	network, err := resolveNetwork(in.Network)
	if err != nil {
		adminError(w, http.StatusBadRequest, err.Error())
		return
	}
	org := s.OrgID(in.Email)
	if org == "" {
		adminError(w, http.StatusNotFound, fmt.Sprintf("unknown user %q: log in with that email first", in.Email))
		return
	}
	currency := strings.ToUpper(strings.TrimSpace(in.Currency))
	if currency == "" {
		currency = "USDC"
	}
	id, err := s.Deposit(org, in.Amount.Decimal, currency, network)
	if err != nil {
		adminError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "copperxtest: "))
		return
	}
	t, _ := s.TransferByID(id)
	out := map[string]string{"transferId": id, "email": normEmail(in.Email), "amount": in.Amount.String(), "currency": currency, "network": network}
	if t.DestinationAccount != nil {
		out["network"] = t.DestinationAccount.Network
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminSettle(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TransferID string `json:"transfer_id"`
		Status     string `json:"status"`
	}
	if !adminDecode(w, r, &in) {
		return
	}
	if in.TransferID == "" || in.Status == "" {
		adminError(w, http.StatusBadRequest, `"transfer_id" and "status" are required`)
		return
	}
	err := s.Settle(in.TransferID, in.Status)
	switch {
	case errors.Is(err, ErrUnknownTransfer):
		adminError(w, http.StatusNotFound, strings.TrimPrefix(err.Error(), "copperxtest: "))
	case errors.Is(err, ErrTransferFinal):
		adminError(w, http.StatusConflict, strings.TrimPrefix(err.Error(), "copperxtest: "))
	case err != nil:
		adminError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "copperxtest: "))
	default:
		writeJSON(w, http.StatusOK, map[string]string{"transferId": in.TransferID, "status": in.Status})
	}
}

// AdminTransfer is one line of GET /_emulator/transfers.
type AdminTransfer struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	Amount    string `json:"amount"` // human-readable
	Currency  string `json:"currency"`
	CreatedAt string `json:"createdAt"`
}

func (s *Server) adminTransfers(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if s.OrgID(email) == "" {
		adminError(w, http.StatusNotFound, fmt.Sprintf("unknown user %q", email))
		return
	}
	out := []AdminTransfer{}
	for _, t := range s.Transfers(email) {
		amount := t.Amount
		if d, err := decimal.NewFromString(t.Amount); err == nil {
			amount = fromUnits(d).String()
		}
		out = append(out, AdminTransfer{ID: t.ID, Type: t.Type, Status: t.Status, Amount: amount, Currency: t.Currency, CreatedAt: t.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminAdvance(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Duration string `json:"duration"`
	}
	if !adminDecode(w, r, &in) {
		return
	}
	d, err := time.ParseDuration(in.Duration)
	if err != nil || d < 0 {
		adminError(w, http.StatusBadRequest, fmt.Sprintf("duration %q: want a positive Go duration such as 90m or 24h", in.Duration))
		return
	}
	n := s.Advance(d)
	writeJSON(w, http.StatusOK, map[string]any{"now": ts(s.now()), "scheduledTransfers": n})
}
