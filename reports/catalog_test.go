package reports

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// The catalog's breakdown lists and columns are what the API documents;
// they must be what the reports accept and return.
func TestCatalogMatchesTheReports(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	all := append(append([]string(nil), Dimensions...), "week", "hour")
	for _, spec := range Catalog() {
		t.Run(spec.Name, func(t *testing.T) {
			p := fixtureParams()
			tb, err := spec.Run(ctx, l, p, DefaultConfig(), "")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(columnNames(tb.Columns), columnNames(spec.Columns)) {
				t.Fatalf("report returns columns %v, catalog says %v", columnNames(tb.Columns), columnNames(spec.Columns))
			}
			for _, dim := range all {
				p.By = dim
				tb, err := spec.Run(ctx, l, p, DefaultConfig(), "")
				accepted := slices.Contains(spec.By, dim)
				switch {
				case accepted && err != nil:
					t.Errorf("by %s: catalog accepts it, report fails: %v", dim, err)
				case !accepted && !errors.Is(err, ErrBadParam):
					t.Errorf("by %s: catalog refuses it, report returns %v", dim, err)
				case accepted && !slices.Contains(columnNames(tb.Columns), dim):
					t.Errorf("by %s: no %s column in %v", dim, dim, columnNames(tb.Columns))
				}
			}
		})
	}
}

func columnNames(cs []Column) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
