package copperx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestTokenNeverPrints(t *testing.T) {
	const secret = "eyJ.secret.sig"
	tok := NewToken(secret)
	if tok.Reveal() != secret || tok.IsZero() || !NewToken("").IsZero() || !(Token{}).IsZero() {
		t.Fatal("Reveal/IsZero")
	}
	type session struct {
		chat int
		tok  Token // unexported: fmt prints it by reflection
	}
	wrapped := struct {
		T       Token
		Ptr     *Token
		Session session
	}{tok, &tok, session{1, tok}}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v", "%10s", "%-5v"} {
		outs = append(outs, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, wrapped))
	}
	outs = append(outs, tok.String(), tok.GoString(), fmt.Sprint(tok), fmt.Sprintln(tok, &tok))
	js, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(js))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("login", "token", tok, "group", wrapped, slog.Any("ptr", &tok), slog.Any("session", session{2, tok}))
	}
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, secret) || strings.Contains(o, "secret") || strings.Contains(o, fmt.Sprintf("%x", secret)) {
			t.Errorf("leak: %s", o)
		}
	}
	if !strings.Contains(string(js), `"[redacted]"`) || tok.String() != "[redacted]" || fmt.Sprintf("%d", tok) != "[redacted]" {
		t.Errorf("unexpected rendering: %s / %s", js, tok)
	}
}

func TestTokenUnmarshal(t *testing.T) {
	var v struct {
		T Token `json:"accessToken"`
	}
	if err := json.Unmarshal([]byte(`{"accessToken":"abc"}`), &v); err != nil || v.T.Reveal() != "abc" {
		t.Fatalf("%v %q", err, v.T.Reveal())
	}
	if err := json.Unmarshal([]byte(`{"accessToken":null}`), &v); err != nil || !v.T.IsZero() {
		t.Fatalf("null: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"accessToken":12}`), &v); err == nil {
		t.Fatal("number accepted as a token")
	}
	b, _ := json.Marshal(struct {
		T Token `json:"accessToken"`
	}{NewToken("abc")})
	if err := json.Unmarshal(b, &v); err == nil {
		t.Fatalf("a redacted token decoded: %s", b)
	}
}
