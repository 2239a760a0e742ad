package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/store/pgtest"
)

// One PostgreSQL cluster for the whole test binary, if a test asks for one.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The commands that open the data take --db (or $IDPHOTO_DATABASE_URL) and then keep
// nothing in the data folder's database: a staff member added on PostgreSQL is listed
// from PostgreSQL, the audit chain of the addition verifies there, a purge runs there.
func TestCommandsOnPostgres(t *testing.T) {
	withMasterKey(t)
	url := pgtest.DB(t)
	dir := t.TempDir()
	cli := cliOn(t, dir)
	cli(exitOK, "staff", "add", "--role", "auditor", "--name", "赵六", "--db", url)
	t.Setenv("IDPHOTO_DATABASE_URL", url)
	if out := cli(exitOK, "staff", "list"); !strings.Contains(out, "auditor") {
		t.Errorf("staff list from $IDPHOTO_DATABASE_URL: %q", out)
	}
	cli(exitOK, "audit", "verify")
	cli(exitOK, "purge", "--dry-run")
	if _, err := os.Stat(dir + "/idphoto.db"); !os.IsNotExist(err) {
		t.Errorf("a SQLite file was made beside PostgreSQL: %v", err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errb); code != exitOK || !strings.Contains(out.String()+errb.String(), "IDPHOTO_DATABASE_URL") {
		t.Errorf("serve --help does not explain --db: %d %s", code, out.String())
	}
}
