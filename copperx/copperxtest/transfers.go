package copperxtest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Transfer is the wire form of a transfer (TransferWithTransactionsDto);
// amounts are integer strings in 10^-8 units.
type Transfer struct {
	ID                    string           `json:"id"`
	CreatedAt             string           `json:"createdAt"`
	UpdatedAt             string           `json:"updatedAt"`
	OrganizationID        string           `json:"organizationId"`
	Status                string           `json:"status"`
	Type                  string           `json:"type"`
	Mode                  string           `json:"mode,omitempty"`
	SourceCountry         string           `json:"sourceCountry"`
	DestinationCountry    string           `json:"destinationCountry"`
	DestinationCurrency   string           `json:"destinationCurrency,omitempty"`
	Amount                string           `json:"amount"`
	Currency              string           `json:"currency"`
	AmountSubtotal        string           `json:"amountSubtotal"`
	TotalFee              string           `json:"totalFee"`
	FeePercentage         string           `json:"feePercentage"`
	FeeCurrency           string           `json:"feeCurrency"`
	Note                  string           `json:"note,omitempty"`
	PurposeCode           string           `json:"purposeCode,omitempty"`
	SourceOfFunds         string           `json:"sourceOfFunds,omitempty"`
	RecipientRelationship string           `json:"recipientRelationship,omitempty"`
	SourceAccountID       string           `json:"sourceAccountId,omitempty"`
	DestinationAccountID  string           `json:"destinationAccountId,omitempty"`
	IsThirdPartyPayment   bool             `json:"isThirdPartyPayment"`
	SenderDisplayName     string           `json:"senderDisplayName,omitempty"`
	SourceAccount         *TransferAccount `json:"sourceAccount,omitempty"`
	DestinationAccount    *TransferAccount `json:"destinationAccount,omitempty"`
	Transactions          []Transaction    `json:"transactions,omitempty"`
}

// TransferAccount is TransferAccountDto.
type TransferAccount struct {
	ID                  string `json:"id"`
	Type                string `json:"type"`
	Country             string `json:"country,omitempty"`
	Network             string `json:"network,omitempty"`
	AccountID           string `json:"accountId,omitempty"`
	WalletAddress       string `json:"walletAddress,omitempty"`
	BankName            string `json:"bankName,omitempty"`
	BankAccountNumber   string `json:"bankAccountNumber,omitempty"`
	PayeeEmail          string `json:"payeeEmail,omitempty"`
	PayeeOrganizationID string `json:"payeeOrganizationId,omitempty"`
	PayeeID             string `json:"payeeId,omitempty"`
	PayeeDisplayName    string `json:"payeeDisplayName,omitempty"`
}

// Transaction is TransactionDto.
type Transaction struct {
	ID              string `json:"id"`
	CreatedAt       string `json:"createdAt"`
	UpdatedAt       string `json:"updatedAt"`
	OrganizationID  string `json:"organizationId"`
	Type            string `json:"type"`
	ProviderCode    string `json:"providerCode"`
	TransferID      string `json:"transferId"`
	Status          string `json:"status"`
	FromAccountID   string `json:"fromAccountId,omitempty"`
	ToAccountID     string `json:"toAccountId,omitempty"`
	FromAmount      string `json:"fromAmount"`
	FromCurrency    string `json:"fromCurrency"`
	ToAmount        string `json:"toAmount"`
	ToCurrency      string `json:"toCurrency"`
	TotalFee        string `json:"totalFee"`
	FeeCurrency     string `json:"feeCurrency"`
	TransactionHash string `json:"transactionHash,omitempty"`
}

// Transfer statuses.
const (
	StatusPending    = "pending"
	StatusInitiated  = "initiated"
	StatusProcessing = "processing"
	StatusSuccess    = "success"
	StatusCanceled   = "canceled"
	StatusFailed     = "failed"
	StatusRefunded   = "refunded"
)

