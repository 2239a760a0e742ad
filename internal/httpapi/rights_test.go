package httpapi_test

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withMarker is a portrait with bytes after its end that no decoder reads: a marker
// to look for wherever the photo might have been copied.
func withMarker(t *testing.T, marker string) []byte {
	return append(portrait(t, "hivision-test3.jpg"), []byte(marker)...)
}

// blobFiles lists the files in the blob folder, as paths under it.
func (e *env) blobFiles(t *testing.T) []string {
	t.Helper()
	root := filepath.Join(e.dir, "blobs")
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// emptyDirs lists the folders under the blob folder that hold nothing: a deletion
// leaves no empty per-user or per-job folder to tell that something was there.
func (e *env) emptyDirs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join(e.dir, "blobs")
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			if es, _ := os.ReadDir(p); len(es) == 0 {
				rel, _ := filepath.Rel(root, p)
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	return out
}

// rowsHolding scans every table of the SQLite database for any of needles, and
// returns "table.column" where one was found.
func (e *env) rowsHolding(t *testing.T, needles ...string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "idphoto.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return tablesHolding(t, db, "SELECT name FROM sqlite_master WHERE type = 'table'", needles...)
}

// tablesHolding reads every column of every row of every table that listTables
// names and returns "table.column" wherever one of needles is found (bytes in
// clear, or text). The R4 checks on SQLite and PostgreSQL share it.
func tablesHolding(t *testing.T, db *sql.DB, listTables string, needles ...string) []string {
	t.Helper()
	tables, err := db.Query(listTables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	if len(names) < 10 {
		t.Fatalf("only %d tables", len(names))
	}
	var hits []string
	for _, table := range names {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var b []byte
				switch v := v.(type) {
				case string:
					b = []byte(v)
				case []byte:
					b = v
				default:
					b = []byte(fmt.Sprint(v))
				}
				for _, n := range needles {
					if bytes.Contains(b, []byte(n)) {
						hits = append(hits, table+"."+cols[i])
					}
				}
			}
		}
		rows.Close()
	}
	return hits
}

// filesHolding reads every file under the data folder (database, its log, blobs)
// and returns those that contain any of needles in clear.
func (e *env) filesHolding(t *testing.T, needles ...string) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, n := range needles {
			if bytes.Contains(b, []byte(n)) {
				hits = append(hits, p)
			}
		}
		return nil
	})
	return hits
}

func (e *env) madeJob(t *testing.T, token, photo string) string {
	t.Helper()
	res := e.createJob(token, photo, "cn-1inch", "")
	if res.status != http.StatusAccepted {
		t.Fatalf("job: %d %s", res.status, res.body)
	}
	var j struct{ ID string }
	res.json(t, &j)
	if got := e.waitJob(token, j.ID); got.State != "done" {
		t.Fatalf("job %+v", got)
	}
	return j.ID
}

