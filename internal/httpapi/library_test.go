package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/imageio/exiftest"
	"github.com/idphoto/idphoto/internal/store"
	_ "modernc.org/sqlite"
)

// The test photo's EXIF: a real place (the Bund, Shanghai), a capture time with
// its zone, and a camera.
var (
	testGPS    = [2]float64{31.240137, 121.490417}
	testFields = exiftest.Fields{Make: "Apple", Model: "iPhone 15 Pro", Taken: "2024:05:01 09:30:15", Offset: "+08:00", GPS: &testGPS}
)

type libraryItem struct {
	ID         string  `json:"id"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Aspect     float64 `json:"aspect"`
	Colour     string  `json:"placeholder_colour"`
	TakenAt    string  `json:"taken_at"`
	TimeSource string  `json:"time_source"`
	Month      string  `json:"month"`
	Place      *struct{ Lat, Lon float64 }
	People     *int `json:"people"`
	Thumbs     []struct {
		Width, Height int
		URL           string
	} `json:"thumbnails"`
	Camera string `json:"camera"`
}

type libraryPage struct {
	Items []libraryItem `json:"items"`
	Next  string        `json:"next_cursor"`
}

func (e *env) feed(token, cursor string, limit int) libraryPage {
	e.t.Helper()
	res := e.do("GET", fmt.Sprintf("/api/v1/photos?limit=%d&cursor=%s", limit, cursor), token, "", nil)
	if res.status != http.StatusOK {
		e.t.Fatalf("GET /photos: %d %s", res.status, res.body)
	}
	var p libraryPage
	res.json(e.t, &p)
	return p
}

func (e *env) grant(token, purpose string, granted bool) {
	e.t.Helper()
	res := e.do("POST", "/api/v1/me/consents/"+purpose, token, "application/json", []byte(fmt.Sprintf(`{"granted":%v}`, granted)))
	if res.status != http.StatusOK {
		e.t.Fatalf("consent %s: %d %s", purpose, res.status, res.body)
	}
}

// db opens the live database file beside the store (WAL: reads see the writes).
func (e *env) db() *sql.DB {
	e.t.Helper()
	db, err := sql.Open("sqlite", e.dir+"/idphoto.db")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

// userOf returns the user of the session made last.
func (e *env) lastUser() string {
	e.t.Helper()
	var u string
	if err := e.db().QueryRow("SELECT user_id FROM sessions ORDER BY created_at DESC, rowid DESC LIMIT 1").Scan(&u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// P9: with both separate consents the feed has the coarse place and the people
// count; without, neither is stored at all, and neither is served.
func TestPromiseP9LibraryMetadataFollowsConsent(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	photo := exiftest.JPEG(portrait(t, "hivision-test3.jpg"), exiftest.Block(testFields))

	granted := e.session()
	e.grant(granted, "photo_location", true)
	e.grant(granted, "people_count", true)
	grantedUser := e.lastUser()
	gID := e.uploadOK(granted, photo)

	refused := e.session()
	refusedUser := e.lastUser()
	rID := e.uploadOK(refused, photo)

	g := e.feed(granted, "", 10)
	if len(g.Items) != 1 || g.Items[0].ID != gID {
		t.Fatalf("feed: %+v", g)
	}
	it := g.Items[0]
	if it.Place == nil || it.Place.Lat != 31.2 || it.Place.Lon != 121.5 {
		t.Errorf("place %+v, want 31.2, 121.5 (rounded to 0.1°)", it.Place)
	}
	if it.People == nil || *it.People != 1 {
		t.Errorf("people %v, want 1", it.People)
	}
	if it.TakenAt != "2024-05-01T09:30:15+08:00" || it.TimeSource != "exif" || it.Month != "2024-05" {
		t.Errorf("time %q %q %q", it.TakenAt, it.TimeSource, it.Month)
	}
	if it.Width == 0 || math.Abs(it.Aspect-float64(it.Width)/float64(it.Height)) > 1e-3 || len(it.Colour) != 7 || len(it.Thumbs) != 2 {
		t.Errorf("layout fields: %+v", it)
	}

	res := e.do("GET", "/api/v1/photos/"+rID, refused, "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /photos/{id}: %d %s", res.status, res.body)
	}
	if bytes.Contains(res.body, []byte(`"place"`)) || bytes.Contains(res.body, []byte(`"people"`)) {
		t.Errorf("served without consent: %s", res.body)
	}
	var d libraryItem
	res.json(t, &d)
	if d.Camera != "Apple iPhone 15 Pro" || d.TakenAt != "2024-05-01T09:30:15+08:00" {
		t.Errorf("details: %s", res.body)
	}

	// What is stored: open each user's sealed metadata.
	meta := func(user, id string) map[string]any {
		var sealed []byte
		if err := e.db().QueryRow("SELECT meta_sealed FROM photos WHERE id = ?", id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		plain, err := e.vault.Open(context.Background(), user, sealed, "photo.meta:"+id)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(plain, &m)
		return m
	}
	if m := meta(refusedUser, rID); m["place"] != nil || m["people"] != nil {
		t.Errorf("stored without consent: %v", m)
	}
	if m := meta(grantedUser, gID); m["place"] == nil || m["people"] == nil {
		t.Errorf("not stored with consent: %v", m)
	}
	// No exact coordinate, nor the camera, is anywhere in the database files.
	for _, name := range []string{"idphoto.db", "idphoto.db-wal"} {
		b, err := os.ReadFile(filepath.Join(e.dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"31.24", "121.49", "iPhone", `"place"`, `"people"`} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in the clear", name, s)
			}
		}
	}

	// Withdrawing the consent hides what was kept under it.
	e.grant(granted, "photo_location", false)
	e.grant(granted, "people_count", false)
	if it := e.feed(granted, "", 10).Items[0]; it.Place != nil || it.People != nil {
		t.Errorf("served after withdrawal: %+v", it)
	}
	// Another user's photo is not found, in the feed and by id.
	if res := e.do("GET", "/api/v1/photos/"+gID, refused, "", nil); res.status != http.StatusNotFound {
		t.Errorf("another user's photo: %d", res.status)
	}
}

// P9: GPS never appears in a served file. Thumbnails are JPEGs the server made,
// without EXIF; the original is not served by the library at all.
func TestPromiseP9ThumbnailsCarryNoMetadata(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	e.grant(tok, "photo_location", true)
	src := portrait(t, "hivision-test3.jpg")
	id := e.uploadOK(tok, exiftest.JPEG(src, exiftest.Block(testFields)))
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	// The GPS latitude as its EXIF bytes: 31° as a big-endian rational.
	gpsBytes := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 31), 1)
	for _, w := range []int{240, 480} {
		res := e.do("GET", fmt.Sprintf("/api/v1/photos/%s/thumb?w=%d", id, w), tok, "", nil)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("thumb %d: %d %s", w, res.status, res.header.Get("Content-Type"))
		}
		img, err := jpeg.Decode(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		if want := min(w, cfg.Width); img.Bounds().Dx() != want {
			t.Errorf("thumb %d is %d wide, want %d", w, img.Bounds().Dx(), want)
		}
		for _, s := range [][]byte{[]byte("Exif"), []byte("Apple"), []byte("iPhone"), gpsBytes, {0xFF, 0xE1}} {
			if bytes.Contains(res.body, s) {
				t.Errorf("thumb %d holds %q", w, s)
			}
		}
		if m := imageio.ReadMetadata(res.body); m != (imageio.Metadata{}) {
			t.Errorf("thumb %d: metadata %+v", w, m)
		}
	}
	// Every library route serves JSON or a thumbnail: none returns the original.
	for _, path := range []string{"/api/v1/photos", "/api/v1/photos/" + id} {
		res := e.do("GET", path, tok, "", nil)
		if bytes.Contains(res.body, []byte("31.24")) || bytes.Contains(res.body, []byte("121.49")) {
			t.Errorf("%s serves the exact position", path)
		}
	}
	if res := e.do("GET", "/api/v1/photos/"+id+"/thumb?w=100", tok, "", nil); res.status != http.StatusBadRequest {
		t.Errorf("w=100: %d", res.status)
	}
	other := e.session()
	if res := e.do("GET", "/api/v1/photos/"+id+"/thumb?w=240", other, "", nil); res.status != http.StatusNotFound {
		t.Errorf("another user's thumbnail: %d", res.status)
	}
	// A photo without thumbnails (stored before they existed) gets them on demand.
	if _, err := e.db().Exec("DELETE FROM photo_thumbs WHERE photo_id = ?", id); err != nil {
		t.Fatal(err)
	}
	if res := e.do("GET", "/api/v1/photos/"+id+"/thumb?w=240", tok, "", nil); res.status != http.StatusOK || bytes.Contains(res.body, []byte("Exif")) {
		t.Errorf("remade thumbnail: %d", res.status)
	}
}

// seed adds n photos of the user straight through the store: capture months over
// two years, upload times some equal (ties of month and upload are broken by id).
func (e *env) seed(user string, n int, rng *rand.Rand) []store.LibraryPhoto {
	e.t.Helper()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ps := make([]store.LibraryPhoto, n)
	for i := range ps {
		id := store.NewID()
		up := base.Add(time.Duration(rng.IntN(n/20+1)) * time.Hour) // about 20 uploads per hour: ties
		ps[i] = store.LibraryPhoto{Photo: store.Photo{ID: id, UserID: user, BlobKey: "photos/" + id, Format: "jpeg",
			Width: 300 + rng.IntN(900), Height: 300 + rng.IntN(900), Bytes: 1000, CreatedAt: up},
			SortMonth: store.MonthOf(base.AddDate(0, rng.IntN(24), 0))}
	}
	if err := e.store.CreateLibraryPhotos(context.Background(), ps); err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// P8: cursor pages are stable while photos are added and deleted between them: no
// photo is shown twice, and every photo that existed throughout is shown once, in
// order, newest first.
func TestPromiseP8FeedCursorStableUnderChanges(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	user := e.lastUser()
	rng := rand.New(rand.NewPCG(7, 7))
	initial := e.seed(user, 120, rng)
	throughout := map[string]bool{}
	for _, p := range initial {
		throughout[p.ID] = true
	}
	seen := map[string]int{}
	var order []store.LibraryPhoto
	at := map[string]store.LibraryPhoto{}
	for _, p := range initial {
		at[p.ID] = p
	}
	cursor := ""
	for page := 0; ; page++ {
		p := e.feed(tok, cursor, 9)
		for _, it := range p.Items {
			seen[it.ID]++
			order = append(order, at[it.ID])
			if want := fmt.Sprintf("%04d-%02d", at[it.ID].SortMonth/100, at[it.ID].SortMonth%100); it.Month != want {
				t.Errorf("photo %s under month %s, want %s", it.ID, it.Month, want)
			}
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
		// Between pages: add photos, newer and older than the cursor, and delete
		// some, seen and not yet seen.
		added := e.seed(user, 3, rng)
		for _, a := range added {
			at[a.ID] = a
		}
		var ids []string
		for _, q := range initial {
			if throughout[q.ID] && rng.IntN(12) == 0 {
				delete(throughout, q.ID)
				ids = append(ids, q.ID)
			}
		}
		if len(ids) > 0 {
			b, _ := json.Marshal(map[string][]string{"ids": ids})
			if res := e.do("POST", "/api/v1/photos:delete", tok, "application/json", b); res.status != http.StatusOK {
				t.Fatalf("batch delete: %d %s", res.status, res.body)
			}
		}
		if page > 100 {
			t.Fatal("the feed does not end")
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("photo %s shown %d times", id, n)
		}
	}
	for id := range throughout {
		if seen[id] != 1 {
			t.Errorf("photo %s, there throughout, shown %d times", id, seen[id])
		}
	}
	if !sort.SliceIsSorted(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.SortMonth != b.SortMonth {
			return a.SortMonth > b.SortMonth
		}
		return a.CreatedAt.After(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID > b.ID
	}) {
		t.Error("the feed is not newest first by (month, upload time, id)")
	}
}

func TestLibraryFeedAndBatchDelete(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	a := e.uploadOK(tok, portrait(t, "hivision-test1.jpg"))
	b := e.uploadOK(tok, portrait(t, "hivision-test3.jpg"))
	c := e.uploadOK(tok, portrait(t, "messi5.jpg"))
	other := e.session()
	o := e.uploadOK(other, portrait(t, "messi5.jpg"))

	p := e.feed(tok, "", 2)
	if len(p.Items) != 2 || p.Next == "" {
		t.Fatalf("first page: %+v", p)
	}
	for _, it := range p.Items {
		if it.TimeSource != "upload" || it.Place != nil || it.People != nil || !strings.HasPrefix(it.Thumbs[0].URL, "/api/v1/photos/"+it.ID+"/thumb?w=") {
			t.Errorf("item without EXIF: %+v", it)
		}
	}
	if p2 := e.feed(tok, p.Next, 2); len(p2.Items) != 1 || p2.Next != "" {
		t.Errorf("last page: %+v", p2)
	}

	body, _ := json.Marshal(map[string][]string{"ids": {a, b, o, "nope", a}})
	res := e.do("POST", "/api/v1/photos:delete", tok, "application/json", body)
	var out struct {
		Deleted  []string `json:"deleted"`
		NotFound []string `json:"not_found"`
	}
	res.json(t, &out)
	if res.status != http.StatusOK || len(out.Deleted) != 2 || len(out.NotFound) != 2 {
		t.Fatalf("batch delete: %d %s", res.status, res.body)
	}
	if p := e.feed(tok, "", 10); len(p.Items) != 1 || p.Items[0].ID != c {
		t.Errorf("after delete: %+v", p)
	}
	if p := e.feed(other, "", 10); len(p.Items) != 1 || p.Items[0].ID != o {
		t.Errorf("another user's photo was touched: %+v", p)
	}
	var thumbs int
	e.db().QueryRow("SELECT COUNT(*) FROM photo_thumbs WHERE photo_id IN (?, ?)", a, b).Scan(&thumbs)
	if thumbs != 0 {
		t.Errorf("%d thumbnails of deleted photos left", thumbs)
	}

	for _, tt := range []struct{ name, method, path, body string }{
		{"bad cursor", "GET", "/api/v1/photos?cursor=AAAA", ""},
		{"limit 0", "GET", "/api/v1/photos?limit=0", ""},
		{"limit 101", "GET", "/api/v1/photos?limit=101", ""},
		{"no ids", "POST", "/api/v1/photos:delete", `{"ids":[]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(tt.method, tt.path, tok, "application/json", []byte(tt.body))
			if res.status != http.StatusBadRequest {
				t.Errorf("%d %s", res.status, res.body)
			}
		})
	}
	if res := e.do("GET", "/api/v1/photos", "", "", nil); res.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", res.status)
	}
}

