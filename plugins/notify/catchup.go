package notify

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/copperx-bot/payoutbot/copperx"
)

// The catch-up: the websocket delivers nothing while it is down, so after
// every (re)subscription the plugin lists the organization's recent
// deposits and announces those it has not announced yet.

const (
	// catchUpPages bounds the deposit pages (10 each) one catch-up reads.
	catchUpPages = 5
	// loginSkew is how far before a login a deposit still counts as news.
	loginSkew = 5 * time.Second
)

// catchUp announces the organization's recent deposits the websocket did
// not deliver: those created at or after notify:last:<org> and within
// catch_up_max_age. The first run for an organization only sets that mark.
func (n *Notify) catchUp(ctx context.Context, org string) {
	defer n.log.Debug("catch-up finished", "org", org)
	list, err := n.subscriptions.ofOrg(ctx, org)
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
	for _, s := range list {
		if since.IsZero() || s.Since.Before(since) {
			since = s.Since
		}
	}
	var token copperx.Token
	var listed []copperx.Transfer
	for _, s := range list {
		t, ok := n.token(ctx, s.User)
		if !ok {
			continue
		}
		token = t
		listed, err = n.recentDeposits(ctx, token, last, cutoff, !known)
		if err == nil || !errors.Is(err, copperx.ErrUnauthorized) {
			break
		}
	}
	if token.IsZero() || err != nil {
		n.log.Warn("catch-up: list deposits", "org", org, "err", err)
		return
	}
	deposits := slices.DeleteFunc(listed, func(t copperx.Transfer) bool {
		return t.Type != "deposit" || t.Status == "failed" || t.Status == "canceled" || t.Status == "refunded"
	})
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
		if !known && t.CreatedAt.Before(since.Add(-n.loginSkew)) {
			// The first run (a login) only records what was already there;
			// a deposit made since the login is news, even when it landed
			// before the channel's subscription was confirmed.
			if _, err := n.store.SetNX(ctx, seenKey(org, fromTransfer(t).ID), []byte("1"), seenTTL); err != nil {
				n.log.Error("catch-up: mark a known deposit", "org", org, "err", err)
				return
			}
			continue
		}
		if err := n.announce(ctx, org, fromTransfer(t)); err != nil {
			n.log.Error("catch-up: deposit not announced", "org", org, "transfer", t.ID, "err", err)
			return // the mark stays, so the next catch-up tries again
		}
	}
	if err := n.subscriptions.advance(ctx, org, newest); err != nil {
		n.log.Error("catch-up: save mark", "org", org, "err", err)
	}
}

// recentDeposits lists the newest deposits, newest first: page 1 (10 of
// them), and further pages (up to catchUpPages) while a whole page is
// newer than the mark and the cutoff. A baseline needs page 1 only.
func (n *Notify) recentDeposits(ctx context.Context, token copperx.Token, last, cutoff time.Time, baseline bool) ([]copperx.Transfer, error) {
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
