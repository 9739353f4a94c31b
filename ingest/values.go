package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeParser reads the timestamp formats real exports use: ISO 8601 with or
// without a zone (a date alone is midnight), `2006-01-02 15:04`, epoch
// seconds or milliseconds, and any layouts the vendor file or handoff.yaml
// adds (day-first dates among them). Naive timestamps are in loc.
type timeParser struct {
	layouts []string
	loc     *time.Location
}

var errAmbiguousDate = errors.New("ambiguous date")

func (p *timeParser) parse(s string) (time.Time, error) {
	t, err := p.parseAny(strings.TrimSpace(s))
	if err == nil && (t.Year() < 1900 || t.Year() > 2200) {
		// A CRM record from before 1900 or after 2200 is a typo or a
		// placeholder ("9999-12-31"), not a date to compute with.
		return time.Time{}, errors.New("out of range")
	}
	return t, err
}

func (p *timeParser) parseAny(s string) (time.Time, error) {
	if t, ok := parseISO(s, p.loc); ok {
		return t, nil
	}
	if allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			switch len(s) {
			case 13:
				return time.UnixMilli(n).UTC(), nil
			case 10:
				return time.Unix(n, 0).UTC(), nil
			}
		}
	}
	for _, layout := range p.layouts {
		if t, err := time.ParseInLocation(layout, s, p.loc); err == nil {
			return t.UTC(), nil
		}
	}
	if strings.Count(s, "/") == 2 {
		return time.Time{}, errAmbiguousDate
	}
	return time.Time{}, errors.New("unparseable")
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseISO is a fast path for ISO 8601 and `2006-01-02 15:04[:05]`, by far
// the most common forms; time.Parse would cost several times more per row.
func parseISO(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	var hour, minute, sec, nsec int
	rest := s[10:]
	if rest != "" {
		if rest[0] != 'T' && rest[0] != ' ' || len(rest) < 6 || rest[3] != ':' {
			return time.Time{}, false
		}
		var ok bool
		if hour, ok = digits(rest[1:3]); !ok {
			return time.Time{}, false
		}
		if minute, ok = digits(rest[4:6]); !ok {
			return time.Time{}, false
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			if sec, ok = digits(rest[1:3]); !ok {
				return time.Time{}, false
			}
			rest = rest[3:]
			if len(rest) > 1 && (rest[0] == '.' || rest[0] == ',') {
				i := 1
				scale := 100000000
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					if scale > 0 {
						nsec += int(rest[i]-'0') * scale
						scale /= 10
					}
					i++
				}
				if i == 1 {
					return time.Time{}, false
				}
				rest = rest[i:]
			}
		}
	}
	zone := loc
	switch {
	case rest == "":
	case rest == "Z" || rest == "z" || rest == " UTC":
		zone = time.UTC
	case rest[0] == '+' || rest[0] == '-':
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		z := strings.ReplaceAll(rest[1:], ":", "")
		if len(z) != 2 && len(z) != 4 {
			return time.Time{}, false
		}
		zh, ok := digits(z[0:2])
		zm := 0
		if len(z) == 4 {
			var okm bool
			zm, okm = digits(z[2:4])
			ok = ok && okm
		}
		if !ok || zh > 23 || zm > 59 {
			return time.Time{}, false
		}
		zone = time.FixedZone("", sign*(zh*3600+zm*60))
	default:
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, zone)
	if t.Day() != day { // 31 April, 29 February in a common year
		return time.Time{}, false
	}
	return t.UTC(), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseBool accepts the spellings CRMs write: true/false in any case,
// 1/0, yes/no, y/n, t/f.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "t":
		return true, nil
	case "false", "0", "no", "n", "f":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q (expected true/false, 1/0 or yes/no)", s)
}

// parseInt accepts thousands separators ("1,200") but not fractions.
func parseInt(s string) (int64, error) {
	clean := strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	n, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a whole number: %q", s)
	}
	return n, nil
}

// parseFloat accepts thousands separators and a leading currency sign.
func parseFloat(s string) (float64, error) {
	clean := strings.TrimSpace(s)
	clean = strings.TrimLeft(clean, "$€£")
	clean = strings.ReplaceAll(clean, ",", "")
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil || clean == "" || strings.ContainsAny(clean, "nN") { // NaN, Inf
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return f, nil
}

// parseDate reads a calendar date: `2026-05`, `2026-05-01`, or any timestamp
// (its UTC date).
func (p *timeParser) parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) == 7 && s[4] == '-' {
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:])
		if ok1 && ok2 && m >= 1 && m <= 12 {
			return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), nil
		}
	}
	t, ok := parseISO(s, time.UTC) // a date is a calendar date, not an instant
	if !ok {
		var err error
		if t, err = p.parse(s); err != nil {
			return time.Time{}, err
		}
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}
