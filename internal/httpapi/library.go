package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// The photo library (P8, P9): the feed of the user's photos, newest first, each with
// what a masonry layout needs before the image loads (size, aspect, a placeholder
// colour), the capture time and, only with the user's separate consents, the
// coarse place and the number of people. Thumbnails are made by the server at fixed
// widths as JPEGs with no metadata at all; the original, and its EXIF, is never
// served by these routes.

// ThumbWidths are the widths thumbnails are made at: a phone column, and the same
// at 2× (or a desktop column).
var ThumbWidths = []int{240, 480}

// Feed page sizes.
const (
	defaultFeedLimit = 30
	maxFeedLimit     = 100
	// maxBatchDelete bounds one POST /photos:delete.
	maxBatchDelete = 100
	// thumbQuality is the thumbnails' JPEG quality: a small file that still looks
	// clean in a column.
	thumbQuality = 80
)

// placeGrid is the place's resolution: coordinates are rounded to 0.1° (about
// 11 km of latitude, less of longitude away from the equator) before they are
// sealed, the size of a city, never a street or a home. The exact position is
// never stored.
const placeGrid = 0.1

// photoMeta is what the library keeps of a photo, sealed with the user's key.
// Place and People are present only when the user had granted photo_location and
// people_count at upload, and are erased when the consent is withdrawn (the privacy
// service, which also exports them); nothing else derived from faces is kept.
type photoMeta = privacy.PhotoMeta

// place is a coarse position: see placeGrid.
type place = privacy.Place

func coarsen(v float64) float64 { return math.Round(v/placeGrid) / (1 / placeGrid) }

func metaContext(photoID string) string { return privacy.MetaContext(photoID) }

func thumbContext(photoID string, width int) string {
	return "photo.thumb:" + photoID + ":" + strconv.Itoa(width)
}

// peopleCounter makes the face detector on first use: it costs about 10 MB and is
// needed only by users who granted people_count.
type peopleCounter struct {
	once sync.Once
	det  face.Detector
	err  error
}

func (c *peopleCounter) count(ctx context.Context, img image.Image) (int, error) {
	c.once.Do(func() { c.det, c.err = face.NewPigo(face.PigoConfig{}) })
	if c.err != nil {
		return 0, c.err
	}
	faces, err := c.det.Detect(ctx, img)
	return len(faces), err // the boxes are dropped here: only the count is kept
}

// libraryPhoto reads what the library keeps of an upload: the capture time and
// camera from EXIF, the size, the placeholder colour, and what the user's consents
// allow; and makes the thumbnails. data is the uploaded file, img its decoded pixels.
func (a *API) libraryPhoto(ctx context.Context, user string, p store.Photo, data []byte, img image.Image) (store.LibraryPhoto, map[int][]byte, error) {
	// The feed's key in the clear is the month only (P9, collect less): the exact
	// capture time is sealed in the metadata below.
	lp := store.LibraryPhoto{Photo: p, SortMonth: store.UploadMonth(p.CreatedAt)}
	exif := imageio.ReadMetadata(data)
	m := photoMeta{Width: p.Width, Height: p.Height, Aspect: aspect(p.Width, p.Height)}
	if !exif.Taken.IsZero() {
		m.TakenZone = exif.TakenZone
		m.Taken = exif.Taken.Format(time.RFC3339)
		if !exif.TakenZone {
			m.Taken = exif.Taken.Format("2006-01-02T15:04:05")
		}
		// The month of the camera's own clock, in its zone when it wrote one: the
		// month the feed shows the photo under.
		if month := store.MonthOf(exif.Taken); store.ValidMonth(month) {
			lp.SortMonth = month
		}
	}
	m.Camera = strings.TrimSpace(strings.TrimPrefix(exif.Model, exif.Make))
	if exif.Make != "" {
		m.Camera = strings.TrimSpace(exif.Make + " " + m.Camera)
	}
	thumbs, colour, err := makeThumbs(img)
	if err != nil {
		return lp, nil, err
	}
	m.Colour = colour
	if exif.HasGPS {
		ok, err := a.privacy.PurposeGranted(ctx, user, privacy.PurposePhotoLocation)
		if err != nil {
			return lp, nil, err
		}
		if ok {
			m.Place = &place{Lat: coarsen(exif.Lat), Lon: coarsen(exif.Lon)}
		}
	}
	ok, err := a.privacy.PurposeGranted(ctx, user, privacy.PurposePeopleCount)
	if err != nil {
		return lp, nil, err
	}
	if ok {
		n, err := a.people.count(ctx, img)
		if err != nil {
			a.log.Warn("people count skipped", slog.String("reason", "detector failed"))
		} else {
			m.People = &n
		}
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return lp, nil, err
	}
	if lp.MetaSealed, err = a.vault.Seal(ctx, user, plain, metaContext(p.ID)); err != nil {
		return lp, nil, err
	}
	return lp, thumbs, nil
}

