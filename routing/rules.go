// Package routing owns who gets a lead: the routing rules of rules.yaml
// (ordered rules matching on territory, country, region, segment, source
// and quadrant, each naming a pool and a method), rep eligibility (active,
// working hours in the rep's zone, capacity), the fallback pool, an audit
// record for every decision, and the dry-run replay of history through
// proposed rules.
package routing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/scoring"
)

// Methods pick a rep among the eligible reps of a pool.
var Methods = []string{"round_robin", "weighted", "least_loaded"}

// Quadrants are the values a rule may match on quadrant.
var Quadrants = []string{"sales", "nurture", "watch", "no_action"}

// Config is the routing: section of rules.yaml.
type Config struct {
	// Territories name sets of countries a rule can match on.
	Territories map[string][]string `yaml:"territories"`
	// Pools name lists of reps, by name or user id.
	Pools map[string][]string `yaml:"pools"`
	Rules []Rule              `yaml:"rules"`
	// Fallback is the pool that takes a lead nobody in its rule's pool is
	// eligible for, or that no rule matches.
	Fallback string `yaml:"fallback"`
	// CapacityWindow is how far back a rep's load counts against
	// users.capacity (new leads a month); "" is 30d.
	CapacityWindow string `yaml:"capacity_window"`
}

// Rule sends the leads it matches to a pool.
type Rule struct {
	Name  string `yaml:"name"`
	Match Match  `yaml:"match"`
	Pool  string `yaml:"pool"`
	// Method is round_robin (default), weighted or least_loaded.
	Method string `yaml:"method"`
	// Weights are the weighted method's shares by rep name or id; a rep
	// with none weighs 1.
	Weights map[string]float64 `yaml:"weights"`
	// OffHours lets reps outside their working hours take leads.
	OffHours bool `yaml:"off_hours"`
}

// Match lists the values a lead must have; an empty list matches any, and
// every non-empty one must hold.
type Match struct {
	Territory []string `yaml:"territory"`
	Country   []string `yaml:"country"`
	Region    []string `yaml:"region"`
	Segment   []string `yaml:"segment"`
	Source    []string `yaml:"source"`
	Quadrant  []string `yaml:"quadrant"`
}

// ParseConfig decodes and checks the routing section of a rules file.
// users are the lake's, so a pool naming someone unknown is an error that
// names the line.
func ParseConfig(f *scoring.File, users []Rep) (Config, error) {
	var c Config
	found, err := f.Decode("$.routing", &c)
	if err != nil {
		return c, err
	}
	if !found {
		return c, f.Errorf("$", "no routing: section: add pools and rules (see examples/rules.yaml)")
	}
	known := func(who string) bool {
		return slices.ContainsFunc(users, func(u Rep) bool { return u.ID == who || u.Name == who })
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	for pool, reps := range c.Pools {
		if len(reps) == 0 {
			return c, f.Errorf("$.routing.pools."+pool, "pool %s is empty: list its reps by name or user id", pool)
		}
		for i, who := range reps {
			if !known(who) {
				return c, f.Errorf(fmt.Sprintf("$.routing.pools.%s[%d]", pool, i), "pool %s: nobody called %q in users (known: %s)", pool, who, strings.Join(names, ", "))
			}
		}
	}
	if c.Fallback != "" && c.Pools[c.Fallback] == nil {
		return c, f.Errorf("$.routing.fallback", "fallback pool %q is not among pools (%s)", c.Fallback, strings.Join(sortedKeys(c.Pools), ", "))
	}
	if c.CapacityWindow != "" {
		if _, err := models.ParseDuration(c.CapacityWindow); err != nil {
			return c, f.Errorf("$.routing.capacity_window", "capacity_window: %v", err)
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Rules {
		at := fmt.Sprintf("$.routing.rules[%d]", i)
		switch {
		case r.Name == "":
			return c, f.Errorf(at, "a routing rule has no name: the audit trail quotes it, so give each one")
		case seen[r.Name]:
			return c, f.Errorf(at, "two routing rules are called %q", r.Name)
		case r.Pool == "":
			return c, f.Errorf(at, "rule %q has no pool: name one of %s", r.Name, strings.Join(sortedKeys(c.Pools), ", "))
		case c.Pools[r.Pool] == nil:
			return c, f.Errorf(at+".pool", "rule %q: pool %q is not among pools (%s)", r.Name, r.Pool, strings.Join(sortedKeys(c.Pools), ", "))
		case r.Method != "" && !slices.Contains(Methods, r.Method):
			return c, f.Errorf(at+".method", "rule %q: unknown method %q (known: %s)", r.Name, r.Method, strings.Join(Methods, ", "))
		}
		seen[r.Name] = true
		for t := range r.Match.Territory {
			if c.Territories[r.Match.Territory[t]] == nil {
				return c, f.Errorf(at+".match.territory", "rule %q: territory %q is not among territories (%s)", r.Name, r.Match.Territory[t], strings.Join(sortedKeys(c.Territories), ", "))
			}
		}
		for _, q := range r.Match.Quadrant {
			if !slices.Contains(Quadrants, q) {
				return c, f.Errorf(at+".match.quadrant", "rule %q: unknown quadrant %q (known: %s)", r.Name, q, strings.Join(Quadrants, ", "))
			}
		}
		for who, w := range r.Weights {
			if !slices.Contains(c.Pools[r.Pool], who) {
				return c, f.Errorf(at+".weights", "rule %q: %q has a weight but is not in pool %s", r.Name, who, r.Pool)
			}
			if w < 0 {
				return c, f.Errorf(at+".weights", "rule %q: the weight of %q is negative", r.Name, who)
			}
		}
	}
	return c, nil
}

func (c Config) window() time.Duration {
	if c.CapacityWindow == "" {
		return 30 * 24 * time.Hour
	}
	d, _ := models.ParseDuration(c.CapacityWindow)
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
