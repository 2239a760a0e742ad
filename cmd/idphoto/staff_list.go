package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// staffList prints the staff. Names are opened only when the master key is set;
// without it they show as sealed.
func staffList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff list", flag.ContinueOnError)
	data := fs.String("data", envString("IDPHOTO_DATA", "data"), "folder of the database ($IDPHOTO_DATA)")
	keyFile := fs.String("master-key-file", os.Getenv("IDPHOTO_MASTER_KEY_FILE"), "file of master keys, to show names ($IDPHOTO_MASTER_KEY_FILE)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), staffHelp); fs.PrintDefaults() }
	if pos, err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	} else if len(pos) > 0 {
		return usageError{"staff list takes no arguments"}
	}
	st, err := openDataStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	var v *vault.Vault
	if *keyFile != "" || os.Getenv("IDPHOTO_MASTER_KEY") != "" {
		masters, err := loadMasterKeys(*keyFile)
		if err != nil {
			return err
		}
		if v, err = vault.New(masters, st); err != nil {
			return err
		}
	}
	staff, err := st.Staff(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tokens, err := st.LiveStaffTokens(ctx, now)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tSINCE\tTOKENS\tUNTIL\tNAME")
	for _, m := range staff {
		name := "(sealed)"
		if v != nil && len(m.NameSealed) > 0 {
			if b, err := v.Open(ctx, m.ID, m.NameSealed, "user.name:"+m.ID); err == nil {
				name = string(b)
			} else {
				name = "(unreadable)"
			}
		}
		tk := tokens[m.ID]
		until := "revoked or expired"
		if tk.Live > 0 {
			until = tk.Until.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Role, m.CreatedAt.UTC().Format(time.DateOnly), tk.Live, until, name)
	}
	return tw.Flush()
}

// staffRevoke ends every session of a staff member.
func staffRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("staff revoke", flag.ContinueOnError)
	data := fs.String("data", envString("IDPHOTO_DATA", "data"), "folder of the database ($IDPHOTO_DATA)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), staffHelp); fs.PrintDefaults() }
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	if len(pos) != 1 || !store.ValidID(pos[0]) {
		return usageError{"staff revoke takes one staff member's id (see 'idphoto staff list')"}
	}
	st, err := openDataStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.RevokeStaff(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no staff member %s", pos[0])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "staff member %s: %d session(s) ended; their tokens no longer work\n", pos[0], n)
	return nil
}
