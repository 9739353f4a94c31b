package server

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/reports"
)

// openAPIDocument describes the API. It is built from the report catalog,
// so a report, column or breakdown added there is documented here; a test
// checks the document against the routes and the JSON they return.
func openAPIDocument() map[string]any {
	errorResponse := func(what string) map[string]any {
		return map[string]any{"description": what, "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	paths := map[string]any{
		"/healthz": map[string]any{"get": map[string]any{
			"summary":   "The process is up.",
			"security":  []any{},
			"responses": map[string]any{"200": jsonObject("ok", map[string]any{"status": str()})},
		}},
		"/readyz": map[string]any{"get": map[string]any{
			"summary":  "The lake holds events to report on.",
			"security": []any{},
			"responses": map[string]any{
				"200": jsonObject("ready; warmed: what the pages share is computed for this state of the lake", map[string]any{"status": str(), "generation": integer(), "leads": integer(), "latest_event": dateTime(), "warmed": boolean()}),
				"503": jsonObject("not ready, with the reason", map[string]any{"status": str(), "reason": str()}),
			},
		}},
		"/api/v1/openapi.json": map[string]any{"get": map[string]any{
			"summary":   "This document; it needs no token.",
			"security":  []any{},
			"responses": map[string]any{"200": map[string]any{"description": "OpenAPI 3.1 document"}},
		}},
		"/api/v1/reports": map[string]any{"get": map[string]any{
			"summary": "Every report with its columns and breakdowns.",
			"responses": map[string]any{"200": jsonObject("the reports", map[string]any{"reports": map[string]any{
				"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
					"name": str(), "description": str(),
					"columns": map[string]any{"type": "array", "items": str()},
					"by":      map[string]any{"type": "array", "items": str()},
				}},
			}})},
		}},
	}
	schemas := map[string]any{
		"Error": map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{"error": str()}},
	}
	for _, spec := range reports.Catalog() {
		rowName := schemaName(spec.Name) + "Row"
		props := map[string]any{}
		var required []string
		for _, col := range spec.Columns {
			props[col.Name] = columnSchema(col)
			required = append(required, col.Name)
		}
		schemas[rowName] = map[string]any{
			"type": "object", "properties": props, "required": required,
			"description": "One row. With by=DIM a column named DIM is added (string).",
		}
		params := commonParameters()
		if len(spec.By) > 0 {
			params = append(params, map[string]any{"name": "by", "in": "query", "description": "break down by a dimension",
				"schema": map[string]any{"type": "string", "enum": spec.By}})
		}
		if spec.Name == "sla-breaches" {
			params = append(params, map[string]any{"name": "sla", "in": "query", "description": "only this SLA", "schema": str()})
		}
		if spec.Name == "leads" {
			params = append(params, map[string]any{"name": "what", "in": "query", "description": "the list behind a number; default created",
				"schema": map[string]any{"type": "string", "enum": reports.DrillLists}})
		}
		paths["/api/v1/reports/"+spec.Name] = map[string]any{"get": map[string]any{
			"summary":    spec.Short,
			"parameters": params,
			"responses": map[string]any{
				"200": map[string]any{
					"description": "the report (json), or its rows as CSV or Parquet (format=csv|parquet)",
					"headers": map[string]any{
						"X-Total-Rows":      map[string]any{"description": "rows before offset and limit", "schema": integer()},
						"X-Lake-Generation": map[string]any{"description": "the lake state the numbers come from", "schema": integer()},
						"X-Cache":           map[string]any{"description": "hit or miss", "schema": str()},
					},
					"content": map[string]any{
						"application/json": map[string]any{"schema": map[string]any{
							"type": "object", "required": []string{"report", "params", "as_of", "columns", "rows"},
							"properties": map[string]any{
								"report":  str(),
								"params":  map[string]any{"type": "object"},
								"as_of":   dateTime(),
								"columns": map[string]any{"type": "array", "items": str()},
								"rows":    map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/" + rowName}},
							},
						}},
						"text/csv":                       map[string]any{"schema": str()},
						"application/vnd.apache.parquet": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}},
					},
				},
				"400": errorResponse("a parameter is wrong; the message names it"),
				"503": errorResponse("the lake holds nothing yet"),
			},
		}}
	}
	feedParams := []any{
		map[string]any{"name": "since", "in": "query", "description": "only what changed after this time, RFC 3339", "schema": map[string]any{"type": "string", "format": "date-time"}},
		map[string]any{"name": "cursor", "in": "query", "description": "the next_cursor of the page before", "schema": str()},
		map[string]any{"name": "limit", "in": "query", "description": "rows a page, 1 to 10000; default 500", "schema": map[string]any{"type": "integer"}},
	}
	feedPage := func(summary string) map[string]any {
		return map[string]any{"get": map[string]any{
			"summary": summary, "parameters": feedParams,
			"security": []any{map[string]any{"token": []string{"feed:read"}}},
			"responses": map[string]any{
				"200": map[string]any{"description": "a page: as_of, since, total, next_cursor (null on the last page), rows"},
				"401": errorResponse("no token, or not a live one"),
				"403": errorResponse("the token lacks feed:read"),
				"404": errorResponse("the server has no rules"),
			},
		}}
	}
	paths["/api/v1/scores"] = feedPage("every lead's score as of the latest event (with since: the scores that moved by a point or more, or crossed the MQL threshold)")
	paths["/api/v1/routing"] = feedPage("what the routing rules decide for the leads handed to sales since a time (default a day before the latest event), each with its audit")
	paths["/api/v1/scores/{lead}"] = map[string]any{"get": map[string]any{
		"summary":    "one lead's score, rule by rule, with the explanation in sentences",
		"parameters": []any{map[string]any{"name": "lead", "in": "path", "required": true, "schema": str()}},
		"security":   []any{map[string]any{"token": []string{"feed:read"}}},
		"responses": map[string]any{
			"200": map[string]any{"description": "score, rules, explanation"},
			"404": errorResponse("no such lead scored"),
		},
	}}
	paths["/api/v1/rules"] = map[string]any{
		"get": map[string]any{
			"summary":   "the rules file in force (scoring, routing, SLA timers), as YAML",
			"security":  []any{map[string]any{"token": []string{"rules:manage"}}},
			"responses": map[string]any{"200": map[string]any{"description": "the rules, application/yaml"}, "404": errorResponse("no rules yet")},
		},
		"put": map[string]any{
			"summary":     "replace the rules: checked whole first; a mistake changes nothing and is answered with its line",
			"security":    []any{map[string]any{"token": []string{"rules:manage"}}},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/yaml": map[string]any{"schema": str()}}},
			"responses": map[string]any{
				"200": map[string]any{"description": "version: the rules' new version"},
				"422": errorResponse("the rules have a mistake; the message names the line"),
			},
		},
	}
	paths["/api/v1/routing/{lead}"] = map[string]any{"get": map[string]any{
		"summary":    "every routing decision the feed made for a lead (new MQL routed, SLA reassignment), each with its audit",
		"parameters": []any{map[string]any{"name": "lead", "in": "path", "required": true, "schema": str()}},
		"security":   []any{map[string]any{"token": []string{"feed:read"}}},
		"responses": map[string]any{
			"200": map[string]any{"description": "lead_id, decisions"},
			"404": errorResponse("no decision for this lead"),
		},
	}}
	paths["/api/v1/leads/{lead}/context"] = map[string]any{"get": map[string]any{
		"summary":    "the context packet sales gets at the handoff: the lead, its source and campaign, stage, the last engagement events, sales touches, owner history, dispositions, SLA clocks (running ones with minutes left) and, with scoring rules, the score with its explanation",
		"parameters": []any{map[string]any{"name": "lead", "in": "path", "required": true, "schema": str()}},
		"security":   []any{map[string]any{"token": []string{"feed:read"}}},
		"responses": map[string]any{
			"200": map[string]any{"description": "as_of, lead, engagement, sales_touches, owner_history, stages, dispositions, sla_clocks, score, score_explanation"},
			"404": errorResponse("the lake has no such lead"),
		},
	}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "handoff",
			"version":     "1",
			"description": "Marketing-to-sales handoff metrics over a Parquet lake. Columns are defined in docs/reports.md.",
		},
		"paths": paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{
			"token": map[string]any{"type": "http", "scheme": "bearer",
				"description": "a token made by handoff token create; the reports need the reports:read scope"},
		}},
		"security": []any{map[string]any{"token": []string{}}},
	}
}

