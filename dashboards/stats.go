package dashboards

import (
	"fmt"
	"math"

	"github.com/handoff-dev/handoff/reports"
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

// rateCell is what a table cell adds to a rate: its interval, its n, and
// whether n is too few to read.
type rateCell struct {
	Text string
	N    int64
	Few  bool
}

// rateInterval is the interval of a section's rate column in row, nil for
// a column that is no rate of the section's.
func rateInterval(sec Section, name string, row []any) *rateCell {
	f := sec.Rates[name]
	if f == nil {
		return nil
	}
	k, n := f(row)
	if n <= 0 {
		return nil
	}
	lo, hi := wilson(k, n)
	c := &rateCell{Text: fmt.Sprintf("%.0f–%.0f%%", lo*100, hi*100), N: n, Few: n < fewToJudge}
	if c.Few {
		c.Text = fmt.Sprintf("only %d", n)
	}
	return c
}

// counts reads a rate's numerator column and the sum of its denominator
// columns from a row of tb.
func counts(tb reports.Table, num string, den ...string) func(row []any) (int64, int64) {
	k := col(tb, num)
	var ds []int
	for _, d := range den {
		ds = append(ds, col(tb, d))
	}
	return func(row []any) (int64, int64) {
		kv, _ := row[k].(int64)
		var n int64
		for _, i := range ds {
			v, _ := row[i].(int64)
			n += v
		}
		return kv, n
	}
}

// interval says a rate's 95% interval in words: "95% interval 26–43%".
func interval(k, n int64) string {
	lo, hi := wilson(k, n)
	return fmt.Sprintf("95%% interval %.0f–%.0f%%", lo*100, hi*100)
}
