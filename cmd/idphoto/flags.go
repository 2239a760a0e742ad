package main

import (
	"errors"
	"flag"
	"io"
	"time"

	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/spec"
)

// parseArgs parses flags given before, between or after the positional arguments
// (`idphoto make selfie.jpg --spec cn-1inch`), returning the positional ones.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(stdout)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// dateRange reads --from and --to, days as 2006-01-02 (UTC), the range [from, to).
func dateRange(from, to string) (time.Time, time.Time, error) {
	f, err1 := time.Parse(time.DateOnly, from)
	t, err2 := time.Parse(time.DateOnly, to)
	if err1 != nil || err2 != nil || !f.Before(t) {
		return time.Time{}, time.Time{}, usageError{"--from and --to are dates (2006-01-02), from before to"}
	}
	return f, t, nil
}

// errHelp: -h was asked for and the usage printed; not a failure.
var errHelp = errors.New("help shown")

// lookupSpec finds a spec in the catalogue and reads the background asked for; an
// empty bg means the spec's first. Unknown ids and colours are usage errors.
func lookupSpec(id, bg string) (spec.Spec, compose.Background, error) {
	cat, err := spec.Load()
	if err != nil {
		return spec.Spec{}, compose.Background{}, err
	}
	s, err := cat.Lookup(id)
	if err != nil {
		return spec.Spec{}, compose.Background{}, usageError{err.Error()}
	}
	if bg == "" && len(s.Backgrounds) > 0 {
		bg = s.Backgrounds[0]
	}
	b, err := compose.ParseBackground(bg)
	if err != nil {
		return spec.Spec{}, compose.Background{}, usageError{err.Error()}
	}
	return s, b, nil
}
