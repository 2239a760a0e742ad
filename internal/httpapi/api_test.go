package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image/jpeg"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/httpapi"
)

// The full flow of a phone: session → upload → job → events → report → preview → file.
func TestFlowUploadJobReportPreview(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	photo := e.uploadOK(tok, portrait(t, "hivision-test3.jpg"))

	res := e.createJob(tok, photo, "cn-1inch", "blue")
	if res.status != http.StatusAccepted || res.header.Get("Location") == "" {
		t.Fatalf("POST /jobs: %d %s", res.status, res.body)
	}
	var j jobJSON
	res.json(t, &j)
	if j.State != "queued" || j.Spec != "cn-1inch" {
		t.Fatalf("job %+v", j)
	}

	// The event stream ends with the final state.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/jobs/"+j.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	sres, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := sres.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type %q", ct)
	}
	var states []string
	sc := bufio.NewScanner(sres.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var ev jobJSON
			json.Unmarshal([]byte(data), &ev)
			states = append(states, ev.State)
		}
	}
	sres.Body.Close()
	if len(states) == 0 || states[len(states)-1] != "done" {
		t.Fatalf("event states %v, want ending in done", states)
	}

	res = e.do("GET", "/api/v1/jobs/"+j.ID+"/report", tok, "", nil)
	var rep struct {
		State, Format string
		Width, Height int
		Layout        map[string]float64
		Warnings      []string
		Misses        []string
	}
	res.json(t, &rep)
	if res.status != 200 || rep.State != "done" || rep.Width != 295 || rep.Height != 413 || rep.Layout["head_height"] <= 0 || rep.Misses == nil {
		t.Fatalf("report %d %s", res.status, res.body)
	}

	// Preview (P6): a JPEG at half the spec's size.
	res = e.do("GET", "/api/v1/jobs/"+j.ID+"/preview", tok, "", nil)
	if res.status != 200 || res.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("preview %d %s", res.status, res.header.Get("Content-Type"))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(res.body))
	if err != nil || cfg.Width != 148 || cfg.Height != 207 {
		t.Fatalf("preview %dx%d, %v; want 148x207", cfg.Width, cfg.Height, err)
	}

	// The clean file is locked until paid for.
	res = e.do("GET", "/api/v1/jobs/"+j.ID+"/file", tok, "", nil)
	if res.status != http.StatusPaymentRequired || res.code() != "payment_required" {
		t.Fatalf("file before payment: %d %s", res.status, res.body)
	}
}

// TestPromiseP6PreviewIsWatermarked: the preview differs from a plain reduction of
// the photo along the watermark's text, and the clean file is served only unlocked.
func TestPromiseP6UnlockAllServesCleanFile(t *testing.T) {
	cfg := testConfig()
	cfg.UnlockAll = true
	e := newEnv(t, cfg, realEngine(t))
	tok := e.session()
	var j jobJSON
	e.createJob(tok, e.uploadOK(tok, portrait(t, "hivision-test3.jpg")), "cn-1inch", "").json(t, &j)
	if got := e.waitJob(tok, j.ID); got.State != "done" {
		t.Fatalf("job %+v", got)
	}
	res := e.do("GET", "/api/v1/jobs/"+j.ID+"/file", tok, "", nil)
	if res.status != 200 || !strings.Contains(res.header.Get("Content-Disposition"), "idphoto-cn-1inch.jpg") {
		t.Fatalf("file: %d %v", res.status, res.header)
	}
	clean, err := jpeg.Decode(bytes.NewReader(res.body))
	if err != nil || clean.Bounds().Dx() != 295 {
		t.Fatalf("clean file: %v %v", clean.Bounds(), err)
	}
	prev := e.do("GET", "/api/v1/jobs/"+j.ID+"/preview", tok, "", nil)
	pimg, err := jpeg.Decode(bytes.NewReader(prev.body))
	if err != nil {
		t.Fatal(err)
	}
	// Count pixels of the preview much darker than the clean photo at the same place:
	// the grey text on the white backdrop.
	dark := 0
	for y := 0; y < pimg.Bounds().Dy(); y++ {
		for x := 0; x < pimg.Bounds().Dx(); x++ {
			pr, _, _, _ := pimg.At(x, y).RGBA()
			cr, _, _, _ := clean.At(2*x, 2*y).RGBA()
			if int(cr>>8)-int(pr>>8) > 30 {
				dark++
			}
		}
	}
	if total := pimg.Bounds().Dx() * pimg.Bounds().Dy(); dark < total/100 {
		t.Fatalf("only %d of %d preview pixels carry the watermark", dark, total)
	}
	if len(prev.body) >= len(res.body) {
		t.Fatalf("preview %d bytes is not smaller than the file %d", len(prev.body), len(res.body))
	}
}