func commonParameters() []any {
	q := func(name, description string, schema map[string]any) any {
		return map[string]any{"name": name, "in": "query", "description": description, "schema": schema}
	}
	params := []any{
		q("from", "first day of the period, YYYY-MM-DD, in tz", map[string]any{"type": "string", "format": "date"}),
		q("to", "last day of the period, YYYY-MM-DD, included", map[string]any{"type": "string", "format": "date"}),
		q("as_of", "compute as of this time (RFC 3339, or a date: the end of that day); default the latest event", str()),
		q("tz", "reporting time zone, an IANA name; default UTC", str()),
		q("grain", "period length; default month", map[string]any{"type": "string", "enum": reports.Grains}),
		q("window", "funnel conversion window such as 90d or 12w; default 90d", str()),
		q("clock", "response clock; default calendar", map[string]any{"type": "string", "enum": reports.Clocks}),
		q("filter", "DIM=VALUE, repeatable", map[string]any{"type": "array", "items": str()}),
		q("format", "default json", map[string]any{"type": "string", "enum": []string{"json", "csv", "parquet"}}),
		q("offset", "skip this many rows", map[string]any{"type": "integer", "minimum": 0}),
		q("limit", "return at most this many rows", map[string]any{"type": "integer", "minimum": 1}),
	}
	for _, dim := range reports.Dimensions {
		params = append(params, q(dim, "keep rows whose "+dim+" is this value (repeatable: any of them)", map[string]any{"type": "array", "items": str()}))
	}
	return params
}

func columnSchema(col reports.Column) map[string]any {
	typ, format := "string", ""
	switch col.Kind {
	case reflect.Int64:
		typ = "integer"
	case reflect.Float64:
		typ = "number"
	case reflect.Bool:
		typ = "boolean"
	case reflect.Struct:
		format = "date-time"
	}
	s := map[string]any{"type": typ}
	if col.Nullable {
		s["type"] = []string{typ, "null"}
	}
	if format != "" {
		s["format"] = format
	}
	return s
}

func schemaName(report string) string {
	var b strings.Builder
	for _, part := range strings.Split(report, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func jsonObject(description string, props map[string]any) map[string]any {
	return map[string]any{"description": description, "content": map[string]any{
		"application/json": map[string]any{"schema": map[string]any{"type": "object", "properties": props}}}}
}

func str() map[string]any      { return map[string]any{"type": "string"} }
func integer() map[string]any  { return map[string]any{"type": "integer"} }
func dateTime() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
func boolean() map[string]any  { return map[string]any{"type": "boolean"} }

func (s *Server) openAPI(c *gin.Context) {
	c.JSON(http.StatusOK, openAPIDocument())
}
