package main

import (
	"errors"
	"flag"
	"io"
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

// errHelp: -h was asked for and the usage printed; not a failure.
var errHelp = errors.New("help shown")
