package loadtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
)

// Report is the outcome of Compare: each run of the bot and of the bare
// handler, their medians, and the bot's figures as ratios to the bare
// handler's.
type Report struct {
	Machine Machine `json:"machine"`
	// Script names the steps; Sessions is "memory" or "redis".
	Script      string `json:"script"`
	Sessions    string `json:"sessions"`
	Chats       int    `json:"chats"`
	Concurrency int    `json:"concurrency"`
	// Users were there before the measured chats (Options.WarmupChats).
	Users int `json:"users,omitempty"`
	Runs  int `json:"runs"`
	// Bot and Bare are the medians of each figure over the runs.
	Bot  Result `json:"bot"`
	Bare Result `json:"bare"`
	// Ratios are bot ÷ bare of the medians.
	Ratios Ratios `json:"ratios"`
	// BotRuns and BareRuns are every run, in order.
	BotRuns  []Result `json:"bot_runs"`
	BareRuns []Result `json:"bare_runs"`
}

// Ratios compare the bot with the bare handler (bot ÷ bare).
type Ratios struct {
	CPUPerUpdate float64 `json:"cpu_per_update"`
	PeakRSS      float64 `json:"peak_rss"`
	PerSecond    float64 `json:"updates_per_second"`
	P50          float64 `json:"p50"`
	P95          float64 `json:"p95"`
	P99          float64 `json:"p99"`
}

