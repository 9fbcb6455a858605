package transfer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/kernel/store"
)

// Outcome tracking: after a submit the bot follows the transfer until it
// settles, and tells the user.
//
// What to follow is in the shared store, so it survives restarts and is
// shared by replicas: the outcome records themselves (transfer:result:<id>,
// the truth), and an index of the ones being followed with when each is
// next due, in trackShards keys transfer:tracking:<n> (a JSON object id →
// {due, user}, changed with CompareAndSwap). Every replica scans the index
// every scanEvery; a due outcome is checked by the replica that takes its
// lease (transfer:lease:<id>: SetNX with a TTL, renewed while the check
// runs, released after), so exactly one replica checks, edits and tells at
// a time, and a replica that dies mid-check hands the outcome over when
// its lease expires. The Confirm that made the outcome holds the same
// lease until its receipt is out.
//
// A check (recheck):
//   - sent: GET /api/transfers/{id}; a new status edits the receipt; a
//     final one ends tracking, with a message of its own for failed,
//     canceled and refunded (what happened and what to do);
//   - unknown (or pending whose submitter died): the newest transfers are
//     listed and matched as reconciliation does; found, the receipt
//     becomes the transfer's and a message says it was made after all;
//     then it is followed as sent;
//   - past track_for: an unknown outcome is given up, saying plainly to
//     look at /history (never to pay again); a sent one that has not
//     settled stops being followed, its receipt saying so.
//
// Checks back off: firstCheck after the submit, doubling to maxCheckEvery.
// Each check reads the user's token from their session; logged out (or
// into another CopperX account), tracking stops without a word. A receipt
// the Confirm could not deliver (Bot API down) is delivered by the next
// check: the summary edited, or a new message.

const (
	trackShards   = 8
	firstCheck    = 3 * time.Second
	maxCheckEvery = 2 * time.Minute
	scanEvery     = 2 * time.Second
	// leaseTTL is how long a lease outlives a holder that stopped renewing
	// it (renewed every third of it).
	leaseTTL = 30 * time.Second
	// checkTimeout bounds one check: a CopperX read, a receipt edit, a message.
	checkTimeout = 45 * time.Second
	// trackWorkers is how many checks one replica runs at once.
	trackWorkers = 4
	// casTries bounds the CompareAndSwap retries of an index change.
	casTries = 20
	// nudgeEvery: /history re-checks a user's unknown outcomes at most
	// this often.
	nudgeEvery = 10 * time.Second
)

func leaseKey(id string) string          { return "transfer:lease:" + id }
func transferKey(transfer string) string { return "transfer:transfer:" + transfer }
func trackKey(shard int) string          { return "transfer:tracking:" + strconv.Itoa(shard) }

// shardOf is the index shard of an outcome id.
func shardOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % trackShards)
}

// trackEntry is one followed outcome in the index.
type trackEntry struct {
	Due  time.Time `json:"due"`
	User int64     `json:"user"`
}

// News told in a message of its own (outcome.Told).
const (
	newsFound  = "found"   // an unknown outcome turned up in the listing
	newsGaveUp = "gave_up" // an unknown outcome did not, within track_for
)

// newsFor is the news a final status is told with ("" for success: the
// edited receipt says it).
func newsFor(status string) string {
	switch status {
	case "failed", "canceled", "refunded":
		return status
	}
	return ""
}

// backoff is the wait before the next check, after checks checks.
func backoff(checks int) time.Duration {
	d := firstCheck
	for range min(checks, 10) {
		d *= 2
		if d >= maxCheckEvery {
			return maxCheckEvery
		}
	}
	return d
}

// readShard reads one index shard.
func (t *Transfer) readShard(ctx context.Context, shard int) (map[string]trackEntry, int64, error) {
	raw, ver, err := t.st.Get(ctx, trackKey(shard), 0)
	if err != nil {
		return nil, 0, fmt.Errorf("read tracking index: %w", err)
	}
	m := map[string]trackEntry{}
	if raw != nil {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.log.Error("tracking index shard does not decode; starting it afresh", "shard", shard, "err", err)
			m = map[string]trackEntry{}
		}
	}
	return m, ver, nil
}

