package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/idphoto/idphoto/internal/check"
	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/spec"
)

// cmdCheck prints the photo check for each photo: exit 0 when every blocking rule
// passes on every photo, 1 otherwise.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	specID := fs.String("spec", "", "photo spec id (see 'idphoto specs'), required")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	lang := fs.String("lang", "en", "language of the messages: en or zh")
	eo := engineFlags(fs)
	files, err := parseArgs(fs, args, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	switch {
	case len(files) == 0:
		return usageError{"no photo given"}
	case *specID == "":
		return usageError{"--spec is required: see 'idphoto specs'"}
	case *lang != "en" && *lang != "zh":
		return usageError{"--lang must be en or zh"}
	}
	s, bg, err := lookupSpec(*specID, "")
	if err != nil {
		return err
	}
	eng, err := engine.Open(*eo, pipeline.DefaultConfig())
	if err != nil {
		return err
	}
	defer eng.Close()

	failed := 0
	for _, file := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rep, err := checkOne(ctx, eng.Engine, file, s, bg)
		if rep == nil || !rep.Pass || err != nil {
			failed++
		}
		if *asJSON {
			out := checkJSON{Photo: file, Report: rep}
			if err != nil {
				out.Error = err.Error()
			}
			b, _ := json.MarshalIndent(out, "", "  ")
			fmt.Fprintf(stdout, "%s\n", b)
			continue
		}
		if len(files) > 1 {
			fmt.Fprintf(stdout, "%s\n", file)
		}
		if rep != nil {
			printReport(stdout, rep, *lang == "zh")
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: %s\n", file, err)
		}
	}
	if failed > 0 {
		return failedError{failed}
	}
	return nil
}

// checkJSON is one photo's output of 'check --json'.
type checkJSON struct {
	Photo string `json:"photo"`
	// Error is why the photo can't be made, when a step stopped it (no face, two
	// faces, a backdrop the plain-backdrop matte can't read); the report then
	// holds what was measured.
	Error string `json:"error,omitempty"`
	*check.Report
}

func checkOne(ctx context.Context, eng *pipeline.Engine, file string, s spec.Spec, bg compose.Background) (*check.Report, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, errors.New("cannot open: " + strings.TrimPrefix(err.Error(), "open "+file+": "))
	}
	defer f.Close()
	rep, _, err := eng.Check(ctx, f, pipeline.Request{Spec: s, Background: bg})
	return rep, err
}

// printReport writes the report as a table: rule, measured, allowed, verdict, and
// for a miss what is wrong and what to do.
func printReport(w io.Writer, rep *check.Report, zh bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tMEASURED\tALLOWED\tRESULT\tMESSAGE")
	for _, r := range rep.Rules {
		verdict := "ok"
		switch {
		case r.Skipped:
			verdict = "-"
		case r.Blocking():
			verdict = "FAIL"
		case !r.Pass:
			verdict = "warn"
		}
		msg, fix, sep := r.Message, r.Fix, ": "
		if zh {
			msg, fix, sep = r.MessageZH, r.FixZH, "；"
		}
		if fix != "" {
			msg += sep + fix
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.MeasuredText(), r.AllowedText(), verdict, msg)
	}
	tw.Flush()
	switch {
	case rep.Pass && zh:
		fmt.Fprintln(w, "检测通过：可以制作证件照")
	case rep.Pass:
		fmt.Fprintln(w, "pass: this photo can make the ID photo")
	case zh:
		fmt.Fprintln(w, "检测未通过：请先解决标为 FAIL 的问题")
	default:
		fmt.Fprintln(w, "fail: fix the rules marked FAIL first")
	}
}

// checkGate is make's use of the check. A photo that fails a blocking rule is
// refused, its failing rules' messages and fixes in the error; with force it is made
// anyway and the report written beside it. It returns make's report lines for the
// rules that missed.
func checkGate(rep *check.Report, dst string, force bool) (string, error) {
	if rep == nil {
		return "", nil
	}
	if !rep.Pass && !force {
		var lines []string
		for _, r := range rep.Failed() {
			if r.Blocking() {
				lines = append(lines, "  "+r.Message+": "+r.Fix)
			}
		}
		return "", errors.New("the photo check failed (--force makes it anyway):\n" + strings.Join(lines, "\n"))
	}
	var b strings.Builder
	for _, r := range rep.Failed() {
		fmt.Fprintf(&b, "\n  check %s: %s", r.Severity, r.Message)
	}
	if force {
		path, err := writeReport(dst, rep)
		if err != nil {
			return "", err
		}
		b.WriteString("\n  report " + path)
	}
	return b.String(), nil
}

// writeReport writes the report beside the photo at dst: PHOTO.report.json.
func writeReport(dst string, rep *check.Report) (string, error) {
	path := strings.TrimSuffix(dst, filepath.Ext(dst)) + ".report.json"
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	return path, writeFileAtomic(path, append(b, '\n'))
}
