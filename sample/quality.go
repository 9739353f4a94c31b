package sample

import "math"

// The firmographic truth behind lead quality: how much a title, an industry
// and a company's size raise or lower a lead's chance of becoming a
// sales-qualified lead once sales works it. A score built on fit rules
// should find this; the backtest's tests check that it does.
var (
	titleQuality = map[string]float64{
		"VP Marketing": 0.7, "Head of Sales": 0.7, "CTO": 0.6, "CFO": 0.5, "Founder": 0.5,
		"Operations Director": 0.4, "RevOps Lead": 0.3, "Marketing Manager": 0, "Software Engineer": -0.6, "Student": -1.8,
	}
	industryQuality = map[string]float64{
		"Software": 0.4, "Financial Services": 0.3, "Healthcare": 0.1, "Manufacturing": 0,
		"Logistics": 0, "Media": -0.1, "Retail": -0.2, "Education": -0.5,
	}
	// sizeQuality per natural log of employees over the median of 120.
	sizeQuality = 0.35
	// qualityNorm makes the factor average 1 over the leads the generator
	// draws (titles and industries uniform, size log-normal with σ 1.4), so
	// the sources' stated SQL rates hold on average.
	qualityNorm = func() float64 {
		mean := func(m map[string]float64) float64 {
			var s float64
			for _, v := range m {
				s += math.Exp(v)
			}
			return s / float64(len(m))
		}
		sigma := sizeQuality * 1.4
		return mean(titleQuality) * mean(industryQuality) * math.Exp(sigma*sigma/2)
	}()
)

// Quality is a lead's true quality: a factor, averaging 1, on its chance of
// becoming a sales-qualified lead, from its title, industry and company
// size. Unknown titles and industries are neutral.
func Quality(title, industry string, size int) float64 {
	z := titleQuality[title] + industryQuality[industry] + sizeQuality*math.Log(math.Max(float64(size), 1)/120)
	return math.Exp(z) / qualityNorm
}
