package copperxtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	pusher "github.com/pusher/pusher-http-go/v5"
)

type frame struct {
	Event   string          `json:"event"`
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

// pusherClient is a minimal protocol-7 subscriber.
type pusherClient struct {
	t        *testing.T
	ws       *websocket.Conn
	socketID string
}

func dialPusher(t *testing.T, url string) *pusherClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	p := &pusherClient{t: t, ws: ws}
	f := p.read()
	if f.Event != "pusher:connection_established" {
		t.Fatalf("first frame %+v", f)
	}
	var s string
	if err := json.Unmarshal(f.Data, &s); err != nil {
		t.Fatalf("connection_established data is not a JSON string: %s", f.Data)
	}
	var est struct {
		SocketID        string `json:"socket_id"`
		ActivityTimeout int    `json:"activity_timeout"`
	}
	if err := json.Unmarshal([]byte(s), &est); err != nil || !socketIDRe.MatchString(est.SocketID) || est.ActivityTimeout == 0 {
		t.Fatalf("connection_established %s (%v)", s, err)
	}
	p.socketID = est.SocketID
	return p
}

func (p *pusherClient) read() frame {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, msg, err := p.ws.Read(ctx)
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	var f frame
	if err := json.Unmarshal(msg, &f); err != nil {
		p.t.Fatalf("frame %s: %v", msg, err)
	}
	return f
}

func (p *pusherClient) write(v any) {
	p.t.Helper()
	b, _ := json.Marshal(v)
	if err := p.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pusherClient) subscribe(channel, auth string) frame {
	p.t.Helper()
	p.write(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"channel": channel, "auth": auth}})
	return p.read()
}

func TestPusherDeposit(t *testing.T) {
	s := newTest(t)
	_, org := s.SeedUser("dep@example.com")
	c := newClient(t, s, s.IssueToken("dep@example.com"))
	p := dialPusher(t, s.WSURL())
	channel := OrgChannel(org)

	var auth struct{ Auth string }
	c.mustOK("POST", "/api/notifications/auth", map[string]string{"socket_id": p.socketID, "channel_name": channel}).decode(t, &auth)
	if !strings.HasPrefix(auth.Auth, s.PusherKey()+":") || len(auth.Auth) != len(s.PusherKey())+1+64 {
		t.Fatalf("auth %q", auth.Auth)
	}
	if f := p.subscribe(channel, auth.Auth); f.Event != "pusher_internal:subscription_succeeded" || f.Channel != channel {
		t.Fatalf("subscribe answer %+v", f)
	}
	p.write(map[string]any{"event": "pusher:ping", "data": map[string]any{}})
	if f := p.read(); f.Event != "pusher:pong" {
		t.Fatalf("ping answer %+v", f)
	}

	before := s.Balance("dep@example.com", NetworkPolygon, "USDC")
	id, err := s.Deposit(org, dec("10"), "USDC", NetworkPolygon)
	if err != nil {
		t.Fatal(err)
	}
	f := p.read()
	if f.Event != "deposit" || f.Channel != channel {
		t.Fatalf("event %+v", f)
	}
	var data string
	if err := json.Unmarshal(f.Data, &data); err != nil {
		t.Fatalf("deposit data is not a JSON string: %s", f.Data)
	}
	var ev DepositEvent
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Title != "Deposit Received" || ev.Message != "Received deposit of 10 USDC" || ev.Amount != "10" || ev.Currency != "USDC" ||
		ev.Metadata.Network != "137" || !strings.HasPrefix(ev.Metadata.TxHash, "0x") || ev.OrganizationID != org || ev.Timestamp == "" {
		t.Errorf("deposit payload %s", data)
	}
	if got := s.Balance("dep@example.com", NetworkPolygon, "USDC"); !got.Equal(before.Add(dec("10"))) {
		t.Errorf("balance %s", got)
	}
	var tr Transfer
	c.mustOK("GET", "/api/transfers/"+id, nil).decode(t, &tr)
	if tr.Type != "deposit" || tr.Amount != "1000000000" || tr.Status != "success" {
		t.Errorf("deposit transfer %+v", tr)
	}
}

