package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// The operator's commands (audit, hold, purge, shutdown-notice, staff, orders, ledger)
// work on the service's data as serve keeps it. How they name it on the command line
// and open it is here, once.

// dataNeeds says what a command uses beyond the database.
type dataNeeds uint8

const (
	needBlobs dataNeeds = 1 << iota // the encrypted blobs (--blobs)
	needKey                         // the master key: the command fails without it
	keyIfSet                        // the master key when it is set, to open what it can
)

// dataFlags are the flags that name the data: --data and --db, and as the command
// needs them --blobs and --master-key-file.
type dataFlags struct {
	needs                    dataNeeds
	data, db, blobs, keyFile *string
}

// dataCommand is the flag set of a command on the data, its usage the help text and
// the flags' defaults, with the flags that name the data defined.
func dataCommand(name, help string, needs dataNeeds) (*flag.FlagSet, *dataFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), help); fs.PrintDefaults() }
	f := &dataFlags{needs: needs}
	folder := "folder of the database ($IDPHOTO_DATA)"
	if needs&needBlobs != 0 {
		folder = "folder of the database and the encrypted blobs ($IDPHOTO_DATA)"
		f.blobs = blobsFlag(fs)
	}
	f.data = fs.String("data", envString("IDPHOTO_DATA", "data"), folder)
	f.db = databaseFlag(fs)
	switch {
	case needs&needKey != 0:
		f.keyFile = fs.String("master-key-file", os.Getenv("IDPHOTO_MASTER_KEY_FILE"), "file of master keys, current first ($IDPHOTO_MASTER_KEY_FILE)")
	case needs&keyIfSet != 0:
		f.keyFile = fs.String("master-key-file", os.Getenv("IDPHOTO_MASTER_KEY_FILE"), "file of master keys, to show names ($IDPHOTO_MASTER_KEY_FILE)")
	}
	return fs, f
}

// dataFolder is the data opened: the store and its audit log, and as the command
// asked, the blobs and the vault over the master keys (nil under keyIfSet without a
// key).
type dataFolder struct {
	st      *store.Store
	log     *audit.Log
	blobs   blob.Store
	masters []vault.Key
	vault   *vault.Vault
}

// open reads the master keys first, so that a missing key fails before anything is
// opened, then the store and the blobs.
func (f *dataFlags) open(ctx context.Context) (*dataFolder, error) {
	d := &dataFolder{}
	keySet := f.keyFile != nil && (*f.keyFile != "" || os.Getenv("IDPHOTO_MASTER_KEY") != "")
	if f.needs&needKey != 0 || f.needs&keyIfSet != 0 && keySet {
		var err error
		if d.masters, err = loadMasterKeys(*f.keyFile); err != nil {
			return nil, err
		}
	}
	st, err := openDataStore(ctx, *f.data, *f.db)
	if err != nil {
		return nil, err
	}
	d.st, d.log = st, audit.New(st)
	if f.blobs != nil {
		if d.blobs, _, err = openBlobStore(ctx, *f.data, *f.blobs, false); err != nil {
			st.Close()
			return nil, err
		}
	}
	if d.masters != nil {
		if d.vault, err = vault.New(d.masters, st); err != nil {
			st.Close()
			return nil, err
		}
	}
	return d, nil
}

func (d *dataFolder) Close() error { return d.st.Close() }

// privacy is the privacy service over the data for the sweep, holds and the closing
// notice, which open nothing sealed and log nothing.
func (d *dataFolder) privacy(cfg privacy.Config) (*privacy.Service, error) {
	return privacy.New(cfg, d.st, d.blobs, nil, nil)
}

// subcommandHelp answers a command of subcommands called bare or with -h: the help
// on stdout, and for the bare call the usage error need. done says it answered.
func subcommandHelp(args []string, stdout io.Writer, help, need string) (done bool, err error) {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		return false, nil
	}
	fmt.Fprint(stdout, help)
	if len(args) == 0 {
		return true, usageError{need}
	}
	return true, nil
}

// unlessHelp is parseArgs's error as a command returns it: nil for errHelp, since -h
// printed the usage and is no failure.
func unlessHelp(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// databaseFlag is --db, the PostgreSQL database of serve and of every command that
// reads or changes its data; empty, the SQLite file in the data folder.
func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("db", os.Getenv("IDPHOTO_DATABASE_URL"),
		"PostgreSQL database URL (postgres://user:password@host:port/database) instead of the SQLite file in the data folder ($IDPHOTO_DATABASE_URL)")
}

// openDataStore opens the database as serve keeps it: the PostgreSQL database of
// dbURL, else the SQLite file of the data folder.
func openDataStore(ctx context.Context, data, dbURL string) (*store.Store, error) {
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(data, "idphoto.db")
	cfg.URL = dbURL
	return store.Open(ctx, cfg)
}

// loadMasterKeys reads the master keys as serve does: the file, or $IDPHOTO_MASTER_KEY.
func loadMasterKeys(keyFile string) ([]vault.Key, error) {
	keyText := os.Getenv("IDPHOTO_MASTER_KEY")
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("master key file: %w", err)
		}
		keyText = string(b)
	}
	if keyText == "" {
		return nil, errors.New(noMasterKey)
	}
	return vault.ParseKeyring(keyText)
}
