package copperx

import "time"

// Timeout is the bound on one HTTP attempt (copperx.timeout): a caller that
// gives a call its own time budget (a money submit) checks it fits.
func (c *Client) Timeout() time.Duration { return c.cfg.Timeout }
