package copperxtest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"
)

// PusherKey is the Pusher app key the emulator accepts.
func (s *Server) PusherKey() string { return s.cfg.pusherKey }

// PusherSecret is the Pusher app secret that signs channel auth.
func (s *Server) PusherSecret() string { return s.cfg.pusherSecret }

// channelAuth is "key:hex(HMAC-SHA256(secret, socket_id:channel))".
func (s *Server) channelAuth(socketID, channel string) string {
	m := hmac.New(sha256.New, []byte(s.cfg.pusherSecret))
	m.Write([]byte(socketID + ":" + channel))
	return s.cfg.pusherKey + ":" + hex.EncodeToString(m.Sum(nil))
}

// OrgChannel is the private channel of an organization's notifications.
func OrgChannel(orgID string) string { return "private-org-" + orgID }

var socketIDRe = regexp.MustCompile(`^\d+\.\d+$`)

type notificationAuthBody struct {
	SocketID    string `json:"socket_id"`
	ChannelName string `json:"channel_name"`
}

// notificationsAuth signs a subscription to the caller's own org channel.
func (s *Server) notificationsAuth(r *http.Request, sess *session) (any, error) {
	var in notificationAuthBody
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if !socketIDRe.MatchString(in.SocketID) {
		return nil, errStatus(http.StatusBadRequest, "Invalid socket_id")
	}
	s.mu.Lock()
	org := sess.user.orgID
	s.mu.Unlock()
	if in.ChannelName != OrgChannel(org) {
		return nil, errStatus(http.StatusForbidden, "Forbidden")
	}
	return map[string]string{"auth": s.channelAuth(in.SocketID, in.ChannelName)}, nil
}

// hub holds the open websockets.
type hub struct {
	mu    sync.Mutex
	conns map[*pusherConn]struct{}
	next  atomic.Int64
}

type pusherConn struct {
	ws       *websocket.Conn
	socketID string
	out      chan []byte
	done     <-chan struct{} // the connection ended
	mu       sync.Mutex
	channels map[string]bool
}

func newHub() *hub { return &hub{conns: map[*pusherConn]struct{}{}} }

func (h *hub) add(c *pusherConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns[c] = struct{}{}
}

func (h *hub) remove(c *pusherConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
}

// closeAll closes every websocket with "going away", concurrently and
// without holding the lock (a close handshake can take seconds).
func (h *hub) closeAll() {
	h.mu.Lock()
	conns := make([]*pusherConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
		delete(h.conns, c)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { _ = c.ws.Close(websocket.StatusGoingAway, "server closing") })
	}
	wg.Wait()
}

// publish sends an event to the subscribers of channel; it returns how
// many sockets it was queued for.
func (h *hub) publish(channel, event, data string) int {
	frame, _ := json.Marshal(pusherFrame{Event: event, Channel: channel, Data: data})
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.conns {
		c.mu.Lock()
		sub := c.channels[channel]
		c.mu.Unlock()
		if !sub {
			continue
		}
		select {
		case c.out <- frame:
			n++
		default: // a stuck client loses events, as with Pusher
		}
	}
	return n
}

// pusherFrame is a protocol-7 message; Data is a JSON-encoded string.
type pusherFrame struct {
	Event   string `json:"event"`
	Channel string `json:"channel,omitempty"`
	Data    any    `json:"data"`
}

// send answers the client's own message (connection_established,
// subscription_succeeded, pong, errors). Unlike a published event, an
// answer is never dropped: it waits for the writer, which gives up on a
// client that does not read for 5 s and ends the connection, as Pusher
// disconnects a slow client rather than lose its replies.
func (c *pusherConn) send(event, channel string, data any) {
	frame, _ := json.Marshal(pusherFrame{Event: event, Channel: channel, Data: data})
	select {
	case c.out <- frame:
	case <-c.done:
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// serveWebsocket speaks Pusher protocol 7 on /app/{key}.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/app/")
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	n := s.hub.next.Add(1)
	c := &pusherConn{
		ws:       ws,
		socketID: fmt.Sprintf("%d.%d", 100000+n, 7000000+n*13),
		out:      make(chan []byte, 64),
		done:     ctx.Done(),
		channels: map[string]bool{},
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case frame := <-c.out:
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				err := ws.Write(wctx, websocket.MessageText, frame)
				wcancel()
				if err != nil {
					cancel()
					return
				}
			}
		}
	}()

	if key != s.cfg.pusherKey {
		s.closeWithError(ctx, ws, 4001, fmt.Sprintf("App key %s not in this cluster. Did you forget to specify the cluster?", key))
		return
	}
	if p := r.URL.Query().Get("protocol"); p != "7" && p != "6" && p != "5" {
		s.closeWithError(ctx, ws, 4007, "Unsupported protocol version")
		return
	}
	s.hub.add(c)
	defer s.hub.remove(c)
	c.send("pusher:connection_established", "", jsonString(map[string]any{"socket_id": c.socketID, "activity_timeout": 120}))

	for {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var in struct {
			Event   string          `json:"event"`
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		}
		if json.Unmarshal(msg, &in) != nil {
			c.send("pusher:error", "", map[string]any{"code": nil, "message": "Invalid JSON"})
			continue
		}
		switch in.Event {
		case "pusher:ping":
			c.send("pusher:pong", "", "{}")
		case "pusher:subscribe":
			s.subscribe(c, in.Data)
		case "pusher:unsubscribe":
			var d struct {
				Channel string `json:"channel"`
			}
			_ = json.Unmarshal(unwrapData(in.Data), &d)
			c.mu.Lock()
			delete(c.channels, d.Channel)
			c.mu.Unlock()
		}
	}
}