func aspect(w, h int) float64 {
	if h <= 0 {
		return 1
	}
	return math.Round(float64(w)/float64(h)*10000) / 10000
}

// makeThumbs encodes img at each of ThumbWidths (never wider than img) as JPEG on
// white, and returns its mean colour. imageio.Encode writes no metadata, so the
// thumbnails carry none of the upload's EXIF.
func makeThumbs(img image.Image) (map[int][]byte, string, error) {
	out := map[int][]byte{}
	b := img.Bounds()
	largest := ThumbWidths[len(ThumbWidths)-1]
	src := imageio.ShrinkImage(img, thumbSide(b.Dx(), b.Dy(), largest))
	for i := len(ThumbWidths) - 1; i >= 0; i-- {
		w := ThumbWidths[i]
		t := onWhite(imageio.Shrink(src, thumbSide(b.Dx(), b.Dy(), w)))
		var buf bytes.Buffer
		if err := imageio.Encode(&buf, t, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: thumbQuality}); err != nil {
			return nil, "", fmt.Errorf("httpapi: thumbnail: %w", err)
		}
		out[w] = buf.Bytes()
	}
	c := onWhite(imageio.Shrink(src, 1)).NRGBAAt(0, 0)
	return out, fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B), nil
}

// thumbSide is the long side that gives a w×h image the width want, or the long
// side as it is when the image is narrower (thumbnails are never enlarged).
func thumbSide(w, h, want int) int {
	if w <= want {
		return max(w, h)
	}
	if w >= h {
		return want
	}
	return int(math.Round(float64(h) * float64(want) / float64(w)))
}

// onWhite flattens transparency onto white (JPEG has no alpha; black would show).
func onWhite(img *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(img.Rect)
	for i := 0; i+3 < len(img.Pix); i += 4 {
		a := uint32(img.Pix[i+3])
		for c := 0; c < 3; c++ {
			out.Pix[i+c] = uint8((uint32(img.Pix[i+c])*a + 255*(255-a) + 127) / 255)
		}
		out.Pix[i+3] = 255
	}
	return out
}

// putThumbs seals and stores the thumbnails; a failure is logged and the thumbnail
// is made again when it is first asked for.
func (a *API) putThumbs(ctx context.Context, user, photoID string, thumbs map[int][]byte) error {
	for w, data := range thumbs {
		sealed, err := a.vault.Seal(ctx, user, data, thumbContext(photoID, w))
		if err != nil {
			return err
		}
		if err := a.store.PutThumb(ctx, photoID, w, sealed); err != nil {
			return err
		}
	}
	return nil
}

// feedItem is one photo of the feed, and the body of GET /photos/{id}.
type feedItem struct {
	ID         string      `json:"id"`
	Width      int         `json:"width"`
	Height     int         `json:"height"`
	Aspect     float64     `json:"aspect"`
	Colour     string      `json:"placeholder_colour"`
	TakenAt    string      `json:"taken_at"`    // RFC 3339, or without zone when the camera wrote none
	TimeSource string      `json:"time_source"` // "exif" or "upload"
	Month      string      `json:"month"`       // "2006-01", the group the feed shows it under: the feed's sort month
	Place      *place      `json:"place,omitempty"`
	People     *int        `json:"people,omitempty"`
	Thumbs     []thumbLink `json:"thumbnails"`
	// Details only (GET /photos/{id}).
	Camera     string     `json:"camera,omitempty"`
	Format     string     `json:"format,omitempty"`
	Bytes      int64      `json:"bytes,omitempty"`
	UploadedAt *time.Time `json:"uploaded_at,omitempty"`
}

type thumbLink struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	URL    string `json:"url"`
}

