package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// runCLI runs reach in-process and returns its exit code and outputs.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := runCLI(t, "version")
	assert.Equal(t, 0, code)
	assert.Equal(t, "reach dev\n", out)
	assert.Empty(t, errOut)
}

func TestUnknownCommandIsExit2(t *testing.T) {
	code, out, errOut := runCLI(t, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "reach: unknown command \"frobnicate\"")
}

func TestUnknownFlagIsExit2(t *testing.T) {
	code, _, errOut := runCLI(t, "version", "--bogus")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "reach: unknown flag: --bogus")
}
