package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

const auditHelp = `Usage:
  idphoto audit verify [--data DIR]
      checks the audit log's hash chain: exit 0 when intact, 1 when an entry was
      changed or removed (the first break is named)
  idphoto audit reads --actor STAFF --from DATE --to DATE [--data DIR] [--user ID]
      whose data did this staff member read in [from, to) (dates as 2006-01-02, UTC):
      the users' pseudonyms; with --user, whether that user is among them

`

// cmdAudit is for auditors: the chain's integrity and who read whose data (S2, S3).
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, auditHelp)
		if len(args) == 0 {
			return usageError{"audit needs a subcommand: verify or reads"}
		}
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	data := fs.String("data", envString("IDPHOTO_DATA", "data"), "folder of the database ($IDPHOTO_DATA)")
	actor := fs.String("actor", "", "the staff member's user id (reads)")
	from := fs.String("from", "", "first day, 2006-01-02 (reads)")
	to := fs.String("to", "", "day after the last, 2006-01-02 (reads)")
	user := fs.String("user", "", "a user id to look for (reads)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), auditHelp); fs.PrintDefaults() }
	if pos, err := parseArgs(fs, args[1:], stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	} else if len(pos) > 0 {
		return usageError{"audit " + sub + " takes no arguments"}
	}
	if sub != "verify" && sub != "reads" {
		return usageError{fmt.Sprintf("unknown audit subcommand %q: verify or reads", sub)}
	}
	st, err := openDataStore(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	log := audit.New(st)
	switch sub {
	case "verify":
		n, err := log.Verify(ctx)
		if errors.Is(err, audit.ErrTampered) {
			fmt.Fprintf(stderr, "idphoto audit verify: %v (after %d good entries)\n", err, n)
			return failedError{1}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "audit log intact: %d entries\n", n)
		return nil
	default:
		if *actor == "" || *from == "" || *to == "" {
			return usageError{"reads needs --actor, --from and --to"}
		}
		f, err1 := time.Parse(time.DateOnly, *from)
		t, err2 := time.Parse(time.DateOnly, *to)
		if err1 != nil || err2 != nil || !f.Before(t) {
			return usageError{"--from and --to are dates (2006-01-02), from before to"}
		}
		subjects, err := log.ReadsBy(ctx, *actor, f, t)
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

// openDataStore opens the database of a data folder, as serve keeps it.
func openDataStore(ctx context.Context, data string) (*store.Store, error) {
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(data, "idphoto.db")
	return store.Open(ctx, cfg)
}
