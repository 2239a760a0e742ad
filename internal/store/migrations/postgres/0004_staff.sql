-- Mini-program logins, staff accounts and print-order shipping (issues 4 and 5).
-- PostgreSQL twin of sqlite/0004_staff.sql.

-- A WeChat openid or Alipay user id links a login to its account. The row is found by
-- a keyed hash (HMAC-SHA256 under the login lookup key, itself sealed in
-- service_secrets), so the database alone cannot be searched for a known openid; the
-- id itself is kept sealed with the user's data key (for payments) and goes with the
-- account when it is erased. The channel's session_key is never stored.
CREATE TABLE logins (
    lookup         BYTEA PRIMARY KEY,
    channel        TEXT NOT NULL CHECK (channel IN ('wechat', 'alipay')),
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject_sealed BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    last_at        BIGINT NOT NULL
);
CREATE INDEX logins_user ON logins (user_id);

-- Secrets of the service itself, sealed with a key held by no user (the ledger keys'
-- table): the login lookup key.
CREATE TABLE service_secrets (
    name       TEXT PRIMARY KEY,
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- A staff member's name (operators and auditors, made by 'idphoto staff add'), sealed
-- with their own data key.
ALTER TABLE users ADD COLUMN name_sealed BYTEA;

-- A shipped print order's tracking number, sealed with the user's data key: with it the
-- courier shows the recipient.
ALTER TABLE orders ADD COLUMN tracking_sealed BYTEA;
