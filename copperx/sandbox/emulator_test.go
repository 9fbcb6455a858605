package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"

	"github.com/copperx-bot/payoutbot/copperx/copperxtest"
)

// syncBuffer is an io.Writer the emulator's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// busy holds a port open for the test's duration.
func busy(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// TestEmulatorBusyPort: a busy API or admin port is an error before
// anything is printed, and nothing stays bound.
func TestEmulatorBusyPort(t *testing.T) {
	taken := busy(t)
	tests := []struct {
		name, addr, admin, want string
	}{
		{"API port", taken, "127.0.0.1:0", "emulator: listen on " + taken},
		{"admin port", "127.0.0.1:0", taken, "emulator: admin API: listen on " + taken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := Emulator(ctx, EmulatorOptions{Addr: tt.addr, AdminAddr: tt.admin, OTP: "123456", KYC: "approved", Out: &out})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Emulator = %v, want %q", err, tt.want)
			}
			if out.String() != "" {
				t.Errorf("printed before failing:\n%s", out.String())
			}
		})
	}
}

var (
	apiURLLine = regexp.MustCompile(`(?m)^  export COPPERX_API_URL=http://(\S+)$`)
	wsURLLine  = regexp.MustCompile(`(?m)^  export COPPERX_BOT_PLUGINS__NOTIFY__WS_URL=(ws://\S+)$`)
	adminLine  = regexp.MustCompile(`(?m)^  Admin API: http://(\S+)$`)
)

// TestEmulatorServesWhatTheBannerSays starts the emulator on free ports and
// uses only what the banner printed: the API URL, the Pusher websocket URL
// and the admin API (a deposit arrives, the transfers list shows it).
func TestEmulatorServesWhatTheBannerSays(t *testing.T) {
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Emulator(ctx, EmulatorOptions{Addr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0", OTP: "123456", KYC: "approved",
			Fee: decimal.RequireFromString("0.5"), SettleDelay: -1, Out: &out})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "/advance") {
		if time.Now().After(deadline) {
			t.Fatalf("no banner:\n%s", out.String())
		}
		select {
		case err := <-done:
			t.Fatalf("Emulator returned %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	banner := out.String()
	api, ws, admin := apiURLLine.FindStringSubmatch(banner), wsURLLine.FindStringSubmatch(banner), adminLine.FindStringSubmatch(banner)
	if api == nil || ws == nil || admin == nil {
		t.Fatalf("banner lacks the bot's variables or the admin API:\n%s", banner)
	}
	if want := "ws://" + api[1] + "/app/" + copperxtest.DefaultPusherKey + "?protocol=7"; ws[1] != want {
		t.Errorf("websocket URL %s, want %s", ws[1], want)
	}
	for _, want := range []string{"demo@copperx.io", "123456", "fee 0.5%", "settle when you settle them", "/_emulator/deposit", "/_emulator/settle", "success, failed, canceled or refunded"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}

	// The API answers at the printed URL.
	resp, err := http.Post("http://"+api[1]+"/api/auth/email-otp/request", "application/json", strings.NewReader(`{"email":"zed@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("OTP request: %d", resp.StatusCode)
	}
	// The printed websocket URL is the emulator's Pusher.
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	conn, _, err := websocket.Dial(wctx, ws[1], nil)
	if err != nil {
		t.Fatalf("dial %s: %v", ws[1], err)
	}
	_, first, err := conn.Read(wctx)
	wcancel()
	_ = conn.Close(websocket.StatusNormalClosure, "")
	if err != nil || !strings.Contains(string(first), "pusher:connection_established") {
		t.Errorf("first frame %s, %v", first, err)
	}

	// The admin API: a deposit arrives for the demo user.
	resp, err = http.Post("http://"+admin[1]+"/_emulator/deposit", "application/json", strings.NewReader(`{"email":"demo@copperx.io","amount":"25","network":"base"}`))
	if err != nil {
		t.Fatal(err)
	}
	var dep map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&dep)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || dep["transferId"] == "" || dep["network"] != copperxtest.NetworkBase {
		t.Fatalf("deposit: %d %v", resp.StatusCode, dep)
	}
	resp, err = http.Get("http://" + admin[1] + "/_emulator/transfers?email=demo@copperx.io")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var list []copperxtest.AdminTransfer
	if err := json.Unmarshal(raw, &list); err != nil || len(list) != 1 || list[0].ID != dep["transferId"] || list[0].Type != "deposit" || list[0].Amount != "25" {
		t.Errorf("transfers %s (%v)", raw, err)
	}
	// The admin API is not on the API's port.
	resp, err = http.Post("http://"+api[1]+"/_emulator/deposit", "application/json", strings.NewReader(`{"email":"demo@copperx.io","amount":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("admin route on the API port: %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Emulator = %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Emulator did not stop")
	}
}
