package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat: the kernel
// exports them in USER_HZ, 100 per second on every Linux architecture Go
// supports.
const userHZ = 100

// procCPU is the user+system CPU time pid has used, all its threads
// included (utime and stime in /proc/<pid>/stat).
func procCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("loadtest: CPU time of the child: %w", err)
	}
	return parseStatCPU(raw)
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/<pid>/stat line. The command name, field 2, is in parentheses and
// may hold spaces and parentheses itself: fields are counted after its
// last ")".
func parseStatCPU(raw []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, fmt.Errorf("loadtest: /proc stat line without a command name: %q", raw)
	}
	fields := strings.Fields(string(raw[end+1:]))
	// fields[0] is field 3 (state): utime is fields[11], stime fields[12].
	if len(fields) < 13 {
		return 0, fmt.Errorf("loadtest: /proc stat line too short: %q", raw)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadtest: /proc stat CPU time %q: %w", f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// procPeakRSS is pid's peak resident set (VmHWM in /proc/<pid>/status), in
// bytes.
func procPeakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("loadtest: peak RSS of the child: %w", err)
	}
	return parseStatusKB(raw, "VmHWM")
}

// parseStatusKB reads a "Name:   123 kB" line of /proc/<pid>/status, in
// bytes.
func parseStatusKB(raw []byte, name string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("loadtest: no %s line in /proc status", name)
}

// Machine describes where a run ran.
type Machine struct {
	CPUs  int    `json:"cpus"`
	Model string `json:"cpu_model"`
	// LoadBefore and LoadAfter are the 1, 5 and 15 minute load averages
	// (/proc/loadavg) when the runs started and ended: the machine may be
	// shared.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after,omitempty"`
	Go         string `json:"go"`
	// BinaryBytes is the size of the bot's executable.
	BinaryBytes int64 `json:"binary_bytes,omitempty"`
}

// ThisMachine describes this machine now.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadBefore: loadAverage()}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(raw)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
