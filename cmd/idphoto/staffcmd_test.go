package main

import (
	"strings"
	"testing"
)

// 'idphoto staff add' prints a token once; a user role or no name is a usage error.
func TestStaffAdd(t *testing.T) {
	withMasterKey(t)
	cli := cliOn(t, t.TempDir())
	out := cli(exitOK, "staff", "add", "--role", "operator", "--name", "王五")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if tok := lines[len(lines)-1]; len(tok) != 43 || strings.Contains(out, "王五") {
		t.Fatalf("output %q", out)
	}
	cli(exitUsage, "staff", "add", "--role", "user", "--name", "x")
	cli(exitUsage, "staff", "add", "--role", "auditor")
}
