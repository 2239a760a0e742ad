// Package blob keeps the service's large bytes (photos, finished files, previews,
// reports) by key: a local folder now, S3-compatible storage later. Sealed wraps any
// Store so that every blob is encrypted with its owner's data key (promise S1).
package blob

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound means no blob has the key.
var ErrNotFound = errors.New("blob: not found")

// ErrBadKey means a key is not of the allowed form.
var ErrBadKey = errors.New("blob: bad key")

// Store keeps blobs by key. Implementations must be safe for concurrent use; Put
// replaces a blob atomically (a reader sees the old bytes or the new, never part);
// Delete removes the bytes themselves, not a flag.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	Exists(ctx context.Context, key string) (bool, error)
}

// MaxKeyLen bounds a key.
const MaxKeyLen = 256

// ValidateKey accepts keys made of segments of a-z, 0-9, '.', '_' and '-' joined by
// '/', each segment starting with a letter or digit: no "..", no absolute paths, no
// backslashes, nothing a file system or an object store reads differently.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: length %d", ErrBadKey, len(key))
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || !alnum(seg[0]) {
			return fmt.Errorf("%w: %q", ErrBadKey, key)
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
				return fmt.Errorf("%w: %q", ErrBadKey, key)
			}
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
