package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/handoff-dev/handoff/lake"
)

// duplicate is a staged row whose key an earlier line of the same file
// already had.
type duplicate struct {
	file, line, firstLine int
	key                   string
}

// dropDuplicates finds keys repeated within one file. A repeat produced by a
// single input row (two HubSpot lifecycle columns mapping to the same stage
// at the same time) is collapsed silently; a repeat on a later line is a
// duplicate record, and that whole line goes to quarantine, naming the line
// it repeats. Keys repeated across files are not errors: the later file wins
// at merge, as a newer export should.
//
// This is done in DuckDB rather than in a Go map so memory stays flat on
// exports of tens of millions of rows.
func (in *ingester) dropDuplicates(ctx context.Context, files []string, results []FileResult) error {
	conn := in.tx.Conn()
	var dups []duplicate
	for _, t := range lake.Tables {
		keys := make([]string, len(t.Key))
		desc := make([]string, len(t.Key))
		for i, k := range t.Key {
			keys[i] = lake.Ident(k)
			desc[i] = fmt.Sprintf("'%s=' || coalesce(CAST(%s AS VARCHAR), '')", k, lake.Ident(k))
		}
		staging := lake.Ident(lake.Incoming(t.Name))
		q := fmt.Sprintf(`SELECT rid, _seq, first_seq, k FROM (
	SELECT rowid AS rid, _seq, concat_ws(', ', %s) AS k,
		first_value(_seq) OVER w AS first_seq, row_number() OVER w AS rn
	FROM %s
	WINDOW w AS (PARTITION BY _seq >> %d, %s ORDER BY _seq, rowid)
) WHERE rn > 1 ORDER BY _seq`, strings.Join(desc, ", "), staging, seqFileShift, strings.Join(keys, ", "))
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("find duplicate %s keys: %w", t.Name, err)
		}
		var sameRow []int64
		for rows.Next() {
			var rid, seq, first int64
			var key string
			if err := rows.Scan(&rid, &seq, &first, &key); err != nil {
				rows.Close()
				return fmt.Errorf("find duplicate %s keys: %w", t.Name, err)
			}
			if seq == first {
				sameRow = append(sameRow, rid)
				continue
			}
			dups = append(dups, duplicate{file: int(seq >> seqFileShift), line: int(seq & (1<<seqFileShift - 1)),
				firstLine: int(first & (1<<seqFileShift - 1)), key: t.Name + " " + key})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find duplicate %s keys: %w", t.Name, err)
		}
		for _, rid := range sameRow {
			if _, err := conn.ExecContext(ctx, "DELETE FROM "+staging+" WHERE rowid = ?", rid); err != nil {
				return fmt.Errorf("collapse repeated %s row: %w", t.Name, err)
			}
		}
	}
	if len(dups) > 0 {
		if err := in.quarantineDuplicates(ctx, files, results, dups); err != nil {
			return err
		}
	}
	return in.countStaged(ctx, results)
}

func (in *ingester) quarantineDuplicates(ctx context.Context, files []string, results []FileResult, dups []duplicate) error {
	byFile := map[int]map[int]duplicate{}
	for _, d := range dups {
		if byFile[d.file] == nil {
			byFile[d.file] = map[int]duplicate{}
		}
		if _, seen := byFile[d.file][d.line]; !seen {
			byFile[d.file][d.line] = d
		}
	}
	nums := make([]int, 0, len(byFile))
	for n := range byFile {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, num := range nums {
		lines := byFile[num]
		raws, err := in.rawLines(ctx, files[num-1], lines, in.personal[num])
		if err != nil {
			return err
		}
		ordered := make([]int, 0, len(lines))
		for l := range lines {
			ordered = append(ordered, l)
		}
		sort.Ints(ordered)
		fr := &results[num-1]
		for _, l := range ordered {
			d := lines[l]
			// The key may come from any column (or several), so no column is named.
			e := &Error{File: files[num-1], Line: l, Kind: KindDuplicate, Raw: raws[l],
				Reason: fmt.Sprintf("duplicate key (%s) already on line %d of this file; the first one was kept", d.key, d.firstLine)}
			fr.Accepted--
			if err := in.refuse(num, fr, e); err != nil {
				return err
			}
			seq := int64(num)<<seqFileShift | int64(l)
			for _, t := range lake.Tables {
				if _, err := in.tx.Conn().ExecContext(ctx, "DELETE FROM "+lake.Ident(lake.Incoming(t.Name))+" WHERE _seq = ?", seq); err != nil {
					return fmt.Errorf("drop duplicate row: %w", err)
				}
			}
		}
	}
	return nil
}

// rawLines reads a file again for the text of the given rows; it runs only
// when a file had duplicates.
func (in *ingester) rawLines(ctx context.Context, path string, want map[int]duplicate, personal *personalColumns) (map[int]string, error) {
	r, _, err := in.openRows(ctx, path, false, false)
	if err != nil {
		return nil, fmt.Errorf("reread %s: %w", path, err)
	}
	defer r.close()
	raws := map[int]string{}
	for len(raws) < len(want) {
		rec, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue
		}
		if _, ok := want[rec.line]; ok {
			raws[rec.line] = personal.raw(rec)
		}
	}
	return raws, nil
}

// countStaged sets each file's per-table row counts from what is staged.
func (in *ingester) countStaged(ctx context.Context, results []FileResult) error {
	for i := range results {
		results[i].Tables = map[string]int{}
	}
	for _, t := range lake.Tables {
		rows, err := in.tx.Conn().QueryContext(ctx, fmt.Sprintf("SELECT _seq >> %d, count(*) FROM %s GROUP BY 1", seqFileShift, lake.Ident(lake.Incoming(t.Name))))
		if err != nil {
			return fmt.Errorf("count staged %s: %w", t.Name, err)
		}
		for rows.Next() {
			var num int64
			var n int
			if err := rows.Scan(&num, &n); err != nil {
				rows.Close()
				return fmt.Errorf("count staged %s: %w", t.Name, err)
			}
			if num >= 1 && int(num) <= len(results) {
				results[num-1].Tables[t.Name] = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count staged %s: %w", t.Name, err)
		}
	}
	return nil
}
