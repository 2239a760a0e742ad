package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Kinds of privacy request (R6).
const (
	RequestAccess       = "access"
	RequestCorrection   = "correction"
	RequestDeletion     = "deletion"
	RequestCancellation = "cancellation"
)

// PrivacyRequest is one entry of the request log. Subject is the user's pseudonym:
// the log outlives the account it was about.
type PrivacyRequest struct {
	ID         string
	Subject    string
	Kind       string
	Scope      string // what the request covered ("photo", "photos", "account", "export"), no ids
	ReceivedAt time.Time
	DueAt      time.Time
	DoneAt     time.Time // zero while open
}

// CreatePrivacyRequest logs a request as received.
func (s *Store) CreatePrivacyRequest(ctx context.Context, r PrivacyRequest) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO privacy_requests (id, subject, kind, scope, received_at, due_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.Subject, r.Kind, r.Scope, millis(r.ReceivedAt), millis(r.DueAt))
	if err != nil {
		return fmt.Errorf("store: create privacy request: %w", err)
	}
	return nil
}

// FinishPrivacyRequest records when a request was answered.
func (s *Store) FinishPrivacyRequest(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, "UPDATE privacy_requests SET done_at = $1 WHERE id = $2 AND done_at IS NULL", millis(at), id)
	return affected(res, err, "finish privacy request", id)
}

const requestColumns = "id, subject, kind, scope, received_at, due_at, done_at"

