package kernel

import "time"

// Clock is the kernel's clock (Options.Clock, time.Now by default; a test
// harness's fake clock), for a plugin's background work, which has no Ctx
// to ask c.Now(): due times it compares with those written in updates.
func (r *Registrar) Clock() func() time.Time { return r.k.now }
