package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const plain = "tok-Sup3rS3cret"

func TestSecretRedactsEverywhere(t *testing.T) {
	s := New(plain)
	type holder struct {
		Name  string
		Token Secret
		Ptr   *Secret
	}
	h := holder{Name: "n", Token: s, Ptr: &s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &s))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s), s.String(), s.GoString(), fmt.Sprint([]Secret{s}), fmt.Sprint(map[string]Secret{"k": s}))
	if got := fmt.Sprintf("%q", s); got != `"[redacted]"` {
		t.Errorf("%%q = %s", got)
	}
	if got := fmt.Sprintf("%x", s); got != Redacted {
		t.Errorf("%%x = %s", got)
	}

	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	if !strings.Contains(string(j), `"Token":"[redacted]"`) {
		t.Errorf("json = %s", j)
	}
	txt, _ := s.MarshalText()
	outs = append(outs, string(txt))

	var buf bytes.Buffer
	for _, hnd := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(hnd)
		l.Info("login", "token", s, "holder", h, slog.Any("ptr", &s), slog.Group("g", "tok", s))
		l.With("w", s).Info("with")
	}
	outs = append(outs, buf.String())
	if !strings.Contains(buf.String(), "token=[redacted]") || !strings.Contains(buf.String(), `"token":"[redacted]"`) {
		t.Errorf("slog output lacks placeholder:\n%s", buf.String())
	}

	for _, o := range outs {
		if strings.Contains(o, plain) || strings.Contains(o, hex.EncodeToString([]byte(plain))) || strings.Contains(strings.ToLower(o), strings.ToLower(fmt.Sprintf("%X", plain))) {
			t.Errorf("plaintext leaked: %s", o)
		}
		if !strings.Contains(o, Redacted) {
			t.Errorf("no placeholder in %q", o)
		}
	}
}

func TestSecretBasics(t *testing.T) {
	s := New(plain)
	if s.Reveal() != plain || s.IsZero() || !(Secret{}).IsZero() {
		t.Fatal("Reveal/IsZero")
	}
	if !s.Equal(New(plain)) || s.Equal(New(plain+"x")) || s.Equal(Secret{}) || !(Secret{}).Equal(New("")) {
		t.Fatal("Equal")
	}
}

func TestSecretUnmarshalRefuses(t *testing.T) {
	var v struct{ Token Secret }
	err := json.Unmarshal([]byte(`{"Token":"[redacted]"}`), &v)
	if !errors.Is(err, ErrUnmarshal) {
		t.Fatalf("err = %v", err)
	}
	if !v.Token.IsZero() {
		t.Fatal("token set")
	}
}

func TestParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32]
	for name, in := range map[string]string{
		"hex":       hex.EncodeToString(key),
		"HEX":       strings.ToUpper(hex.EncodeToString(key)),
		"std":       base64.StdEncoding.EncodeToString(key),
		"rawstd":    base64.RawStdEncoding.EncodeToString(key),
		"url":       base64.URLEncoding.EncodeToString(key),
		"rawurl":    base64.RawURLEncoding.EncodeToString(key),
		"whitespce": "  " + hex.EncodeToString(key) + "\n",
	} {
		got, err := ParseKey(in)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%s: ParseKey(%q) = %x, %v", name, in, got, err)
		}
	}
	for in, want := range map[string]string{
		"":                           "got nothing",
		hex.EncodeToString(key[:16]): "got 16 bytes",
		base64.StdEncoding.EncodeToString(key[:20]) + "": "got 20 bytes",
		"not a key at all!!":                             "got 18 characters that are neither",
	} {
		_, err := ParseKey(in)
		if err == nil || !strings.Contains(err.Error(), "must be 32 bytes as 64 hex characters or base64") || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKey(%q) err = %v, want %q", in, err, want)
		}
		if err != nil && in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("error echoes key: %v", err)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey()
	if len(a) != 64 || a == b {
		t.Fatalf("GenerateKey = %q, %q", a, b)
	}
	if _, err := ParseKey(a); err != nil {
		t.Fatal(err)
	}
}

func newSealer(t testing.TB) *Sealer {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParseKey(k)
	if err != nil {
		t.Fatal(err)
	}
	z, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func TestNewSealerKeySize(t *testing.T) {
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestSealOpen(t *testing.T) {
	z := newSealer(t)
	aad := []byte("user:42")
	for _, p := range []string{"", "x", plain, strings.Repeat("long", 1000)} {
		ct, err := z.Seal(New(p), aad)
		if err != nil {
			t.Fatal(err)
		}
		if ct[0] != formatV1 || len(ct) != 1+nonceSize+len(p)+tagSize {
			t.Fatalf("layout: len %d", len(ct))
		}
		if len(p) >= 8 && bytes.Contains(ct, []byte(p)) {
			t.Fatal("plaintext in ciphertext")
		}
		got, err := z.Open(ct, aad)
		if err != nil || got.Reveal() != p {
			t.Fatalf("Open = %q, %v", got.Reveal(), err)
		}
	}
	a, _ := z.Seal(New(plain), aad)
	b, _ := z.Seal(New(plain), aad)
	if bytes.Equal(a, b) {
		t.Fatal("nonce reused")
	}
}

func TestOpenRejects(t *testing.T) {
	z := newSealer(t)
	aad := []byte("user:42")
	ct, err := z.Seal(New(plain), aad)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(ct)
			bad[i] ^= bit
			if _, err := z.Open(bad, aad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("tampered byte %d: err = %v", i, err)
			}
		}
	}
	for n := range ct {
		if _, err := z.Open(ct[:n], aad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	if _, err := z.Open(append(bytes.Clone(ct), 0), aad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("extended: err = %v", err)
	}
	if _, err := z.Open(ct, []byte("user:43")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong aad: err = %v", err)
	}
	if _, err := z.Open(ct, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("nil aad: err = %v", err)
	}
	if _, err := newSealer(t).Open(ct, aad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: err = %v", err)
	}
	if _, err := z.Open(nil, aad); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("nil: err = %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	z, err := NewSealer(key)
	if err != nil {
		f.Fatal(err)
	}
	ct, _ := z.Seal(New(plain), []byte("a"))
	f.Add(ct, []byte("a"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{formatV1}, []byte("a"))
	f.Add(bytes.Repeat([]byte{formatV1}, 40), []byte(nil))
	f.Fuzz(func(t *testing.T, ct, aad []byte) {
		s, err := z.Open(ct, aad)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v", err)
			}
			return
		}
		// Only a genuine ciphertext opens; re-sealing must round trip.
		again, err := z.Seal(s, aad)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := z.Open(again, aad); err != nil || !got.Equal(s) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	z := newSealer(b)
	s := New(plain)
	for b.Loop() {
		ct, _ := z.Seal(s, []byte("u"))
		if _, err := z.Open(ct, []byte("u")); err != nil {
			b.Fatal(err)
		}
	}
}
