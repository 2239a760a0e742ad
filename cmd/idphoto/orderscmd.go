package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/printorder"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

const ordersHelp = `Usage:
  idphoto orders list [--status paid|shipped] [--data DIR]
      the print orders to post (paid, the default) or posted (shipped), oldest
      first, with the recipient's name, phone and address in clear: the operator
      fulfilling them is the one who sees them whole (O4). Each order read is
      entered in the audit log (actor "cli") before it is shown.
  idphoto orders ship [--data DIR] --tracking NO ORDER
      marks a paid print order shipped with the parcel's tracking number (sealed
      with the user's key), audited.
  idphoto orders sheet [--data DIR] [--blobs WHERE] -o FILE ORDER
      writes the print-ready sheets of a paid or shipped print order to FILE
      (mode 0600), a ZIP: one JPEG per print item at 300 DPI on 6-inch paper (A4
      when the copies do not fit), named with its copies and how many to print,
      and PRINT.txt listing them. The photo is the user's: the read is entered in
      the audit log (actor "cli") first.

They read the database in DIR as serve keeps it (sheet also the encrypted blobs)
and need the master key ($IDPHOTO_MASTER_KEY_FILE or $IDPHOTO_MASTER_KEY). Over
the API the same are GET /api/v1/ops/print-orders, POST /api/v1/ops/orders/{id}/ship
and GET /api/v1/ops/orders/{id}/sheet.

`

// cmdOrders is the operator's side of print orders on the service's own machine.
func cmdOrders(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if done, err := subcommandHelp(args, stdout, ordersHelp, "orders needs a subcommand: list, ship or sheet"); done {
		return err
	}
	sub := args[0]
	if sub != "list" && sub != "ship" && sub != "sheet" {
		return usageError{fmt.Sprintf("unknown orders subcommand %q: list, ship or sheet", sub)}
	}
	needs := needKey
	if sub == "sheet" {
		needs |= needBlobs
	}
	fs, folder := dataCommand("orders "+sub, ordersHelp, needs)
	status := fs.String("status", string(order.StatusPaid), "list: paid (to post) or shipped")
	tracking := fs.String("tracking", "", "ship: the parcel's tracking number")
	out := fs.String("o", "", "sheet: the ZIP file to write")
	pos, err := parseArgs(fs, args[1:], stdout)
	if err != nil {
		return unlessHelp(err)
	}
	var tn string
	switch sub {
	case "list":
		if len(pos) > 0 {
			return usageError{"orders list takes no arguments"}
		}
		if *status != string(order.StatusPaid) && *status != string(order.StatusShipped) {
			return usageError{"--status: paid or shipped"}
		}
	case "ship":
		if len(pos) != 1 || !validOrderID(pos[0]) {
			return usageError{"orders ship takes one order id (32 hex characters; see 'idphoto orders list')"}
		}
		if tn, err = order.CheckTrackingNo(*tracking); err != nil {
			return usageError{"--tracking: " + err.Error()}
		}
	case "sheet":
		if len(pos) != 1 || !validOrderID(pos[0]) {
			return usageError{"orders sheet takes one order id (32 hex characters; see 'idphoto orders list')"}
		}
		if *out == "" {
			return usageError{"orders sheet needs -o FILE, the ZIP to write"}
		}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	switch sub {
	case "list":
		return listPrintOrders(ctx, d.st, d.vault, d.log, *status, stdout)
	case "sheet":
		return writeOrderSheets(ctx, d, pos[0], *out, stdout)
	}
	return shipOrder(ctx, d.st, d.vault, d.log, pos[0], tn, stdout)
}

// writeOrderSheets writes the print sheets of a paid or shipped print order to file,
// audited as a read of the user's photo before it is written.
func writeOrderSheets(ctx context.Context, d *dataFolder, id, file string, stdout io.Writer) error {
	o, err := d.st.OrderByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no order %s", id)
	}
	if err != nil {
		return err
	}
	cat, err := spec.Load()
	if err != nil {
		return err
	}
	m := printorder.Maker{Store: d.st, Blobs: blob.NewSealed(d.blobs, d.vault), Specs: cat, Limits: imageio.DefaultLimits()}
	sheets, err := m.Sheets(ctx, o)
	switch {
	case errors.Is(err, printorder.ErrNotPrintable):
		return fmt.Errorf("only a paid or shipped print order has print sheets; order %s is %s", id, o.Status)
	case errors.Is(err, printorder.ErrPhotoGone):
		return fmt.Errorf("the photo of order %s is no longer kept", id)
	case err != nil:
		return err
	}
	if err := d.log.Record(ctx, audit.Entry{Actor: audit.ActorCLI, Action: audit.ActionRead, Subject: audit.Subject(o.UserID),
		Detail: "order.sheet " + id}); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := printorder.WriteZip(&buf, id, sheets, time.Now()); err != nil {
		return err
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d sheet(s) of order %s\n", file, len(sheets), id)
	for _, s := range sheets {
		fmt.Fprintf(stdout, "  %s  %s, %d photos, print %d\n", s.Name(), s.Paper.Name, s.Copies, s.Prints)
	}
	return nil
}

// validOrderID: order ids are 32 lower-case hex (order.NewID).
func validOrderID(s string) bool {
	return len(s) == 32 && strings.Trim(s, "0123456789abcdef") == ""
}

// mailing is a print order's recipient as the API seals it.
type mailing struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
}

