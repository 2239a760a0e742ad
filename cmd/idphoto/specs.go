package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/idphoto/idphoto/internal/spec"
)

func cmdSpecs(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("specs", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON")
	group := fs.String("group", "", "only this group (common, id, exam, visa, other)")
	if _, err := parseArgs(fs, args, stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	cat, err := spec.Load()
	if err != nil {
		return err
	}
	var list []spec.Spec
	for _, s := range cat.All() {
		if *group == "" || s.Group == *group {
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		return usageError{fmt.Sprintf("no specs in group %q", *group)}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\t名称\tMM\tPX\tDPI\tBACKGROUNDS\tKB")
	for _, s := range list {
		kb := "-"
		if s.MinKB > 0 || s.MaxKB > 0 {
			kb = fmt.Sprintf("%d-%d", s.MinKB, s.MaxKB)
		}
		mm := "-"
		if s.WidthMM > 0 {
			mm = fmt.Sprintf("%gx%g", s.WidthMM, s.HeightMM)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%dx%d\t%d\t%s\t%s\n", s.ID, s.Name, s.NameZH, mm, s.WidthPx, s.HeightPx, s.DPI, strings.Join(s.Backgrounds, ","), kb)
	}
	return tw.Flush()
}
