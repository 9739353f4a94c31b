package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/server"
)

func tokenCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the tokens the API and the feed require",
		Long: `The API (/api/v1/...) answers only requests that carry a token:
Authorization: Bearer hnd_…. Tokens live with the lake (DIR/access/tokens.json,
readable by its owner only), stored as SHA-256 hashes: the secret is shown
once, when it is made. There is no default token. A running server sees a
new or revoked token on its next request.

Scopes: reports:read (the reports API and the dashboards), feed:read
(scores, routing decisions, explanations: the API's and the scoring,
routing and lead pages'), rules:manage (changing the rules), lake:read (SQL
over Flight SQL), lake:write (the data page's upload).

The dashboards are open on 127.0.0.1; on any other address (or with
serve --require-token) they ask for a token once and keep it in a cookie.
docs/security.md says who can reach what.`,
	}
	var lakeDir, name string
	var scopes []string
	create := &cobra.Command{
		Use:     "create --lake DIR --scope SCOPE... [--name NAME]",
		Short:   "Make a token and print its secret, once",
		Example: `  handoff token create --lake ./lake --scope reports:read --name "Looker"`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			if len(scopes) == 0 {
				return usagef("give at least one --scope: %s", strings.Join(server.Scopes, ", "))
			}
			t, secret, err := server.CreateToken(lakeDir, name, scopes)
			if err != nil {
				return usageError{err}
			}
			named := t.ID
			if t.Name != "" {
				named += " (" + t.Name + ")"
			}
			fmt.Fprintf(e.stderr, "Token %s with %s. Its secret, shown only now:\n", named, strings.Join(t.Scopes, ", "))
			fmt.Fprintln(e.stdout, secret)
			return nil
		},
	}
	create.Flags().StringVar(&lakeDir, "lake", "", "lake directory")
	create.Flags().StringVar(&name, "name", "", "who or what the token is for")
	create.Flags().StringArrayVar(&scopes, "scope", nil, "a scope (repeatable): "+strings.Join(server.Scopes, ", "))

	list := &cobra.Command{
		Use:   "list --lake DIR",
		Short: "List the tokens (never their secrets)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			tokens, err := server.ReadTokens(lakeDir)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tREVOKED")
			for _, t := range tokens {
				revoked := "-"
				if t.RevokedAt != nil {
					revoked = t.RevokedAt.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), strings.Join(t.Scopes, ","), t.CreatedAt.Format(time.DateOnly), revoked)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&lakeDir, "lake", "", "lake directory")

	revoke := &cobra.Command{
		Use:   "revoke --lake DIR ID",
		Short: "Revoke a token: it is refused from the next request on",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			if err := server.RevokeToken(lakeDir, a[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "Token %s revoked.\n", a[0])
			return nil
		},
	}
	revoke.Flags().StringVar(&lakeDir, "lake", "", "lake directory")
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// plural says n with the word for one or for many: "1 row", "2 rows".
func plural[N int | int64](n N, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
