package kernel

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/lmittmann/tint"
)

// NewLogger builds the process logger: tint (colour, short times) when w is
// a terminal or format is "text", JSON otherwise.
func NewLogger(w io.Writer, cfg LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Level)))
	text := cfg.Format == "text"
	if cfg.Format == "auto" || cfg.Format == "" {
		text = isTerminal(w)
	}
	if text {
		return slog.New(ContextHandler(tint.NewTextHandler(w, &tint.Options{Level: level, TimeFormat: "15:04:05.000", NoColor: !isTerminal(w)})))
	}
	return slog.New(ContextHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: readableDurations})))
}

// readableDurations writes durations as "1.5s" rather than nanoseconds, so
// a JSON log reads as the text one does.
func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

type logAttrsKey struct{}

// withLogAttrs returns a context whose log records (those logged with it,
// such as the CopperX client's) carry attrs: the chat and correlation id of
// the update being handled.
func withLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	return context.WithValue(ctx, logAttrsKey{}, attrs)
}

// ContextHandler adds the attributes an update's context carries to every
// record logged with that context, so lines written by code that only gets
// a context.Context (the API client) still name the chat and correlation id.
func ContextHandler(h slog.Handler) slog.Handler { return contextHandler{Handler: h} }

// contextHandler also defers the handler's WithAttrs: the kernel gives
// each update a logger With its chat and correlation id, and a handler
// such as tint formats those attributes as soon as it is given them, on
// every update, though most updates log nothing. Here they are kept
// aside and handed over only when a record is handled.
type contextHandler struct {
	slog.Handler
	pending []slog.Attr // given to WithAttrs, not yet to Handler
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
		r = r.Clone()
		r.AddAttrs(attrs...)
	}
	return h.inner().Handle(ctx, r)
}

// inner is Handler with the pending attributes.
func (h contextHandler) inner() slog.Handler {
	if len(h.pending) == 0 {
		return h.Handler
	}
	return h.Handler.WithAttrs(h.pending)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return contextHandler{Handler: h.Handler, pending: append(slices.Clip(h.pending), attrs...)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return contextHandler{Handler: h.inner().WithGroup(name)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
