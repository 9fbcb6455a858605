package locales_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel/i18n"
	"github.com/copperx-bot/payoutbot/locales"
)

// TestCatalog fails when a locale has a key en lacks, a template does not
// parse, or a plural map is malformed.
func TestCatalog(t *testing.T) {
	cat, err := i18n.Load(locales.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Check(); err != nil {
		t.Fatal(err)
	}
	if len(cat.Languages()) < 2 {
		t.Fatalf("languages = %v, want en and at least one more", cat.Languages())
	}
}

// TestEveryLanguageComplete keeps the shipped translations complete, so no
// user sees English in the middle of another language.
func TestEveryLanguageComplete(t *testing.T) {
	cat, err := i18n.Load(locales.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range cat.Languages() {
		if missing := cat.Missing(lang); len(missing) > 0 {
			t.Errorf("%s.yaml lacks %d keys: %s", lang, len(missing), strings.Join(missing, ", "))
		}
	}
}

// keyUse finds locale keys passed as literals to the message helpers.
var keyUse = regexp.MustCompile(`(?:\.T|\.Say|\.Plural|\.Button|\.URLButton|\.CopyButton|kernel\.Fail|\bFail|\bmsgKey)\(\s*"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

// TestCodeUsesOnlyDefinedKeys scans the repository's Go code for locale
// keys and checks en.yaml has each.
func TestCodeUsesOnlyDefinedKeys(t *testing.T) {
	cat, err := i18n.Load(locales.FS, "en")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	root := ".."
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "plugintest") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range keyUse.FindAllStringSubmatch(string(src), -1) {
			keys = append(keys, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 10 {
		t.Fatalf("found only %d key uses; is the scanner broken?", len(keys))
	}
	if err := cat.UsedKeysCheck(keys); err != nil {
		t.Fatal(err)
	}
}
