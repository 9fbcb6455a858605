package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestQuietOnCancel(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		err   error
		want  string
	}{
		{"cancelled warn", slog.LevelWarn, fmt.Errorf("store: get: %w", context.Canceled), "level=DEBUG"},
		{"cancelled error", slog.LevelError, context.Canceled, "level=DEBUG"},
		{"deadline stays", slog.LevelWarn, context.DeadlineExceeded, "level=WARN"},
		{"other error stays", slog.LevelError, errors.New("connection refused"), "level=ERROR"},
		{"info untouched", slog.LevelInfo, context.Canceled, "level=INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(quietOnCancel{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})}).With("plugin", "notify")
			log.Log(context.Background(), tt.level, "heartbeat failed", "err", tt.err)
			if !strings.Contains(buf.String(), tt.want) || !strings.Contains(buf.String(), "plugin=notify") {
				t.Fatalf("logged %q, want %s", buf.String(), tt.want)
			}
		})
	}

	var buf bytes.Buffer
	log := slog.New(quietOnCancel{slog.NewTextHandler(&buf, nil)}) // INFO and above
	log.Warn("heartbeat failed", "err", context.Canceled)
	if buf.Len() != 0 {
		t.Fatalf("a cancelled context logged at INFO level: %q", buf.String())
	}
}