// updateShard changes the shard of id with CompareAndSwap; change reports
// whether it changed anything.
func (t *Transfer) updateShard(ctx context.Context, shard int, change func(m map[string]trackEntry) bool) error {
	for range casTries {
		m, ver, err := t.readShard(ctx, shard)
		if err != nil {
			return err
		}
		if !change(m) {
			return nil
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		// The index outlives any entry in it; an entry ends with its outcome.
		_, err = t.st.CompareAndSwap(ctx, trackKey(shard), b, ver, 0)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write tracking index: %w", err)
		}
		return nil
	}
	return errors.New("write tracking index: too many concurrent changes")
}

// schedule puts outcome id in the tracking index, due at due.
func (t *Transfer) schedule(ctx context.Context, id string, user int64, due time.Time) error {
	return t.updateShard(ctx, shardOf(id), func(m map[string]trackEntry) bool {
		if e, ok := m[id]; ok && e.Due.Equal(due) {
			return false
		}
		m[id] = trackEntry{Due: due, User: user}
		return true
	})
}

// dueNow makes outcome id due at once, if it is followed.
func (t *Transfer) dueNow(ctx context.Context, id string) error {
	now := t.now()
	return t.updateShard(ctx, shardOf(id), func(m map[string]trackEntry) bool {
		e, ok := m[id]
		if !ok || !e.Due.After(now) {
			return false
		}
		e.Due = now
		m[id] = e
		return true
	})
}

// forget takes outcome id out of the tracking index (and transfer's key).
func (t *Transfer) forget(ctx context.Context, id, transfer string) {
	ctx = context.WithoutCancel(ctx)
	err := t.updateShard(ctx, shardOf(id), func(m map[string]trackEntry) bool {
		if _, ok := m[id]; !ok {
			return false
		}
		delete(m, id)
		return true
	})
	if err == nil && transfer != "" {
		err = t.st.Delete(ctx, transferKey(transfer))
	}
	if err != nil {
		t.log.Warn("could not take an outcome out of the tracking index", "err", err)
	}
}

// lease is a replica's hold on one outcome: while it holds it, no other
// replica checks, edits or tells that outcome.
type lease struct {
	st    store.Store
	key   string
	token string
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// errLeaseLost: the lease expired and another holder took it.
var errLeaseLost = errors.New("transfer: lease lost")

// takeLease takes outcome id's lease and renews it until release; nil, nil
// when another holds it.
func (t *Transfer) takeLease(ctx context.Context, id string) (*lease, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	l := &lease{st: t.st, key: leaseKey(id), token: t.replica + ":" + hex.EncodeToString(b), stop: make(chan struct{})}
	ok, err := t.st.SetNX(ctx, l.key, []byte(l.token), leaseTTL)
	if err != nil {
		return nil, fmt.Errorf("take lease: %w", err)
	}
	if !ok {
		return nil, nil
	}
	l.wg.Go(func() {
		tick := time.NewTicker(leaseTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseTTL/3)
				if err := l.renew(rctx); err != nil {
					t.log.Warn("could not renew an outcome's lease", "err", err)
				}
				cancel()
			}
		}
	})
	return l, nil
}

// renew pushes the lease's expiry leaseTTL from now, if it is still ours.
func (l *lease) renew(ctx context.Context) error {
	raw, ver, err := l.st.Get(ctx, l.key, 0)
	if err != nil {
		return err
	}
	if string(raw) != l.token {
		return errLeaseLost
	}
	_, err = l.st.CompareAndSwap(ctx, l.key, raw, ver, leaseTTL)
	if errors.Is(err, store.ErrConflict) {
		return errLeaseLost
	}
	return err
}

// release stops renewing and frees the lease if it is still ours (a lease
// that expired and was taken by another is left alone). Safe to call more
// than once.
func (l *lease) release() {
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if raw, _, err := l.st.Get(ctx, l.key, 0); err == nil && string(raw) == l.token {
			_ = l.st.Delete(ctx, l.key) // failing, it expires after leaseTTL
		}
	})
}

