package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/imageio/exiftest"
)

// libraryAPI is a client of the service's API with one session's token, for seeding
// the library and checking what the page did.
type libraryAPI struct {
	t     *testing.T
	base  string
	token string
}

func (a libraryAPI) do(method, path, ctype string, body []byte) (int, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (a libraryAPI) upload(data []byte) string {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "photo")
	fw.Write(data)
	mw.Close()
	code, b := a.do("POST", "/api/v1/photos", mw.FormDataContentType(), body.Bytes())
	if code != http.StatusCreated {
		a.t.Fatalf("upload: %d %s", code, b)
	}
	var p struct{ ID string }
	json.Unmarshal(b, &p)
	return p.ID
}

type feedEntry struct {
	ID     string `json:"id"`
	Month  string `json:"month"`
	Aspect float64
	Place  *struct{ Lat, Lon float64 }
	People *int
}

// all lists the whole library, newest first, a page at a time.
func (a libraryAPI) all() []feedEntry {
	a.t.Helper()
	var out []feedEntry
	cursor := ""
	for {
		code, b := a.do("GET", "/api/v1/photos?limit=100&cursor="+url.QueryEscape(cursor), "", nil)
		if code != http.StatusOK {
			a.t.Fatalf("GET /photos: %d %s", code, b)
		}
		var p struct {
			Items []feedEntry
			Next  string `json:"next_cursor"`
		}
		json.Unmarshal(b, &p)
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		cursor = p.Next
	}
}

