package main

import (
	"fmt"
	"io"

	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newQueryCommand() *cobra.Command {
	var src sourceFlags
	var output string
	cmd := &cobra.Command{
		Use:   "query 'SRC->DST[:PORT[/PROTO]]' | query SRC DST[:PORT[/PROTO]]",
		Short: "Can SRC open a connection to DST on PORT? Explained.",
		Long: `query decides whether SRC can open a connection to DST and explains each side.

SRC and DST are a pod, workload or service name (looked up in every namespace),
NAMESPACE/NAME, or an IP address ([v6]:PORT for IPv6 with a port). PORT is a
number or a named port; PROTO is TCP (default), UDP, SCTP, ICMP, ICMPv6 or a
number. When DST is a Service, PORT is the service port and is translated to
the target port of each backend. Without a port, query lists the open ports.

Quote the first form: an unquoted -> is a shell redirection.

Exit codes: 0 allowed, 1 denied, 2 error.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			q, err := reach.ParseQuery(args...)
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			c, err := src.load()
			if err != nil {
				return err
			}
			ans, err := reach.Ask(c, q)
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			if err := writeAnswer(cmd.OutOrStdout(), output, ans); err != nil {
				return err
			}
			if !ans.Allowed() {
				return negative
			}
			return nil
		},
	}
	src.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func checkOutput(got string, allowed ...string) error {
	for _, a := range allowed {
		if got == a {
			return nil
		}
	}
	return usageError(fmt.Sprintf("--output %q: want one of %v", got, allowed))
}

func writeAnswer(w io.Writer, format string, a reach.Answer) error {
	if format == "json" {
		return writeJSON(w, answerJSON(a))
	}
	_, err := io.WriteString(w, a.String()+"\n")
	return err
}