// finalStatus reports a status a transfer never leaves.
func finalStatus(status string) bool {
	switch status {
	case StatusSuccess, StatusCanceled, StatusFailed, StatusRefunded:
		return true
	}
	return false
}

// Errors of Settle.
var (
	// ErrUnknownTransfer: no transfer has that id.
	ErrUnknownTransfer = errors.New("copperxtest: unknown transfer")
	// ErrTransferFinal: the transfer already has another final status.
	ErrTransferFinal = errors.New("copperxtest: transfer already settled")
	// ErrNotFinalStatus: Settle was asked for a status that is not final.
	ErrNotFinalStatus = errors.New("copperxtest: not a final status (success, failed, canceled or refunded)")
)

// settleLocked moves a processing transfer to success once its time came.
func (s *Server) settleLocked(t *transfer) {
	if t.settleAt.IsZero() || s.now().Before(t.settleAt) {
		return
	}
	s.finishLocked(t, StatusSuccess, t.settleAt)
}

// finishLocked gives t (and its transactions: "failed" for a refunded
// transfer, as TransactionStatus has no "refunded") a final status at time at;
// a failed, canceled or refunded outgoing transfer gives its money back:
// amount + fee to the source wallet, and whatever an emulator recipient
// was credited is taken back (their "receive" record takes the status too).
func (s *Server) finishLocked(t *transfer, status string, at time.Time) {
	txStatus := status
	if status == StatusRefunded {
		txStatus = StatusFailed // TransactionStatus has no "refunded"
	}
	setStatus := func(t *transfer) {
		t.wire.Status = status
		t.wire.UpdatedAt = ts(at)
		for i := range t.wire.Transactions {
			t.wire.Transactions[i].Status = txStatus
			t.wire.Transactions[i].UpdatedAt = ts(at)
		}
		t.settleAt = time.Time{}
	}
	setStatus(t)
	if status == StatusSuccess || t.refund == nil {
		return
	}
	r := t.refund
	r.source.balances[r.currency] = r.source.balances[r.currency].Add(r.debited)
	if r.credited != nil {
		r.credited.balances[r.currency] = r.credited.balances[r.currency].Sub(r.credit)
	}
	if r.peer != nil {
		setStatus(r.peer)
	}
	t.refund = nil
}