// libraryPhotos makes the photos of the test library from the real photos in
// testdata: five uploaded as they are (PNG, WebP, HEIC, JPEG; no EXIF, so they sort
// by upload time), and twenty JPEG crops of them at aspects from 1:2 to 2:1 with EXIF
// capture times in November and October 2026 and March 2025, some with a GPS position
// and a camera. source names each photo's file.
func libraryPhotos(t *testing.T) (photos [][]byte, source []string) {
	t.Helper()
	root := filepath.Join("..", "..", "testdata")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, name := range []string{"portraits/astronaut.png", "portraits/hivision-test1.jpg", "formats/portrait.heic",
		"portraits/hivision-test2.jpg", "no-face/cat.png"} {
		photos = append(photos, read(name))
		source = append(source, name)
	}
	srcs := []string{"portraits/hivision-test3.jpg", "portraits/messi5.jpg", "no-face/fruits.jpg", "no-face/building.jpg",
		"portraits/hivision-test2.jpg", "no-face/baboon.jpg", "portraits/astronaut.png"}
	aspects := []float64{0.75, 1.5, 0.56, 1, 2, 0.67, 1.33, 0.5, 0.8, 1.78, 1.25, 0.6, 1, 0.7, 1.6, 0.9, 0.75, 1.4, 0.55, 1.9}
	shanghai := [2]float64{31.240137, 121.490417}
	for i, aspect := range aspects {
		name := srcs[i%len(srcs)]
		img, _, err := imageio.Decode(bytes.NewReader(read(name)), imageio.DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var f exiftest.Fields
		switch {
		case i < 4:
			f.Taken = fmt.Sprintf("2026:11:%02d 18:%02d:00", 20-i, 10+i)
		case i < 12:
			f.Taken = fmt.Sprintf("2026:10:%02d 09:%02d:00", 28-i, 10+i)
		default:
			f.Taken = fmt.Sprintf("2025:03:%02d 12:%02d:00", 28-i, 10+i)
		}
		if i%4 == 0 {
			f.Make, f.Model, f.GPS = "Apple", "iPhone 15 Pro", &shanghai
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, crop(img, aspect), &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		photos = append(photos, exiftest.JPEG(buf.Bytes(), exiftest.Block(f)))
		source = append(source, name)
	}
	return photos, source
}

// crop cuts the centre of img at the aspect (width/height), at most 640 px long.
func crop(img image.Image, aspect float64) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if float64(w)/float64(h) > aspect {
		w = int(math.Round(float64(h) * aspect))
	} else {
		h = int(math.Round(float64(w) / aspect))
	}
	x, y := b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2
	sub := imageio.ToNRGBA(img).SubImage(image.Rect(x, y, x+w, y+h))
	return imageio.ShrinkImage(sub, 640)
}

// tileBox is where a tile's image box is on the page.
type tileBox struct {
	ID     string  `json:"id"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	W      float64 `json:"w"`
	H      float64 `json:"h"`
	Aspect float64 `json:"aspect"`
	Loaded bool    `json:"loaded"`
	Colour string  `json:"colour"`
}

const measureTiles = `[...document.querySelectorAll('#lib-feed .tile')].map((li) => {
  const box = li.querySelector('.tile-img'), r = box.getBoundingClientRect(), img = li.querySelector('img');
  return { id: li.dataset.id, x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height, aspect: Number(li.dataset.aspect),
    loaded: img.complete && img.naturalWidth > 0, colour: getComputedStyle(box).backgroundColor };
})`

const tileCount = `document.querySelectorAll('#lib-feed .tile').length`

// settled waits for the thumbnails' fade-in to end, for the screenshots.
var settled = until(`document.getAnimations().every((a) => a.playState !== 'running')`)

func columnsOf(tiles []tileBox) int {
	xs := map[int]bool{}
	for _, b := range tiles {
		xs[int(math.Round(b.X))] = true
	}
	return len(xs)
}

// interceptor holds the page's thumbnail requests until released, and records the
// feed's requests, through the DevTools Fetch domain.
type interceptor struct {
	mu       sync.Mutex
	released bool
	held     []fetch.RequestID
	feed     []string
}

func (ic *interceptor) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		u, _ := url.Parse(e.Request.URL)
		ic.mu.Lock()
		hold := strings.HasSuffix(u.Path, "/thumb") && !ic.released
		if hold {
			ic.held = append(ic.held, e.RequestID)
		} else if u.Path == "/api/v1/photos" && e.Request.Method == "GET" {
			ic.feed = append(ic.feed, u.RawQuery)
		}
		ic.mu.Unlock()
		if !hold {
			go ic.resume(ctx, e.RequestID)
		}
	})
}

func (ic *interceptor) resume(ctx context.Context, id fetch.RequestID) {
	c := chromedp.FromContext(ctx)
	fetch.ContinueRequest(id).Do(cdp.WithExecutor(ctx, c.Target))
}

func (ic *interceptor) heldCount() int {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return len(ic.held)
}

func (ic *interceptor) release(ctx context.Context) {
	ic.mu.Lock()
	ic.released = true
	held := ic.held
	ic.held = nil
	ic.mu.Unlock()
	for _, id := range held {
		go ic.resume(ctx, id)
	}
}

func (ic *interceptor) feedQueries() []string {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return slices.Clone(ic.feed)
}

// P8 in a phone's browser: the library shows the user's photos as a waterfall in
// columns, each box sized from the photo's aspect and filled with its colour before
// the thumbnail arrives (nothing moves when it does), grouped by month, newest first;
// scrolling loads the next page over the cursor; two photos are selected and deleted,
// one more from its details; and "make an ID photo from this" enters the ID-photo
// flow at the document step with that photo, which then makes an ID photo.
func TestPromiseP8LibraryInBrowser(t *testing.T) {
	ctx := startBrowser(t)
	srv := newService(t)
	f := newFlow(t, ctx)
	shot, perr, run := f.shot, f.perr, f.run
	var ic interceptor
	ic.listen(ctx)

	measure := func(step string) []tileBox {
		t.Helper()
		var tiles []tileBox
		run(step, chromedp.Evaluate(measureTiles, &tiles))
		return tiles
	}

	// A person arrives, accepts the policies, and grants place and people (P9).
	var token string
	run("consent",
		chromedp.Navigate(srv.URL+"/?limit=12"),
		until(`document.querySelector('#consent-dialog').open`),
		chromedp.Click("#consent-accept", chromedp.ByQuery),
		until(`!document.querySelector('#consent-dialog').open`),
		chromedp.Evaluate(`localStorage.getItem('idphoto.token')`, &token),
	)
	api := libraryAPI{t: t, base: srv.URL, token: token}
	for _, p := range []string{"photo_location", "people_count"} {
		if code, b := api.do("POST", "/api/v1/me/consents/"+p, "application/json", []byte(`{"granted":true}`)); code != http.StatusOK {
			t.Fatalf("grant %s: %d %s", p, code, b)
		}
	}
	photos, source := libraryPhotos(t)
	sourceOf := map[string]string{}
	for i, p := range photos {
		sourceOf[api.upload(p)] = source[i]
	}
	want := api.all()
	if len(want) != 25 {
		t.Fatalf("the API lists %d photos, want 25", len(want))
	}

	// The library, with every thumbnail held back: the boxes are all there, in
	// columns, at their aspect's height, in their colour.
	run("hold thumbnails", fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/photos*"}}))
	run("open the library",
		chromedp.Click("#nav-library", chromedp.ByQuery),
		until(visible("#view-library")+` && document.querySelector('#lib-feed').getAttribute('aria-busy') === 'false' && `+tileCount+` > 0`),
	)
	for deadline := time.Now().Add(30 * time.Second); ic.heldCount() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the page asked for no thumbnail")
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := measure("measure the placeholders")
	run("placeholders", shot.take("library-placeholders"))
	if len(before) >= len(want) {
		t.Fatalf("first screen holds %d tiles: the whole library came in one page", len(before))
	}
	t.Logf("first page: %d tiles in %d columns, %d thumbnail requests held", len(before), columnsOf(before), ic.heldCount())
	if n := columnsOf(before); n < 2 {
		t.Errorf("tiles in %d column(s), want 2 on a phone", n)
	}
	for i, b := range before {
		if b.ID != want[i].ID {
			t.Fatalf("tile %d is %s, want %s (the API's order, newest first)", i, b.ID, want[i].ID)
		}
		aspect := min(2.5, max(0.4, b.Aspect))
		if math.Abs(b.H-math.Round(b.W/aspect)) > 1 {
			t.Errorf("tile %s: box %.1f×%.1f, want the height of aspect %.2f", b.ID, b.W, b.H, b.Aspect)
		}
		if b.Loaded {
			t.Errorf("tile %s has its image while every thumbnail is held", b.ID)
		}
		if b.Colour == "" || b.Colour == "rgba(0, 0, 0, 0)" {
			t.Errorf("tile %s has no placeholder colour", b.ID)
		}
	}

	// The thumbnails arrive; nothing moves.
	ic.release(ctx)
	run("thumbnails arrive",
		until(`[...document.querySelectorAll('#lib-feed .tile')].filter((li) => { const r = li.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
			.every((li) => li.querySelector('img').naturalWidth > 0)`),
		settled,
		shot.take("library"),
	)
	after := measure("measure again")
	for i := range before {
		a, b := after[i], before[i]
		if a.ID != b.ID || math.Abs(a.X-b.X) > 0.5 || math.Abs(a.Y-b.Y) > 0.5 || math.Abs(a.H-b.H) > 0.5 {
			t.Errorf("tile %s moved when the thumbnails came: %+v, then %+v", b.ID, b, a)
		}
	}
	var months []string
	run("month headers", chromedp.Evaluate(`[...document.querySelectorAll('.month-title')].map((h) => h.textContent)`, &months))
	if len(months) < 2 || !slices.Equal(months[:2], []string{"November 2026", "October 2026"}) {
		t.Errorf("month headers %q, want November and October 2026 first", months)
	}

	// Place and people are shown as the API gives them.
	var texts map[string]struct{ Label, Place, People string }
	run("tile texts", chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll('#lib-feed .tile')].map((li) => [li.dataset.id, {
		label: li.querySelector('.tile-open').getAttribute('aria-label'),
		place: li.querySelector('.tile-place').hidden ? '' : li.querySelector('.tile-place').textContent,
		people: li.querySelector('.tile-people').hidden ? '' : li.querySelector('.tile-people').textContent }]))`, &texts))
	places, people := 0, 0
	for _, w := range want[:len(before)] {
		got := texts[w.ID]
		if !strings.HasPrefix(got.Label, "Photo: ") || !strings.Contains(got.Label, "2026") {
			t.Errorf("tile %s is labelled %q", w.ID, got.Label)
		}
		if w.Place != nil {
			places++
			if got.Place != "31.2°N 121.5°E" || !strings.Contains(got.Label, "31.2°N 121.5°E") {
				t.Errorf("tile %s shows place %q, labelled %q; want 31.2°N 121.5°E", w.ID, got.Place, got.Label)
			}
		} else if got.Place != "" {
			t.Errorf("tile %s shows place %q; the API gave none", w.ID, got.Place)
		}
		if w.People != nil {
			people++
			words := map[int]string{0: "No people", 1: "1 person"}[*w.People]
			if words == "" {
				words = fmt.Sprintf("%d people", *w.People)
			}
			if got.People != strconv.Itoa(*w.People) || !strings.Contains(got.Label, words) {
				t.Errorf("tile %s shows people %q, labelled %q; want %d", w.ID, got.People, got.Label, *w.People)
			}
		}
	}
	if places == 0 || people == 0 {
		t.Errorf("the first page shows %d places and %d people counts; the seed has both", places, people)
	}

	// Scrolling down loads the next pages, over the cursor, to the end.
	first := len(before)
	run("scroll to the end",
		until(`(() => { window.scrollTo(0, document.documentElement.scrollHeight);
			return `+tileCount+` === 25 && document.querySelector('#lib-status').textContent.includes('25 photos'); })()`),
		shot.take("library-end"),
	)
	var ids []string
	run("read the feed", chromedp.Evaluate(`[...document.querySelectorAll('#lib-feed .tile')].map((li) => li.dataset.id)`, &ids))
	for i := range want {
		if ids[i] != want[i].ID {
			t.Fatalf("the page shows %v; want the API's order %v", ids, want)
		}
	}
	if first >= 25 {
		t.Errorf("%d tiles before scrolling", first)
	}
	qs := ic.feedQueries()
	if len(qs) < 3 {
		t.Errorf("the page asked for %d pages of 12, want 3: %q", len(qs), qs)
	}
	for i, q := range qs {
		v, _ := url.ParseQuery(q)
		if v.Get("limit") != "12" || (i == 0) != (v.Get("cursor") == "") || v.Has("offset") {
			t.Errorf("feed request %d: %q; want limit=12 and a cursor after the first page", i, q)
		}
	}
	run("all months", chromedp.Evaluate(`[...document.querySelectorAll('.month-title')].map((h) => h.textContent)`, &months))
	if !slices.Equal(months, []string{"November 2026", "October 2026", "March 2025"}) {
		t.Errorf("month headers %q", months)
	}

	// Select two (one by its checkbox, one by its picture) and delete them.
	gone := []string{ids[1], ids[2]}
	var count string
	run("select two",
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		chromedp.Click("#lib-select", chromedp.ByQuery),
		until(`document.querySelector('#view-library').classList.contains('selecting')`),
		chromedp.Click(`.tile[data-id="`+gone[0]+`"] .tile-check`, chromedp.ByQuery),
		chromedp.Click(`.tile[data-id="`+gone[1]+`"] .tile-open`, chromedp.ByQuery),
		until(`document.querySelectorAll('.tile.picked').length === 2`),
		chromedp.Text("#lib-count", &count, chromedp.ByQuery),
		shot.take("library-selected"),
		chromedp.Click("#lib-delete", chromedp.ByQuery),
		until(`document.querySelector('#confirm-dialog').open`),
		shot.view("library-delete-confirm"),
		chromedp.Click("#confirm-yes", chromedp.ByQuery),
		until(tileCount+` === 23 && !document.querySelector('#view-library').classList.contains('selecting')`),
		shot.take("library-deleted"),
	)
	if count != "2 selected" {
		t.Errorf("selection bar says %q", count)
	}
	left := api.all()
	if len(left) != 23 || slices.ContainsFunc(left, func(e feedEntry) bool { return slices.Contains(gone, e.ID) }) {
		t.Errorf("after deleting %v the API lists %d photos", gone, len(left))
	}

	// Delete one from its details, opened with the keyboard.
	victim := left[0].ID
	var meta string
	run("delete from the details",
		chromedp.Focus(`.tile[data-id="`+victim+`"] .tile-open`, chromedp.ByQuery),
		chromedp.KeyEvent(kb.Enter),
		until(`document.querySelector('#photo-dialog').open && document.querySelector('#photo-big').naturalWidth > 0`),
		chromedp.Text("#photo-meta", &meta, chromedp.ByQuery),
		chromedp.Click("#photo-delete", chromedp.ByQuery),
		until(`document.querySelector('#confirm-dialog').open`),
		chromedp.Click("#confirm-yes", chromedp.ByQuery),
		until(`!document.querySelector('#photo-dialog').open && `+tileCount+` === 22`),
	)
	if !strings.Contains(meta, "Size") || !strings.Contains(meta, "File") {
		t.Errorf("details say %q", meta)
	}
	if left = api.all(); len(left) != 22 || left[0].ID == victim {
		t.Errorf("after deleting %s from its details the API lists %d photos", victim, len(left))
	}

	// Make an ID photo from a portrait with a capture time, place and camera.
	var portrait string
	for _, e := range left {
		if sourceOf[e.ID] == "portraits/hivision-test3.jpg" && e.Place != nil {
			portrait = e.ID
			break
		}
	}
	if portrait == "" {
		t.Fatal("no portrait with a place left in the library")
	}
	run("details of a portrait",
		chromedp.Evaluate(`document.querySelector('.tile[data-id="`+portrait+`"]').scrollIntoView({block: 'center'})`, nil),
		chromedp.Click(`.tile[data-id="`+portrait+`"] .tile-open`, chromedp.ByQuery),
		until(`document.querySelector('#photo-dialog').open && document.querySelector('#photo-big').naturalWidth > 0 && document.querySelector('#photo-meta').textContent.includes('Camera')`),
		chromedp.Text("#photo-meta", &meta, chromedp.ByQuery),
		settled,
		shot.view("photo-details"),
	)
	for _, s := range []string{"Taken", "18:10", "31.2°N 121.5°E", "Apple iPhone 15 Pro", "Size", "JPEG"} {
		if !strings.Contains(meta, s) {
			t.Errorf("details %q lack %q", meta, s)
		}
	}
	var focused, why string
	run("make an ID photo from it",
		chromedp.Click("#photo-make", chromedp.ByQuery),
		until(visible("#view-make")+` && document.querySelector('#photo-status').textContent.includes('✓') && location.hash === '#/'`),
		chromedp.Evaluate(`document.activeElement.id`, &focused),
		chromedp.Text("#make-why", &why, chromedp.ByQuery),
		shot.view("make-from-library"),
	)
	if focused != "step-spec" {
		t.Errorf("focus on %q, want the document step", focused)
	}
	if why != "Choose a document." {
		t.Errorf("the make button says %q; want it waiting only for the document", why)
	}
	run("the job runs on the library's photo",
		chromedp.SendKeys("#spec-search", "1-inch", chromedp.ByQuery),
		until(visible(`label[for="spec-cn-1inch"]`)),
		chromedp.Click(`label[for="spec-cn-1inch"]`, chromedp.ByQuery),
		until(`!document.querySelector('#make').disabled`),
		chromedp.Click("#make", chromedp.ByQuery),
		until(visible("#report .verdict")),
		shot.take("report-from-library"),
	)

	// Chinese, then a desktop's wider feed.
	run("Chinese",
		chromedp.Click("#nav-library", chromedp.ByQuery),
		until(tileCount+` > 0 && document.querySelector('#lib-feed').getAttribute('aria-busy') === 'false'`),
		chromedp.Click("#lang", chromedp.ByQuery),
		until(`document.querySelector('.month-title').textContent === '2026年11月' && document.querySelector('#nav-library').textContent === '相册'`),
		settled,
		shot.take("library-chinese"),
		chromedp.Click("#lang", chromedp.ByQuery),
		until(`document.querySelector('.month-title').textContent === 'November 2026'`),
	)
	run("desktop",
		chromedp.EmulateViewport(1280, 900),
		until(`(() => { const xs = new Set([...document.querySelectorAll('#lib-feed .tile')].map((li) => Math.round(li.getBoundingClientRect().left))); return xs.size >= 4; })()`),
		until(`[...document.querySelectorAll('#lib-feed .tile')].filter((li) => { const r = li.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
			.every((li) => li.querySelector('img').naturalWidth > 0)`),
		settled,
		shot.view("library-desktop"),
	)
	perr.check(t)
}
