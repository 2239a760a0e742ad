package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// staffList prints the staff. Names are opened only when the master key is set;
// without it they show as sealed.
func staffList(ctx context.Context, args []string, stdout io.Writer) error {
	fs, folder := dataCommand("staff list", staffHelp, keyIfSet)
	if pos, err := parseArgs(fs, args, stdout); err != nil {
		return unlessHelp(err)
	} else if len(pos) > 0 {
		return usageError{"staff list takes no arguments"}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	staff, err := d.st.Staff(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tokens, err := d.st.LiveStaffTokens(ctx, now)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tSINCE\tTOKENS\tUNTIL\tNAME")
	for _, m := range staff {
		name := "(sealed)"
		if d.vault != nil && len(m.NameSealed) > 0 {
			if b, err := d.vault.Open(ctx, m.ID, m.NameSealed, "user.name:"+m.ID); err == nil {
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
	fs, folder := dataCommand("staff revoke", staffHelp, 0)
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return unlessHelp(err)
	}
	if len(pos) != 1 || !store.ValidID(pos[0]) {
		return usageError{"staff revoke takes one staff member's id (see 'idphoto staff list')"}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.st.RevokeStaff(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no staff member %s", pos[0])
	}
	if err != nil {
		return err
	}
	if err := d.log.Record(ctx, audit.Entry{Actor: audit.ActorCLI, Action: audit.ActionStaffRevoke,
		Detail: fmt.Sprintf("staff %s %d sessions", pos[0], n)}); err != nil {
		return fmt.Errorf("staff member %s: %d session(s) ended, but the audit entry failed: %w", pos[0], n, err)
	}
	fmt.Fprintf(stdout, "staff member %s: %d session(s) ended; their tokens no longer work\n", pos[0], n)
	return nil
}
