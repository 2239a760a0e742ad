package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

const purgeHelp = `Usage: idphoto purge [--data DIR] [--dry-run] [--unpaid-ttl 24h]

Runs the retention sweep once, as serve does every hour: unpaid jobs' results and
their source photos after --unpaid-ttl, paid e-photos 7 days after payment, spent
export archives and expired sessions; blobs from disk first, then rows. Legal holds
are skipped. --dry-run only counts. No master key is needed: nothing is read.

`

// retentionFlags maps the retention policy's numbers onto flags (purge and serve).
func retentionFlags(fs *flag.FlagSet) *privacy.Config {
	c := privacy.DefaultConfig()
	fs.DurationVar(&c.UnpaidTTL, "unpaid-ttl", envDuration("IDPHOTO_UNPAID_TTL", c.UnpaidTTL), "how long unpaid results and their photos are kept ($IDPHOTO_UNPAID_TTL)")
	fs.DurationVar(&c.SweepEvery, "sweep-every", envDuration("IDPHOTO_SWEEP_EVERY", c.SweepEvery), "how often serve runs the retention sweep ($IDPHOTO_SWEEP_EVERY)")
	return &c
}

func cmdPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, folder := dataCommand("purge", purgeHelp, needBlobs)
	dry := fs.Bool("dry-run", false, "count what would be deleted, delete nothing")
	cfg := retentionFlags(fs)
	if pos, err := parseArgs(fs, args, stdout); err != nil {
		return unlessHelp(err)
	} else if len(pos) > 0 {
		return usageError{"purge takes no arguments"}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	d, err := folder.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	svc, err := d.privacy(*cfg)
	if err != nil {
		return err
	}
	rep, err := svc.Sweep(ctx, *dry)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep)
	return nil
}

// startSweeps runs the retention sweep beside serve until ctx ends.
func startSweeps(ctx context.Context, cfg privacy.Config, st *store.Store, blobs blob.Store, log *slog.Logger) error {
	svc, err := privacy.New(cfg, st, blobs, nil, log)
	if err != nil {
		return err
	}
	go svc.Run(ctx)
	return nil
}

// envDuration reads a default duration from the environment.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
