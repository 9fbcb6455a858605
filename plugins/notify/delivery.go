package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"github.com/copperx-bot/payoutbot/copperx"
	"github.com/copperx-bot/payoutbot/kernel"
)

// Delivery: each deposit is announced once, and never lost to a Telegram
// outage or a replica that stops. Under the deposit's key (deposit.go):
//
//	notify:claim:<org>:<key>  "this replica is announcing it" (SetNX, claimTTL)
//	notify:seen:<org>:<key>   "announced" (48h), written AFTER the messages went out
//	notify:sent:<org>:<key>   users who got it, kept when some did not (48h)
//
// A replica claims the deposit, checks it was not announced meanwhile,
// sends to every subscriber of the organization who has messages on (the
// kernel retries a Telegram 429 or 5xx, telegram.send_retries times, with
// backoff), then writes the seen mark and drops the claim. When Telegram
// keeps failing (a 5xx, a 429, a network failure after those retries), it
// records who did get the message, releases the claim and tries again
// later, waiting longer each time; the catch-up does too (its mark does
// not move past a deposit that failed). A refusal retrying cannot change
// (a 4xx: the user blocked the bot) counts as done for that user. A replica that finds the deposit claimed by
// another checks again later, and announces it itself if the claim went
// away without a seen mark (that replica stopped or crashed). A replica
// that crashes between sending and the seen mark makes that message go out
// twice: at least once, never lost.

const (
	seenTTL  = 48 * time.Hour
	claimTTL = 2 * time.Minute
	// recheckAfter is the first wait before looking again at a deposit
	// another replica claimed, or one this replica failed to deliver; the
	// wait grows with each look, up to followUps looks (about 18 minutes).
	recheckAfter = 30 * time.Second
	followUps    = 8
)

func seenKey(org, key string) string  { return "notify:seen:" + org + ":" + key }
func claimKey(org, key string) string { return "notify:claim:" + org + ":" + key }
func sentKey(org, key string) string  { return "notify:sent:" + org + ":" + key }

// recipient is one subscriber of the organization a deposit arrived in.
type recipient struct {
	subscription
	// token is the user's CopperX token, read from their session (zero
	// while their login's update has not saved it): the balance.
	token copperx.Token
	lang  string
}

// login states of a subscriber's session.
const (
	loginOK      = iota // logged in to the organization: a token
	loginPending        // no login in the session yet, but the subscription is young
	loginGone           // logged out, expired or moved: the subscription was dropped or moved
)

// login reads the token of subscriber s from their session. A session
// without a login drops the subscription (after loginGrace); a login to
// another organization moves it.
func (n *Notify) login(ctx context.Context, s subscription) (copperx.Token, int) {
	p, err := n.sessions.Principal(ctx, s.User)
	switch {
	case err != nil:
		n.log.Warn("read session", "user", s.User, "err", err)
		return copperx.Token{}, loginPending
	case p != nil && p.OrgID != "" && p.OrgID != s.Org:
		s.Org = p.OrgID
		emptied, err := n.subscriptions.save(ctx, s)
		if err != nil {
			n.log.Error("move subscription", "user", s.User, "err", err)
		} else if emptied != "" {
			n.forgetOrg(ctx, emptied)
		}
		return copperx.Token{}, loginGone
	case p != nil && !p.Token.IsZero():
		return copperx.NewToken(p.Token.Reveal()), loginOK
	case n.now().Sub(s.Since) < loginGrace:
		return copperx.Token{}, loginPending // logging in right now: the session is not saved yet
	}
	removed, emptied, err := n.subscriptions.remove(ctx, s.User)
	if err != nil {
		n.log.Error("drop subscription", "user", s.User, "err", err)
		return copperx.Token{}, loginGone
	}
	if removed != nil {
		n.log.Info("subscription dropped: logged out or expired", "user", s.User, "org", s.Org)
	}
	if emptied {
		n.forgetOrg(ctx, s.Org)
	}
	return copperx.Token{}, loginGone
}