// Start implements kernel.Service: every scanEvery the index is scanned and
// the due outcomes checked.
func (t *Transfer) Start(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	t.mu.Lock()
	t.stopScan, t.scanDone = cancel, done
	t.mu.Unlock()
	go func() {
		defer close(done)
		tick := time.NewTicker(t.scanEvery)
		defer tick.Stop()
		for {
			if _, err := t.scanDue(runCtx); err != nil && runCtx.Err() == nil {
				t.log.Warn("tracking scan", "err", err)
			}
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return nil
}

// Stop implements kernel.Service: the scan ends (checks under way finish
// or are cut off when ctx ends; their leases expire and others resume).
func (t *Transfer) Stop(ctx context.Context) error {
	t.mu.Lock()
	cancel, done := t.stopScan, t.scanDone
	t.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scanDue checks every outcome due (earliest first, trackWorkers at once) and
// returns how many it checked.
func (t *Transfer) scanDue(ctx context.Context) (int, error) {
	now := t.now()
	type due struct {
		id string
		at time.Time
	}
	var list []due
	total := 0
	var errs []error
	for shard := range trackShards {
		m, _, err := t.readShard(ctx, shard)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		total += len(m)
		for id, e := range m {
			if !e.Due.After(now) {
				list = append(list, due{id, e.Due})
			}
		}
	}
	t.metrics.tracking.Set(float64(total))
	slices.SortFunc(list, func(a, b due) int { return a.at.Compare(b.at) })
	slots := make(chan struct{}, trackWorkers)
	var wg sync.WaitGroup
	for _, d := range list {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return 0, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-slots }()
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			if _, err := t.follow(cctx, d.id, "", false); err != nil {
				t.log.Warn("tracking check failed; it is tried again later", "err", err)
			}
		})
	}
	wg.Wait()
	return len(list), errors.Join(errs...)
}

// follow checks outcome id once, holding its lease (recheck). It returns
// the outcome as it now stands, or nil, nil when another holds the lease
// (a Confirm still reporting, another replica checking) or it is gone.
// seen is a status a listing showed ("" for none); quiet: the caller tells
// the user itself (a repeated Confirm's notice), so the receipt is edited
// but no message is sent.
func (t *Transfer) follow(ctx context.Context, id, seen string, quiet bool) (*outcome, error) {
	l, err := t.takeLease(ctx, id)
	if err != nil || l == nil {
		return nil, err
	}
	defer l.release()
	return t.recheck(ctx, id, seen, quiet)
}

