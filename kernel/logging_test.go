package kernel

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestContextHandlerAddsUpdateAttrs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(ContextHandler(slog.NewTextHandler(&buf, nil))).With("component", "copperx")
	ctx := withLogAttrs(context.Background(), slog.Int64("chat", 42), slog.String("ref", "abcd1234"))
	log.InfoContext(ctx, "copperx api request", "status", 200)
	log.Info("no update here")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "chat=42") || !strings.Contains(lines[0], "ref=abcd1234") || !strings.Contains(lines[0], "component=copperx") {
		t.Fatalf("with context: %q", lines)
	}
	if strings.Contains(lines[1], "chat=") {
		t.Fatalf("without context: %q", lines[1])
	}
}

// TestDurationsAreReadable: every log format writes a duration as "1.5s",
// never as nanoseconds.
func TestDurationsAreReadable(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log := NewLogger(&buf, LogConfig{Level: "info", Format: format})
		log.Info("retrying", "retry_in", 1500*time.Millisecond, slog.Group("g", "d", 2*time.Minute))
		out := buf.String()
		if !strings.Contains(out, "1.5s") || !strings.Contains(out, "2m0s") || strings.Contains(out, "1500000000") {
			t.Errorf("%s log: %s", format, out)
		}
	}
}

// TestContextHandlerDefersAttrs: attributes given With are handed to the
// handler only when a record is logged, and a record reads exactly as the
// handler alone would write it, groups included.
func TestContextHandlerDefersAttrs(t *testing.T) {
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	logs := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"plain", func(l *slog.Logger) { l.Info("m", "c", 3) }},
		{"with", func(l *slog.Logger) { l.With("a", 1).With("b", "two").Info("m", "c", 3) }},
		{"group", func(l *slog.Logger) { l.With("a", 1).WithGroup("g").With("b", 2).Info("m", "c", 3) }},
		{"empty group", func(l *slog.Logger) { l.WithGroup("").With("a", 1).Info("m") }},
		{"siblings", func(l *slog.Logger) {
			base := l.With("a", 1)
			base.With("b", 2).Info("first")
			base.With("c", 3).Info("second") // must not carry b
		}},
	}
	for _, format := range []string{"text", "json"} {
		newHandler := func(buf *bytes.Buffer) slog.Handler {
			if format == "json" {
				return slog.NewJSONHandler(buf, noTime)
			}
			return slog.NewTextHandler(buf, noTime)
		}
		for _, c := range logs {
			var want, got bytes.Buffer
			c.log(slog.New(newHandler(&want)))
			c.log(slog.New(ContextHandler(newHandler(&got))))
			if got.String() != want.String() {
				t.Errorf("%s %s:\n got %s\nwant %s", format, c.name, got.String(), want.String())
			}
		}
	}

	counting := &countingHandler{Handler: slog.NewTextHandler(io.Discard, nil)}
	log := slog.New(ContextHandler(counting))
	for range 10 {
		log.With("chat", 1, "ref", "r").Debug("not enabled")
	}
	if counting.withAttrs != 0 {
		t.Errorf("WithAttrs reached the handler %d times for records never handled", counting.withAttrs)
	}
	log.With("chat", 1).Info("handled")
	if counting.withAttrs != 1 {
		t.Errorf("WithAttrs reached the handler %d times, want 1", counting.withAttrs)
	}
}

type countingHandler struct {
	slog.Handler
	withAttrs int
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.withAttrs++
	return h.Handler.WithAttrs(attrs)
}
