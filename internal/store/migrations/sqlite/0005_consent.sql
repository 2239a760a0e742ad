-- Policy acceptance and separate consents (R8, P9), support tickets (S4) and the
-- service's closing notice (issue 6).

-- Every acceptance of a policy version, and every grant or withdrawal of a separate
-- purpose (photo_location, people_count), one row each, never changed: the current
-- state is the latest row. Rows name the user by pseudonym, like the audit log, so the
-- proof of consent outlives the account without holding anything that is the user's.
CREATE TABLE consents (
    seq     INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('policy', 'purpose')),
    name    TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
    at      INTEGER NOT NULL
);
CREATE INDEX consents_subject ON consents (subject, kind, name, seq);
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;

-- Support tickets (S4): contact and text sealed together with the support key, which
-- no user holds; no column refers to a user, a session or a photo, and the day is
-- kept rather than the instant, so a ticket can't be matched to a session by time.
CREATE TABLE support_tickets (
    id            TEXT PRIMARY KEY,
    ticket_sealed BLOB NOT NULL,
    created_on    INTEGER NOT NULL
);
CREATE INDEX support_tickets_created ON support_tickets (created_on);

-- The support key, wrapped by the master key like the ledger key.
CREATE TABLE support_keys (
    name          TEXT PRIMARY KEY,
    master_key_id TEXT NOT NULL,
    wrapped       BLOB NOT NULL
);

-- The service is closing (idphoto shutdown-notice): one row at most. After
-- effective_at the retention sweep erases every account.
CREATE TABLE service_notice (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    effective_at INTEGER NOT NULL,
    announced_at INTEGER NOT NULL
);