// Settle moves a transfer that is pending, initiated or processing to the
// final status (success, failed, canceled or refunded), as CopperX does
// when the chain or the bank answers. A failed, canceled or refunded
// outgoing transfer (send, withdraw, offramp, send-batch item, scheduled
// send) gives the money back: amount + fee return to the paying wallet, and
// an emulator recipient that was credited is debited again. Settling a
// transfer to the status it already has is a no-op; to another final
// status it is ErrTransferFinal (a transfer whose settle delay passed is
// already "success"). An unknown id is ErrUnknownTransfer.
func (s *Server) Settle(transferID, status string) error {
	if !finalStatus(status) {
		return fmt.Errorf("%w: %q", ErrNotFinalStatus, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTransferLocked(transferID)
	if t == nil {
		return fmt.Errorf("%w %q", ErrUnknownTransfer, transferID)
	}
	s.settleLocked(t)
	if finalStatus(t.wire.Status) {
		if t.wire.Status == status {
			return nil
		}
		return fmt.Errorf("%w: %s is %s", ErrTransferFinal, transferID, t.wire.Status)
	}
	s.finishLocked(t, status, s.now())
	return nil
}

// findTransferLocked returns the transfer with that id, whoever owns it.
func (s *Server) findTransferLocked(id string) *transfer {
	for _, u := range s.users {
		for _, t := range u.transfers {
			if t.wire.ID == id {
				return t
			}
		}
	}
	return nil
}

// TransferByID returns the transfer with that id (with its transactions),
// whoever owns it, and whether it exists.
func (s *Server) TransferByID(id string) (Transfer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.findTransferLocked(id)
	if t == nil {
		return Transfer{}, false
	}
	return s.renderLocked(t, true), true
}

// render returns the wire form; withTx keeps the transactions (GET) or
// drops them (POST answers, TransferWithAccountDto).
func (s *Server) renderLocked(t *transfer, withTx bool) Transfer {
	s.settleLocked(t)
	w := t.wire
	w.Transactions = slices.Clone(w.Transactions)
	if !withTx {
		w.Transactions = nil
	}
	return w
}

// newTransferLocked records a transfer for u; settle > 0 leaves it
// "processing" for that long, settle < 0 until Settle.
func (s *Server) newTransferLocked(u *user, w Transfer, settle time.Duration) *transfer {
	now := s.now()
	s.seq++
	w.ID = newID()
	w.CreatedAt, w.UpdatedAt = ts(now), ts(now)
	w.OrganizationID = u.orgID
	if w.SourceCountry == "" {
		w.SourceCountry = "none"
	}
	if w.DestinationCountry == "" {
		w.DestinationCountry = "none"
	}
	if w.FeeCurrency == "" {
		w.FeeCurrency = w.Currency
	}
	t := &transfer{seq: s.seq, wire: w}
	switch {
	case settle > 0:
		t.wire.Status = StatusProcessing
		t.settleAt = now.Add(settle)
		s.settling = append(s.settling, t)
	case settle < 0:
		t.wire.Status = StatusProcessing
	case t.wire.Status == "":
		t.wire.Status = StatusSuccess
	}
	for i := range t.wire.Transactions {
		tx := &t.wire.Transactions[i]
		tx.ID = newID()
		tx.CreatedAt, tx.UpdatedAt = w.CreatedAt, w.UpdatedAt
		tx.OrganizationID = u.orgID
		tx.TransferID = w.ID
		tx.Status = t.wire.Status
		if tx.ProviderCode == "" {
			tx.ProviderCode = "0x0"
		}
	}
	u.transfers = append(u.transfers, t)
	return t
}

// sortedTransfers returns u's transfers newest first.
func sortedTransfers(u *user) []*transfer {
	out := slices.Clone(u.transfers)
	slices.SortStableFunc(out, func(a, b *transfer) int {
		if c := strings.Compare(b.wire.CreatedAt, a.wire.CreatedAt); c != 0 {
			return c
		}
		return int(b.seq - a.seq)
	})
	return out
}

// listTransfers answers a page of transfers, newest first, filtered by
// type (repeatable, also as type[]), status and startDate/endDate.
func (s *Server) listTransfers(r *http.Request, sess *session) (any, error) {
	q := r.URL.Query()
	types := append(q["type"], q["type[]"]...)
	status := q.Get("status")
	start, end := isoBound(q.Get("startDate")), isoBound(q.Get("endDate"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []Transfer
	for _, t := range sortedTransfers(sess.user) {
		w := s.renderLocked(t, true)
		if len(types) > 0 && !slices.Contains(types, w.Type) {
			continue
		}
		if status != "" && w.Status != status {
			continue
		}
		if start != "" && w.CreatedAt < start {
			continue
		}
		if end != "" && w.CreatedAt[:min(len(end), len(w.CreatedAt))] > end {
			continue
		}
		items = append(items, w)
	}
	return paginate(r, items), nil
}

// isoBound renders a startDate/endDate that is a full RFC 3339 time in the
// layout of createdAt, so that the string compare is a time compare ("…:00Z"
// and "…:00.000Z" are the same instant, but '.' sorts before 'Z'); other
// values (a date, "2025-04-20") are compared as they are.
func isoBound(v string) string {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return ts(t)
	}
	return v
}

// getTransfer answers one of the caller's transfers.
func (s *Server) getTransfer(r *http.Request, sess *session) (any, error) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range sess.user.transfers {
		if t.wire.ID == id {
			return s.renderLocked(t, true), nil
		}
	}
	return nil, notFound("Transfer not found")
}

// sendBody is CreateSendTransferDto.
type sendBody struct {
	WalletAddress string `json:"walletAddress,omitempty"`
	Email         string `json:"email,omitempty"`
	PayeeID       string `json:"payeeId,omitempty"`
	Amount        string `json:"amount"`
	PurposeCode   string `json:"purposeCode"`
	Currency      string `json:"currency,omitempty"`
}

// sendTransfer pays an email, a payee or a wallet address.
func (s *Server) sendTransfer(r *http.Request, sess *session) (any, error) {
	var in sendBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.sendLocked(sess.user, in)
	if err != nil {
		return nil, err
	}
	return s.renderLocked(t, false), nil
}

// checkCurrency defaults the currency to USDC and refuses fiat.
func checkCurrency(c string) (string, error) {
	if c == "" {
		return "USDC", nil
	}
	if _, ok := tokenDecimals[c]; !ok {
		return "", unprocessable("Currency " + c + " is not supported for this transfer")
	}
	return c, nil
}

func requireKYC(u *user) error {
	if u.kycStatus != "approved" {
		return unprocessable("Please complete your KYC to make transfers")
	}
	return nil
}

// debitLocked takes amount + fee (10^-8 units) of currency from w.
func (s *Server) debitLocked(w *wallet, currency string, amount decimal.Decimal) (fee decimal.Decimal, err error) {
	fee = s.feeFor(amount)
	total := fromUnits(amount.Add(fee))
	if w.balances[currency].LessThan(total) {
		return decimal.Zero, unprocessable("Insufficient balance")
	}
	w.balances[currency] = w.balances[currency].Sub(total)
	return fee, nil
}

// checkDailyLimitLocked refuses amount (10^-8 units) when it would take u's
// outgoing transfers of the current UTC day past WithDailyLimit.
func (s *Server) checkDailyLimitLocked(u *user, amount decimal.Decimal) error {
	if !s.cfg.dailyLimit.IsPositive() {
		return nil
	}
	day := ts(s.now().Truncate(24 * time.Hour))
	sent := decimal.Zero
	for _, t := range u.transfers {
		w := t.wire
		if !t.outgoing || w.CreatedAt < day {
			continue
		}
		if w.Status == StatusFailed || w.Status == StatusCanceled || w.Status == StatusRefunded {
			continue
		}
		if a, err := decimal.NewFromString(w.Amount); err == nil {
			sent = sent.Add(a)
		}
	}
	if fromUnits(sent.Add(amount)).GreaterThan(s.cfg.dailyLimit) {
		return unprocessable(fmt.Sprintf("Daily transfer limit exceeded. Your daily limit is %s USDC", s.cfg.dailyLimit))
	}
	return nil
}

// findWalletLocked returns the emulator wallet with that address on network.
func (s *Server) findWalletLocked(network, addr string) (*user, *wallet) {
	for _, u := range s.users {
		if w := u.walletOn(network); w != nil && strings.EqualFold(w.address, addr) {
			return u, w
		}
	}
	return nil, nil
}

// sendLocked performs a send for u (POST /transfers/send, one item of
// send-batch).
func (s *Server) sendLocked(u *user, in sendBody) (*transfer, error) {
	n := 0
	for _, v := range []string{in.Email, in.WalletAddress, in.PayeeID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return nil, unprocessable([]string{"exactly one of email, walletAddress or payeeId must be provided"})
	}
	amount, err := parseAmount(in.Amount)
	if err != nil {
		return nil, err
	}
	currency, err := checkCurrency(in.Currency)
	if err != nil {
		return nil, err
	}
	if err := requireKYC(u); err != nil {
		return nil, err
	}
	src := u.defaultW()
	dest := &TransferAccount{ID: newID(), Type: "web3_wallet", Network: src.network}
	email := in.Email
	if in.PayeeID != "" {
		p := findPayee(u, in.PayeeID)
		if p == nil {
			return nil, notFound("Payee not found")
		}
		email = p.email
		dest.PayeeID, dest.PayeeDisplayName = p.id, p.nickName
	}
	var recipient *user
	var recvWallet *wallet
	switch {
	case email != "":
		if !emailRe.MatchString(email) {
			return nil, unprocessable([]string{"email must be an email"})
		}
		if normEmail(email) == u.email {
			return nil, unprocessable("You cannot send funds to yourself")
		}
		dest.PayeeEmail = normEmail(email)
		if recipient = s.users[normEmail(email)]; recipient != nil {
			recvWallet = recipient.defaultW()
			dest.PayeeOrganizationID = recipient.orgID
			if dest.PayeeDisplayName == "" {
				dest.PayeeDisplayName = recipient.displayName()
			}
		}
	default:
		if !validAddress(src.network, in.WalletAddress) {
			return nil, constraint("walletAddress", "isValidAddress", fmt.Sprintf("walletAddress must be a valid %s address", networkName(src.network)))
		}
		dest.WalletAddress = in.WalletAddress
		recipient, recvWallet = s.findWalletLocked(src.network, in.WalletAddress)
		if recipient == u {
			recipient, recvWallet = nil, nil
		}
	}
	if recvWallet != nil {
		dest.AccountID, dest.WalletAddress, dest.Network = recvWallet.accountID, recvWallet.address, recvWallet.network
	}
	if err := s.checkDailyLimitLocked(u, amount); err != nil {
		return nil, err
	}
	fee, err := s.debitLocked(src, currency, amount)
	if err != nil {
		return nil, err
	}
	settle := time.Duration(0)
	if in.WalletAddress != "" {
		settle = s.cfg.settleDelay
	}
	t := s.newTransferLocked(u, Transfer{
		Type: "send", Mode: "on_chain", Amount: units(amount), Currency: currency,
		AmountSubtotal: units(amount), TotalFee: units(fee), FeePercentage: s.cfg.fee.String(),
		PurposeCode: in.PurposeCode, SourceAccountID: src.accountID, DestinationAccountID: dest.AccountID,
		SenderDisplayName:  u.displayName(),
		SourceAccount:      s.walletAccount(src),
		DestinationAccount: dest,
		Transactions: []Transaction{{
			Type: "send", FromAccountID: src.accountID, ToAccountID: dest.AccountID,
			FromAmount: units(amount), FromCurrency: currency, ToAmount: units(amount), ToCurrency: currency,
			TotalFee: units(fee), FeeCurrency: currency, TransactionHash: txHash(),
		}},
	}, settle)
	t.outgoing = true
	t.refund = &refund{source: src, currency: currency, debited: fromUnits(amount.Add(fee))}
	if recipient != nil && recvWallet != nil {
		recvWallet.balances[currency] = recvWallet.balances[currency].Add(fromUnits(amount))
		t.refund.credited, t.refund.credit = recvWallet, fromUnits(amount)
		t.refund.peer = s.newTransferLocked(recipient, Transfer{
			Type: "receive", Mode: "on_chain", Amount: units(amount), Currency: currency,
			AmountSubtotal: units(amount), TotalFee: "0", FeePercentage: "0", PurposeCode: in.PurposeCode,
			SourceAccountID: src.accountID, DestinationAccountID: recvWallet.accountID,
			SenderDisplayName:  u.displayName(),
			SourceAccount:      s.walletAccount(src),
			DestinationAccount: s.walletAccount(recvWallet),
			Transactions: []Transaction{{
				Type: "receive", FromAccountID: src.accountID, ToAccountID: recvWallet.accountID,
				FromAmount: units(amount), FromCurrency: currency, ToAmount: units(amount), ToCurrency: currency,
				TotalFee: "0", FeeCurrency: currency, TransactionHash: t.wire.Transactions[0].TransactionHash,
			}},
		}, 0)
	}
	return t, nil
}

func (s *Server) walletAccount(w *wallet) *TransferAccount {
	return &TransferAccount{ID: w.accountID, Type: "web3_wallet", Network: w.network, AccountID: w.accountID, WalletAddress: w.address}
}

// withdrawBody is CreateWalletWithdrawTransferDto.
type withdrawBody struct {
	WalletAddress string `json:"walletAddress"`
	Amount        string `json:"amount"`
	PurposeCode   string `json:"purposeCode"`
	Currency      string `json:"currency,omitempty"`
}

// walletWithdraw pays an external address from the default wallet's
// network; the transfer is "processing" until the settle delay passed.
func (s *Server) walletWithdraw(r *http.Request, sess *session) (any, error) {
	var in withdrawBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	amount, err := parseAmount(in.Amount)
	if err != nil {
		return nil, err
	}
	currency, err := checkCurrency(in.Currency)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := sess.user
	if err := requireKYC(u); err != nil {
		return nil, err
	}
	src := u.defaultW()
	if !validAddress(src.network, in.WalletAddress) {
		return nil, constraint("walletAddress", "isValidAddress", fmt.Sprintf("walletAddress must be a valid %s address", networkName(src.network)))
	}
	if err := s.checkDailyLimitLocked(u, amount); err != nil {
		return nil, err
	}
	fee, err := s.debitLocked(src, currency, amount)
	if err != nil {
		return nil, err
	}
	back := &refund{source: src, currency: currency, debited: fromUnits(amount.Add(fee))}
	dest := &TransferAccount{ID: newID(), Type: "web3_wallet", Network: src.network, WalletAddress: in.WalletAddress}
	if ru, rw := s.findWalletLocked(src.network, in.WalletAddress); ru != nil && ru != u {
		rw.balances[currency] = rw.balances[currency].Add(fromUnits(amount))
		dest.ID, dest.AccountID = rw.accountID, rw.accountID
		back.credited, back.credit = rw, fromUnits(amount)
	}
	t := s.newTransferLocked(u, Transfer{
		Type: "withdraw", Mode: "on_chain", Amount: units(amount), Currency: currency,
		AmountSubtotal: units(amount), TotalFee: units(fee), FeePercentage: s.cfg.fee.String(),
		PurposeCode: in.PurposeCode, SourceAccountID: src.accountID, DestinationAccountID: dest.ID,
		SenderDisplayName:  u.displayName(),
		SourceAccount:      s.walletAccount(src),
		DestinationAccount: dest,
		Transactions: []Transaction{{
			Type: "withdraw", FromAccountID: src.accountID, ToAccountID: dest.ID,
			FromAmount: units(amount), FromCurrency: currency, ToAmount: units(amount), ToCurrency: currency,
			TotalFee: units(fee), FeeCurrency: currency, TransactionHash: txHash(),
		}},
	}, s.cfg.settleDelay)
	t.outgoing, t.refund = true, back
	return s.renderLocked(t, false), nil
}

// batchBody is CreateSendTransferBatchDto.
type batchBody struct {
	Requests []struct {
		RequestID string   `json:"requestId"`
		Request   sendBody `json:"request"`
	} `json:"requests"`
}

type batchItem struct {
	RequestID string     `json:"requestId"`
	Request   sendBody   `json:"request"`
	Response  *Transfer  `json:"response,omitempty"`
	Error     *errorBody `json:"error,omitempty"`
}

// sendBatch performs each send independently; a failed item carries
// "error" and no "response" (the document marks response required).
func (s *Server) sendBatch(r *http.Request, sess *session) (any, error) {
	var in batchBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if len(in.Requests) == 0 {
		return nil, constraint("requests", "arrayNotEmpty", "requests should not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]batchItem, 0, len(in.Requests))
	for _, item := range in.Requests {
		bi := batchItem{RequestID: item.RequestID, Request: item.Request}
		if f := s.faults.takeBatch(item.RequestID); f != nil {
			bi.Error = f
			out = append(out, bi)
			continue
		}
		t, err := s.sendLocked(sess.user, item.Request)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = &apiError{status: http.StatusInternalServerError, message: err.Error()}
			}
			bi.Error = &errorBody{Message: ae.message, StatusCode: ae.status, Error: http.StatusText(ae.status)}
		} else {
			w := s.renderLocked(t, false)
			w.SourceAccount, w.DestinationAccount = nil, nil
			bi.Response = &w
		}
		out = append(out, bi)
	}
	return map[string]any{"responses": out}, nil
}

// FailBatchItem makes the next send-batch item whose requestId is
// requestID fail with status (default 422) and message (default the
// status text), without being executed (nothing moves), while the other
// items of the batch go through: a partial failure. Each call fails one
// item; ClearFaults forgets the ones not used.
func (s *Server) FailBatchItem(requestID string, status int, message string) {
	if status == 0 {
		status = http.StatusUnprocessableEntity
	}
	if message == "" {
		message = http.StatusText(status)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.batch == nil {
		s.faults.batch = map[string][]*errorBody{}
	}
	s.faults.batch[requestID] = append(s.faults.batch[requestID],
		&errorBody{Message: message, StatusCode: status, Error: http.StatusText(status)})
}

// FailBatchItemLike is FailBatchItem for the next item whose requestId
// matches pattern (path.Match syntax: "*-3-1"), for a caller whose request
// ids are not known in advance. Exact FailBatchItem ids are tried first.
func (s *Server) FailBatchItemLike(pattern string, status int, message string) {
	if status == 0 {
		status = http.StatusUnprocessableEntity
	}
	if message == "" {
		message = http.StatusText(status)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.like = append(s.faults.like, batchFault{pattern: pattern,
		body: &errorBody{Message: message, StatusCode: status, Error: http.StatusText(status)}})
}

// AddTransfers adds n settled transfers to email's history (for paging
// tests); balances do not change. They cycle through send, deposit and
// withdraw, with amounts 1..n USDC, one minute apart, the last one newest
// (but older than now).
func (s *Server) AddTransfers(email string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUserLocked(email)
	types := []string{"send", "deposit", "withdraw"}
	base := s.now().Add(-time.Duration(n) * time.Minute)
	src := u.defaultW()
	for i := range n {
		amount := units(decimal.NewFromInt(int64(i+1) * 100000000))
		typ := types[i%len(types)]
		t := s.newTransferLocked(u, Transfer{
			Type: typ, Mode: "on_chain", Amount: amount, Currency: "USDC", AmountSubtotal: amount,
			TotalFee: "0", FeePercentage: "0", PurposeCode: "self",
			SourceAccount:      &TransferAccount{ID: newID(), Type: "web3_wallet", Network: src.network, WalletAddress: evmAddress(fmt.Sprint("peer", i))},
			DestinationAccount: s.walletAccount(src),
			Transactions: []Transaction{{Type: typ, FromAmount: amount, FromCurrency: "USDC", ToAmount: amount,
				ToCurrency: "USDC", TotalFee: "0", FeeCurrency: "USDC", TransactionHash: txHash()}},
		}, 0)
		at := ts(base.Add(time.Duration(i) * time.Minute))
		t.wire.CreatedAt, t.wire.UpdatedAt = at, at
		for j := range t.wire.Transactions {
			t.wire.Transactions[j].CreatedAt, t.wire.Transactions[j].UpdatedAt = at, at
		}
	}
}

// Transfers returns email's transfers, newest first.
func (s *Server) Transfers(email string) []Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Transfer
	for _, t := range sortedTransfers(s.mustUserLocked(email)) {
		out = append(out, s.renderLocked(t, true))
	}
	return out
}
