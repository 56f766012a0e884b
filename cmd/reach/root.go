package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitCode is an error that carries the process exit code. A nil message
// means the command already printed what it had to say.
type exitCode struct {
	code int
	err  error
}

func (e *exitCode) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// negative is returned by commands whose answer is "no" (denied, failed,
// changed): exit code 1, nothing more printed.
var negative = &exitCode{code: 1}

// run executes the CLI with args and returns the exit code. It is what main
// calls and what the tests call in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ec *exitCode
	if errors.As(err, &ec) {
		if ec.err != nil {
			fmt.Fprintf(stderr, "reach: %v\n", ec.err)
		}
		return ec.code
	}
	fmt.Fprintf(stderr, "reach: %v\n", err)
	return 2
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "reach",
		Short: "Which pod can talk to which, on which port, and why",
		Long: `reach evaluates Kubernetes NetworkPolicy and Calico policy offline, from
manifests, and answers which pod can reach which on which port, and why.

Exit codes: 0 success (query: allowed), 1 negative answer (query: denied),
2 bad input or error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitCode{code: 2, err: fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(newVersionCommand(), newQueryCommand(), newGraphCommand(), newMatrixCommand(), newExplainCommand(), newCheckCommand(), newSnapshotCommand(), newDiffCommand(), newWhatifCommand())
	return root
}
