package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/store"
)

const staffHelp = `Usage:
  idphoto staff add --role operator|auditor --name NAME [--data DIR] [--ttl 2160h]
      makes a staff member and prints their bearer token once (only its hash is
      kept). Operators fulfil print orders, override refunds and watch privacy
      requests; auditors export the ledger and read the audit trail. The name is
      sealed with the master key ($IDPHOTO_MASTER_KEY_FILE or $IDPHOTO_MASTER_KEY).
  idphoto staff list [--data DIR]
      lists the staff: id, role, since, live tokens and until when, and the name
      when the master key is set.
  idphoto staff revoke [--data DIR] ID
      ends every session of a staff member at once: their tokens stop working. The
      account stays for the audit trail; 'staff add' makes a new member.

Adding and revoking are entered in the audit log (actor "cli", the member's id and
role, never the name).

`

// cmdStaff makes staff accounts (S2): their tokens exist only on this command's output.
func cmdStaff(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if done, err := subcommandHelp(args, stdout, staffHelp, "staff needs a subcommand: add, list or revoke"); done {
		return err
	}
	switch args[0] {
	case "add":
	case "list":
		return staffList(ctx, args[1:], stdout)
	case "revoke":
		return staffRevoke(ctx, args[1:], stdout)
	default:
		return usageError{fmt.Sprintf("unknown staff subcommand %q: add, list or revoke", args[0])}
	}
	fs, folder := dataCommand("staff add", staffHelp, needKey)
	role := fs.String("role", "", "operator or auditor")
	name := fs.String("name", "", "the staff member's name (kept sealed)")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "how long the token works")
	if pos, err := parseArgs(fs, args[1:], stdout); err != nil {
		return unlessHelp(err)
	} else if len(pos) > 0 {
		return usageError{"staff add takes no arguments"}
	}
	if *role != store.RoleOperator && *role != store.RoleAuditor {
		return usageError{"--role: operator or auditor"}
	}
	n := strings.TrimSpace(*name)
	if n == "" || utf8.RuneCountInString(n) > 64 {
		return usageError{"--name: 1 to 64 characters"}
	}
	if *ttl <= 0 {
		return usageError{"--ttl must be positive"}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	now := time.Now()
	token, hash := httpapi.NewStaffToken()
	u := store.User{ID: store.NewID(), Role: *role, CreatedAt: now}
	err = d.st.CreateStaff(ctx, u, func(id string) ([]byte, error) { return d.vault.Seal(ctx, id, []byte(n), "user.name:"+id) },
		store.Session{ID: store.NewID(), TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(*ttl)})
	if err != nil {
		return err
	}
	// Audited before the token is shown: a member whose making is not in the log never
	// gets a working token. The name stays out of the log.
	if err := d.log.Record(ctx, audit.Entry{Actor: audit.ActorCLI, Action: audit.ActionStaffAdd,
		Detail: "staff " + u.ID + " " + u.Role}); err != nil {
		return fmt.Errorf("staff member %s made, but not audited, so its token is not shown (revoke it): %w", u.ID, err)
	}
	fmt.Fprintf(stdout, "staff member %s (%s), token valid until %s; it is shown only now:\n%s\n",
		u.ID, *role, now.Add(*ttl).UTC().Format(time.RFC3339), token)
	return nil
}