func TestUploadBase64(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	data := portrait(t, "hivision-test3.jpg")
	for _, body := range []string{
		`{"data":"` + base64.StdEncoding.EncodeToString(data) + `"}`,
		`{"data":"data:image/jpeg;base64,` + base64.StdEncoding.EncodeToString(data) + `"}`,
	} {
		res := e.do("POST", "/api/v1/photos", tok, "application/json", []byte(body))
		var p struct {
			ID            string
			Format        string
			Width, Height int
		}
		res.json(t, &p)
		if res.status != http.StatusCreated || p.Format != "jpeg" || p.Width != 512 || p.Height != 715 {
			t.Fatalf("base64 upload: %d %s", res.status, res.body)
		}
	}
}

// pngHeader is a PNG whose header claims w×h pixels and which has no pixels at all.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// Every bad upload gets its documented 4xx code and nothing is stored.
func TestBadUploads(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	jpg := portrait(t, "hivision-test3.jpg")
	big := portrait(t, "hivision-test2.jpg") // 519 KB, over the 300 KB limit
	cases := []struct {
		name   string
		ct     string
		body   []byte
		status int
		code   string
	}{
		{"not an image", "", []byte("this is a text file, not a photo"), 415, "not_image"},
		{"0 bytes", "", nil, 400, "empty_file"},
		{"over the size limit", "", big, 413, "file_too_large"},
		{"80 megapixels", "", pngHeader(10000, 8000), 422, "too_many_pixels"},
		{"truncated JPEG", "", jpg[:len(jpg)/2], 422, "corrupt_image"},
		{"GIF", "", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 415, "unsupported_format"},
		{"wrong content type", "text/plain", jpg, 415, "unsupported_media_type"},
		{"no content type", "none", jpg, 415, "unsupported_media_type"},
		{"base64 over the limit", "application/json", []byte(`{"data":"` + base64.StdEncoding.EncodeToString(big) + `"}`), 413, "file_too_large"},
		{"not base64", "application/json", []byte(`{"data":"***"}`), 400, "bad_request"},
		{"no photo field", "multipart-other", jpg, 400, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var res response
			switch c.ct {
			case "":
				res = e.upload(tok, c.body)
			case "multipart-other":
				body, ct := multipartBody(t, "file", "x.jpg", c.body)
				res = e.do("POST", "/api/v1/photos", tok, ct, body)
			case "none":
				res = e.do("POST", "/api/v1/photos", tok, "", c.body)
			default:
				res = e.do("POST", "/api/v1/photos", tok, c.ct, c.body)
			}
			if res.status != c.status || res.code() != c.code {
				t.Fatalf("%d %s, want %d %s", res.status, res.body, c.status, c.code)
			}
			if res.header.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
			var eb map[string]any
			res.json(t, &eb)
			if len(eb) != 2 || eb["message"] == "" {
				t.Fatalf("error body %s is not {code, message}", res.body)
			}
		})
	}
}

func TestBadJobRequests(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	photo := e.uploadOK(tok, portrait(t, "hivision-test3.jpg"))
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"unknown spec", `{"photo_id":"` + photo + `","spec":"cn-1inhc"}`, 400, "unknown_spec"},
		{"bad background", `{"photo_id":"` + photo + `","spec":"cn-1inch","background":"plaid"}`, 400, "bad_background"},
		{"unknown photo", `{"photo_id":"aaaaaaaaaaaaaaaaaaaaaaaaaa","spec":"cn-1inch"}`, 404, "not_found"},
		{"malformed id", `{"photo_id":"../../etc","spec":"cn-1inch"}`, 404, "not_found"},
		{"not JSON", `photo_id=1`, 400, "bad_request"},
		{"unknown field", `{"photo_id":"` + photo + `","spec":"cn-1inch","x":1}`, 400, "bad_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.do("POST", "/api/v1/jobs", tok, "application/json", []byte(c.body))
			if res.status != c.status || res.code() != c.code {
				t.Fatalf("%d %s, want %d %s", res.status, res.body, c.status, c.code)
			}
		})
	}
}

