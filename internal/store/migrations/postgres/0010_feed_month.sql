-- The feed's sort key keeps only the capture month (issue 7, P9: collect less).
-- PostgreSQL twin of sqlite/0010_feed_month.sql.
--
-- sort_at held the exact capture time in milliseconds, in the clear. It now holds the
-- month as the integer YYYYMM: the capture month in the capture's own zone when EXIF
-- gives a time, else the upload month in China time (UTC+8). The exact time is kept
-- only in meta_sealed. The feed orders by (sort_at, created_at, id), newest first:
-- within a month, the newest upload first.
--
-- Rows stored before: their exact time is also in meta_sealed, sealed with the
-- owner's key, which a migration cannot open; their month is taken from the old
-- value in UTC+8 (a photo whose camera wrote another zone, or none, may move to the
-- neighbouring month if it was taken within hours of a month's edge). A fixed +8
-- hours rather than a named zone: the same months as SQLite's, and no time zone
-- database needed.
DROP INDEX photos_feed;
UPDATE photos SET sort_at = to_char(to_timestamp(sort_at / 1000) AT TIME ZONE 'UTC' + INTERVAL '8 hours', 'YYYYMM')::bigint
    WHERE sort_at IS NOT NULL;
-- A photo added without a sort key (any path but the library's upload) sorts by its
-- upload month.
CREATE OR REPLACE FUNCTION photos_default_sort_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sort_at := to_char(to_timestamp(NEW.created_at / 1000) AT TIME ZONE 'UTC' + INTERVAL '8 hours', 'YYYYMM')::bigint;
    RETURN NEW;
END
$$;
CREATE INDEX photos_feed ON photos (user_id, sort_at, created_at, id);
