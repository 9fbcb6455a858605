package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/copperx-bot/payoutbot/kernel"
)

// TestComposeFile: compose.yaml parses and runs the bot beside a Redis
// that keeps every acknowledged write and never evicts a key.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			Build       any            `yaml:"build"`
			Command     []string       `yaml:"command"`
			Environment map[string]any `yaml:"environment"`
			DependsOn   map[string]any `yaml:"depends_on"`
			StopGrace   string         `yaml:"stop_grace_period"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	bot, redis := c.Services["bot"], c.Services["redis"]
	if bot.Build == nil || bot.DependsOn["redis"] == nil || bot.StopGrace == "" {
		t.Errorf("bot service: %+v", bot)
	}
	for _, want := range []string{"--appendfsync", "always", "noeviction"} {
		if !slices.Contains(redis.Command, want) {
			t.Errorf("redis command %v lacks %s", redis.Command, want)
		}
	}
	for name := range bot.Environment {
		if !knownEnv(t, name) {
			t.Errorf("compose.yaml sets %s, which the bot does not read", name)
		}
	}
}

// TestReadmeEnvNamesExist: every environment variable README names is read
// by the bot (a short name, a COPPERX_BOT_ key path, or the config path).
func TestReadmeEnvNamesExist(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile("`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`").FindAllStringSubmatch(string(raw), -1) // env names have an underscore; Redis commands do not
	if len(names) < 10 {
		t.Fatalf("found only %d names in README", len(names))
	}
	for _, m := range names {
		if !knownEnv(t, m[1]) {
			t.Errorf("README names %s, which the bot does not read", m[1])
		}
	}
}

// knownEnv reports an environment variable the bot reads.
func knownEnv(t *testing.T, name string) bool {
	t.Helper()
	if _, ok := kernel.ShortEnv[name]; ok || name == kernel.PathEnv {
		return true
	}
	path, ok := strings.CutPrefix(name, kernel.EnvPrefix)
	if !ok {
		return false
	}
	if path == "" {
		return true // the prefix itself, as README explains it
	}
	// COPPERX_BOT_REDIS__ADDRS is redis.addrs: a key config.yaml has.
	cfg, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	last := strings.ToLower(path)
	if i := strings.LastIndex(path, "__"); i >= 0 {
		last = strings.ToLower(path[i+2:])
	}
	return strings.Contains(string(cfg), last+":")
}

// TestDockerfileBuildsLikeCI: the image builds the binary with the flags
// CI checks the binary with.
func TestDockerfileBuildsLikeCI(t *testing.T) {
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join(".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	const build = `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w"`
	for name, text := range map[string]string{"Dockerfile": string(docker), ".ci/run": string(ci)} {
		if !strings.Contains(text, build) {
			t.Errorf("%s does not build with %s", name, build)
		}
	}
	for _, want := range []string{"USER nonroot", "HEALTHCHECK", `"healthcheck"`, "distroless/static"} {
		if !strings.Contains(string(docker), want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}
