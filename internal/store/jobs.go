package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is a request to make an ID photo from a photo. Its results (file, preview,
// report) are blobs named after the job; ErrorSealed is the user-facing message of a
// failure, sealed because it may hold measurements of the head.
type Job struct {
	ID          string
	UserID      string
	PhotoID     string
	SpecID      string
	Background  string
	State       string
	Attempts    int
	ErrorCode   string
	ErrorSealed []byte
	Unlocked    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Finished reports whether the job will not change any more.
func (j Job) Finished() bool { return j.State == JobDone || j.State == JobFailed }

const jobColumns = `id, user_id, photo_id, spec_id, background, state, attempts, error_code, error_sealed, unlocked, created_at, updated_at`

func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var j Job
	var created, updated int64
	err := row.Scan(&j.ID, &j.UserID, &j.PhotoID, &j.SpecID, &j.Background, &j.State, &j.Attempts,
		&j.ErrorCode, &j.ErrorSealed, &j.Unlocked, &created, &updated)
	j.CreatedAt, j.UpdatedAt = fromMillis(created), fromMillis(updated)
	return j, err
}

// CreateJob adds a queued job.
func (s *Store) CreateJob(ctx context.Context, j Job) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO jobs (id, user_id, photo_id, spec_id, background, state, unlocked, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		j.ID, j.UserID, j.PhotoID, j.SpecID, j.Background, JobQueued, bit(j.Unlocked), millis(j.CreatedAt), millis(j.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create job: %w", err)
	}
	return nil
}

// GetJob returns the user's job; another user's job is ErrNotFound.
func (s *Store) GetJob(ctx context.Context, userID, id string) (Job, error) {
	j, err := scanJob(s.r.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1 AND user_id = $2", id, userID))
	return j, one(err, "get job", id)
}

// JobByID returns any job: for the workers, never for a request.
func (s *Store) JobByID(ctx context.Context, id string) (Job, error) {
	j, err := scanJob(s.r.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", id))
	return j, one(err, "job", id)
}

// StartJob moves a queued job to running and counts the attempt.
func (s *Store) StartJob(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE jobs SET state = $1, attempts = attempts + 1, updated_at = $2
		WHERE id = $3 AND state = $4`, JobRunning, millis(s.now()), id, JobQueued)
	return affected(res, err, "start job", id)
}

// FinishJob records a job's end: done, or failed with a code and a sealed message.
func (s *Store) FinishJob(ctx context.Context, id, state, code string, msgSealed []byte) error {
	if state != JobDone && state != JobFailed {
		return fmt.Errorf("store: finish job %s: state %q", id, state)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE jobs SET state = $1, error_code = $2, error_sealed = $3, updated_at = $4
		WHERE id = $5`, state, code, msgSealed, millis(s.now()), id)
	return affected(res, err, "finish job", id)
}

// RequeueJob puts a running job back in the queue (shutdown before it finished).
func (s *Store) RequeueJob(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE jobs SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4`,
		JobQueued, millis(s.now()), id, JobRunning)
	return affected(res, err, "requeue job", id)
}

// RecoverJobs is run at start: jobs left running by a crash go back to the queue,
// except those that already had maxAttempts (a photo that crashes the process must
// not crash it forever), which fail with failCode. It returns the queued jobs' ids,
// oldest first. On SQLite every running job is taken back: one process owns the
// file. On PostgreSQL other instances may be running jobs, so only those running
// for longer than lease (longer than any run may last) are taken back.
func (s *Store) RecoverJobs(ctx context.Context, lease time.Duration, maxAttempts int, failCode string) ([]string, error) {
	var ids []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids = nil
		if err := s.reclaimJobs(ctx, tx, lease, maxAttempts, failCode); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT id FROM jobs WHERE state = $1 ORDER BY created_at, id", JobQueued)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: recover jobs: %w", err)
	}
	return ids, nil
}

// reclaimJobs puts abandoned running jobs back in the queue, or fails them after
// maxAttempts. A job's lease is its last change (StartJob sets it; JobTimeout bounds
// the run that follows).
func (s *Store) reclaimJobs(ctx context.Context, tx *sql.Tx, lease time.Duration, maxAttempts int, failCode string) error {
	now := s.now()
	startedBefore := int64(math.MaxInt64)
	if s.d.shared() {
		startedBefore = millis(now.Add(-lease))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, error_code = $2, updated_at = $3
		WHERE state = $4 AND attempts >= $5 AND updated_at < $6`, JobFailed, failCode, millis(now), JobRunning, maxAttempts, startedBefore); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, updated_at = $2 WHERE state = $3 AND updated_at < $4`,
		JobQueued, millis(now), JobRunning, startedBefore)
	return err
}

// PollJobs is for an instance that shares the database with others (PostgreSQL):
// it takes back jobs abandoned by a stopped instance, as RecoverJobs does, and lists
// up to limit jobs that have waited in the queue since before queuedBefore, oldest
// first, for idle workers to run. Another instance may queue or start them too:
// StartJob lets one run each.
func (s *Store) PollJobs(ctx context.Context, queuedBefore time.Time, limit int, lease time.Duration, maxAttempts int, failCode string) ([]string, error) {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.reclaimJobs(ctx, tx, lease, maxAttempts, failCode) }); err != nil {
		return nil, fmt.Errorf("store: poll jobs: %w", err)
	}
	ids, err := firstColumn(s.r.QueryContext(ctx, `SELECT id FROM jobs WHERE state = $1 AND updated_at < $2
		ORDER BY created_at, id LIMIT $3`, JobQueued, millis(queuedBefore), limit))
	if err != nil {
		return nil, fmt.Errorf("store: poll jobs: %w", err)
	}
	return ids, nil
}

// UnlockJob marks a job's clean file as paid for (the orders issue will call it).
func (s *Store) UnlockJob(ctx context.Context, userID, id string) error {
	res, err := s.w.ExecContext(ctx, "UPDATE jobs SET unlocked = 1, updated_at = $1 WHERE id = $2 AND user_id = $3",
		millis(s.now()), id, userID)
	return affected(res, err, "unlock job", id)
}
