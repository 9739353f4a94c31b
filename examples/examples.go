// Package examples ships the commented example files in the binary, so
// handoff demo can use them wherever it runs.
package examples

import _ "embed"

// Rules is rules.yaml: scoring (and, later, routing) rules for the sample
// company.
//
//go:embed rules.yaml
var Rules []byte