// TestPromiseS2OtherUsersIDs: a second user gets 404 for every route naming the first
// user's ids, and a missing or forged token gets 401 everywhere.
func TestPromiseS2OtherUsersIDs(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	alice, bob := e.session(), e.session()
	photo := e.uploadOK(alice, portrait(t, "hivision-test3.jpg"))
	var j jobJSON
	e.createJob(alice, photo, "cn-1inch", "").json(t, &j)
	e.waitJob(alice, j.ID)

	if res := e.createJob(bob, photo, "cn-1inch", ""); res.status != 404 || res.code() != "not_found" {
		t.Fatalf("bob makes a job of alice's photo: %d %s", res.status, res.body)
	}
	for _, sub := range []string{"", "/events", "/report", "/preview", "/file"} {
		if res := e.do("GET", "/api/v1/jobs/"+j.ID+sub, bob, "", nil); res.status != 404 || res.code() != "not_found" {
			t.Errorf("bob GET /jobs/{alice's}%s: %d %s", sub, res.status, res.body)
		}
		if res := e.do("GET", "/api/v1/jobs/"+j.ID+sub, alice, "", nil); res.status == 404 {
			t.Errorf("alice GET /jobs/{id}%s: 404", sub)
		}
	}
	forged := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	for _, rt := range e.api.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if !strings.HasPrefix(path, httpapi.Prefix) || slices.Contains(e.api.PublicRoutes(), rt) {
			continue
		}
		path = strings.ReplaceAll(path, "{id}", j.ID)
		for name, tok := range map[string]string{"no token": "", "forged token": forged, "garbage": "x"} {
			res := e.do(method, path, tok, "application/json", []byte(`{}`))
			if res.status != 401 || res.code() != "unauthorized" {
				t.Errorf("%s %s with %s: %d %s", method, path, name, res.status, res.body)
			}
		}
	}
}

// A full queue answers 429 with Retry-After; the jobs already queued still run.
func TestQueueFull(t *testing.T) {
	cfg := testConfig()
	cfg.Workers, cfg.Queue = 1, 1
	g := &gate{release: make(chan struct{}), started: make(chan struct{}, 4), inner: realEngine(t)}
	e := newEnv(t, cfg, g)
	tok := e.session()
	photo := e.uploadOK(tok, portrait(t, "hivision-test3.jpg"))
	var ids []string
	for range 2 {
		res := e.createJob(tok, photo, "cn-1inch", "")
		if res.status != http.StatusAccepted {
			t.Fatalf("job within capacity: %d %s", res.status, res.body)
		}
		var j jobJSON
		res.json(t, &j)
		ids = append(ids, j.ID)
	}
	<-g.started // one runs, one waits
	res := e.createJob(tok, photo, "cn-1inch", "")
	if res.status != http.StatusTooManyRequests || res.code() != "queue_full" || res.header.Get("Retry-After") == "" {
		t.Fatalf("over capacity: %d %s %v", res.status, res.body, res.header)
	}
	close(g.release)
	for _, id := range ids {
		if j := e.waitJob(tok, id); j.State != "done" {
			t.Fatalf("job %+v", j)
		}
	}
	if res := e.createJob(tok, photo, "cn-1inch", ""); res.status != http.StatusAccepted {
		t.Fatalf("after the queue emptied: %d", res.status)
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	if res := e.do("GET", "/healthz", "", "", nil); res.status != 200 {
		t.Fatalf("healthz %d", res.status)
	}
	if res := e.do("GET", "/readyz", "", "", nil); res.status != 200 {
		t.Fatalf("readyz %d", res.status)
	}
	if res := e.do("GET", "/api/v1/nothing", "", "", nil); res.status != 404 || res.code() != "not_found" {
		t.Fatalf("unknown route %d %s", res.status, res.body)
	}
	if res := e.do("DELETE", "/api/v1/sessions", "", "", nil); res.status != 405 || res.code() != "method_not_allowed" || res.header.Get("Allow") == "" {
		t.Fatalf("wrong method %d", res.status)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "abc-123")
	res, _ := e.srv.Client().Do(req)
	if res.Header.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("request id not echoed: %q", res.Header.Get("X-Request-Id"))
	}
	res.Body.Close()
}

// A job that can't be made fails with the pipeline's code; preview and file say so.
func TestFailedJob(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	var j jobJSON
	e.createJob(tok, e.uploadOK(tok, portrait(t, "messi5.jpg")), "cn-1inch", "").json(t, &j)
	got := e.waitJob(tok, j.ID)
	if got.State != "failed" || got.ErrorCode == "" || got.ErrorCode == "internal" {
		t.Fatalf("job %+v", got)
	}
	var rep struct{ State, ErrorCode, Error string }
	e.do("GET", "/api/v1/jobs/"+j.ID+"/report", tok, "", nil).json(t, &rep)
	if rep.State != "failed" || rep.Error == "" {
		t.Fatalf("report %+v", rep)
	}
	if res := e.do("GET", "/api/v1/jobs/"+j.ID+"/preview", tok, "", nil); res.status != 409 || res.code() != "job_failed" {
		t.Fatalf("preview of a failed job: %d %s", res.status, res.body)
	}
}
