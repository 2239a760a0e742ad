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
	// SortMonth is the feed's sort key, the capture month as YYYYMM: in the
	// capture's own zone when EXIF gives a time (see MonthOf), else the upload month
	// in China time (0 here: UploadMonth of CreatedAt). Only the month is in the
	// clear (P9, collect less); the exact capture time is in MetaSealed.
	SortMonth  int
	MetaSealed []byte
}

// chinaTime is the zone of upload months: China's UTC+8, without summer time since
// 1991; a fixed offset gives the same months as the migrations' SQL.
var chinaTime = time.FixedZone("UTC+8", 8*60*60)

// MonthOf is t's month as YYYYMM, in t's own zone.
func MonthOf(t time.Time) int { return t.Year()*100 + int(t.Month()) }

// UploadMonth is the sort key of a photo without a capture time: the month it was
// uploaded, in China time.
func UploadMonth(uploaded time.Time) int { return MonthOf(uploaded.In(chinaTime)) }

// ValidMonth says whether m is a YYYYMM month of years 1-9999.
func ValidMonth(m int) bool { return m >= 101 && m <= 999912 && m%100 >= 1 && m%100 <= 12 }

// FeedCursor is the last item of a page: the next page starts after it. Paging by
// (month, upload time, id) rather than by offset keeps pages stable while photos
// are added and deleted, and costs the same on page 400 as on page 1.
type FeedCursor struct {
	Month     int
	CreatedAt time.Time
	ID        string
}

// CursorAfter is the cursor of the page that follows p.
func CursorAfter(p LibraryPhoto) FeedCursor {
	return FeedCursor{Month: p.SortMonth, CreatedAt: p.CreatedAt, ID: p.ID}
}

// CreateLibraryPhoto adds an uploaded photo with its feed order and sealed metadata.
func (s *Store) CreateLibraryPhoto(ctx context.Context, p LibraryPhoto) error {
	args, err := libraryArgs(p)
	if err == nil {
		_, err = s.w.ExecContext(ctx, insertLibraryPhoto, args...)
	}
	if err != nil {
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
			args, err := libraryArgs(p)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
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

func libraryArgs(p LibraryPhoto) ([]any, error) {
	month := p.SortMonth
	if month == 0 {
		month = UploadMonth(p.CreatedAt)
	}
	if !ValidMonth(month) {
		return nil, fmt.Errorf("photo %s: sort month %d is not YYYYMM", p.ID, month)
	}
	return []any{p.ID, p.UserID, p.BlobKey, p.Format, p.Width, p.Height, p.Bytes, millis(p.CreatedAt), month, p.MetaSealed}, nil
}

const libraryColumns = "id, user_id, blob_key, format, width, height, size_bytes, created_at, sort_at, meta_sealed"

func scanLibraryPhoto(sc interface{ Scan(...any) error }) (LibraryPhoto, error) {
	var p LibraryPhoto
	var created, month int64
	err := sc.Scan(&p.ID, &p.UserID, &p.BlobKey, &p.Format, &p.Width, &p.Height, &p.Bytes, &created, &month, &p.MetaSealed)
	p.CreatedAt, p.SortMonth = fromMillis(created), int(month)
	return p, err
}

const (
	feedFirst = "SELECT " + libraryColumns + ` FROM photos WHERE user_id = $1
		ORDER BY sort_at DESC, created_at DESC, id DESC LIMIT $2`
	feedAfter = "SELECT " + libraryColumns + ` FROM photos WHERE user_id = $1 AND (sort_at, created_at, id) < ($2, $3, $4)
		ORDER BY sort_at DESC, created_at DESC, id DESC LIMIT $5`
)

// Feed returns up to limit of the user's photos, newest first by (capture month,
// upload time, id), starting after the cursor (nil: from the newest). The query
// walks the index photos_feed (user_id, sort_at, created_at, id) from the cursor,
// so its cost does not grow with how far the user has scrolled.
func (s *Store) Feed(ctx context.Context, userID string, after *FeedCursor, limit int) ([]LibraryPhoto, error) {
	var rows *sql.Rows
	var err error
	if after == nil {
		rows, err = s.r.QueryContext(ctx, feedFirst, userID, limit)
	} else {
		rows, err = s.r.QueryContext(ctx, feedAfter, userID, after.Month, millis(after.CreatedAt), after.ID, limit)
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