// BenchmarkFeedPage reads one page of 25 from a library of 10,000 photos, at the
// first page and at the 400th: keyset pagination costs the same at both.
func BenchmarkFeedPage(b *testing.B) {
	e := newEnv(b, testConfig(), realEngine(b))
	tok := e.session()
	var user string
	db, err := sql.Open("sqlite", e.dir+"/idphoto.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("SELECT user_id FROM sessions LIMIT 1").Scan(&user); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ps := make([]store.LibraryPhoto, 10_000)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range ps {
		id := store.NewID()
		meta, err := e.vault.Seal(context.Background(), user, []byte(`{"width":800,"height":600,"aspect":1.3333,"colour":"#a08c78","taken":"2024-05-01T09:30:15+08:00","taken_zone":true}`), "photo.meta:"+id)
		if err != nil {
			b.Fatal(err)
		}
		ps[i] = store.LibraryPhoto{Photo: store.Photo{ID: id, UserID: user, BlobKey: "photos/" + id, Format: "jpeg", Width: 800, Height: 600, Bytes: 1000,
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}, SortMonth: store.MonthOf(base.Add(time.Duration(rng.IntN(5_000_000)) * time.Minute)), MetaSealed: meta}
	}
	if err := e.store.CreateLibraryPhotos(context.Background(), ps); err != nil {
		b.Fatal(err)
	}
	const limit = 25
	cursors := map[int]string{1: ""}
	cursor := ""
	for page := 1; page < 400; page++ {
		res := e.do("GET", fmt.Sprintf("/api/v1/photos?limit=%d&cursor=%s", limit, cursor), tok, "", nil)
		var p libraryPage
		res.json(b, &p)
		cursor = p.Next
	}
	cursors[400] = cursor
	for _, page := range []int{1, 400} {
		b.Run(fmt.Sprintf("page=%d", page), func(b *testing.B) {
			for b.Loop() {
				res := e.do("GET", fmt.Sprintf("/api/v1/photos?limit=%d&cursor=%s", limit, cursors[page]), tok, "", nil)
				if res.status != http.StatusOK || !bytes.Contains(res.body, []byte(`"items":[{`)) {
					b.Fatalf("%d %s", res.status, res.body)
				}
			}
		})
	}
}