type feedPage struct {
	Items []feedItem `json:"items"`
	// Next is the cursor of the next page; absent on the last page.
	Next string `json:"next_cursor,omitempty"`
}

// grants are the user's separate purposes at the time of reading: a withdrawn
// consent hides what was kept under it.
type grants struct{ location, people bool }

func (a *API) grants(ctx context.Context, user string) (grants, error) {
	var g grants
	var err error
	if g.location, err = a.privacy.PurposeGranted(ctx, user, privacy.PurposePhotoLocation); err != nil {
		return g, err
	}
	g.people, err = a.privacy.PurposeGranted(ctx, user, privacy.PurposePeopleCount)
	return g, err
}

// item opens a photo's metadata and builds its feed entry.
func (a *API) item(ctx context.Context, user string, p store.LibraryPhoto, g grants, details bool) (feedItem, error) {
	it := feedItem{ID: p.ID, Width: p.Width, Height: p.Height, Aspect: aspect(p.Width, p.Height), Colour: "#808080",
		TakenAt: p.CreatedAt.Format(time.RFC3339), TimeSource: "upload", Month: monthLabel(p.SortMonth)}
	var m photoMeta
	if p.MetaSealed != nil {
		plain, err := a.vault.Open(ctx, user, p.MetaSealed, metaContext(p.ID))
		if err != nil {
			return it, err
		}
		if err := json.Unmarshal(plain, &m); err != nil {
			return it, fmt.Errorf("httpapi: photo metadata %s: %w", p.ID, err)
		}
		it.Colour = m.Colour
		if m.Taken != "" {
			it.TakenAt, it.TimeSource = m.Taken, "exif"
		}
		if g.location {
			it.Place = m.Place
		}
		if g.people {
			it.People = m.People
		}
	}
	for _, w := range ThumbWidths {
		tw, th := p.Width, p.Height
		if p.Width > w {
			tw, th = w, max(1, int(math.Round(float64(p.Height)*float64(w)/float64(p.Width))))
		}
		it.Thumbs = append(it.Thumbs, thumbLink{Width: tw, Height: th, URL: Prefix + "/photos/" + p.ID + "/thumb?w=" + strconv.Itoa(w)})
	}
	if details {
		it.Camera, it.Format, it.Bytes = m.Camera, p.Format, p.Bytes
		up := p.CreatedAt.UTC()
		it.UploadedAt = &up
	}
	return it, nil
}

// monthLabel is a YYYYMM sort month as the feed's group, "2006-01". The group is
// the sort key itself, so a page's months always come newest first: since
// migration 0010 it is the month of the sealed capture time (in the camera's own
// zone), or of the upload in China time; for photos stored before, the month the
// migration took from the old exact key.
func monthLabel(m int) string { return fmt.Sprintf("%04d-%02d", m/100, m%100) }

// encodeCursor makes the opaque cursor of a feed position: month, upload time in
// milliseconds and id, joined by dots.
func encodeCursor(c store.FeedCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(c.Month) + "." + strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "." + c.ID))
}

// decodeCursor reads a cursor of encodeCursor. The two-part cursors of the exact
// capture time (before migration 0010) are refused like any cursor this API did not
// give (400).
func decodeCursor(s string) (store.FeedCursor, error) {
	bad := fail(CodeBadRequest, "the cursor is not one this API gave")
	if len(s) > 128 {
		return store.FeedCursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.FeedCursor{}, bad
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 {
		return store.FeedCursor{}, bad
	}
	month, err1 := strconv.Atoi(parts[0])
	ms, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || !store.ValidMonth(month) || !store.ValidID(parts[2]) {
		return store.FeedCursor{}, bad
	}
	return store.FeedCursor{Month: month, CreatedAt: time.UnixMilli(ms), ID: parts[2]}, nil
}

// listPhotos is the feed: GET /photos?cursor=&limit=.
func (a *API) listPhotos(w http.ResponseWriter, r *http.Request, user string) {
	ctx := r.Context()
	q := r.URL.Query()
	limit := defaultFeedLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxFeedLimit {
			a.respondError(w, r, fail(CodeBadRequest, fmt.Sprintf("limit must be 1-%d", maxFeedLimit)))
			return
		}
		limit = n
	}
	var after *store.FeedCursor
	if s := q.Get("cursor"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			a.respondError(w, r, err)
			return
		}
		after = &c
	}
	// One more than asked tells whether there is a next page.
	photos, err := a.store.Feed(ctx, user, after, limit+1)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	g, err := a.grants(ctx, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	page := feedPage{Items: []feedItem{}}
	for i, p := range photos {
		if i == limit {
			last := photos[i-1]
			page.Next = encodeCursor(store.CursorAfter(last))
			break
		}
		it, err := a.item(ctx, user, p, g, false)
		if err != nil {
			a.respondError(w, r, err)
			return
		}
		page.Items = append(page.Items, it)
	}
	writeJSON(w, http.StatusOK, page)
}

