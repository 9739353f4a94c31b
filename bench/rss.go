package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// OwnPeakRSS is this process's peak resident memory in bytes (VmHWM in
// /proc/self/status), 0 where the kernel does not say. A benchmark child
// reports it itself: the rusage its parent gets from wait4 counts the
// parent's own resident memory at the fork as the child's too (Linux keeps
// the larger of the old and the new image's peaks across exec), so after a
// large in-process ingest every child read as that large. The peak of the
// new image alone is VmHWM, which exec starts afresh.
func OwnPeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		fields := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
		if len(fields) != 2 || fields[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
