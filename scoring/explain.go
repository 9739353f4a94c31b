package scoring

import (
	"fmt"
	"strings"
)

// Explanation says in sentences why a lead scored what it did: the total,
// its quadrant and MQL verdict, then one line per rule that fired.
func Explanation(s ScoreRow, parts []PartRow, r Rules) []string {
	verdict := "not an MQL"
	if s.MQL {
		verdict = "an MQL"
	}
	lines := []string{fmt.Sprintf("%s, scored %s: fit %s + engagement %s = %s → %s, %s (threshold %g)",
		s.LeadID, s.ScoredAt.UTC().Format("2006-01-02 15:04 UTC"), num(s.Fit), num(s.Engagement), num(s.Total),
		quadrantWords[s.Quadrant], verdict, *r.Thresholds.MQL)}
	if len(parts) == 0 {
		lines = append(lines, "  no rule fired: no fit rule matches and no scored activity came before this time")
	}
	for _, p := range parts {
		if p.LeadID != s.LeadID {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-10s %-22s %8s   %s", p.Part, p.Rule, signed(p.Points), why(p, r)))
	}
	return lines
}

var quadrantWords = map[string]string{
	"sales":     "route to sales (high fit, high engagement)",
	"nurture":   "nurture (high fit, low engagement)",
	"watch":     "watch list (low fit, high engagement)",
	"no_action": "no action (low fit, low engagement)",
}

// why is the evidence of one fired rule.
func why(p PartRow, r Rules) string {
	if p.Part == "engagement" {
		n := int64(0)
		if p.Events != nil {
			n = *p.Events
		}
		s := fmt.Sprintf("%d event%s, %s before decay", n, map[bool]string{true: "", false: "s"}[n == 1], num(p.RawPoints))
		for _, k := range r.Engagement.Kinds {
			if k.Kind != p.Rule {
				continue
			}
			if hl := r.halfLifeDays(k); hl != nil {
				s += fmt.Sprintf(", half-life %g days", *hl)
			}
			if k.Max != nil && p.Points >= *k.Max-1e-9 {
				s += fmt.Sprintf(", capped at %g", *k.Max)
			}
		}
		return s
	}
	for _, f := range r.Fit {
		if f.label() != p.Rule {
			continue
		}
		var ev []string
		if f.CompanySize != nil && p.CompanySize != nil {
			ev = append(ev, fmt.Sprintf("company_size %d", *p.CompanySize))
		}
		if len(f.Industry) > 0 && p.Industry != nil {
			ev = append(ev, "industry "+strings.TrimSpace(*p.Industry))
		}
		if len(f.Country) > 0 && p.Country != nil {
			ev = append(ev, "country "+*p.Country)
		}
		if f.Title != "" && p.Title != nil {
			ev = append(ev, fmt.Sprintf("title %q", *p.Title))
		}
		return strings.Join(ev, ", ")
	}
	return ""
}

func num(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

func signed(f float64) string {
	if f >= 0 {
		return "+" + num(f)
	}
	return num(f)
}