func listPrintOrders(ctx context.Context, st *store.Store, v *vault.Vault, log *audit.Log, status string, stdout io.Writer) error {
	os, err := st.OrdersByStatus(ctx, status, 500)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tPAID\tSHEETS\tTOTAL\tNAME\tPHONE\tADDRESS\tTRACKING")
	for _, o := range os {
		if !o.HasMailing() || len(o.MailingSealed) == 0 {
			continue
		}
		// Audited before it is opened: an entry that fails shows nothing.
		if err := log.Record(ctx, audit.Entry{Actor: audit.ActorCLI, Action: audit.ActionRead, Subject: audit.Subject(o.UserID),
			Detail: "order.mailing " + o.ID}); err != nil {
			return err
		}
		plain, err := v.Open(ctx, o.UserID, o.MailingSealed, privacy.MailingContext(o.ID))
		var m mailing
		if err == nil {
			err = json.Unmarshal(plain, &m)
		}
		if err != nil {
			return fmt.Errorf("mailing of order %s: %w", o.ID, err)
		}
		tracking := ""
		if sealed, err := st.Tracking(ctx, o.ID); err != nil {
			return err
		} else if len(sealed) > 0 {
			b, err := v.Open(ctx, o.UserID, sealed, privacy.TrackingContext(o.ID))
			if err != nil {
				return fmt.Errorf("tracking of order %s: %w", o.ID, err)
			}
			tracking = string(b)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.PaidAt.UTC().Format(time.RFC3339), sheets(o.Order),
			order.FormatFen(o.TotalFen), oneLine(m.Name), oneLine(m.Phone), oneLine(m.Address), tracking)
	}
	return tw.Flush()
}

// sheets describes the print lines: "2×8" is two sheets of eight photos.
func sheets(o order.Order) string {
	var parts []string
	for _, it := range o.Items {
		if it.Kind == order.KindPrint {
			parts = append(parts, fmt.Sprintf("%d×%d", it.Quantity, it.Copies))
		}
	}
	return strings.Join(parts, ",")
}

// oneLine keeps a user's text from breaking the table or driving the operator's
// terminal: tabs, line breaks and every other control character (an escape sequence's
// ESC, C1 controls) become spaces. The API refuses them; orders older than that rule
// may hold them.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func shipOrder(ctx context.Context, st *store.Store, v *vault.Vault, log *audit.Log, id, tn string, stdout io.Writer) error {
	var user string
	err := st.UpdateOrder(ctx, id, func(o *store.Order) error {
		user = o.UserID
		if err := o.Apply(order.EventShip, time.Now()); err != nil {
			return fmt.Errorf("only a paid print order can be shipped; order %s is %s", id, o.Status)
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no order %s", id)
	}
	if err != nil {
		return err
	}
	if err := log.Record(ctx, audit.Entry{Actor: audit.ActorCLI, Action: audit.ActionShip, Subject: audit.Subject(user),
		Detail: "order " + id}); err != nil {
		return err
	}
	sealed, err := v.Seal(ctx, user, []byte(tn), privacy.TrackingContext(id))
	if err != nil {
		return err
	}
	if err := st.SetTracking(ctx, id, sealed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "order %s shipped, tracking number %s\n", id, tn)
	return nil
}