// Compare runs the bot and the bare handler the same way, runs times each
// (alternating, so that a noisy moment of a shared machine hits both),
// and reports the medians. A bare Process with an empty Path is skipped.
func Compare(ctx context.Context, opts Options, script string, runs int, bot, bare Process) (*Report, error) {
	runs = max(runs, 1)
	opts = opts.withDefaults()
	rep := &Report{Machine: ThisMachine(), Script: script, Sessions: "memory", Chats: opts.Chats,
		Concurrency: min(opts.Concurrency, opts.Chats), Runs: runs}
	if len(opts.Warmup) > 0 {
		rep.Users = opts.WarmupChats
	}
	if opts.RedisURL != "" {
		rep.Sessions = "redis"
	}
	if st, err := os.Stat(bot.Path); err == nil {
		rep.Machine.BinaryBytes = st.Size()
	}
	for i := range runs {
		for _, p := range []Process{bot, bare} {
			if p.Path == "" {
				continue
			}
			o := opts
			if p.Bare {
				o.RedisURL = "" // the floor keeps no sessions
			}
			fmt.Fprintf(opts.Log, "loadtest: run %d/%d: %s\n", i+1, runs, p.Name)
			r, err := Run(ctx, o, p)
			if err != nil {
				return nil, err
			}
			if p.Bare {
				rep.BareRuns = append(rep.BareRuns, *r)
			} else {
				rep.BotRuns = append(rep.BotRuns, *r)
			}
		}
	}
	rep.Machine.LoadAfter = loadAverage()
	rep.Bot, rep.Bare = median(rep.BotRuns), median(rep.BareRuns)
	rep.Bot.Name, rep.Bare.Name = bot.Name, bare.Name
	if len(rep.BareRuns) > 0 {
		rep.Ratios = Ratios{
			CPUPerUpdate: ratio(rep.Bot.CPUPerUpdate, rep.Bare.CPUPerUpdate),
			PeakRSS:      ratio(float64(rep.Bot.PeakRSS), float64(rep.Bare.PeakRSS)),
			PerSecond:    ratio(rep.Bot.PerSecond, rep.Bare.PerSecond),
			P50:          ratio(rep.Bot.P50, rep.Bare.P50),
			P95:          ratio(rep.Bot.P95, rep.Bare.P95),
			P99:          ratio(rep.Bot.P99, rep.Bare.P99),
		}
	}
	return rep, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// median is the median of each figure over the runs (the counts are
// summed, so that a failure in any run shows).
func median(runs []Result) Result {
	var out Result
	if len(runs) == 0 {
		return out
	}
	f := func(get func(Result) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	i := func(get func(Result) int64) int64 { return int64(f(func(r Result) float64 { return float64(get(r)) })) }
	for _, r := range runs {
		out.Failed += r.Failed
		out.Unanswered += r.Unanswered
		if out.FirstProblem == "" {
			out.FirstProblem = r.FirstProblem
		}
	}
	out.Chats = int(i(func(r Result) int64 { return int64(r.Chats) }))
	out.Updates = int(i(func(r Result) int64 { return int64(r.Updates) }))
	out.Seconds = f(func(r Result) float64 { return r.Seconds })
	out.PerSecond = f(func(r Result) float64 { return r.PerSecond })
	out.P50 = f(func(r Result) float64 { return r.P50 })
	out.P95 = f(func(r Result) float64 { return r.P95 })
	out.P99 = f(func(r Result) float64 { return r.P99 })
	out.CPUPerUpdate = f(func(r Result) float64 { return r.CPUPerUpdate })
	out.PeakRSS = i(func(r Result) int64 { return r.PeakRSS })
	out.StartupMS = f(func(r Result) float64 { return r.StartupMS })
	out.CallsPerUpdate = f(func(r Result) float64 { return r.CallsPerUpdate })
	out.AllocsPerUpdate = f(func(r Result) float64 { return r.AllocsPerUpdate })
	out.HeapPerChat = i(func(r Result) int64 { return r.HeapPerChat })
	if runs[0].RedisRoundTrips != nil {
		rt := f(func(r Result) float64 {
			if r.RedisRoundTrips == nil {
				return 0
			}
			return *r.RedisRoundTrips
		})
		out.RedisRoundTrips = &rt
	}
	out.RedisBytesPerSession = i(func(r Result) int64 { return r.RedisBytesPerSession })
	out.RedisBytesPerChat = i(func(r Result) int64 { return r.RedisBytesPerChat })
	return out
}

// WriteText prints the report as a table.
func (r *Report) WriteText(w io.Writer) error {
	m := r.Machine
	median := ""
	if r.Runs > 1 {
		median = fmt.Sprintf(", medians of %d runs each", r.Runs)
	}
	users := ""
	if r.Users > 0 {
		users = fmt.Sprintf(", %d users there before (unmeasured)", r.Users)
	}
	fmt.Fprintf(w, "%d chats × %s, concurrency %d, %s sessions%s%s\n", r.Chats, r.Script, r.Concurrency, r.Sessions, users, median)
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s; load average %s before, %s after; binary %.1f MB\n\n",
		m.CPUs, m.Model, m.Go, m.LoadBefore, m.LoadAfter, float64(m.BinaryBytes)/(1<<20))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tupdates\tfailed\tupdates/s\tp50 ms\tp95 ms\tp99 ms\tCPU ms/update\tpeak RSS MB\tallocs/update\tcalls/update\tstartup ms\tRedis RT/update\t")
	row := func(res Result) {
		rt := "–"
		if res.RedisRoundTrips != nil {
			rt = fmt.Sprintf("%.2f", *res.RedisRoundTrips)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.3f\t%.1f\t%.0f\t%.2f\t%.0f\t%s\t\n", res.Name, res.Updates,
			res.Failed+res.Unanswered, res.PerSecond, res.P50, res.P95, res.P99, res.CPUPerUpdate,
			float64(res.PeakRSS)/(1<<20), res.AllocsPerUpdate, res.CallsPerUpdate, res.StartupMS, rt)
	}
	row(r.Bot)
	if len(r.BareRuns) > 0 {
		row(r.Bare)
		q := r.Ratios
		fmt.Fprintf(tw, "bot ÷ bare\t\t\t%.2f×\t%.2f×\t%.2f×\t%.2f×\t%.2f×\t%.2f×\t\t\t\t\t\n", q.PerSecond, q.P50, q.P95, q.P99, q.CPUPerUpdate, q.PeakRSS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nper chat after the script: %d bytes of live heap", r.Bot.HeapPerChat)
	if r.Sessions == "redis" {
		fmt.Fprintf(w, "; in Redis %d bytes per session key, %d bytes for all of a chat's keys", r.Bot.RedisBytesPerSession, r.Bot.RedisBytesPerChat)
	}
	fmt.Fprintln(w)
	for _, res := range []Result{r.Bot, r.Bare} {
		if res.FirstProblem != "" {
			fmt.Fprintf(w, "%s: %d failed, %d unanswered; first: %s\n", res.Name, res.Failed, res.Unanswered, res.FirstProblem)
		}
	}
	return nil
}
