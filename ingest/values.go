package ingest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
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
	// order reads slash dates (2/5/24 1:51): "month-first", "day-first",
	// or "" when only unambiguous ones can be read.
	order string
	// excel reads plain numbers as Excel date serials (XLSX inputs), from
	// 1904-01-01 when date1904 is set, else from 1899-12-30.
	excel, date1904 bool
}

// DateOrders are the values of date_order settings.
var DateOrders = []string{"month-first", "day-first"}

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
	if p.excel {
		if t, ok := excelSerial(s, p.date1904, p.loc); ok {
			return t, nil
		}
	}
	for _, layout := range p.layouts {
		if t, err := time.ParseInLocation(layout, s, p.loc); err == nil {
			return t.UTC(), nil
		}
	}
	if sd, ok := parseSlashDate(s); ok {
		return sd.time(p.order, p.loc)
	}
	return time.Time{}, errors.New("unparseable")
}

// excelSerial reads an Excel date serial: whole days since the epoch of the
// workbook's date system, and the time of day as the fraction, rounded to
// the millisecond (Excel keeps 15 significant digits, about 1 µs at today's
// serials, so the rounding only drops float noise).
func excelSerial(s string, date1904 bool, loc *time.Location) (time.Time, bool) {
	if s == "" || strings.ContainsAny(s, "eE+-") {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f >= 2958466 { // 2958466 is 10000-01-01
		return time.Time{}, false
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, loc)
	if date1904 {
		epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, loc)
	}
	days := int(f)
	ms := int64(math.Round((f - float64(days)) * 86_400_000))
	// The serial is a wall-clock reading: the day and the time of day are
	// set as fields in loc, never added as durations across a DST change.
	day := epoch.AddDate(0, 0, days)
	hms := time.Duration(ms) * time.Millisecond
	t := time.Date(day.Year(), day.Month(), day.Day(), int(hms/time.Hour), int(hms%time.Hour/time.Minute), int(hms%time.Minute/time.Second), int(hms%time.Second), loc)
	return t.UTC(), true
}

// slashDate is a date written with slashes, its first two fields not yet
// known to be day or month: 2/5/24, 13/02/2024 09:30, 2/5/2024 1:51 PM.
type slashDate struct {
	a, b, year           int
	hour, minute, second int
}

var slashDateRE = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?$`)

func parseSlashDate(s string) (slashDate, bool) {
	m := slashDateRE.FindStringSubmatch(s)
	if m == nil {
		return slashDate{}, false
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	d := slashDate{a: atoi(m[1]), b: atoi(m[2]), year: atoi(m[3]), hour: atoi(m[4]), minute: atoi(m[5]), second: atoi(m[6])}
	if len(m[3]) == 2 { // as Excel and Go read two-digit years: 00–68 → 20xx
		if d.year <= 68 {
			d.year += 2000
		} else {
			d.year += 1900
		}
	}
	if m[7] != "" {
		if d.hour < 1 || d.hour > 12 {
			return slashDate{}, false
		}
		d.hour %= 12
		if m[7] == "p" || m[7] == "P" {
			d.hour += 12
		}
	}
	return d, true
}

// evidence says which order the date proves, if any.
func (d slashDate) evidence() string {
	switch {
	case d.a > 12 && d.b <= 12:
		return "day-first"
	case d.b > 12 && d.a <= 12:
		return "month-first"
	}
	return ""
}

func (d slashDate) time(order string, loc *time.Location) (time.Time, error) {
	month, day := d.a, d.b
	switch {
	case order == "day-first":
		month, day = d.b, d.a
	case order == "month-first":
	case d.a == d.b:
	case d.evidence() == "day-first":
		month, day = d.b, d.a
	case d.evidence() == "":
		return time.Time{}, errAmbiguousDate
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || d.hour > 23 || d.minute > 59 || d.second > 59 {
		return time.Time{}, errors.New("unparseable")
	}
	t := time.Date(d.year, time.Month(month), day, d.hour, d.minute, d.second, 0, loc)
	if t.Day() != day {
		return time.Time{}, errors.New("unparseable")
	}
	return t.UTC(), nil
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
	if len(rest) > 1 && rest[0] == ' ' && (rest[1] == '+' || rest[1] == '-') {
		rest = rest[1:] // Snowflake and Redshift unloads: "2024-02-05 09:15:00.000 +0000"
	}
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

// parseCompanySize reads a company size as exports write it: a number
// ("250", "1,200"), a band ("51-200", "1,001–5,000") or an open band
// ("1,000+", "10001+"). It returns the number, or a band's lower bound (the
// size the company is known to have at least), and whether the text was a
// plain number; n is -1 when no number can be read ("online_medium").
func parseCompanySize(s string) (n int64, exact bool) {
	if v, err := parseInt(s); err == nil {
		return v, true
	}
	m := companyBandRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return -1, false
	}
	low, err := parseInt(m[1])
	if err != nil {
		return -1, false
	}
	if m[2] != "" {
		if high, err := parseInt(m[2]); err != nil || high < low {
			return -1, false
		}
	}
	return low, false
}

var companyBandRE = regexp.MustCompile(`^([0-9][0-9,.]*)\s*(?:(?:-|–|—|to)\s*([0-9][0-9,.]*)|\+)\s*(?:employees)?$`)
