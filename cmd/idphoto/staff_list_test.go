package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// 'staff list' shows each member with their live tokens (and name, with the master
// key); 'staff revoke' ends their sessions at once, so their token no longer works.
func TestStaffListRevoke(t *testing.T) {
	withMasterKey(t)
	dir := t.TempDir()
	ctx := context.Background()
	cli := cliOn(t, dir)
	out := cli(exitOK, "staff", "add", "--role", "operator", "--name", "王五")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	id := strings.Fields(lines[0])[2]
	cli(exitOK, "staff", "add", "--role", "auditor", "--name", "赵六")

	list := cli(exitOK, "staff", "list")
	if !strings.Contains(list, id) || !strings.Contains(list, "王五") || !strings.Contains(list, "赵六") || strings.Count(list, "\n") != 3 {
		t.Fatalf("list:\n%s", list)
	}
	if row := lineWith(list, id); !strings.Contains(row, "operator") || strings.Fields(row)[3] != "1" {
		t.Fatalf("operator's row: %q", row)
	}
	t.Setenv("IDPHOTO_MASTER_KEY", "")
	if l := cli(exitOK, "staff", "list"); strings.Contains(l, "王五") || !strings.Contains(l, "(sealed)") {
		t.Fatalf("names without the master key:\n%s", l)
	}

	if out := cli(exitOK, "staff", "revoke", id); !strings.Contains(out, "1 session") {
		t.Fatalf("revoke: %q", out)
	}
	if row := lineWith(cli(exitOK, "staff", "list"), id); strings.Fields(row)[3] != "0" || !strings.Contains(row, "revoked") {
		t.Fatalf("operator's row after revoke: %q", row)
	}
	st := testStore(t, dir)
	sum := sha256.Sum256([]byte(token))
	_, err := st.SessionByTokenHash(ctx, sum[:], time.Now())
	user := store.User{ID: store.NewID(), Role: store.RoleUser, CreatedAt: time.Now()}
	st.CreateUser(ctx, user)
	st.Close()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the revoked token's session: %v", err)
	}
	cli(exitOK, "staff", "revoke", id) // again: nothing left to end
	cli(exitRuntime, "staff", "revoke", store.NewID())
	cli(exitRuntime, "staff", "revoke", user.ID) // not staff
	cli(exitUsage, "staff", "revoke")
	cli(exitUsage, "staff", "revoke", "not-an-id")
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
