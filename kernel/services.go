package kernel

import (
	"context"
	"fmt"
)

// StartServices starts the plugins' services as Run does, for a transport
// that feeds updates itself with HandleUpdate (the terminal chat). stop
// stops them in reverse order; on error the ones started are stopped.
func (k *Kernel) StartServices(ctx context.Context) (stop func(), err error) {
	started, err := k.startServices(ctx)
	if err != nil {
		k.stopServices(started)
		return nil, err
	}
	return func() { k.stopServices(started) }, nil
}

func (k *Kernel) startServices(ctx context.Context) ([]Service, error) {
	var started []Service
	for _, s := range k.services {
		if err := s.Start(ctx); err != nil {
			return started, fmt.Errorf("start service: %w", err)
		}
		started = append(started, s)
	}
	return started, nil
}

func (k *Kernel) stopServices(started []Service) {
	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.HTTP.ShutdownTimeout)
	defer cancel()
	for i := len(started) - 1; i >= 0; i-- {
		if err := started[i].Stop(ctx); err != nil {
			k.log.Warn("stop service", "err", err)
		}
	}
}

// Notifier sends messages outside of an update, for background services
// (a deposit arriving), in the recipient's language.
type Notifier struct {
	k      *Kernel
	plugin string
}

// Recipient is who a Notifier writes to.
type Recipient struct {
	ChatID, UserID int64
	// Lang is the language to write in ("" or unknown: the default).
	Lang string
}

// Send builds a message with a Ctx in the recipient's language (c.T,
// c.FormatAmount, c.Button for the plugin's own callbacks, c.ActionButton)
// and sends it; it returns the message's id.
func (n *Notifier) Send(ctx context.Context, to Recipient, build func(c *Ctx) (string, *Keyboard, error)) (int64, error) {
	c := n.k.backgroundCtx(ctx, n.plugin, to)
	text, kb, err := build(c)
	if err != nil {
		return 0, fmt.Errorf("notify: build message: %w", err)
	}
	return n.k.send(c, to.ChatID, text, kb)
}

// Edit rewrites a message sent earlier (a receipt whose transfer settled).
func (n *Notifier) Edit(ctx context.Context, to Recipient, messageID int64, build func(c *Ctx) (string, *Keyboard, error)) error {
	c := n.k.backgroundCtx(ctx, n.plugin, to)
	text, kb, err := build(c)
	if err != nil {
		return fmt.Errorf("notify: build message: %w", err)
	}
	return n.k.edit(c, to.ChatID, messageID, text, kb)
}

// backgroundCtx is a Ctx for work outside an update: no update, no
// session, the recipient's language.
func (k *Kernel) backgroundCtx(ctx context.Context, plugin string, to Recipient) *Ctx {
	lang := k.catalog.Match(to.Lang) // "" and unknown codes give the default
	c := &Ctx{k: k, ChatID: to.ChatID, UserID: to.UserID, Lang: lang, plugin: plugin,
		Log: k.log.With("chat", to.ChatID, "plugin", plugin), sess: &session{}}
	c.setContext(ctx)
	return c
}
