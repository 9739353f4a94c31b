package dashboards

import (
	"fmt"
	"math"
)

// fewToJudge is the count below which a rate's change is not coloured as a
// finding: with fewer than this many leads behind it, a swing of tens of
// points is noise.
const fewToJudge = 20

// wilson is the 95% Wilson score interval of k successes in n trials; for
// n = 0 it is the whole of [0, 1].
func wilson(k, n int64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	centre := p + z*z/(2*nf)
	margin := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	den := 1 + z*z/nf
	return math.Max(0, (centre-margin)/den), math.Min(1, (centre+margin)/den)
}

// interval says a rate's 95% interval in words: "95% interval 26–43%".
func interval(k, n int64) string {
	lo, hi := wilson(k, n)
	return fmt.Sprintf("95%% interval %.0f–%.0f%%", lo*100, hi*100)
}
