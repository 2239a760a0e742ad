package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LibraryPhoto is a photo as the library's feed shows it (P8): the photo's row, its
// place in the feed, and its metadata sealed with the owner's key (nil for photos
// stored before the library read any).
type LibraryPhoto struct {
	Photo
	SortAt     time.Time // capture time, else upload time
	MetaSealed []byte
}

// FeedCursor is the last item of a page: the next page starts after it. Paging by
// (sort time, id) rather than by offset keeps pages stable while photos are added
// and deleted, and costs the same on page 400 as on page 1.
type FeedCursor struct {
	SortAt time.Time
	ID     string
}

// CreateLibraryPhoto adds an uploaded photo with its feed order and sealed metadata.
func (s *Store) CreateLibraryPhoto(ctx context.Context, p LibraryPhoto) error {
	if _, err := s.w.ExecContext(ctx, insertLibraryPhoto, libraryArgs(p)...); err != nil {
		return fmt.Errorf("store: create library photo: %w", err)
	}
	return nil
}

// CreateLibraryPhotos adds many photos in one transaction (imports, tests and
// benchmarks that need a large library fast).
func (s *Store) CreateLibraryPhotos(ctx context.Context, ps []LibraryPhoto) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertLibraryPhoto)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range ps {
			if _, err := stmt.ExecContext(ctx, libraryArgs(p)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create library photos: %w", err)
	}
	return nil
}

const insertLibraryPhoto = `INSERT INTO photos (id, user_id, blob_key, format, width, height, size_bytes, created_at, sort_at, meta_sealed)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

func libraryArgs(p LibraryPhoto) []any {
	sortAt := p.SortAt
	if sortAt.IsZero() {
		sortAt = p.CreatedAt
	}
	return []any{p.ID, p.UserID, p.BlobKey, p.Format, p.Width, p.Height, p.Bytes, millis(p.CreatedAt), millis(sortAt), p.MetaSealed}
}

const libraryColumns = "id, user_id, blob_key, format, width, height, size_bytes, created_at, sort_at, meta_sealed"

func scanLibraryPhoto(sc interface{ Scan(...any) error }) (LibraryPhoto, error) {
	var p LibraryPhoto
	var created, sortAt int64
	err := sc.Scan(&p.ID, &p.UserID, &p.BlobKey, &p.Format, &p.Width, &p.Height, &p.Bytes, &created, &sortAt, &p.MetaSealed)
	p.CreatedAt, p.SortAt = fromMillis(created), fromMillis(sortAt)
	return p, err
}

const (
	feedFirst = "SELECT " + libraryColumns + ` FROM photos WHERE user_id = $1
		ORDER BY sort_at DESC, id DESC LIMIT $2`
	feedAfter = "SELECT " + libraryColumns + ` FROM photos WHERE user_id = $1 AND (sort_at, id) < ($2, $3)
		ORDER BY sort_at DESC, id DESC LIMIT $4`
)

// Feed returns up to limit of the user's photos, newest first by (sort time, id),
// starting after the cursor (nil: from the newest). The query walks the index
// photos_feed (user_id, sort_at, id) from the cursor, so its cost does not grow
// with how far the user has scrolled.
func (s *Store) Feed(ctx context.Context, userID string, after *FeedCursor, limit int) ([]LibraryPhoto, error) {
	var rows *sql.Rows
	var err error
	if after == nil {
		rows, err = s.r.QueryContext(ctx, feedFirst, userID, limit)
	} else {
		rows, err = s.r.QueryContext(ctx, feedAfter, userID, millis(after.SortAt), after.ID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("store: feed: %w", err)
	}
	defer rows.Close()
	out := make([]LibraryPhoto, 0, limit)
	for rows.Next() {
		p, err := scanLibraryPhoto(rows)
		if err != nil {
			return nil, fmt.Errorf("store: feed: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feed: %w", err)
	}
	return out, nil
}

// GetLibraryPhoto returns one of the user's photos with its metadata; another
// user's photo is ErrNotFound.
func (s *Store) GetLibraryPhoto(ctx context.Context, userID, id string) (LibraryPhoto, error) {
	p, err := scanLibraryPhoto(s.r.QueryRowContext(ctx, "SELECT "+libraryColumns+" FROM photos WHERE id = $1 AND user_id = $2", id, userID))
	return p, one(err, "get library photo", id)
}

// PutThumb stores (or replaces) a photo's sealed thumbnail of a width.
func (s *Store) PutThumb(ctx context.Context, photoID string, width int, sealed []byte) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO photo_thumbs (photo_id, width, thumb_sealed) VALUES ($1, $2, $3)
		ON CONFLICT (photo_id, width) DO UPDATE SET thumb_sealed = excluded.thumb_sealed`, photoID, width, sealed)
	if err != nil {
		return fmt.Errorf("store: put thumb %s: %w", photoID, err)
	}
	return nil
}

// Thumb returns the user's photo's sealed thumbnail of a width; another user's
// photo, or a width not made, is ErrNotFound.
func (s *Store) Thumb(ctx context.Context, userID, photoID string, width int) ([]byte, error) {
	var sealed []byte
	err := s.r.QueryRowContext(ctx, `SELECT t.thumb_sealed FROM photo_thumbs t JOIN photos p ON p.id = t.photo_id
		WHERE t.photo_id = $1 AND t.width = $2 AND p.user_id = $3`, photoID, width, userID).Scan(&sealed)
	return sealed, one(err, "get thumb", photoID)
}
