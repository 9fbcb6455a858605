package notify

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
)

// The catch-up: the websocket delivers nothing while it is down (or
// before a replica took an organization over), so after every
// subscription of an organization's channel the plugin lists its recent
// deposits and announces those not announced yet.

const (
	// catchUpPages bounds the deposit pages (10 each) one catch-up reads.
	catchUpPages = 5
	// loginSkew is how far before a login a deposit still counts as news.
	loginSkew = 5 * time.Second
)

// catchUp announces the organization's recent deposits the websocket did
// not deliver: those created at or after notify:last:<org> and within
// catch_up_max_age. The first run for an organization only sets that
// mark. token (maybe zero) signed the subscription: it is tried first.
func (n *Notify) catchUp(ctx context.Context, org string, token copperx.Token) {
	defer n.log.Debug("catch-up finished", "org", org)
	recipients, err := n.recipientsOf(ctx, org)
	if err != nil {
		n.log.Error("catch-up: load subscriptions", "org", org, "err", err)
		return
	}
	last, _, known, err := n.subscriptions.lastSeen(ctx, org)
	if err != nil {
		n.log.Error("catch-up: read mark", "org", org, "err", err)
		return
	}
	cutoff := n.now().Add(-n.cfg.CatchUpMaxAge)
	// The earliest login among the org's subscribers. CopperX's timestamps
	// have millisecond precision and its clock is not ours: loginSkew keeps
	// a deposit made right as the user logged in from being taken as old.
	var since time.Time
	for _, r := range recipients {
		if since.IsZero() || r.Since.Before(since) {
			since = r.Since
		}
	}
	tokens := []copperx.Token{token}
	for _, r := range recipients {
		tokens = append(tokens, r.token)
	}
	var listed []copperx.Transfer
	err = errors.New("no token: nobody of the organization has a saved login")
	for _, t := range tokens {
		if t.IsZero() {
			continue
		}
		listed, err = n.listSince(ctx, t, last, cutoff, !known)
		if err == nil || !errors.Is(err, copperx.ErrUnauthorized) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, copperx.ErrUnauthorized) || len(recipients) == 0 {
			if gone, _ := n.nobodyLeft(ctx, org); gone {
				// Everyone of it logged out while the channel was being
				// subscribed (their tokens revoked): nobody to tell.
				n.log.Debug("catch-up: nobody of the organization is logged in any more", "org", org)
				return
			}
		}
		n.log.Warn("catch-up: list deposits", "org", org, "err", err)
		return
	}
	deposits := slices.DeleteFunc(listed, func(t copperx.Transfer) bool { return !announceable(t) })
	slices.Reverse(deposits) // the API lists newest first; oldest first keeps ties in order
	slices.SortStableFunc(deposits, func(a, b copperx.Transfer) int { return a.CreatedAt.Compare(b.CreatedAt) })
	newest := last
	for _, t := range deposits {
		if t.CreatedAt.After(newest) {
			newest = t.CreatedAt
		}
		// At the mark itself too: timestamps have millisecond precision, so
		// two deposits may share one. Those already announced are skipped by
		// their seen marker, which outlives the cutoff.
		if t.CreatedAt.Before(last) || t.CreatedAt.Before(cutoff) {
			continue
		}
		d := fromTransfer(t)
		if !known && t.CreatedAt.Before(since.Add(-n.loginSkew)) {
			// The first run (a login) only records what was already there;
			// a deposit made since the login is news, even when it landed
			// before the channel's subscription was confirmed.
			if _, err := n.store.SetNX(ctx, seenKey(org, d.Key), []byte("1"), seenTTL); err != nil {
				n.log.Error("catch-up: mark a known deposit", "org", org, "err", err)
				return
			}
			continue
		}
		status, err := n.claim(ctx, org, d.Key)
		switch {
		case err != nil:
			n.log.Error("catch-up: deposit not announced", "org", org, "transfer", t.ID, "err", err)
			return // the mark stays, so the next catch-up tries again
		case status != claimWon:
			n.duplicate(org, d, status, 0)
		case !n.deliver(ctx, org, d, recipients, 0):
			return // the mark stays; deliver looks again later too
		}
	}
	if err := n.subscriptions.advance(ctx, org, newest); err != nil {
		n.log.Error("catch-up: save mark", "org", org, "err", err)
	}
}

// listSince lists the newest deposits, newest first: page 1 (10 of
// them), and further pages (up to catchUpPages) while a whole page is
// newer than the mark and the cutoff. A baseline needs page 1 only.
func (n *Notify) listSince(ctx context.Context, token copperx.Token, last, cutoff time.Time, baseline bool) ([]copperx.Transfer, error) {
	var out []copperx.Transfer
	for p := 1; p <= catchUpPages; p++ {
		page, err := n.api.Transfers(ctx, token, copperx.TransferQuery{Page: p, Limit: 10, Types: []string{"deposit"}})
		if err != nil {
			if p > 1 {
				return out, nil // what we have is still worth announcing
			}
			return nil, err
		}
		out = append(out, page.Data...)
		if baseline || !page.HasMore || len(page.Data) < 10 {
			break
		}
		oldest := page.Data[len(page.Data)-1].CreatedAt
		for _, t := range page.Data {
			if t.CreatedAt.Before(oldest) {
				oldest = t.CreatedAt
			}
		}
		if oldest.Before(last) || oldest.Before(cutoff) {
			break
		}
	}
	return out, nil
}
