package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes (DESIGN.md): 0 ok, 1 failure, 2 usage error; 3 an ingest
// that committed but skipped files it did not recognise.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitSkipped = 3
)

// partialError is a run that did its work, less some of it: the message goes
// to stderr and the exit status is code.
type partialError struct {
	code int
	msg  string
}

func (p partialError) Error() string { return p.msg }

// usageError marks a mistake in how the command was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// env is what every command gets: its streams and a logger.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	logLevel       string
	logFormat      string
}

// stderrIsTerminal decides whether progress bars are drawn.
func (e *env) stderrIsTerminal() bool {
	f, ok := e.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// run is the whole command line; main only calls it, and tests do too.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "handoff",
		Short: "Measure and fix the marketing-to-sales lead handoff",
		Long: `handoff reads the lead and activity exports HubSpot, Salesforce and Marketo
already produce, keeps them as a Parquet lake, and computes the handoff
metrics: funnel conversion, speed to lead, SLA compliance, lead quality.

Start with 'handoff demo', which generates a realistic sample, ingests it
and shows what landed.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(e.logLevel)); err != nil {
				return usagef("--log-level %q: use debug, info, warn or error", e.logLevel)
			}
			// A server logs each request at info: show them unless told
			// otherwise.
			if (cmd.Name() == "serve" || cmd.Name() == "demo") && !cmd.Flags().Changed("log-level") {
				level = slog.LevelInfo
			}
			opts := &slog.HandlerOptions{Level: level}
			switch e.logFormat {
			case "text":
				e.log = slog.New(slog.NewTextHandler(stderr, opts))
			case "json":
				e.log = slog.New(slog.NewJSONHandler(stderr, opts))
			default:
				return usagef("--log-format %q: use text or json", e.logFormat)
			}
			return nil
		},
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&e.logFormat, "log-format", "text", "log format: text or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(ingestCommand(e), generateCommand(e), demoCommand(e), reportCommand(e), scoreCommand(e), backtestCommand(e), routeCommand(e), tokenCommand(e), webhookCommand(e), crmExportCommand(e), exportCommand(e), reviewCommand(e), serveCommand(e), benchCommand(e))

	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var pe partialError
	if errors.As(err, &pe) {
		fmt.Fprintf(stderr, "handoff: %v\n", err)
		return pe.code
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "handoff: %v\nRun 'handoff --help' for usage.\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "handoff: %v\n", err)
	return exitFailure
}

// isCobraUsage recognises cobra's own usage errors (unknown command, wrong
// argument count), which it returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// args wraps a cobra positional-argument check so its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
