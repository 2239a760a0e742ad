-- The user's profile (R5) and legal holds that staff place and release (R7).

-- A profile: a display name and a default shipping contact (name, phone, address) that
-- prefills print orders, sealed together with the user's data key (context
-- "user.profile:ID"); NULL until the user saves one. It goes with the account.
ALTER TABLE users ADD COLUMN profile_sealed BLOB;

-- Legal holds gain the order scope, an optional end (until_at: from then on the hold
-- no longer keeps anything) and the staff member who placed them (placed_by: a staff
-- user id, or 'cli' for the command line). A CHECK can't be changed in place in
-- SQLite, so the table is made again with its rows.
CREATE TABLE legal_holds_v7 (
    id          TEXT PRIMARY KEY,
    scope       TEXT NOT NULL CHECK (scope IN ('user', 'order', 'photo')),
    target_id   TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason <> ''),
    placed_by   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    until_at    INTEGER,
    released_at INTEGER
);
INSERT INTO legal_holds_v7 (id, scope, target_id, reason, created_at, released_at)
    SELECT id, scope, target_id, reason, created_at, released_at FROM legal_holds;
DROP TABLE legal_holds;
ALTER TABLE legal_holds_v7 RENAME TO legal_holds;
CREATE INDEX legal_holds_target ON legal_holds (scope, target_id);
