package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/vault"
)

const ledgerHelp = `Usage:
  idphoto ledger export --from DATE --to DATE [-o FILE] [--data DIR]
      the accounting ledger's entries recorded in [from, to) as CSV (O3): dates as
      2006-01-02 (UTC), to is the day after the last. Amount, channel, trade
      number, order, payer id, client IP and times, opened with the ledger key:
      for the auditor. The export is entered in the audit log (actor "cli") before
      any entry is opened. Writes to stdout, or to FILE (mode 0600). Needs the
      master key ($IDPHOTO_MASTER_KEY_FILE or $IDPHOTO_MASTER_KEY). Over the API:
      GET /api/v1/audit/ledger.csv?from=…&to=….

`

// cmdLedger is the auditor's export of the ledger on the service's own machine.
func cmdLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if done, err := subcommandHelp(args, stdout, ledgerHelp, "ledger needs a subcommand: export"); done {
		return err
	}
	if args[0] != "export" {
		return usageError{fmt.Sprintf("unknown ledger subcommand %q: export", args[0])}
	}
	fs, folder := dataCommand("ledger export", ledgerHelp, needKey)
	from := fs.String("from", "", "first day, 2006-01-02 (UTC)")
	to := fs.String("to", "", "day after the last, 2006-01-02 (UTC)")
	out := fs.String("o", "", "write the CSV to this file (default: stdout)")
	if pos, err := parseArgs(fs, args[1:], stdout); err != nil {
		return unlessHelp(err)
	} else if len(pos) > 0 {
		return usageError{"ledger export takes no arguments"}
	}
	f, t, err := dateRange(*from, *to)
	if err != nil {
		return err
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	ses, err := d.st.LedgerEntries(ctx, f, t)
	if err != nil {
		return err
	}
	if err := d.log.Record(ctx, audit.Entry{Actor: audit.ActorCLI, Action: audit.ActionLedgerExport,
		Detail: fmt.Sprintf("%s..%s %d entries", f.Format(time.RFC3339), t.Format(time.RFC3339), len(ses))}); err != nil {
		return err
	}
	// The ledger's key is held by no user (O3): its own vault over the ledger keys.
	lv, err := vault.New(d.masters, d.st.LedgerKeys())
	if err != nil {
		return err
	}
	entries := make([]ledger.Entry, 0, len(ses))
	for _, se := range ses {
		e, err := ledger.Open(ctx, lv, se)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	var buf bytes.Buffer
	if err := ledger.WriteCSV(&buf, entries); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d ledger entries written to %s\n", len(entries), *out)
	return nil
}
