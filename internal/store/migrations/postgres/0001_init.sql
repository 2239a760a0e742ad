-- The service's first schema (PostgreSQL twin of sqlite/0001_init.sql: same tables,
-- columns, constraints and indexes; BYTEA for blobs, BIGINT for milliseconds).
-- Personal fields are sealed by the vault before they reach this database (columns
-- named *_sealed); face data never does (P3).

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'operator', 'auditor')),
    created_at BIGINT NOT NULL
);

-- One data key per user, wrapped by a master key (envelope encryption, S1).
-- Deleting the row shreds every ciphertext of the user.
CREATE TABLE data_keys (
    user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    master_key_id TEXT NOT NULL,
    wrapped       BYTEA NOT NULL
);
CREATE INDEX data_keys_master ON data_keys (master_key_id);

-- Sessions hold only a hash of the bearer token. Device data (UUID, model, OS, app
-- version) lives sealed on the session row and nowhere else: no photo or job refers
-- to a session (S5).
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    token_hash    BYTEA NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_sealed BYTEA,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE photos (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_key   TEXT NOT NULL,
    format     TEXT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX photos_user ON photos (user_id, created_at);

CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    photo_id          TEXT NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    spec_id           TEXT NOT NULL,
    background        TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    error_code        TEXT NOT NULL DEFAULT '',
    error_sealed      BYTEA,
    unlocked          INTEGER NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX jobs_user ON jobs (user_id, created_at);
CREATE INDEX jobs_state ON jobs (state, created_at);