// R3: deleting a photo removes it, its jobs and their results from disk and from
// every table; the other photo stays; deleting the library removes the rest.
func TestPromiseR3DeletePhotoAndLibrary(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	token := e.session()
	const marker = "R3-MARKER-9f3c2a"
	a := e.uploadOK(token, withMarker(t, marker))
	b := e.uploadOK(token, portrait(t, "hivision-test1.jpg"))
	job := e.madeJob(t, token, a)
	before := e.blobFiles(t)
	if len(before) != 5 { // two photos, the job's file, preview and report
		t.Fatalf("blob files before: %v", before)
	}

	if res := e.do("DELETE", "/api/v1/photos/"+a, token, "", nil); res.status != http.StatusNoContent {
		t.Fatalf("DELETE photo: %d %s", res.status, res.body)
	}
	files := e.blobFiles(t)
	if len(files) != 1 || files[0] != "photos/"+b {
		t.Errorf("blob files after deleting a photo: %v, want only photos/%s", files, b)
	}
	if dirs := e.emptyDirs(t); len(dirs) != 0 {
		t.Errorf("empty folders after deleting a photo: %v", dirs)
	}
	if hits := e.rowsHolding(t, a, job, marker); len(hits) > 0 {
		t.Errorf("the deleted photo or its job is still named in %v", hits)
	}
	if res := e.do("GET", "/api/v1/jobs/"+job, token, "", nil); res.status != http.StatusNotFound {
		t.Errorf("GET the deleted job: %d", res.status)
	}
	if res := e.do("DELETE", "/api/v1/photos/"+a, token, "", nil); res.status != http.StatusNotFound {
		t.Errorf("DELETE again: %d", res.status)
	}
	other := e.session()
	if res := e.do("DELETE", "/api/v1/photos/"+b, other, "", nil); res.status != http.StatusNotFound {
		t.Errorf("another user's DELETE: %d", res.status)
	}

	res := e.do("DELETE", "/api/v1/me/photos", token, "", nil)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"deleted_photos":1`) {
		t.Fatalf("DELETE /me/photos: %d %s", res.status, res.body)
	}
	if files := e.blobFiles(t); len(files) != 0 {
		t.Errorf("blob files after deleting the library: %v", files)
	}
	if dirs := e.emptyDirs(t); len(dirs) != 0 {
		t.Errorf("empty folders after deleting the library: %v", dirs)
	}
	if hits := e.rowsHolding(t, b); len(hits) > 0 {
		t.Errorf("the deleted library is still named in %v", hits)
	}
	// Two deletion requests, done, and audited.
	var kinds []string
	db, _ := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "idphoto.db")+"?mode=ro")
	defer db.Close()
	rows, err := db.Query("SELECT kind FROM privacy_requests WHERE done_at IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds = append(kinds, k)
	}
	rows.Close()
	if len(kinds) != 2 {
		t.Errorf("requests done: %v, want 2 deletions", kinds)
	}
}

// R4: cancelling erases the account: no file in the blob folder, no row in any
// table holding the user id or the photo's marker, no file under the data folder
// holding either in clear, and the token no longer works.
func TestPromiseR4CancelAccount(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	token := e.session()
	users := e.users(t)
	if len(users) != 1 {
		t.Fatalf("users: %v", users)
	}
	user := users[0]
	const marker = "R4-MARKER-51d7e0"
	photo := e.uploadOK(token, withMarker(t, marker))
	e.madeJob(t, token, photo)
	if res := e.do("POST", "/api/v1/me/export", token, "", nil); res.status != http.StatusCreated {
		t.Fatalf("export: %d %s", res.status, res.body)
	}
	if len(e.filesHolding(t, user)) == 0 || len(e.rowsHolding(t, user)) == 0 {
		t.Fatal("the scans do not find the user id even before cancellation")
	}

	res := e.do("POST", "/api/v1/me/cancel", token, "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	if files := e.blobFiles(t); len(files) != 0 {
		t.Errorf("blob files after cancellation: %v", files)
	}
	if dirs := e.emptyDirs(t); len(dirs) != 0 {
		t.Errorf("empty folders after cancellation: %v", dirs)
	}
	if hits := e.rowsHolding(t, user, photo, marker); len(hits) > 0 {
		t.Errorf("the cancelled user is still in %v", hits)
	}
	if hits := e.filesHolding(t, user, marker); len(hits) > 0 {
		t.Errorf("files under the data folder still hold the user id or the marker: %v", hits)
	}
	if res := e.do("GET", "/api/v1/jobs/"+photo, token, "", nil); res.status != http.StatusUnauthorized {
		t.Errorf("the cancelled session still works: %d", res.status)
	}
	if ids := e.users(t); len(ids) != 0 {
		t.Errorf("users left: %v", ids)
	}
}

// R5: the export is ready at once, holds the photo as uploaded, and its link works
// once, without a bearer token.
func TestPromiseR5Export(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	token := e.session()
	photo := withMarker(t, "R5-MARKER")
	id := e.uploadOK(token, photo)
	res := e.do("POST", "/api/v1/me/export", token, "", nil)
	if res.status != http.StatusCreated {
		t.Fatalf("export: %d %s", res.status, res.body)
	}
	var ex struct{ URL string }
	res.json(t, &ex)
	got := e.do("GET", ex.URL, "", "", nil)
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", got.status, got.header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(got.body), int64(len(got.body)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		names[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if !bytes.Equal(names["photos/"+id+".jpeg"], photo) { // hivision-test3 is a JPEG
		var ns []string
		for n, b := range names {
			ns = append(ns, fmt.Sprint(n, len(b)))
		}
		t.Errorf("the archive's photo is not the upload (%d bytes); files: %v", len(photo), ns)
	}
	if !bytes.Contains(names["manifest.json"], []byte(`"schema_version"`)) || !bytes.Contains(names["manifest.json"], []byte(`"data_categories"`)) {
		t.Errorf("manifest: %s", names["manifest.json"])
	}
	if again := e.do("GET", ex.URL, "", "", nil); again.status != http.StatusNotFound {
		t.Errorf("second download: %d", again.status)
	}
	if bad := e.do("GET", "/api/v1/exports/nope", "", "", nil); bad.status != http.StatusNotFound {
		t.Errorf("bad token: %d", bad.status)
	}
}

// R3: a photo deleted while its job runs leaves nothing behind once the job ends:
// what the job writes after the deletion is removed too.
func TestPromiseR3DeleteWhileJobRuns(t *testing.T) {
	g := &gate{release: make(chan struct{}), started: make(chan struct{}, 1), inner: realEngine(t)}
	e := newEnv(t, testConfig(), g)
	token := e.session()
	photo := e.uploadOK(token, portrait(t, "hivision-test3.jpg"))
	if res := e.createJob(token, photo, "cn-1inch", ""); res.status != http.StatusAccepted {
		t.Fatalf("job: %d %s", res.status, res.body)
	}
	<-g.started
	if res := e.do("DELETE", "/api/v1/photos/"+photo, token, "", nil); res.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", res.status, res.body)
	}
	close(g.release)
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(e.logs.String(), "job finished") {
		if time.Now().After(deadline) {
			t.Fatal("the job did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if files := e.blobFiles(t); len(files) != 0 {
		t.Errorf("files left by the job that ran during the deletion: %v", files)
	}
	if dirs := e.emptyDirs(t); len(dirs) != 0 {
		t.Errorf("empty folders left by the job that ran during the deletion: %v", dirs)
	}
}
