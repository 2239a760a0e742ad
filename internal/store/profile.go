package store

import (
	"context"
	"fmt"
)

// ProfileSealed returns the user's sealed profile (R5), nil when they never saved one;
// an unknown user is ErrNotFound.
func (s *Store) ProfileSealed(ctx context.Context, userID string) ([]byte, error) {
	var sealed []byte
	err := s.r.QueryRowContext(ctx, "SELECT profile_sealed FROM users WHERE id = $1", userID).Scan(&sealed)
	return sealed, one(err, "get profile", userID)
}

// SetProfileSealed replaces the user's sealed profile.
func (s *Store) SetProfileSealed(ctx context.Context, userID string, sealed []byte) error {
	res, err := s.w.ExecContext(ctx, "UPDATE users SET profile_sealed = $1 WHERE id = $2", sealed, userID)
	return affected(res, err, "set profile", userID)
}

// PhotoMetas lists the user's photos with their sealed library metadata (nil for
// photos stored before the library read any), oldest first: for the erasure on a
// withdrawn consent, and the export.
func (s *Store) PhotoMetas(ctx context.Context, userID string) ([]LibraryPhoto, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+libraryColumns+` FROM photos WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: photo metadata: %w", err)
	}
	defer rows.Close()
	var out []LibraryPhoto
	for rows.Next() {
		p, err := scanLibraryPhoto(rows)
		if err != nil {
			return nil, fmt.Errorf("store: photo metadata: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ReplacePhotoMeta swaps the sealed metadata of the user's photo for sealed if it is
// still old, and reports whether it did: a change made meanwhile is not overwritten.
func (s *Store) ReplacePhotoMeta(ctx context.Context, userID, id string, old, sealed []byte) (bool, error) {
	res, err := s.w.ExecContext(ctx, "UPDATE photos SET meta_sealed = $1 WHERE id = $2 AND user_id = $3 AND meta_sealed = $4",
		sealed, id, userID, old)
	if err != nil {
		return false, fmt.Errorf("store: replace photo metadata %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: replace photo metadata %s: %w", id, err)
	}
	return n == 1, nil
}
