-- The feed's sort key keeps only the capture month (issue 7, P9: collect less).
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
-- neighbouring month if it was taken within hours of a month's edge).
DROP INDEX photos_feed;
UPDATE photos SET sort_at = CAST(strftime('%Y%m', sort_at / 1000, 'unixepoch', '+8 hours') AS INTEGER)
    WHERE sort_at IS NOT NULL;
-- A photo added without a sort key (any path but the library's upload) sorts by its
-- upload month.
DROP TRIGGER photos_sort_at;
CREATE TRIGGER photos_sort_at AFTER INSERT ON photos WHEN NEW.sort_at IS NULL
BEGIN
    UPDATE photos SET sort_at = CAST(strftime('%Y%m', NEW.created_at / 1000, 'unixepoch', '+8 hours') AS INTEGER)
        WHERE id = NEW.id;
END;
CREATE INDEX photos_feed ON photos (user_id, sort_at, created_at, id);
