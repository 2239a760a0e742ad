package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/idphoto/idphoto/internal/audit"
)

const auditHelp = `Usage:
  idphoto audit verify [--data DIR] [--anchor FILE|SEQ:HASH]
      checks the audit log's hash chain: exit 0 when intact, 1 when an entry was
      changed or removed (the first break is named). The chain alone can't show its
      newest entries cut off; with --anchor it must also reach the anchor given, or
      every anchor of an anchor file (the one serve writes: see serve --audit-anchor)
  idphoto audit anchor [--data DIR]
      prints the chain's head, "SEQ HASH": keep it outside the database (another
      machine, a ticket, paper) and give it to verify --anchor later
  idphoto audit reads --actor STAFF --from DATE --to DATE [--data DIR] [--user ID]
      whose data did this staff member read in [from, to) (dates as 2006-01-02, UTC):
      the users' pseudonyms; with --user, whether that user is among them

`

// cmdAudit is for auditors: the chain's integrity and who read whose data (S2, S3).
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if done, err := subcommandHelp(args, stdout, auditHelp, "audit needs a subcommand: verify or reads"); done {
		return err
	}
	sub := args[0]
	fs, folder := dataCommand("audit "+sub, auditHelp, 0)
	actor := fs.String("actor", "", "the staff member's user id (reads)")
	from := fs.String("from", "", "first day, 2006-01-02 (reads)")
	to := fs.String("to", "", "day after the last, 2006-01-02 (reads)")
	user := fs.String("user", "", "a user id to look for (reads)")
	anchor := fs.String("anchor", "", "an anchor file, or an anchor SEQ:HASH, the chain must reach (verify)")
	if pos, err := parseArgs(fs, args[1:], stdout); err != nil {
		return unlessHelp(err)
	} else if len(pos) > 0 {
		return usageError{"audit " + sub + " takes no arguments"}
	}
	if sub != "verify" && sub != "reads" && sub != "anchor" {
		return usageError{fmt.Sprintf("unknown audit subcommand %q: verify, reads or anchor", sub)}
	}
	var anchors []audit.Anchor
	if *anchor != "" {
		if sub != "verify" {
			return usageError{"--anchor is for verify"}
		}
		var err error
		if anchors, err = readAnchorArg(*anchor); err != nil {
			return err
		}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	switch sub {
	case "verify":
		n, err := d.log.VerifyAnchors(ctx, anchors...)
		if errors.Is(err, audit.ErrTampered) {
			fmt.Fprintf(stderr, "idphoto audit verify: %v (after %d good entries)\n", err, n)
			return failedError{1}
		}
		if err != nil {
			return err
		}
		if len(anchors) > 0 {
			fmt.Fprintf(stdout, "audit log intact: %d entries, reaching %d anchors\n", n, len(anchors))
			return nil
		}
		fmt.Fprintf(stdout, "audit log intact: %d entries\n", n)
		return nil
	case "anchor":
		head, err := d.log.Head(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, head)
		return nil
	default:
		if *actor == "" || *from == "" || *to == "" {
			return usageError{"reads needs --actor, --from and --to"}
		}
		f, t, err := dateRange(*from, *to)
		if err != nil {
			return err
		}
		subjects, err := d.log.ReadsBy(ctx, *actor, f, t)
		if err != nil {
			return err
		}
		want := audit.Subject(*user)
		found := false
		for _, s := range subjects {
			fmt.Fprintln(stdout, s)
			found = found || s == want
		}
		if *user != "" {
			fmt.Fprintf(stdout, "user %s read: %v\n", want, found)
		}
		return nil
	}
}

// readAnchorArg reads --anchor: an anchor itself (SEQ:HASH), or the file of anchors
// serve appends to.
func readAnchorArg(arg string) ([]audit.Anchor, error) {
	if a, err := audit.ParseAnchor(arg); err == nil {
		return []audit.Anchor{a}, nil
	}
	f, err := os.Open(arg)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageError{"--anchor: neither an anchor (SEQ:HASH) nor a file"}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	as, err := audit.ReadAnchors(f)
	if err != nil {
		return nil, fmt.Errorf("anchor file %s: %w", arg, err)
	}
	if len(as) == 0 {
		return nil, usageError{"--anchor: the file holds no anchor"}
	}
	return as, nil
}
