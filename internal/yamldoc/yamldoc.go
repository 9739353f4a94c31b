// Package yamldoc reads a section of a YAML file the way every config of
// handoff does: strictly (an unknown field is an error), with errors that
// name the file and the line.
package yamldoc

import (
	"fmt"

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
