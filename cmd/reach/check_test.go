package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// summaryLine is the last line of reach check's text output.
var summaryLine = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed\n\z`)

// TestCheckExamples runs reach check on every example with its own
// expectations: they all hold.
func TestCheckExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(moduleRoot, "examples", "*", "expect.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, file := range dirs {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			dir := "examples/" + name
			code, out, errOut := runAtRoot(t, "check", "-f", dir, "--expect", dir+"/expect.yaml")
			assert.Equal(t, 0, code, out+errOut)
			assert.Empty(t, errOut)
			m := summaryLine.FindStringSubmatch(out)
			require.NotNil(t, m, "no summary line in %q", out)
			assert.Equal(t, "0", m[2])
			assert.Equal(t, m[0], out, "a passing check prints the summary only")
		})
	}
}

// brokenCopy copies the three-tier example into a temporary directory, adds
// a well-meant policy that opens the database to the whole cluster, and
// makes that directory the working directory.
func brokenCopy(t *testing.T) {
	t.Helper()
	src := filepath.Join(moduleRoot, "examples", "three-tier")
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "allow-db-from-cluster.yaml"), []byte(`# Well meant: "let the cluster's tools reach the database".
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-db-from-cluster
  namespace: app
spec:
  podSelector:
    matchLabels:
      app: database
  ingress:
  - from:
    - namespaceSelector: {}
    ports:
    - port: 5432
`), 0o644))
	t.Chdir(dir)
}

func TestCheckBrokenCopy(t *testing.T) {
	brokenCopy(t)
	code, out, errOut := runCLI(t, "check", "-f", ".", "--expect", "expect.yaml")
	assert.Equal(t, 1, code)
	assert.Empty(t, errOut)
	assert.Contains(t, out, "FAIL expect.yaml:20: only [app/backend] -> app/database 5432/TCP\n  got: also reached from: kube-system/coredns, monitoring/prometheus\n")
	assert.Contains(t, out, "ingress of app/database-978rv: allowed by rule 0 (Allow) of KubernetesNetworkPolicy app/allow-db-from-cluster in tier default")
	m := summaryLine.FindStringSubmatch(out)
	require.NotNil(t, m, "the summary is the last line, alone: %q", out)
	assert.Equal(t, []string{"13", "2"}, m[1:])
	golden(t, "check/broken-copy.txt", []byte(out))
}

func TestCheckBrokenCopyJSON(t *testing.T) {
	brokenCopy(t)
	code, out, errOut := runCLI(t, "check", "-f", ".", "--expect", "expect.yaml", "-o", "json")
	assert.Equal(t, 1, code)
	assert.Empty(t, errOut)
	var doc struct {
		Passed, Failed int
		Results        []struct {
			Name, Position string
			Passed         bool
			Evidence       []struct {
				Verdict struct{ Ingress struct{ Policy string } }
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 13, doc.Passed)
	assert.Equal(t, 2, doc.Failed)
	require.Len(t, doc.Results, 15)
	assert.Equal(t, "expect.yaml:20", doc.Results[3].Position)
	assert.False(t, doc.Results[3].Passed)
	assert.Equal(t, "KubernetesNetworkPolicy app/allow-db-from-cluster", doc.Results[3].Evidence[0].Verdict.Ingress.Policy)
	golden(t, "check/broken-copy.json", []byte(out))
}

// junitDoc is what CI systems read of a JUnit report.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestCheckJUnit(t *testing.T) {
	brokenCopy(t)
	code, out, errOut := runCLI(t, "check", "-f", ".", "--expect", "expect.yaml", "--junit", "report.xml")
	assert.Equal(t, 1, code)
	assert.Empty(t, errOut)
	assert.True(t, summaryLine.MatchString(out), "the text report is still printed")
	data, err := os.ReadFile("report.xml")
	require.NoError(t, err)

	// Well-formed from the first token to the last.
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}

	var doc junitDoc
	require.NoError(t, xml.Unmarshal(data, &doc))
	assert.Equal(t, 15, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	require.Len(t, doc.Suites, 1)
	s := doc.Suites[0]
	assert.Equal(t, "reach check expect.yaml", s.Name)
	require.Len(t, s.Cases, 15, "one test case per expectation")
	var failed []string
	for _, c := range s.Cases {
		assert.Equal(t, "reach.expect.yaml", c.Classname)
		if c.Failure != nil {
			failed = append(failed, c.Name)
			assert.NotEmpty(t, c.Failure.Message)
			assert.Contains(t, c.Failure.Text, "KubernetesNetworkPolicy app/allow-db-from-cluster")
		}
	}
	assert.Equal(t, []string{"only [app/backend] -> app/database 5432/TCP", "kube-system/* -> app/*: isolated"}, failed)
	golden(t, "check/broken-copy.xml", data)
}

func TestCheckJUnitAllPass(t *testing.T) {
	report := filepath.Join(t.TempDir(), "report.xml")
	code, _, errOut := runAtRoot(t, "check", "-f", example, "--expect", example+"/expect.yaml", "--junit", report)
	assert.Equal(t, 0, code, errOut)
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	var doc junitDoc
	require.NoError(t, xml.Unmarshal(data, &doc))
	assert.Equal(t, 15, doc.Tests)
	assert.Zero(t, doc.Failures)
	for _, c := range doc.Suites[0].Cases {
		assert.Nil(t, c.Failure, c.Name)
	}
}

func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	typo := write("typo.yaml", "expect:\n- from: frontend\n  too: backend\n  allowed: true\n")
	unknown := write("unknown.yaml", "expect:\n- from: frontend\n  to: nosuch\n  allowed: true\n- from: nosuch/*\n  to: backend\n  allowed: true\n")
	good := filepath.Join(example, "expect.yaml")
	tests := []struct {
		name string
		args []string
		want string // the whole of stderr
	}{
		{
			name: "no expectations",
			args: []string{"-f", example},
			want: "reach: no expectations: give --expect FILE\n",
		},
		{
			name: "missing file",
			args: []string{"-f", example, "--expect", "nosuch.yaml"},
			want: "reach: expectations: open nosuch.yaml: no such file or directory\n",
		},
		{
			name: "unknown field",
			args: []string{"-f", example, "--expect", typo},
			want: "reach: 2 problems in the expectations file:\n" +
				typo + ":2: expect[0].to: required (or write isolated: or only:)\n" +
				typo + `:3: expect[0].too: unknown field "too" (want name, from, to, port, allowed, pending, isolated, only)` + "\n",
		},
		{
			name: "names that denote nothing",
			args: []string{"-f", example, "--expect", unknown},
			want: "reach: 2 problems in the expectations:\n" +
				unknown + `:3: to: "nosuch": no pod, workload, service or host endpoint of that name` + "\n" +
				unknown + ":5: from: nosuch/* matches no pod or host endpoint with an address\n",
		},
		{
			name: "broken manifests",
			args: []string{"-f", "testdata/cli/broken", "--expect", good},
			want: "reach: testdata/cli/broken/policy.yaml:13 (doc 1, NetworkPolicy app/bad-range): " +
				"spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`\n",
		},
		{
			name: "bad output",
			args: []string{"-f", example, "--expect", good, "-o", "yaml"},
			want: "reach: --output \"yaml\": want one of [text json]\n",
		},
		{
			name: "unwritable report",
			args: []string{"-f", example, "--expect", good, "--junit", filepath.Join(dir, "nosuch", "r.xml")},
			want: "reach: junit: open " + filepath.Join(dir, "nosuch", "r.xml") + ": no such file or directory\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runAtRoot(t, append([]string{"check"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Equal(t, tc.want, errOut)
		})
	}
}
