package i18n_test

import (
	"fmt"
	"testing"
)

// TestMatchCachedAnswersAgree asks Match each code twice (the second
// answer comes from the cache) and past the cache's bound: the answers
// never change.
func TestMatchCachedAnswersAgree(t *testing.T) {
	c := load(t, "good")
	want := map[string]string{"es-ES": "es", "pt_BR": "pt-BR", "de": "en", "": "en", "ru": "ru"}
	for round := range 2 {
		for code, lang := range want {
			if got := c.Match(code); got != lang {
				t.Errorf("round %d: Match(%q) = %q, want %q", round, code, got, lang)
			}
		}
	}
	for i := range 3000 { // more made-up codes than the cache keeps
		c.Match(fmt.Sprintf("x-%d", i))
	}
	for code, lang := range want {
		if got := c.Match(code); got != lang {
			t.Errorf("after many codes: Match(%q) = %q, want %q", code, got, lang)
		}
	}
	if got := c.Match("es-419"); got != "es" {
		t.Errorf("a new code past the bound: Match(es-419) = %q, want es", got)
	}
}

func BenchmarkMatch(b *testing.B) {
	c := load(b, "good")
	b.ReportAllocs()
	for b.Loop() {
		if c.Match("es-ES") != "es" {
			b.Fatal("Match(es-ES) != es")
		}
	}
}
