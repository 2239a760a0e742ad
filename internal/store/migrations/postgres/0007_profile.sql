-- The user's profile (R5) and legal holds that staff place and release (R7).
-- PostgreSQL twin of sqlite/0007_profile.sql.

-- A profile: a display name and a default shipping contact (name, phone, address) that
-- prefills print orders, sealed together with the user's data key (context
-- "user.profile:ID"); NULL until the user saves one. It goes with the account.
ALTER TABLE users ADD COLUMN profile_sealed BYTEA;

-- Legal holds gain the order scope, an optional end (until_at: from then on the hold
-- no longer keeps anything) and the staff member who placed them (placed_by: a staff
-- user id, or 'cli' for the command line). PostgreSQL changes the CHECK in place.
ALTER TABLE legal_holds DROP CONSTRAINT legal_holds_scope_check;
ALTER TABLE legal_holds ADD CONSTRAINT legal_holds_scope_check CHECK (scope IN ('user', 'order', 'photo'));
ALTER TABLE legal_holds ADD COLUMN placed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE legal_holds ADD COLUMN until_at BIGINT;
