// Command reach answers which pod can talk to which, on which port, and why,
// from Kubernetes and Calico manifests. See the README for its commands.
//
// Exit codes: 0 success (for query: allowed), 1 a negative answer (query:
// denied; check: an expectation failed; diff: changes found), 2 bad input or
// any other error.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