// getPhoto is one photo's details.
func (a *API) getPhoto(w http.ResponseWriter, r *http.Request, user string) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !store.ValidID(id) {
		a.respondError(w, r, fail(CodeNotFound, "no such photo"))
		return
	}
	p, err := a.store.GetLibraryPhoto(ctx, user, id)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	g, err := a.grants(ctx, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	it, err := a.item(ctx, user, p, g, true)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// photoThumb serves a thumbnail: GET /photos/{id}/thumb?w=240. A photo stored
// before thumbnails existed gets them made now, from the sealed original.
func (a *API) photoThumb(w http.ResponseWriter, r *http.Request, user string) {
	ctx := r.Context()
	id := r.PathValue("id")
	if !store.ValidID(id) {
		a.respondError(w, r, fail(CodeNotFound, "no such photo"))
		return
	}
	width, err := strconv.Atoi(r.URL.Query().Get("w"))
	if err != nil || !validThumbWidth(width) {
		a.respondError(w, r, fail(CodeBadRequest, "w must be one of the thumbnail widths: 240 or 480"))
		return
	}
	var data []byte
	sealed, err := a.store.Thumb(ctx, user, id, width)
	switch {
	case err == nil:
		data, err = a.vault.Open(ctx, user, sealed, thumbContext(id, width))
	case errors.Is(err, store.ErrNotFound):
		data, err = a.remakeThumbs(ctx, user, id, width)
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	// The bytes of a thumbnail never change; only this user may keep them.
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func validThumbWidth(w int) bool {
	for _, v := range ThumbWidths {
		if v == w {
			return true
		}
	}
	return false
}

// remakeThumbs makes and stores the thumbnails of a photo from its original and
// returns the one of width; the photo must be the user's.
func (a *API) remakeThumbs(ctx context.Context, user, id string, width int) ([]byte, error) {
	p, err := a.store.GetPhoto(ctx, user, id)
	if err != nil {
		return nil, err
	}
	data, err := a.blobs.Get(ctx, user, p.BlobKey)
	if err != nil {
		return nil, err
	}
	img, _, release, err := a.decodes.Decode(ctx, bytes.NewReader(data), a.cfg.Limits)
	if err != nil {
		return nil, asPipelineError(err)
	}
	thumbs, _, err := makeThumbs(img)
	release()
	if err != nil {
		return nil, err
	}
	if err := a.putThumbs(ctx, user, id, thumbs); err != nil {
		return nil, err
	}
	return thumbs[width], nil
}

// deletePhotos deletes many photos at once: POST /photos:delete {"ids": [...]}.
// Each is deleted as DELETE /photos/{id} deletes one (R3); ids that are not the
// user's are answered as not found, and the others are deleted still.
func (a *API) deletePhotos(w http.ResponseWriter, r *http.Request, user string) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := decodeJSON(w, r, &req, 8<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	if len(req.IDs) == 0 || len(req.IDs) > maxBatchDelete {
		a.respondError(w, r, fail(CodeBadRequest, fmt.Sprintf(`"ids" must list 1-%d photo ids`, maxBatchDelete)))
		return
	}
	res := struct {
		Deleted  []string `json:"deleted"`
		NotFound []string `json:"not_found"`
	}{Deleted: []string{}, NotFound: []string{}}
	seen := map[string]bool{}
	for _, id := range req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !store.ValidID(id) {
			res.NotFound = append(res.NotFound, id)
			continue
		}
		err := a.privacy.DeletePhoto(r.Context(), user, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			res.NotFound = append(res.NotFound, id)
		case err != nil:
			a.respondError(w, r, err)
			return
		default:
			res.Deleted = append(res.Deleted, id)
		}
	}
	writeJSON(w, http.StatusOK, res)
}
