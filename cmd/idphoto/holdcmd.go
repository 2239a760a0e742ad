package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

const holdHelp = `Usage:
  idphoto hold add --scope user|order|photo --id ID --reason TEXT [--until DATE] [--data DIR]
      keeps a user's, an order's or a photo's data from the retention sweep for a
      legal need (R7), through DATE (YYYY-MM-DD, China time) or until released. The
      reason says why (a court order's number, a tax inspection) and must name no one.
      Prints the hold's id.
  idphoto hold list [--data DIR]
      the holds in force: id, scope, target, since, until, who placed it, reason
  idphoto hold release [--data DIR] ID
      ends a hold: the sweep deletes what it kept once its periods have passed

Every hold placed or released is an entry of the audit log (actor "cli" here; the
operator API's routes name the staff member).

`

// cmdHold places, lists and releases legal holds on a data folder, as purge sweeps it.
func cmdHold(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if done, err := subcommandHelp(args, stdout, holdHelp, "hold needs a subcommand: add, list or release"); done {
		return err
	}
	sub := args[0]
	if sub != "add" && sub != "list" && sub != "release" {
		return usageError{fmt.Sprintf("unknown hold subcommand %q: add, list or release", sub)}
	}
	fs, folder := dataCommand("hold "+sub, holdHelp, needBlobs)
	scope := fs.String("scope", "", "add: user, order or photo")
	id := fs.String("id", "", "add: the user, order or photo id")
	reason := fs.String("reason", "", "add: why the data is kept, naming no one")
	until := fs.String("until", "", "add: the last day held, YYYY-MM-DD (China time); none: until released")
	pos, err := parseArgs(fs, args[1:], stdout)
	if err != nil {
		return unlessHelp(err)
	}
	var req privacy.HoldRequest
	switch sub {
	case "release":
		if len(pos) != 1 {
			return usageError{"hold release takes the hold's id"}
		}
	case "add":
		if len(pos) > 0 {
			return usageError{"hold add takes no arguments: --scope, --id and --reason"}
		}
		req = privacy.HoldRequest{Scope: *scope, TargetID: *id, Reason: *reason}
		if *until != "" {
			if req.Until, err = privacy.ParseHoldUntil(*until); err != nil {
				return usageError{"--until: a date, YYYY-MM-DD"}
			}
		}
		if req, err = privacy.CheckHold(req, time.Now()); err != nil {
			return usageError{err.Error()}
		}
	default:
		if len(pos) > 0 {
			return usageError{"hold list takes no arguments"}
		}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	svc, err := d.privacy(privacy.DefaultConfig())
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		h, err := svc.PlaceHold(ctx, privacy.ActorCLI, req)
		if errors.Is(err, store.ErrNotFound) {
			return usageError{"no " + req.Scope + " " + req.TargetID + " in this data folder"}
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, h.ID)
	case "release":
		if _, err := svc.ReleaseHold(ctx, privacy.ActorCLI, pos[0]); errors.Is(err, store.ErrNotFound) {
			return usageError{"no hold " + pos[0] + " in force"}
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "hold %s released\n", pos[0])
	default:
		hs, err := svc.Holds(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSCOPE\tTARGET\tSINCE\tUNTIL\tBY\tREASON")
		for _, h := range hs {
			until := "-"
			if !h.Until.IsZero() {
				until = privacy.ClosingDate(h.Until.Add(-time.Millisecond))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Scope, h.TargetID, privacy.ClosingDate(h.CreatedAt),
				until, h.PlacedBy, h.Reason)
		}
		return tw.Flush()
	}
	return nil
}
