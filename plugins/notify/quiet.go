package notify

import (
	"context"
	"errors"
	"log/slog"
)

// quietOnCancel is the plugin's log handler: a WARN or ERROR whose err is
// a cancelled context is logged at DEBUG. The background loops stop by
// having their context cancelled, so at shutdown whatever they were doing
// fails that way; that is the plugin stopping, not a fault for the
// operator.
type quietOnCancel struct{ slog.Handler }

func (h quietOnCancel) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && cancelled(r) {
		if !h.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		quiet := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { quiet.AddAttrs(a); return true })
		r = quiet
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietOnCancel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietOnCancel{h.Handler.WithAttrs(attrs)}
}

func (h quietOnCancel) WithGroup(name string) slog.Handler {
	return quietOnCancel{h.Handler.WithGroup(name)}
}

// cancelled reports whether the record's err attribute is a cancelled
// context.
func cancelled(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "err" {
			return true
		}
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, context.Canceled) {
			found = true
		}
		return false
	})
	return found
}
