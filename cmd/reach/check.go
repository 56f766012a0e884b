package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newCheckCommand() *cobra.Command {
	var src sourceFlags
	var expectFile, junitFile, output string
	cmd := &cobra.Command{
		Use:   "check -f PATH... --expect FILE [--junit FILE] [-o text|json]",
		Short: "Check the cluster against an expectations file, for CI",
		Long: `check evaluates every statement of an expectations file on the cluster and
reports each failure with the verdicts that explain it: which policy opened or
closed the flow. The last line is the summary "N passed, M failed".

The expectations file is YAML:

  expect:
  - from: app/frontend          # name, NS/NAME, NS/*, *, IP, CIDR,
    to: app/backend             # {namespace: NS, selector: SEL}, or a list
    port: 8080/TCP              # optional: without it, allowed means some
    allowed: true               # port is open and denied that none is
  - isolated: {from: dev/*, to: prod/*}        # no port open at all
  - only:                                      # exactly these sources
      to: app/database
      port: 5432/TCP
      from: [app/backend]
  - name: staged policy keeps DNS open         # name: the test name
    pending: true                              # check staged policies
    from: app/*
    to: kube-system/coredns
    port: 53/UDP
    allowed: true

--junit FILE also writes a JUnit XML report, one test case per statement.

Exit codes: 0 every expectation holds, 1 some fails, 2 bad input (manifests,
expectations file, or a name that denotes nothing).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if expectFile == "" {
				return usageError("no expectations: give --expect FILE")
			}
			c, err := src.load()
			if err != nil {
				return err
			}
			exps, err := readExpectations(expectFile)
			if err != nil {
				return err
			}
			results, err := reach.CheckExpectations(c, exps)
			if err != nil {
				return problemsError("expectations", err)
			}
			if junitFile != "" {
				if err := writeJUnitFile(junitFile, expectFile, results); err != nil {
					return &exitCode{code: 2, err: err}
				}
			}
			if err := writeCheck(cmd.OutOrStdout(), output, results, c.Notes); err != nil {
				return err
			}
			for _, r := range results {
				if !r.Passed {
					return negative
				}
			}
			return nil
		},
	}
	src.register(cmd)
	cmd.Flags().StringVar(&expectFile, "expect", "", "expectations file (YAML, see above)")
	cmd.Flags().StringVar(&junitFile, "junit", "", "also write a JUnit XML report to this file")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// readExpectations reads and parses the expectations file; every problem is
// an exit-2 error.
func readExpectations(path string) ([]reach.Expectation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &exitCode{code: 2, err: fmt.Errorf("expectations: %w", err)}
	}
	exps, err := reach.ParseExpectations(path, data)
	if err != nil {
		return nil, problemsError("expectations file", err)
	}
	return exps, nil
}

// problemsError makes an exit-2 error of err, counting its problems when
// there are several.
func problemsError(what string, err error) error {
	if ps := model.AsProblems(err); len(ps) > 1 {
		return &exitCode{code: 2, err: fmt.Errorf("%d problems in the %s:\n%w", len(ps), what, err)}
	}
	return &exitCode{code: 2, err: err}
}

func countPassed(results []reach.CheckResult) (passed, failed int) {
	for _, r := range results {
		if r.Passed {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}

func writeCheck(w io.Writer, format string, results []reach.CheckResult, notes []string) error {
	if format == "json" {
		return writeJSON(w, checkJSON(results, notes))
	}
	for _, r := range results {
		if r.Passed {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s\n\n", r); err != nil {
			return err
		}
	}
	passed, failed := countPassed(results)
	_, err := fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return err
}

// The JSON form of a check is part of reach's interface: keep it stable.

type checkDoc struct {
	Passed  int              `json:"passed"`
	Failed  int              `json:"failed"`
	Results []checkResultDoc `json:"results"`
	Notes   []string         `json:"notes,omitempty"`
}

type checkResultDoc struct {
	Name      string        `json:"name"`
	Statement string        `json:"statement"`
	Kind      string        `json:"kind"`
	Position  string        `json:"position"`
	Pending   bool          `json:"pending,omitempty"`
	Passed    bool          `json:"passed"`
	Summary   string        `json:"summary"`
	Evidence  []evidenceDoc `json:"evidence,omitempty"`
}

type evidenceDoc struct {
	Open    map[string][]string `json:"open,omitempty"`
	Verdict verdictDoc          `json:"verdict"`
}

func checkJSON(results []reach.CheckResult, notes []string) checkDoc {
	d := checkDoc{Results: []checkResultDoc{}, Notes: notes}
	d.Passed, d.Failed = countPassed(results)
	for _, r := range results {
		e := r.Expectation
		rd := checkResultDoc{
			Name:      e.Title(),
			Statement: e.String(),
			Kind:      e.Kind.String(),
			Position:  e.Pos.String(),
			Pending:   e.Pending,
			Passed:    r.Passed,
			Summary:   r.Summary,
		}
		for _, ev := range r.Evidence {
			ed := evidenceDoc{Verdict: verdictJSON(ev.Verdict)}
			if ev.Open != nil {
				ed.Open = portSetJSON(ev.Open)
			}
			rd.Evidence = append(rd.Evidence, ed)
		}
		d.Results = append(d.Results, rd)
	}
	return d
}

// JUnit XML, in the form Jenkins, GitLab and GitHub test reporters read: one
// test suite named after the expectations file, one test case per
// statement.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

func junitReport(expectFile string, results []reach.CheckResult) junitSuites {
	passed, failed := countPassed(results)
	suite := junitSuite{Name: "reach check " + expectFile, Tests: passed + failed, Failures: failed, Cases: []junitCase{}}
	class := "reach." + filepath.Base(expectFile)
	for _, r := range results {
		e := r.Expectation
		tc := junitCase{Name: e.Title(), Classname: class, File: e.Pos.File, Line: e.Pos.Line}
		if r.Passed {
			tc.SystemOut = r.Summary
		} else {
			tc.Failure = &junitFailure{Message: r.Summary, Type: "expectation", Text: r.String()}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return junitSuites{Tests: suite.Tests, Failures: failed, Suites: []junitSuite{suite}}
}

func writeJUnit(w io.Writer, expectFile string, results []reach.CheckResult) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitReport(expectFile, results)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func writeJUnitFile(path, expectFile string, results []reach.CheckResult) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	if err := writeJUnit(f, expectFile, results); err != nil {
		f.Close()
		return fmt.Errorf("junit: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return nil
}
