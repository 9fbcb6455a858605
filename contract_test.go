package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPluginsKeepTheContract reads the plugins' code (tests apart) for what
// the kernel contract says a plugin never does: check its own flow step,
// spell another plugin's or the kernel's button data, or name a language.
func TestPluginsKeepTheContract(t *testing.T) {
	files, err := filepath.Glob("plugins/*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob("plugins/*/")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"kernel"}
	for _, d := range dirs {
		if name := filepath.Base(d); name != "internal" && name != "plugintest" {
			names = append(names, name)
		}
	}
	rules := []struct {
		re   *regexp.Regexp
		why  string
		skip func(plugin string, m string) bool
	}{
		{regexp.MustCompile(`\bInFlow\(`), "checks its flow's step itself (the kernel routes input to the current step)", nil},
		{regexp.MustCompile(`\bc\.(FlowData|SetFlowData|Next)\(`), "uses the string-keyed flow API", nil},
		{regexp.MustCompile(`"(` + strings.Join(names, "|") + `):`), "spells button data of the kernel or a plugin",
			func(plugin, m string) bool { return m == `"`+plugin+`:` }},
		{regexp.MustCompile(`"github\.com/copperx-bot/payoutbot/plugins/\w+"`), "imports another plugin (plugins link by action; shared helpers live in plugins/internal)",
			func(plugin, m string) bool { return strings.HasSuffix(m, "/internal\"") }},
		{regexp.MustCompile(`(?i)(lang|language)\w*\s*(==|!=)\s*"[a-z]|"(es|en|pt|pt-BR|es-ES)"|HasPrefix\(\w*[lL]ang`), "names a language (the locale files own formats)", nil},
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "plugins/plugintest/") {
			continue
		}
		plugin := filepath.Base(filepath.Dir(f))
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, r := range rules {
				for _, m := range r.re.FindAllString(line, -1) {
					if r.skip == nil || !r.skip(plugin, m) {
						t.Errorf("%s:%d: %s: %s", f, i+1, r.why, strings.TrimSpace(line))
					}
				}
			}
		}
	}
}

// TestBinaryLinksNoTestCode: the production binary (with its console and
// emulator) links no testing package.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" || strings.HasPrefix(pkg, "testing/") || strings.HasSuffix(pkg, "/kerneltest") || strings.HasSuffix(pkg, "/plugintest") {
			t.Errorf("the binary links %s", pkg)
		}
	}
}
