-- The photo library (issue 7; P8, P9): the feed's order and each photo's sealed
-- metadata, and the thumbnails served to the feed. PostgreSQL twin of
-- sqlite/0006_library.sql.

-- sort_at is when the photo was taken (EXIF), else when it was uploaded, in
-- milliseconds: in the clear so the feed pages through an index, newest first, by
-- (sort_at, id). Everything else read from the photo (capture time with its zone,
-- camera, placeholder colour, and, only with the user's separate consent, the
-- coarse place and the people count) is in meta_sealed, sealed with the user's key.
ALTER TABLE photos ADD COLUMN sort_at BIGINT;
ALTER TABLE photos ADD COLUMN meta_sealed BYTEA;
UPDATE photos SET sort_at = created_at;
-- A photo added without a sort time (any path but the library's upload) sorts by
-- its upload time.
CREATE FUNCTION photos_default_sort_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sort_at := NEW.created_at;
    RETURN NEW;
END
$$;
CREATE TRIGGER photos_sort_at BEFORE INSERT ON photos
    FOR EACH ROW WHEN (NEW.sort_at IS NULL)
    EXECUTE FUNCTION photos_default_sort_at();
CREATE INDEX photos_feed ON photos (user_id, sort_at, id);

-- Thumbnails: JPEG derivatives at fixed widths, without any metadata, sealed with
-- the owner's key; they go with the photo (cascade), so every erasure of a photo,
-- by the user, the retention sweep or the account's cancellation, takes them too.
CREATE TABLE photo_thumbs (
    photo_id     TEXT NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    width        INTEGER NOT NULL,
    thumb_sealed BYTEA NOT NULL,
    PRIMARY KEY (photo_id, width)
);
