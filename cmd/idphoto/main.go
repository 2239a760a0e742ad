// Command idphoto makes ID photos on your own machine and runs the idphoto service.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `idphoto: compliant ID photos from a selfie, made on your own machine.

Usage:
  idphoto make PHOTO... --spec ID [--bg COLOUR] [-o FILE | --out-dir DIR] [--sheet PAPER] [--force]
  idphoto check PHOTO --spec ID [--json] [--lang en|zh]   can this photo make a compliant ID photo, and why not
  idphoto specs [--json] [--group GROUP]     the catalogue of photo specs
  idphoto sheet PHOTO... --spec ID[,ID] --paper PAPER -o FILE
  idphoto models pull|list                    the optional neural models (ONNX Runtime, BlazeFace, IS-Net)
  idphoto bench DIR [--spec ID] [--megapixels N]
  idphoto serve [--addr :8080] [--data ./data]   the service (API for the web page and mini-programs)
  idphoto keygen -o FILE                      a new master key for serve
  idphoto purge [--data DIR] [--dry-run]      run the retention sweep once
  idphoto shutdown-notice --effective DATE [--cancel] [--data DIR]   announce the service's closing
  idphoto audit verify|reads|anchor [--data DIR] [--anchor FILE|SEQ:HASH]   check the audit log (against an anchor); whose data a staff member read; the chain's head
  idphoto hold add|list|release [--data DIR]   legal holds: keep data from the retention sweep (R7)
  idphoto staff add --role operator|auditor --name NAME [--data DIR]   a staff token, printed once
  idphoto orders list|ship|sheet [--data DIR]  print orders to post, with their recipients; mark one shipped; its print sheets
  idphoto ledger export --from DATE --to DATE [-o FILE] [--data DIR]   the accounting ledger as CSV
  idphoto version

Run 'idphoto COMMAND -h' for a command's flags.
`

// exit codes
const (
	exitOK      = 0
	exitFailed  = 1 // some photo could not be made
	exitUsage   = 2
	exitRuntime = 3 // the program itself could not run (models, files)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"make":            cmdMake,
		"check":           cmdCheck,
		"specs":           cmdSpecs,
		"sheet":           cmdSheet,
		"models":          cmdModels,
		"bench":           cmdBench,
		"serve":           cmdServe,
		"keygen":          cmdKeygen,
		"audit":           cmdAudit,
		"purge":           cmdPurge,
		"hold":            cmdHold,
		"shutdown-notice": cmdShutdownNotice,
		"staff":           cmdStaff,
		"orders":          cmdOrders,
		"ledger":          cmdLedger,
		"version": func(context.Context, []string, io.Writer, io.Writer) error {
			fmt.Fprintln(stdout, "idphoto", version)
			return nil
		},
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "idphoto: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	var ue usageError
	var fe failedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "idphoto %s: %s\n", name, ue.msg)
		return exitUsage
	case errors.As(err, &fe):
		return exitFailed // each failure has been printed already
	default:
		fmt.Fprintf(stderr, "idphoto %s: %s\n", name, err)
		return exitRuntime
	}
}

// failedError says some photos failed; their lines have been printed.
type failedError struct{ n int }

func (e failedError) Error() string { return fmt.Sprintf("%d photos failed", e.n) }

var version = "dev"
