// Package yamldoc reads a section of a YAML file the way every config of
// handoff does: strictly (an unknown field is an error), with errors that
// name the file and the line.
package yamldoc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Doc is a parsed YAML file.
type Doc struct {
	Name string
	File *ast.File
}

// Parse parses raw; name is used in errors.
func Parse(name string, raw []byte) (*Doc, error) {
	file, err := parser.ParseBytes(raw, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	return &Doc{Name: name, File: file}, nil
}

// Node is the node at a YAML path ($.exports[2].name), nil when absent.
func (d *Doc) Node(path string) ast.Node {
	p, err := yaml.PathString(path)
	if err != nil {
		return nil
	}
	n, err := p.FilterFile(d.File)
	if err != nil {
		return nil
	}
	return n
}

// Decode decodes the node at path strictly into v; found is false when
// the path is absent. An error names the file and the line.
func (d *Doc) Decode(path string, v any) (found bool, err error) {
	node := d.Node(path)
	if node == nil {
		return false, nil
	}
	if err := yaml.NodeToValue(node, v, yaml.Strict()); err != nil {
		return true, fmt.Errorf("%s: %s", d.Name, yaml.FormatError(err, false, true))
	}
	return true, nil
}

// Line is the line of the node at path, or of the nearest enclosing node
// that exists; 0 when none does.
func (d *Doc) Line(path string) int {
	for p := path; p != ""; p = parent(p) {
		if n := d.Node(p); n != nil && n.GetToken() != nil && n.GetToken().Position != nil {
			return n.GetToken().Position.Line
		}
	}
	return 0
}

func parent(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return p[:i]
		}
	}
	return ""
}

// CheckKeys refuses a key of the mapping at path ("$" for the top) that is
// not one of known, naming its line and the known word it is closest to:
// a section or field mistyped is an error, not a setting silently ignored.
// An absent path, or one that is not a mapping, passes.
func (d *Doc) CheckKeys(path, what string, known []string) error {
	var node ast.Node
	if path == "$" {
		if len(d.File.Docs) == 0 {
			return nil
		}
		node = d.File.Docs[0].Body
	} else {
		node = d.Node(path)
	}
	var pairs []*ast.MappingValueNode
	switch n := node.(type) {
	case *ast.MappingNode:
		pairs = n.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{n}
	default:
		return nil
	}
	for _, p := range pairs {
		key := p.Key.String()
		if slices.Contains(known, key) {
			continue
		}
		line := 0
		if tok := p.Key.GetToken(); tok != nil && tok.Position != nil {
			line = tok.Position.Line
		}
		return fmt.Errorf("%s: line %d: unknown %s %q%s (known: %s)", d.Name, line, what, key, Suggest(key, known), strings.Join(known, ", "))
	}
	return nil
}

// Suggest is ` (did you mean "X"?)` for the known word closest to w, when
// one is close enough to be a typo; "" otherwise.
func Suggest(w string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(w, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(w)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
