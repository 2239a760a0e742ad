package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

const shutdownHelp = `Usage: idphoto shutdown-notice [--data DIR] --effective YYYY-MM-DD
       idphoto shutdown-notice [--data DIR] --cancel

Announces that the service is closing (the policy's promise: users are told, and their
data is deleted or anonymised in a reasonable time). From now on every API answer
carries X-Idphoto-Service-Closing: DATE and GET /api/v1/status reports it. From the
start of that day (China time) the retention sweep erases every account: photos,
results, orders with their mailing details, sessions, data keys, and every support
ticket. The accounting ledger, the audit log, the request log and the consent records
stay, naming no one but by pseudonym. Accounts under a legal hold are kept.
--cancel withdraws the notice. With no flag but --data, prints the notice.

`

func cmdShutdownNotice(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, folder := dataCommand("shutdown-notice", shutdownHelp, needBlobs)
	effective := fs.String("effective", "", "the closing day, YYYY-MM-DD (China time)")
	cancel := fs.Bool("cancel", false, "withdraw the notice")
	if pos, err := parseArgs(fs, args, stdout); err != nil {
		return unlessHelp(err)
	} else if len(pos) > 0 {
		return usageError{"shutdown-notice takes no arguments"}
	}
	if *cancel && *effective != "" {
		return usageError{"--effective and --cancel exclude each other"}
	}
	set := *effective != ""
	when, err := privacy.ParseClosingDate(*effective)
	if set && err != nil {
		return usageError{"--effective: a date, YYYY-MM-DD"}
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
	switch {
	case *cancel:
		if err := svc.CancelClosing(ctx); errors.Is(err, store.ErrNotFound) {
			fmt.Fprintln(stdout, "the service was not closing")
			return nil
		} else if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "closing notice withdrawn")
	case set:
		if err := svc.AnnounceClosing(ctx, when); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "the service closes on %s: every API answer now says so; from that day the sweep erases every account\n", privacy.ClosingDate(when))
	default:
		c, ok, err := svc.Closing(ctx)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "the service is not closing")
			return nil
		}
		fmt.Fprintf(stdout, "the service closes on %s (announced %s)\n", privacy.ClosingDate(c.Effective), c.Announced.UTC().Format("2006-01-02 15:04 MST"))
	}
	return nil
}