// recheck is one check of outcome id; the caller holds its lease.
func (t *Transfer) recheck(ctx context.Context, id, seen string, quiet bool) (*outcome, error) {
	o, err := t.loadOutcome(ctx, id)
	if err != nil {
		return nil, err
	}
	if o == nil { // older than result_ttl, or the store lost it
		t.forget(ctx, id, "")
		return nil, nil
	}
	if !o.followed() {
		t.forget(ctx, id, o.TransferID)
		return o, nil
	}
	now := t.now()
	p, err := t.sessions.Principal(ctx, o.UserID)
	if err != nil {
		return o, t.retryLater(ctx, id, o, now, fmt.Errorf("read the session: %w", err))
	}
	if p == nil || p.UserID != o.Account {
		// Logged out, or into another account: nobody to check for, and
		// nothing to say.
		t.log.Info("stopped following a transfer: its user logged out", "transfer", o.TransferID)
		o.Done, o.Shown = true, true
		t.metrics.tracked(resultLoggedOut)
		if err := t.saveOutcome(ctx, id, *o); err != nil {
			return o, err
		}
		t.forget(ctx, id, o.TransferID)
		return o, nil
	}
	tok := copperx.NewToken(p.Token.Reveal())
	var checkErr error
	news := ""
	switch o.State {
	case statePending, stateUnknown:
		// A pending outcome whose lease we hold lost its submitter: nobody
		// knows whether it was sent.
		o.State = stateUnknown
		list, err := t.newest(ctx, tok, o.Kind)
		if err != nil {
			checkErr = err
			break
		}
		before := o.before()
		if tr := matchTransfer(list, o.movement(), t.since(o.Started, before), before); tr != nil {
			t.log.Info("a transfer whose outcome was unknown was made", "transfer", tr.ID, "status", tr.Status)
			o.State, o.TransferID, o.Status, o.Fee, o.Shown = stateSent, tr.ID, tr.Status, tr.TotalFee.String(), false
			news = newsFound
			if err := t.st.Set(ctx, transferKey(tr.ID), []byte(id), t.cfg.ResultTTL); err != nil {
				t.log.Warn("could not index the transfer for tracking", "err", err)
			}
		}
	case stateSent:
		status := seen
		if !finalStatus(status) && !finalStatus(o.Status) {
			tr, err := t.api.Transfer(ctx, tok, o.TransferID)
			if err != nil {
				checkErr = err
				break
			}
			status = tr.Status
			if tr.TotalFee.IsPositive() {
				o.Fee = tr.TotalFee.String()
			}
		}
		if status != "" && status != o.Status && !finalStatus(o.Status) {
			o.Status, o.Shown = status, false
		}
	}
	if errors.Is(checkErr, copperx.ErrUnauthorized) {
		// CopperX no longer takes the token: the user is asked to log in
		// again at their next message; until then there is nobody to
		// check for.
		t.log.Info("stopped following a transfer: CopperX refused the token", "transfer", o.TransferID)
		o.Done, o.Shown = true, true
		t.metrics.tracked(resultLoggedOut)
		if err := t.saveOutcome(ctx, id, *o); err != nil {
			return o, err
		}
		t.forget(ctx, id, o.TransferID)
		return o, nil
	}
	ended := o.State == stateSent && finalStatus(o.Status)
	if ended {
		if n := newsFor(o.Status); n != "" {
			news = n
		}
	}
	o.Checks++
	if !ended && !o.Done && !now.Before(o.Until) {
		o.Done, o.Stopped, o.Shown = true, true, false
		if o.State == stateUnknown {
			news = newsGaveUp
		}
		t.log.Info("stopped following a transfer: track_for passed", "state", o.State, "transfer", o.TransferID)
		t.metrics.tracked(resultGaveUp)
	}
	if err := t.saveOutcome(ctx, id, *o); err != nil {
		return o, err
	}
	if !o.Shown {
		if err := t.showReceipt(ctx, id, o); err != nil {
			checkErr = errors.Join(checkErr, err)
		} else {
			o.Shown = true
		}
	}
	if news != "" && o.Told != news && o.Shown {
		if quiet {
			o.Told = news // the caller's notice says it
		} else if err := t.tell(ctx, o, news); err != nil {
			checkErr = errors.Join(checkErr, err)
		} else {
			o.Told = news
		}
	}
	if err := t.saveOutcome(ctx, id, *o); err != nil {
		return o, err
	}
	t.settleRequest(ctx, id, o)
	if o.followed() {
		if err := t.schedule(ctx, id, o.UserID, now.Add(backoff(o.Checks))); err != nil {
			checkErr = errors.Join(checkErr, err)
		}
		return o, checkErr
	}
	if ended {
		t.metrics.tracked(endResult(o.Status))
	}
	t.forget(ctx, id, o.TransferID)
	return o, checkErr
}

// retryLater schedules the next check after a failed one.
func (t *Transfer) retryLater(ctx context.Context, id string, o *outcome, now time.Time, err error) error {
	if serr := t.schedule(ctx, id, o.UserID, now.Add(backoff(o.Checks))); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// recipient is who an outcome's messages go to, in their language.
func (t *Transfer) recipient(ctx context.Context, o *outcome) kernel.Recipient {
	lang := o.Lang
	if chosen, err := t.sessions.Lang(ctx, o.UserID); err == nil && chosen != "" {
		lang = chosen
	}
	return kernel.Recipient{ChatID: o.Chat, UserID: o.UserID, Lang: lang}
}

// showReceipt makes the receipt show the outcome as it is now: the message
// that shows it edited, or, when that cannot be edited (never shown,
// deleted, too old), a new one.
func (t *Transfer) showReceipt(ctx context.Context, id string, o *outcome) error {
	build := func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
		text, kb := t.receiptOf(c, id, o, o.OfferPayee)
		return text, kb, nil
	}
	to := t.recipient(ctx, o)
	if o.Receipt != 0 {
		err := t.notifier.Edit(ctx, to, o.Receipt, build)
		if err == nil {
			return nil
		}
		t.log.Warn("could not edit the receipt; sending it anew", "err", err)
	}
	msg, err := t.notifier.Send(ctx, to, build)
	if err != nil {
		return fmt.Errorf("deliver the receipt: %w", err)
	}
	o.Receipt = msg
	return nil
}

