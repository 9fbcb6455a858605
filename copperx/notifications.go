package copperx

import (
	"context"
	"net/http"
)

// NotificationsAuth signs a Pusher private-channel subscription
// (POST /api/notifications/auth) and returns the "auth" string to send with
// pusher:subscribe.
func (c *Client) NotificationsAuth(ctx context.Context, tok Token, socketID, channel string) (string, error) {
	body := map[string]string{"socket_id": socketID}
	if channel != "" {
		body["channel_name"] = channel
	}
	var out struct {
		Auth string `json:"auth"`
	}
	err := c.do(ctx, call{
		method: http.MethodPost, path: "/api/notifications/auth", tok: &tok,
		body: body, out: &out,
	})
	if err != nil {
		return "", err
	}
	return out.Auth, nil
}

// NotificationsTest asks the service to send a test event (GET /api/notifications/test).
func (c *Client) NotificationsTest(ctx context.Context, tok Token) error {
	return c.do(ctx, call{method: http.MethodGet, path: "/api/notifications/test", tok: &tok})
}

// PrivateOrgChannel is the Pusher channel of an organization's events.
func PrivateOrgChannel(organizationID string) string { return "private-org-" + organizationID }
