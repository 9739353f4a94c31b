package bench

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The helper child: prints its own peak and exits.
func TestHelperPrintPeak(t *testing.T) {
	if os.Getenv("HANDOFF_PRINT_PEAK") != "1" {
		t.Skip("run as a child by TestChildPeakIsItsOwn")
	}
	os.Stdout.WriteString("peak " + strconv.FormatInt(OwnPeakRSS(), 10) + "\n")
}

// A child forked from a parent holding 400 MiB: the rusage wait4 returns
// says the child peaked at 400 MiB or more, though the child itself never
// held it; the child's own VmHWM says what it held.
func TestChildPeakIsItsOwn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux's")
	}
	const held = 400 << 20
	ballast := make([]byte, held)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1 // touched, so resident
	}
	if own := OwnPeakRSS(); own < held {
		t.Fatalf("parent's own peak %d, under the %d it holds", own, held)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestHelperPrintPeak$")
	child.Env = append(os.Environ(), "HANDOFF_PRINT_PEAK=1")
	out, err := child.Output()
	if err != nil {
		t.Fatal(err)
	}
	var own int64
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "peak "); ok {
			own, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	ru := child.ProcessState.SysUsage().(*syscall.Rusage)
	if own <= 0 || own >= held/2 {
		t.Errorf("the child's own peak %d: want it above 0 and far under the parent's %d", own, held)
	}
	if ru.Maxrss*1024 < held {
		t.Logf("wait4's rusage says %d: this kernel no longer counts the parent's memory", ru.Maxrss*1024)
	}
	runtime.KeepAlive(ballast)
}