// An EXIF capture time at a month's edge in a zone far from China: 23:30:15 on
// 31 May at UTC-5 is 1 June in UTC and in Beijing, but May on the camera's clock.
var edgeFields = exiftest.Fields{Make: "Apple", Model: "iPhone 15 Pro", Taken: "2024:05:31 23:30:15", Offset: "-05:00"}

// P9, collect less: of an upload's capture time only the month, in the camera's own
// zone, is in the clear (the feed's sort key); the exact time is sealed. No row of
// any table, and on SQLite no byte of the database files, holds it.
func TestPromiseP9FeedKeyHoldsOnlyTheMonth(t *testing.T) {
	taken := time.Date(2024, 5, 31, 23, 30, 15, 0, time.FixedZone("", -5*3600))
	t.Run("sqlite", func(t *testing.T) {
		e := newEnv(t, testConfig(), realEngine(t))
		id := uploadAtEdge(e)
		noExactCaptureTime(t, e, e.db(), id, taken)
		ms := binary.BigEndian.AppendUint64(nil, uint64(taken.UnixMilli()))
		for _, name := range []string{"idphoto.db", "idphoto.db-wal"} {
			b, err := os.ReadFile(filepath.Join(e.dir, name))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			// SQLite writes an integer of this size in its 6 low bytes, big-endian.
			for _, s := range append(timeTexts(taken), string(ms[2:])) {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds the capture time (%q)", name, s)
				}
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		e, db := pgEnv(t)
		id := uploadAtEdge(e.env)
		noExactCaptureTime(t, e.env, db, id, taken)
	})
}

// uploadAtEdge uploads a portrait with edgeFields and checks the feed still serves
// the exact time, from the sealed metadata, under the camera's month.
func uploadAtEdge(e *env) string {
	e.t.Helper()
	tok := e.session()
	id := e.uploadOK(tok, exiftest.JPEG(portrait(e.t, "hivision-test3.jpg"), exiftest.Block(edgeFields)))
	p := e.feed(tok, "", 10)
	if len(p.Items) != 1 || p.Items[0].TakenAt != "2024-05-31T23:30:15-05:00" || p.Items[0].Month != "2024-05" {
		e.t.Fatalf("feed: %+v", p.Items)
	}
	return id
}

// timeTexts are the ways a text column could hold the capture time.
func timeTexts(taken time.Time) []string {
	return []string{"2024-05-31T23:30", "2024:05:31 23:30", "2024-06-01T04:30", "2024-06-01 04:30",
		strconv.FormatInt(taken.Unix(), 10)}
}

// noExactCaptureTime reads every row of every table: the photo's sort key is 202405,
// and no value is the capture time in seconds or milliseconds or holds it as text.
func noExactCaptureTime(t *testing.T, e *env, db *sql.DB, id string, taken time.Time) {
	t.Helper()
	var month int64
	if err := db.QueryRow("SELECT sort_at FROM photos WHERE id = $1", id).Scan(&month); err != nil || month != 202405 {
		t.Errorf("sort_at %d, want 202405 (the camera's month) %v", month, err)
	}
	tables, err := e.store.Columns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	exact := map[int64]bool{taken.Unix(): true, taken.UnixMilli(): true, taken.UnixMicro(): true}
	rows := 0
	for table := range tables {
		func() {
			rs, err := db.Query("SELECT * FROM " + table)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			cols, _ := rs.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rs.Next() {
				rows++
				if err := rs.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, v := range vals {
					var text string
					switch v := v.(type) {
					case int64:
						if exact[v] {
							t.Errorf("%s.%s holds the capture time %d", table, cols[i], v)
						}
					case string:
						text = v
					case []byte:
						text = string(v)
					case time.Time:
						if v.Equal(taken) {
							t.Errorf("%s.%s holds the capture time", table, cols[i])
						}
					}
					for _, s := range timeTexts(taken) {
						if strings.Contains(text, s) {
							t.Errorf("%s.%s holds the capture time as %q", table, cols[i], s)
						}
					}
				}
			}
			if err := rs.Err(); err != nil {
				t.Fatal(err)
			}
		}()
	}
	if rows < 5 {
		t.Errorf("only %d rows read", rows)
	}
}