// recipientsOf are the organization's subscribers whose login still holds,
// with their tokens and languages (those with messages off included).
func (n *Notify) recipientsOf(ctx context.Context, org string) ([]recipient, error) {
	subs, err := n.subscriptions.ofOrg(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make([]recipient, 0, len(subs))
	for _, s := range subs {
		token, state := n.login(ctx, s)
		if state == loginGone {
			continue
		}
		r := recipient{subscription: s, token: token, lang: s.Lang}
		if lang, err := n.sessions.Lang(ctx, s.User); err == nil && lang != "" {
			r.lang = lang
		}
		out = append(out, r)
	}
	return out, nil
}

// nobodyLeft reports whether no subscriber of the organization is
// logged in any more (read afresh: a logout may have just removed the
// last one). An error reads as somebody left, so it is not hidden.
func (n *Notify) nobodyLeft(ctx context.Context, org string) (bool, error) {
	recipients, err := n.recipientsOf(ctx, org)
	return err == nil && len(recipients) == 0, err
}

// anyToken is the token of one of the recipients (zero when none has one).
func anyToken(recipients []recipient) copperx.Token {
	for _, r := range recipients {
		if !r.token.IsZero() {
			return r.token
		}
	}
	return copperx.Token{}
}

// Outcomes of claim.
const (
	claimWon  = iota // this replica announces it
	claimSeen        // announced already
	claimBusy        // another replica is announcing it
)

// claim takes the deposit for this replica.
func (n *Notify) claim(ctx context.Context, org, key string) (int, error) {
	if raw, _, err := n.store.Get(ctx, seenKey(org, key), 0); err != nil || raw != nil {
		return claimSeen, err
	}
	won, err := n.store.SetNX(ctx, claimKey(org, key), []byte(n.replicas.id), claimTTL)
	if err != nil || !won {
		return claimBusy, err
	}
	// Announced between the look and the claim: the announcing replica
	// wrote its seen mark, then dropped its claim.
	if raw, _, err := n.store.Get(ctx, seenKey(org, key), 0); err != nil || raw != nil {
		n.release(org, key)
		return claimSeen, err
	}
	return claimWon, nil
}

// release drops this replica's claim (also when ctx has ended).
func (n *Notify) release(org, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.store.Delete(ctx, claimKey(org, key)); err != nil {
		n.log.Warn("release a deposit's claim; it expires by itself", "org", org, "err", err)
	}
}

// deliver sends the claimed deposit to every recipient with messages on
// and marks it seen; when Telegram keeps failing for some, it releases
// the claim and tries again later. ok reports whether it was delivered.
func (n *Notify) deliver(ctx context.Context, org string, d deposit, recipients []recipient, attempt int) (ok bool) {
	got := n.delivered(ctx, org, d.Key)
	sent, failed := 0, 0
	for _, r := range recipients {
		if r.Off || got[r.User] {
			continue
		}
		err := n.send(ctx, r, d)
		switch {
		case err == nil:
			got[r.User] = true
			sent++
		case permanent(err):
			// Blocked by the user, chat gone: no retry brings it.
			n.log.Warn("deposit message refused by Telegram", "user", r.User, "chat", r.Chat, "err", err)
		default:
			failed++
			n.log.Warn("deposit message not delivered", "user", r.User, "chat", r.Chat, "err", err)
		}
	}
	if failed > 0 {
		if len(got) > 0 {
			b, _ := json.Marshal(got)
			if err := n.store.Set(context.WithoutCancel(ctx), sentKey(org, d.Key), b, seenTTL); err != nil {
				n.log.Warn("record who got a deposit message", "org", org, "err", err)
			}
		}
		n.release(org, d.Key)
		n.metrics.deposit(outcomeFailed)
		n.log.Error("deposit not delivered; trying again later", "org", org, "id", d.Key, "failed", failed, "attempt", attempt+1)
		n.followUp(org, d, attempt)
		return false
	}
	wctx := context.WithoutCancel(ctx)
	if err := n.store.Set(wctx, seenKey(org, d.Key), []byte("1"), seenTTL); err != nil {
		// The claim expires; another look may send it again.
		n.log.Error("mark a deposit announced", "org", org, "id", d.Key, "err", err)
	}
	if err := n.store.Delete(wctx, claimKey(org, d.Key), sentKey(org, d.Key)); err != nil {
		n.log.Warn("drop a deposit's claim", "org", org, "err", err)
	}
	n.metrics.deposit(outcomeAnnounced)
	n.log.Info("deposit announced", "org", org, "id", d.Key, "network", d.Network, "recipients", sent)
	return true
}

// delivered is who got the deposit's message in an earlier attempt.
func (n *Notify) delivered(ctx context.Context, org, key string) map[int64]bool {
	got := map[int64]bool{}
	raw, _, err := n.store.Get(ctx, sentKey(org, key), 0)
	if err == nil && raw != nil {
		_ = json.Unmarshal(raw, &got)
	}
	return got
}

// duplicate records a deposit another replica (or an earlier run) has.
func (n *Notify) duplicate(org string, d deposit, status, attempt int) {
	n.metrics.deposit(outcomeDuplicate)
	n.log.Debug("deposit already announced", "org", org, "id", d.Key)
	if status == claimBusy {
		n.followUp(org, d, attempt)
	}
}

// followUp looks at the deposit again later: announced by then, or still
// claimed, nothing to do (or look again); else this replica announces it.
func (n *Notify) followUp(org string, d deposit, attempt int) {
	if attempt+1 >= followUps || n.later == nil {
		if attempt+1 >= followUps {
			n.log.Error("deposit given up after repeated failures; the next catch-up tries again", "org", org, "id", d.Key)
		}
		return
	}
	n.later.add(n.recheck*time.Duration(attempt+1), func(ctx context.Context) {
		status, err := n.claim(ctx, org, d.Key)
		switch {
		case err != nil:
			n.log.Warn("look at a deposit again", "org", org, "err", err)
			n.followUp(org, d, attempt+1)
		case status == claimSeen:
		case status == claimBusy:
			n.followUp(org, d, attempt+1)
		default:
			recipients, err := n.recipientsOf(ctx, org)
			if err != nil {
				n.release(org, d.Key)
				n.followUp(org, d, attempt+1)
				return
			}
			if d.TransferID == "" {
				d = n.checked(ctx, d, anyToken(recipients))
			}
			n.deliver(ctx, org, d, recipients, attempt+1)
		}
	})
}

// checked is a live event's deposit as the listing tells it (the event's
// when the listing does not have it).
func (n *Notify) checked(ctx context.Context, d deposit, token copperx.Token) deposit {
	if token.IsZero() {
		return d
	}
	listed, err := n.recentDeposits(ctx, token)
	if err != nil {
		n.log.Warn("list deposits to check an event; announced as the event says", "err", err)
		return d
	}
	if found := candidates(d, listed, n.now()); len(found) > 0 {
		return completed(d, found[0])
	}
	return d
}

// announce handles a live deposit event: keys it (looking a hash-less
// event up in the listing), claims it, checks it against the listing and
// delivers it.
func (n *Notify) announce(ctx context.Context, org string, d deposit) {
	recipients, err := n.recipientsOf(ctx, org)
	if err != nil {
		n.metrics.deposit(outcomeFailed)
		n.log.Error("deposit not announced: load subscriptions", "org", org, "id", d.Key, "err", err)
		n.followUp(org, d, 0)
		return
	}
	token := anyToken(recipients)
	if d.TxHash == "" && d.Amount.IsPositive() && !token.IsZero() {
		if n.announceListed(ctx, org, d, recipients, token) {
			return
		}
	}
	status, err := n.claim(ctx, org, d.Key)
	switch {
	case err != nil:
		n.metrics.deposit(outcomeFailed)
		n.log.Error("deposit not announced: claim", "org", org, "id", d.Key, "err", err)
		n.followUp(org, d, 0)
	case status != claimWon:
		n.duplicate(org, d, status, 0)
	default:
		n.deliver(ctx, org, n.checked(ctx, d, token), recipients, 0)
	}
}

// announceListed announces a hash-less event as the listed transfer it
// matches, under that transfer's key: the oldest match not announced yet.
// handled is false when nothing in the listing matches.
func (n *Notify) announceListed(ctx context.Context, org string, d deposit, recipients []recipient, token copperx.Token) (handled bool) {
	listed, err := n.recentDeposits(ctx, token)
	if err != nil {
		n.log.Warn("list deposits to key an event without a hash; keyed by its payload", "org", org, "err", err)
		return false
	}
	found := candidates(d, listed, n.now())
	if len(found) == 0 {
		return false
	}
	for _, t := range found {
		match := completed(d, t)
		match.Key = fromTransfer(t).Key
		status, err := n.claim(ctx, org, match.Key)
		if err != nil {
			n.log.Error("deposit not announced: claim", "org", org, "id", match.Key, "err", err)
			continue
		}
		if status == claimWon {
			n.deliver(ctx, org, match, recipients, 0)
			return true
		}
	}
	// Every match is announced or being announced (by the replica that
	// got this event too, or the catch-up).
	first := completed(d, found[0])
	first.Key = fromTransfer(found[0]).Key
	n.duplicate(org, first, claimBusy, 0)
	return true
}

// send sends one deposit message. The kernel retries a 429 (after what
// it asks) and a 5xx, telegram.send_retries times with backoff; what
// still fails is tried again later by the caller.
func (n *Notify) send(ctx context.Context, r recipient, d deposit) error {
	to := kernel.Recipient{ChatID: r.Chat, UserID: r.User, Lang: r.lang}
	_, err := n.notifier.Send(ctx, to, func(c *kernel.Ctx) (string, *kernel.Keyboard, error) {
		text, kb := n.message(c, r, d)
		return text, kb, nil
	})
	return err
}

// permanent: Telegram refused the message for a reason retrying does not
// change (a 4xx other than 429: blocked by the user, chat not found).
func permanent(err error) bool {
	var te *gotgbot.TelegramError
	return errors.As(err, &te) && te.Code >= 400 && te.Code < 500 && te.Code != http.StatusTooManyRequests
}