func scanRequests(rows *sql.Rows, err error) ([]PrivacyRequest, error) {
	if err != nil {
		return nil, fmt.Errorf("store: privacy requests: %w", err)
	}
	defer rows.Close()
	var out []PrivacyRequest
	for rows.Next() {
		var r PrivacyRequest
		var received, due int64
		var done sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Subject, &r.Kind, &r.Scope, &received, &due, &done); err != nil {
			return nil, fmt.Errorf("store: privacy requests: %w", err)
		}
		r.ReceivedAt, r.DueAt = fromMillis(received), fromMillis(due)
		if done.Valid {
			r.DoneAt = fromMillis(done.Int64)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PrivacyRequests lists a subject's requests, oldest first.
func (s *Store) PrivacyRequests(ctx context.Context, subject string) ([]PrivacyRequest, error) {
	return scanRequests(s.r.QueryContext(ctx, "SELECT "+requestColumns+" FROM privacy_requests WHERE subject = $1 ORDER BY received_at, id", subject))
}

// RecentPrivacyRequests lists a subject's newest requests, at most limit, newest
// first: the user's own view, bounded however many corrections they send.
func (s *Store) RecentPrivacyRequests(ctx context.Context, subject string, limit int) ([]PrivacyRequest, error) {
	return scanRequests(s.r.QueryContext(ctx, "SELECT "+requestColumns+
		" FROM privacy_requests WHERE subject = $1 ORDER BY received_at DESC, id DESC LIMIT $2", subject, limit))
}

// OpenPrivacyRequests lists the requests not answered yet, the soonest due first
// (the operator's view; overdue ones are those due before now).
func (s *Store) OpenPrivacyRequests(ctx context.Context) ([]PrivacyRequest, error) {
	return scanRequests(s.r.QueryContext(ctx, "SELECT "+requestColumns+" FROM privacy_requests WHERE done_at IS NULL ORDER BY due_at, id"))
}

// RecordRetentionRun keeps what a sweep did (counts as JSON, no personal data).
func (s *Store) RecordRetentionRun(ctx context.Context, at time.Time, dryRun bool, counts string) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO retention_runs (at, dry_run, counts) VALUES ($1, $2, $3)", millis(at), bit(dryRun), counts)
	if err != nil {
		return fmt.Errorf("store: record retention run: %w", err)
	}
	return nil
}

const photoColumns = "id, user_id, blob_key, format, width, height, size_bytes, created_at"

func scanPhotos(rows *sql.Rows, err error) ([]Photo, error) {
	if err != nil {
		return nil, fmt.Errorf("store: photos: %w", err)
	}
	defer rows.Close()
	var out []Photo
	for rows.Next() {
		var p Photo
		var created int64
		if err := rows.Scan(&p.ID, &p.UserID, &p.BlobKey, &p.Format, &p.Width, &p.Height, &p.Bytes, &created); err != nil {
			return nil, fmt.Errorf("store: photos: %w", err)
		}
		p.CreatedAt = fromMillis(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanJobs(rows *sql.Rows, err error) ([]Job, error) {
	if err != nil {
		return nil, fmt.Errorf("store: jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("store: jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// UserPhotos lists all of a user's photos, oldest first.
func (s *Store) UserPhotos(ctx context.Context, userID string) ([]Photo, error) {
	return scanPhotos(s.r.QueryContext(ctx, "SELECT "+photoColumns+" FROM photos WHERE user_id = $1 ORDER BY created_at, id", userID))
}

// UserJobs lists all of a user's jobs, oldest first; photoID narrows them to one photo.
func (s *Store) UserJobs(ctx context.Context, userID, photoID string) ([]Job, error) {
	if photoID != "" {
		return scanJobs(s.r.QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE user_id = $1 AND photo_id = $2 ORDER BY created_at, id", userID, photoID))
	}
	return scanJobs(s.r.QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE user_id = $1 ORDER BY created_at, id", userID))
}

// notHeld is true of a row of jobs (alias) that no legal hold live at the bind
// parameter now holds: not its user's, its photo's, nor that of an order it is in.
func notHeld(alias, now string) string {
	return `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE ` + liveHold(now) + ` AND
	((h.scope = 'user' AND h.target_id = ` + alias + `.user_id) OR (h.scope = 'photo' AND h.target_id = ` + alias + `.photo_id) OR
	 (h.scope = 'order' AND h.target_id IN (SELECT oj.order_id FROM order_jobs oj WHERE oj.job_id = ` + alias + `.id))))`
}

// ExpiredJobs lists the jobs due for deletion as of now: unpaid ones created before
// unpaidBefore, paid ones paid before paidBefore, except those of a print order paid
// at or after printPaidBefore (R2 keeps them longer); none under a legal hold.
func (s *Store) ExpiredJobs(ctx context.Context, now, unpaidBefore, paidBefore, printPaidBefore time.Time) ([]Job, error) {
	q := "SELECT " + jobColumns + " FROM jobs j WHERE ((paid_at IS NULL AND created_at < $1) OR paid_at < $2) AND NOT " +
		fmt.Sprintf(printKept, "j", "$3") + " AND " + notHeld("j", "$4") + " ORDER BY created_at, id"
	return scanJobs(s.r.QueryContext(ctx, q, millis(unpaidBefore), millis(paidBefore), millis(printPaidBefore), millis(now)))
}

// ExpiredPhotos lists photos uploaded before before whose jobs are all expired as
// ExpiredJobs counts them (or that have none), and that no legal hold live at now
// holds (nor one on an order of a job of theirs): a photo stays as long as a job made
// from it is kept.
func (s *Store) ExpiredPhotos(ctx context.Context, now, before, unpaidBefore, paidBefore, printPaidBefore time.Time) ([]Photo, error) {
	held := `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE ` + liveHold("$5") + ` AND
	((h.scope = 'user' AND h.target_id = p.user_id) OR (h.scope = 'photo' AND h.target_id = p.id) OR
	 (h.scope = 'order' AND h.target_id IN (SELECT oj.order_id FROM order_jobs oj JOIN jobs j ON j.id = oj.job_id WHERE j.photo_id = p.id))))`
	q := "SELECT " + photoColumns + ` FROM photos p WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM jobs j
		WHERE j.photo_id = p.id AND (NOT ((j.paid_at IS NULL AND j.created_at < $2) OR j.paid_at < $3) OR ` +
		fmt.Sprintf(printKept, "j", "$4") + ")) AND " + held + " ORDER BY created_at, id"
	return scanPhotos(s.r.QueryContext(ctx, q, millis(before), millis(unpaidBefore), millis(paidBefore), millis(printPaidBefore), millis(now)))
}

// DeleteJobRow removes a job row (its blobs are the caller's).
func (s *Store) DeleteJobRow(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM jobs WHERE id = $1", id)
	return affected(res, err, "delete job", id)
}

// DeletePhotoRow removes any photo row and, by cascade, its jobs (for the sweep).
func (s *Store) DeletePhotoRow(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM photos WHERE id = $1", id)
	return affected(res, err, "delete photo", id)
}

// DeleteExpiredSessions removes sessions that expired before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= $1", millis(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

// Export is an export archive waiting for its one download.
type Export struct {
	ID        string
	UserID    string
	TokenHash []byte
	BlobKey   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateExport adds an export.
func (s *Store) CreateExport(ctx context.Context, e Export) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO exports (id, user_id, token_hash, blob_key, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, e.ID, e.UserID, e.TokenHash, e.BlobKey, millis(e.CreatedAt), millis(e.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create export: %w", err)
	}
	return nil
}

// UseExport claims the live, unused export of a token: a second claim, or one after
// it expired, is ErrNotFound.
func (s *Store) UseExport(ctx context.Context, tokenHash []byte, now time.Time) (Export, error) {
	// One statement claims it: of two claims at once, the second finds used_at set.
	var e Export
	var created, expires int64
	err := s.w.QueryRowContext(ctx, `UPDATE exports SET used_at = $1
		WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
		RETURNING id, user_id, token_hash, blob_key, created_at, expires_at`, millis(now), tokenHash).
		Scan(&e.ID, &e.UserID, &e.TokenHash, &e.BlobKey, &created, &expires)
	e.CreatedAt, e.ExpiresAt = fromMillis(created), fromMillis(expires)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: use export: %w", err)
	}
	return e, nil
}

func scanExports(rows *sql.Rows, err error) ([]Export, error) {
	if err != nil {
		return nil, fmt.Errorf("store: exports: %w", err)
	}
	defer rows.Close()
	var out []Export
	for rows.Next() {
		var e Export
		var created, expires int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.TokenHash, &e.BlobKey, &created, &expires); err != nil {
			return nil, fmt.Errorf("store: exports: %w", err)
		}
		e.CreatedAt, e.ExpiresAt = fromMillis(created), fromMillis(expires)
		out = append(out, e)
	}
	return out, rows.Err()
}

// UserExports lists a user's exports.
func (s *Store) UserExports(ctx context.Context, userID string) ([]Export, error) {
	return scanExports(s.r.QueryContext(ctx, "SELECT id, user_id, token_hash, blob_key, created_at, expires_at FROM exports WHERE user_id = $1", userID))
}

// SpentExports lists exports that expired before now or were downloaded.
func (s *Store) SpentExports(ctx context.Context, now time.Time) ([]Export, error) {
	return scanExports(s.r.QueryContext(ctx, "SELECT id, user_id, token_hash, blob_key, created_at, expires_at FROM exports WHERE expires_at <= $1 OR used_at IS NOT NULL", millis(now)))
}

// DeleteExport removes an export row (its blob is the caller's).
func (s *Store) DeleteExport(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM exports WHERE id = $1", id)
	return affected(res, err, "delete export", id)
}