func TestPusherRefusals(t *testing.T) {
	s := newTest(t)
	_, org := s.SeedUser("a@example.com")
	_, otherOrg := s.SeedUser("b@example.com")
	c := newClient(t, s, s.IssueToken("a@example.com"))

	t.Run("bad auth", func(t *testing.T) {
		p := dialPusher(t, s.WSURL())
		f := p.subscribe(OrgChannel(org), s.PusherKey()+":"+strings.Repeat("0", 64))
		if f.Event != "pusher:error" || !strings.Contains(string(f.Data), "Invalid signature") {
			t.Fatalf("answer %+v", f)
		}
		// no events after a refused subscription
		if _, err := s.Deposit(org, dec("1"), "USDC", ""); err != nil {
			t.Fatal(err)
		}
		p.write(map[string]any{"event": "pusher:ping", "data": map[string]any{}})
		if f := p.read(); f.Event != "pusher:pong" {
			t.Fatalf("got %+v, want only the pong", f)
		}
	})
	t.Run("auth for another socket", func(t *testing.T) {
		p := dialPusher(t, s.WSURL())
		var auth struct{ Auth string }
		c.mustOK("POST", "/api/notifications/auth", map[string]string{"socket_id": "1.1", "channel_name": OrgChannel(org)}).decode(t, &auth)
		if f := p.subscribe(OrgChannel(org), auth.Auth); f.Event != "pusher:error" {
			t.Fatalf("answer %+v", f)
		}
	})
	t.Run("another org's channel", func(t *testing.T) {
		r := c.do("POST", "/api/notifications/auth", map[string]string{"socket_id": "1.1", "channel_name": OrgChannel(otherOrg)})
		wantError(t, r, http.StatusForbidden)
	})
	t.Run("wrong app key", func(t *testing.T) {
		url := strings.Replace(s.WSURL(), s.PusherKey(), "nope", 1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		_, msg, err := ws.Read(ctx)
		if err != nil || !strings.Contains(string(msg), `"code":4001`) {
			t.Fatalf("answer %s %v", msg, err)
		}
	})
}

// TestPusherAuthMatchesOfficialSDK checks the channel signature against
// pusher-http-go, with a custom app key and secret.
func TestPusherAuthMatchesOfficialSDK(t *testing.T) {
	s := newTest(t, WithPusherApp("key123", "sekret"))
	_, org := s.SeedUser("sdk@example.com", SeedName("Grace", "Hopper"), SeedBalance(NetworkBase, "USDT", "7.5"))
	if got := s.Balance("sdk@example.com", NetworkBase, "USDT"); !got.Equal(dec("7.5")) {
		t.Errorf("seeded USDT %s", got)
	}
	sdk := pusher.Client{AppID: "1", Key: s.PusherKey(), Secret: s.PusherSecret()}
	p := dialPusher(t, s.WSURL())
	if !strings.Contains(s.WSURL(), "/app/key123?") {
		t.Errorf("WSURL %s", s.WSURL())
	}
	resp, err := sdk.AuthorizePrivateChannel([]byte("socket_id=" + p.socketID + "&channel_name=" + OrgChannel(org)))
	if err != nil {
		t.Fatal(err)
	}
	var want struct{ Auth string }
	if err := json.Unmarshal(resp, &want); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, s.IssueToken("sdk@example.com"))
	var got struct{ Auth string }
	c.mustOK("POST", "/api/notifications/auth", map[string]string{"socket_id": p.socketID, "channel_name": OrgChannel(org)}).decode(t, &got)
	if got.Auth != want.Auth {
		t.Fatalf("auth %q, SDK says %q", got.Auth, want.Auth)
	}
	if f := p.subscribe(OrgChannel(org), want.Auth); f.Event != "pusher_internal:subscription_succeeded" {
		t.Fatalf("answer %+v", f)
	}
	me := c.mustOK("GET", "/api/auth/me", nil).object(t)
	if me["firstName"] != "Grace" || me["lastName"] != "Hopper" {
		t.Errorf("me %v", me)
	}
}

// TestPusherAnswersAreNeverDropped: an answer to the client's own message
// (here subscription_succeeded) waits for room in a full send queue
// instead of being dropped, as a published event is; it gives up only
// when the connection ends. (A dropped subscription_succeeded left a
// notify replica waiting for it until its next full resync.)
func TestPusherAnswersAreNeverDropped(t *testing.T) {
	done := make(chan struct{})
	c := &pusherConn{out: make(chan []byte, 1), done: done, channels: map[string]bool{}}
	c.out <- []byte("an earlier frame") // the writer is behind
	sent := make(chan struct{})
	go func() {
		c.send("pusher_internal:subscription_succeeded", "private-org-1", "{}")
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("send returned with the queue full: the answer was dropped")
	case <-time.After(50 * time.Millisecond): // it waits
	}
	<-c.out // the writer catches up
	<-sent
	if got := string(<-c.out); !strings.Contains(got, "subscription_succeeded") {
		t.Fatalf("queued %s", got)
	}

	c.out <- []byte("full again")
	gaveUp := make(chan struct{})
	go func() { c.send("pusher:pong", "", "{}"); close(gaveUp) }()
	close(done) // the connection ended: send gives up
	select {
	case <-gaveUp:
	case <-time.After(5 * time.Second):
		t.Fatal("send still waits after the connection ended")
	}
}
