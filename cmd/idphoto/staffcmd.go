package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
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

`

// cmdStaff makes staff accounts (S2): their tokens exist only on this command's output.
func cmdStaff(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, staffHelp)
		if len(args) == 0 {
			return usageError{"staff needs a subcommand: add, list or revoke"}
		}
		return nil
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
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	data := fs.String("data", envString("IDPHOTO_DATA", "data"), "folder of the database ($IDPHOTO_DATA)")
	role := fs.String("role", "", "operator or auditor")
	name := fs.String("name", "", "the staff member's name (kept sealed)")
	ttl := fs.Duration("ttl", 90*24*time.Hour, "how long the token works")
	keyFile := fs.String("master-key-file", os.Getenv("IDPHOTO_MASTER_KEY_FILE"), "file of master keys, current first ($IDPHOTO_MASTER_KEY_FILE)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), staffHelp); fs.PrintDefaults() }
	if pos, err := parseArgs(fs, args[1:], stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
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
	masters, err := loadMasterKeys(*keyFile)
	if err != nil {
		return err
	}
	st, err := openDataStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := vault.New(masters, st)
	if err != nil {
		return err
	}
	now := time.Now()
	token, hash := httpapi.NewStaffToken()
	u := store.User{ID: store.NewID(), Role: *role, CreatedAt: now}
	err = st.CreateStaff(ctx, u, func(id string) ([]byte, error) { return v.Seal(ctx, id, []byte(n), "user.name:"+id) },
		store.Session{ID: store.NewID(), TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(*ttl)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "staff member %s (%s), token valid until %s; it is shown only now:\n%s\n",
		u.ID, *role, now.Add(*ttl).UTC().Format(time.RFC3339), token)
	return nil
}

// loadMasterKeys reads the master keys as serve does: the file, or $IDPHOTO_MASTER_KEY.
func loadMasterKeys(keyFile string) ([]vault.Key, error) {
	keyText := os.Getenv("IDPHOTO_MASTER_KEY")
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		keyText = string(b)
	}
	if keyText == "" {
		return nil, errors.New(noMasterKey)
	}
	return vault.ParseKeyring(keyText)
}
