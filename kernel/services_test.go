package kernel_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/copperx-bot/payoutbot/kernel"
	"github.com/copperx-bot/payoutbot/kernel/kerneltest"
)

// svcPlugin declares one service that records its life cycle.
type svcPlugin struct {
	name    string
	log     *[]string
	mu      *sync.Mutex
	failing bool
}

func (p svcPlugin) Name() string { return p.name }

func (p svcPlugin) Setup(r *kernel.Registrar) error {
	r.Service(p)
	return nil
}

func (p svcPlugin) note(s string) {
	p.mu.Lock()
	*p.log = append(*p.log, s)
	p.mu.Unlock()
}

func (p svcPlugin) Start(context.Context) error {
	if p.failing {
		return errors.New("boom")
	}
	p.note("start " + p.name)
	return nil
}

func (p svcPlugin) Stop(context.Context) error { p.note("stop " + p.name); return nil }

func TestStartServices(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failing bool
		want    []string
	}{
		{"all start, stop in reverse", false, []string{"start one", "start two", "stop two", "stop one"}},
		{"a failure stops the started ones", true, []string{"start one", "stop one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			var mu sync.Mutex
			h := kerneltest.New(t, kerneltest.Options{
				Config: "plugins:\n  one: {enabled: true}\n  two: {enabled: true}\n",
				Plugins: []kernel.Plugin{
					svcPlugin{name: "one", log: &log, mu: &mu},
					svcPlugin{name: "two", log: &log, mu: &mu, failing: tc.failing},
				},
			})
			stop, err := h.Kernel.StartServices(context.Background())
			if tc.failing {
				if err == nil || stop != nil {
					t.Fatalf("StartServices = %v, %v; want an error and no stop", stop != nil, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				stop()
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(log, tc.want) {
				t.Fatalf("life cycle = %q, want %q", log, tc.want)
			}
		})
	}
}