// unwrapData accepts data as an object or as a JSON string of one.
func unwrapData(raw json.RawMessage) json.RawMessage {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return json.RawMessage(str)
	}
	return raw
}

// subscribe checks the auth of a private channel subscription.
func (s *Server) subscribe(c *pusherConn, raw json.RawMessage) {
	var d struct {
		Channel string `json:"channel"`
		Auth    string `json:"auth"`
	}
	if json.Unmarshal(unwrapData(raw), &d) != nil || d.Channel == "" {
		c.send("pusher:error", "", map[string]any{"code": nil, "message": "Invalid subscription: channel is required"})
		return
	}
	if strings.HasPrefix(d.Channel, "private-") || strings.HasPrefix(d.Channel, "presence-") {
		want := s.channelAuth(c.socketID, d.Channel)
		if !hmac.Equal([]byte(d.Auth), []byte(want)) {
			c.send("pusher:error", "", map[string]any{
				"code":    nil,
				"message": fmt.Sprintf("Invalid signature: Expected HMAC SHA256 hex digest of %s:%s, but got %s", c.socketID, d.Channel, d.Auth),
			})
			return
		}
	}
	c.mu.Lock()
	c.channels[d.Channel] = true
	c.mu.Unlock()
	c.send("pusher_internal:subscription_succeeded", d.Channel, "{}")
}

func (s *Server) closeWithError(ctx context.Context, ws *websocket.Conn, code int, msg string) {
	frame, _ := json.Marshal(pusherFrame{Event: "pusher:error", Data: map[string]any{"code": code, "message": msg}})
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = ws.Write(wctx, websocket.MessageText, frame)
	_ = ws.Close(websocket.StatusCode(code), msg)
}

// DepositEvent is the payload of the Pusher "deposit" event.
type DepositEvent struct {
	Title          string          `json:"title"`
	Message        string          `json:"message"`
	Amount         string          `json:"amount"`
	Currency       string          `json:"currency"`
	Metadata       DepositMetadata `json:"metadata"`
	OrganizationID string          `json:"organizationId"`
	Timestamp      string          `json:"timestamp"`
}

// DepositMetadata is the metadata of a deposit event.
type DepositMetadata struct {
	Network string `json:"network"`
	TxHash  string `json:"txHash"`
}

// Deposit credits amount (human-readable, e.g. 10 for 10 USDC) of currency
// to the organization's wallet on network ("" = the default wallet;
// created if missing), records a "deposit" transfer and emits the Pusher
// "deposit" event on private-org-<orgID>. It returns the transfer id.
func (s *Server) Deposit(orgID string, amount decimal.Decimal, currency, network string) (string, error) {
	if !amount.IsPositive() {
		return "", fmt.Errorf("copperxtest: deposit amount %s must be positive", amount)
	}
	currency = strings.ToUpper(currency)
	if currency == "" {
		currency = "USDC"
	}
	if _, ok := tokenDecimals[currency]; !ok {
		return "", fmt.Errorf("copperxtest: deposit currency %q is not a token symbol (USDC, USDT, DAI, ETH, USDCE, STRK)", currency)
	}
	s.mu.Lock()
	u := s.orgs[orgID]
	if u == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("copperxtest: unknown organization %q", orgID)
	}
	w := u.defaultW()
	if network != "" {
		w = s.addWalletLocked(u, network)
	}
	w.balances[currency] = w.balances[currency].Add(amount)
	hash := txHash()
	amt := units(toUnits(amount))
	external := &TransferAccount{ID: newID(), Type: "web3_wallet", Network: w.network, WalletAddress: evmAddress("external:" + hash)}
	t := s.newTransferLocked(u, Transfer{
		Type: "deposit", Mode: "on_chain", Amount: amt, Currency: currency, AmountSubtotal: amt,
		TotalFee: "0", FeePercentage: "0", DestinationAccountID: w.accountID,
		SourceAccount: external, DestinationAccount: s.walletAccount(w),
		Transactions: []Transaction{{
			Type: "deposit", ToAccountID: w.accountID, FromAmount: amt, FromCurrency: currency,
			ToAmount: amt, ToCurrency: currency, TotalFee: "0", FeeCurrency: currency, TransactionHash: hash,
		}},
	}, 0)
	now, id := s.now(), t.wire.ID
	s.mu.Unlock()

	ev := DepositEvent{
		Title:          "Deposit Received",
		Message:        fmt.Sprintf("Received deposit of %s %s", amount.String(), currency),
		Amount:         amount.String(),
		Currency:       currency,
		Metadata:       DepositMetadata{Network: w.network, TxHash: hash},
		OrganizationID: orgID,
		Timestamp:      now.Format(time.RFC3339),
	}
	s.hub.publish(OrgChannel(orgID), "deposit", jsonString(ev))
	return id, nil
}
