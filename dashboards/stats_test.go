package dashboards

import (
	"math"
	"testing"
)

// Wilson's interval against the published examples of Newcombe (1998),
// "Two-sided confidence intervals for the single proportion", Table I,
// method 3 (score interval without continuity correction).
func TestWilsonAgainstNewcombe(t *testing.T) {
	for _, c := range []struct {
		k, n   int64
		lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
	} {
		lo, hi := wilson(c.k, c.n)
		if math.Abs(lo-c.lo) > 0.00006 || math.Abs(hi-c.hi) > 0.00006 {
			t.Errorf("%d of %d: %.4f–%.4f, want %.4f–%.4f", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi := wilson(0, 0); lo != 0 || hi != 1 {
		t.Errorf("0 of 0: %v–%v, want the whole range", lo, hi)
	}
}
