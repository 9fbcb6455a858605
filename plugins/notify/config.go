package notify

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/copperx-bot/payoutbot/kernel"
)

// Config is the plugins.notify block of config.yaml.
type Config struct {
	// WSURL is the Pusher websocket URL. Empty builds it from AppKey and
	// Cluster: wss://ws-<cluster>.pusher.com/app/<key>?protocol=7&client=go&version=1.0.
	// The sandbox points it at the emulator's with WithWebsocketURL, which
	// overrides this key.
	WSURL string `koanf:"ws_url"`
	// AppKey is CopperX's public Pusher app key.
	AppKey string `koanf:"app_key"`
	// Cluster is the Pusher cluster of the app (ap1).
	Cluster string `koanf:"cluster"`
	// ReconnectMin is the first wait before reconnecting after the
	// connection dropped; it doubles (with jitter) up to ReconnectMax.
	ReconnectMin time.Duration `koanf:"reconnect_min"`
	// ReconnectMax caps the wait between reconnection attempts.
	ReconnectMax time.Duration `koanf:"reconnect_max"`
	// CatchUp lists an organization's recent deposits each time its
	// channel is (re)subscribed and announces those the websocket missed.
	CatchUp bool `koanf:"catch_up"`
	// CatchUpMaxAge: a deposit older than this is never announced by the
	// catch-up (it must stay below the 48h the dedupe markers live).
	CatchUpMaxAge time.Duration `koanf:"catch_up_max_age"`
	// ResyncInterval is how often each replica re-reads the whole
	// subscription index and retries the channels Pusher or CopperX
	// refused.
	ResyncInterval time.Duration `koanf:"resync_interval"`
	// HeartbeatInterval is how often each replica says it is alive in the
	// store and looks at who else is (and whether the index changed): the
	// organizations of a replica that stops are taken over within one
	// interval, those of one that crashes within four.
	HeartbeatInterval time.Duration `koanf:"heartbeat_interval"`
}

// DefaultConfig is the configuration before config.yaml is applied.
func DefaultConfig() Config {
	return Config{
		AppKey:            "e089376087cac1a62785",
		Cluster:           "ap1",
		ReconnectMin:      time.Second,
		ReconnectMax:      time.Minute,
		CatchUp:           true,
		CatchUpMaxAge:     24 * time.Hour,
		ResyncInterval:    time.Minute,
		HeartbeatInterval: 10 * time.Second,
	}
}

var (
	appKeyPattern  = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	clusterPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
)

// Validate checks the values, naming the key at fault (the kernel puts
// plugins.notify. in front).
func (c Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, kernel.ConfigErrorf(key, "%s", msg)) }
	if c.WSURL != "" && !isWebsocketURL(c.WSURL) {
		bad("ws_url", "must be a ws:// or wss:// URL")
	}
	if !appKeyPattern.MatchString(c.AppKey) {
		bad("app_key", "must be 1-64 letters and digits")
	}
	if !clusterPattern.MatchString(c.Cluster) {
		bad("cluster", "must be 1-32 of a-z, 0-9 and -, such as ap1")
	}
	if c.ReconnectMin <= 0 {
		bad("reconnect_min", "must be positive")
	}
	if c.ReconnectMax < c.ReconnectMin {
		bad("reconnect_max", "must be at least reconnect_min")
	}
	if c.CatchUpMaxAge <= 0 || c.CatchUpMaxAge >= seenTTL {
		bad("catch_up_max_age", fmt.Sprintf("must be positive and below %s (how long deliveries are remembered)", seenTTL))
	}
	if c.ResyncInterval <= 0 {
		bad("resync_interval", "must be positive")
	}
	if c.HeartbeatInterval < 10*time.Millisecond || c.HeartbeatInterval > 10*time.Minute {
		bad("heartbeat_interval", "must be between 10ms and 10m")
	}
	return errors.Join(errs...)
}

// isWebsocketURL reports whether s is a ws:// or wss:// URL with a host.
func isWebsocketURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "ws" || u.Scheme == "wss") && u.Host != ""
}

// url is the websocket URL to dial.
func (c Config) url() string {
	if c.WSURL != "" {
		return c.WSURL
	}
	return fmt.Sprintf("wss://ws-%s.pusher.com/app/%s?protocol=7&client=go&version=1.0", c.Cluster, c.AppKey)
}
