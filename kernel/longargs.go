package kernel

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Telegram allows 64 bytes of callback data. An action button whose
// arguments do not fit (a long email on a payee's Send) keeps them in the
// store instead, for the user the button was made for, and its data
// carries a short reference: "kernel:run:<action>:~<ref>". The reference
// is derived from the user, the action and the arguments, so a screen
// shown again reuses it (and renews it); it lasts session.ttl after it was
// last shown, and works in background messages too (a receipt edited
// later). A reference the store no longer holds makes a stale button.

// argRefPrefix marks an argument that is a reference to kept arguments.
const argRefPrefix = "~"

// keptArgs are the arguments of one action button.
type keptArgs struct {
	Action string   `json:"action"`
	Args   []string `json:"args"`
}

func argsKey(user int64, ref string) string {
	return "args:" + strconv.FormatInt(user, 10) + ":" + ref
}

// argsTTL is how long kept arguments last after their button was shown.
func (c *Ctx) argsTTL() time.Duration { return max(c.k.cfg.Session.TTL, time.Hour) }

// keepArgs stores args for action and returns the reference to put in the
// button.
func (c *Ctx) keepArgs(action string, args []string) (string, error) {
	if c.UserID == 0 {
		return "", errors.New("kept arguments need a user")
	}
	raw, err := json.Marshal(keptArgs{Action: action, Args: args})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append(strconv.AppendInt(nil, c.UserID, 10), raw...))
	ref := base64.RawURLEncoding.EncodeToString(sum[:12])
	if err := c.k.store.Set(c, argsKey(c.UserID, ref), raw, c.argsTTL()); err != nil {
		return "", err
	}
	return argRefPrefix + ref, nil
}

// keptArgsFor resolves the arguments of an action button: as they are, or
// the kept ones a reference names (ok is false when it names none).
func (c *Ctx) keptArgsFor(action string, args []string) ([]string, bool, error) {
	if len(args) != 1 || !strings.HasPrefix(args[0], argRefPrefix) {
		return args, true, nil
	}
	raw, _, err := c.k.store.Get(c, argsKey(c.UserID, strings.TrimPrefix(args[0], argRefPrefix)), 0)
	if err != nil || raw == nil {
		return nil, false, err
	}
	var kept keptArgs
	if err := json.Unmarshal(raw, &kept); err != nil || kept.Action != action {
		return nil, false, nil
	}
	return kept.Args, true, nil
}
