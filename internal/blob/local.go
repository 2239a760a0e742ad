package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local keeps blobs as files under a folder.
type Local struct {
	root string
}

// NewLocal uses (and makes) the folder dir; only the service's user may read it.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Local{root: abs}, nil
}

// Root is the folder.
func (l *Local) Root() string { return l.root }

func (l *Local) path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// Put writes the blob to a temporary file beside its place, syncs it and renames it
// over the place, so a crash leaves the old blob or the new one.
func (l *Local) Put(ctx context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(p)
	f, err := l.createTemp(dir)
	if err != nil {
		return fmt.Errorf("blob: put: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		l.prune(dir)
		return fmt.Errorf("blob: put: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename itself survives a power cut
		d.Close()
	}
	return nil
}

// Get reads a blob.
func (l *Local) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get: %w", err)
	}
	return b, nil
}

// createTemp makes the blob's folder and a temporary file in it. A Delete of a
// folder's last blob may remove the folder (or a parent) meanwhile (see prune): the
// folder is then made again.
func (l *Local) createTemp(dir string) (*os.File, error) {
	var err error
	for range 5 {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			var f *os.File
			if f, err = os.CreateTemp(dir, ".tmp-*"); err == nil {
				return f, nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, err
}

// Delete removes the file; a missing blob is not an error. The folders it leaves
// empty are removed too, up to the root: no empty per-job or per-user folder stays
// behind to tell that something was there.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete: %w", err)
	}
	l.prune(filepath.Dir(p))
	return nil
}

// prune removes dir and then its parents while they are empty, stopping below the
// root. os.Remove removes only an empty folder, atomically, so a folder that a
// concurrent Put has written into (its temporary file or its blob) stays; a Put that
// made the folder and lost it before creating its temporary file makes it again.
func (l *Local) prune(dir string) {
	for dir != l.root && strings.HasPrefix(dir, l.root+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return // not empty (or already gone): its parents are not empty either
		}
		dir = filepath.Dir(dir)
	}
}

// Exists reports whether the blob is there.
func (l *Local) Exists(ctx context.Context, key string) (bool, error) {
	p, err := l.path(key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("blob: exists: %w", err)
}
