package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

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
			fmt.Fprintf(stdout, "not installed in %s: %s\n", *dir, err)
			return nil
		}
		fmt.Fprintf(stdout, "installed in %s\n", *dir)
		return nil
	}
	return usageError{fmt.Sprintf("unknown models action %q: use pull or list", action)}
}
