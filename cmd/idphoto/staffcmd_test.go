package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/vault"
)

// 'idphoto staff add' prints a token once; a user role or no name is a usage error.
func TestStaffAdd(t *testing.T) {
	t.Setenv("IDPHOTO_MASTER_KEY", vault.NewMasterKeyText())
	t.Setenv("IDPHOTO_MASTER_KEY_FILE", "")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"staff", "add", "--role", "operator", "--name", "王五", "--data", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if tok := lines[len(lines)-1]; len(tok) != 43 || strings.Contains(out.String(), "王五") {
		t.Fatalf("output %q", out.String())
	}
	for _, args := range [][]string{{"staff", "add", "--role", "user", "--name", "x"}, {"staff", "add", "--role", "auditor"}} {
		if code := run(context.Background(), append(args, "--data", dir), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
