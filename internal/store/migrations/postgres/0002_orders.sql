-- Orders, the record that a preview was shown, and the accounting ledger (issue 5).
-- PostgreSQL twin of sqlite/0002_orders.sql.

-- An order's id is also the out trade number sent to the payment channels (32 hex).
-- Items are JSON (kind, job, copies, quantity, prices in fen). A print order's mailing
-- details (name, address, phone) are sealed with the user's data key; the payer's IP
-- from the pay step is sealed with the ledger key, for the ledger entry only.
CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    items_json     TEXT NOT NULL,
    total_fen      BIGINT NOT NULL CHECK (total_fen > 0),
    status         TEXT NOT NULL CHECK (status IN ('created', 'paying', 'paid', 'fulfilled', 'shipped',
                                                   'closed', 'cancelled', 'expired', 'refunded')),
    channel        TEXT NOT NULL DEFAULT '',
    trade_no       TEXT NOT NULL DEFAULT '',
    mailing_sealed BYTEA,
    pay_ip_sealed  BYTEA,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    paid_at        BIGINT NOT NULL DEFAULT 0,
    fulfilled_at   BIGINT NOT NULL DEFAULT 0,
    shipped_at     BIGINT NOT NULL DEFAULT 0,
    closed_at      BIGINT NOT NULL DEFAULT 0,
    cancelled_at   BIGINT NOT NULL DEFAULT 0,
    refunded_at    BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, created_at);
CREATE INDEX orders_status ON orders (status, created_at);
-- One channel trade pays one order.
CREATE UNIQUE INDEX orders_trade ON orders (channel, trade_no) WHERE trade_no <> '';

-- Which jobs an order is for: a paid order unlocks them.
CREATE TABLE order_jobs (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    PRIMARY KEY (order_id, job_id)
);
CREATE INDEX order_jobs_job ON order_jobs (job_id);

-- The watermarked preview of a job was served to its user (promise O5: checkout needs
-- it, and it is why refunds are refused). first_at is the first time.
CREATE TABLE preview_views (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, job_id)
);

-- The accounting ledger (promise O3). It outlives orders and users: no foreign key to
-- either, and its fields are sealed with the ledger key, which no user's deletion
-- shreds. channel and trade_no are the channel's accounting reference (not personal)
-- and key the entry, so a trade is entered once; recorded_at allows date ranges.
CREATE TABLE ledger (
    channel      TEXT NOT NULL,
    trade_no     TEXT NOT NULL,
    entry_sealed BYTEA NOT NULL,
    sandbox      INTEGER NOT NULL DEFAULT 0,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (channel, trade_no)
);
CREATE INDEX ledger_recorded ON ledger (recorded_at);

-- The ledger key, wrapped by the master key like a user's data key but held by no
-- user: only the auditor's export opens it.
CREATE TABLE ledger_keys (
    name          TEXT PRIMARY KEY,
    master_key_id TEXT NOT NULL,
    wrapped       BYTEA NOT NULL
);
