-- The privacy engine (issue 6): audit log, request log, retention, legal holds and
-- exports. Rows that outlive an account (audit, requests, retention runs) name the
-- user only by a pseudonym (a hash of the user id), never by the id itself.

-- Append-only, hash-chained: each entry's hash covers the previous entry's hash, so a
-- changed or removed entry breaks the chain (S2, S3). The triggers stop ordinary
-- writes; Verify catches whoever goes around them.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Every access, correction, deletion and cancellation request (R6), with its due
-- date counted in working days.
CREATE TABLE privacy_requests (
    id          TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('access', 'correction', 'deletion', 'cancellation')),
    scope       TEXT NOT NULL DEFAULT '',
    received_at INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX privacy_requests_subject ON privacy_requests (subject, received_at);
CREATE INDEX privacy_requests_open ON privacy_requests (done_at, due_at);

-- Legal holds (R7): the retention sweep skips what a live hold names.
CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    scope       TEXT NOT NULL CHECK (scope IN ('user', 'photo')),
    target_id   TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason <> ''),
    created_at  INTEGER NOT NULL,
    released_at INTEGER
);
CREATE INDEX legal_holds_target ON legal_holds (scope, target_id);

-- What each retention sweep did: counts only.
CREATE TABLE retention_runs (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    dry_run INTEGER NOT NULL,
    counts  TEXT NOT NULL
);

-- Payment time of a job's clean file, the clock of the 7-day rule (R1). Set once,
-- by trigger, when the job is unlocked, so every path that unlocks a job sets it.
ALTER TABLE jobs ADD COLUMN paid_at INTEGER;
CREATE TRIGGER jobs_paid_at AFTER UPDATE OF unlocked ON jobs
WHEN NEW.unlocked = 1 AND OLD.paid_at IS NULL
BEGIN UPDATE jobs SET paid_at = NEW.updated_at WHERE id = NEW.id; END;
CREATE INDEX jobs_paid ON jobs (paid_at);

-- Export archives (R5): sealed blobs downloadable once through a link whose token
-- is stored hashed.
CREATE TABLE exports (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    blob_key   TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX exports_user ON exports (user_id);
CREATE INDEX exports_expires ON exports (expires_at);
