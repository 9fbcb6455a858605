package kernel

import (
	"bytes"
	"context"
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
