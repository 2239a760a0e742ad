package store

import (
	"context"
	"fmt"
	"time"
)

// Photo is an uploaded photo. Its bytes are in the blob store, sealed with the
// owner's data key; the row holds what the service needs to find and limit them.
type Photo struct {
	ID        string
	UserID    string
	BlobKey   string
	Format    string
	Width     int
	Height    int
	Bytes     int64
	CreatedAt time.Time
}

// CreatePhoto adds a photo.
func (s *Store) CreatePhoto(ctx context.Context, p Photo) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO photos (id, user_id, blob_key, format, width, height, size_bytes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, p.UserID, p.BlobKey, p.Format, p.Width, p.Height, p.Bytes, millis(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create photo: %w", err)
	}
	return nil
}

// GetPhoto returns the user's photo; another user's photo is ErrNotFound.
func (s *Store) GetPhoto(ctx context.Context, userID, id string) (Photo, error) {
	var p Photo
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT id, user_id, blob_key, format, width, height, size_bytes, created_at
		FROM photos WHERE id = $1 AND user_id = $2`, id, userID).
		Scan(&p.ID, &p.UserID, &p.BlobKey, &p.Format, &p.Width, &p.Height, &p.Bytes, &created)
	p.CreatedAt = fromMillis(created)
	return p, one(err, "get photo", id)
}

// DeletePhoto removes the user's photo row and its jobs; the blob is the caller's.
func (s *Store) DeletePhoto(ctx context.Context, userID, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM photos WHERE id = $1 AND user_id = $2", id, userID)
	return affected(res, err, "delete photo", id)
}