// tell sends the news of an outcome in a message of its own: what
// happened, with the transfer id, and what to do.
func (t *Transfer) tell(ctx context.Context, o *outcome, news string) error {
	_, err := t.notifier.Send(ctx, t.recipient(ctx, o), func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
		subject := "transfer.track.subject_send"
		if o.Kind == kindBank {
			subject = "transfer.track.subject_bank"
		}
		data := map[string]any{
			"subject": i18n.HTML(c.T(subject, map[string]any{"amount": c.FormatAmount(o.amount()), "currency": t.cfg.Currency, "to": o.Label})),
			"id":      o.TransferID, "after": c.FormatDuration(t.cfg.TrackFor),
		}
		var kb *kernel.Keyboard
		if o.TransferID != "" {
			kb = kernel.NewKeyboard().Row(c.Button("transfer.button.details", "detail", o.TransferID, "0"))
		}
		return c.T("transfer.track."+news, data), kb, nil
	})
	if err != nil {
		return fmt.Errorf("tell %s: %w", news, err)
	}
	return nil
}

// noteStatus tells the tracker a transfer's status as a CopperX listing or
// read showed it (the /history page, a transfer's detail): a final status
// (success, failed, canceled, refunded) of a transfer being followed ends
// its tracking at once and edits its receipt (with a message for a
// failure). ctx should be the update's *kernel.Ctx: the user's outcomes
// still unknown are then re-checked too (at the next scan). It never fails
// and is cheap for transfers nobody follows; call it for every transfer
// shown.
func (t *Transfer) noteStatus(ctx context.Context, transferID, status string) {
	if t.st == nil || transferID == "" {
		return
	}
	if c, ok := ctx.(*kernel.Ctx); ok {
		t.nudge(c, c.UserID)
	}
	if !finalStatus(status) {
		return
	}
	raw, _, err := t.st.Get(ctx, transferKey(transferID), 0)
	if err != nil || raw == nil {
		return
	}
	id := string(raw)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
	defer cancel()
	o, err := t.follow(cctx, id, status, false)
	switch {
	case err != nil:
		t.log.Warn("could not apply a status seen in a listing", "err", err)
	case o == nil: // another checks it right now: it will see the status too
		if err := t.dueNow(cctx, id); err != nil {
			t.log.Warn("could not make an outcome due", "err", err)
		}
	}
}

// nudge makes the user's followed outcomes due at once (at most every
// nudgeEvery per user), so /history re-checks the unknown ones.
func (t *Transfer) nudge(ctx context.Context, user int64) {
	now := t.now()
	t.mu.Lock()
	if last, ok := t.nudged[user]; ok && now.Sub(last) < nudgeEvery {
		t.mu.Unlock()
		return
	}
	for u, at := range t.nudged { // forget old ones
		if now.Sub(at) >= nudgeEvery {
			delete(t.nudged, u)
		}
	}
	t.nudged[user] = now
	t.mu.Unlock()
	for shard := range trackShards {
		err := t.updateShard(ctx, shard, func(m map[string]trackEntry) bool {
			changed := false
			for id, e := range m {
				if e.User == user && e.Due.After(now) {
					e.Due = now
					m[id] = e
					changed = true
				}
			}
			return changed
		})
		if err != nil {
			t.log.Warn("could not re-check a user's outcomes", "err", err)
			return
		}
	}
}
