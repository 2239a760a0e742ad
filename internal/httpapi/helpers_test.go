package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/server"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// syncBuffer collects log lines from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a running API on a real temporary SQLite database and blob folder.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	api   *httpapi.API
	store *store.Store
	vault *vault.Vault
	dir   string
	logs  *syncBuffer
}

var (
	pureOnce   sync.Once
	pureEngine *engine.Engine
	pureErr    error
)

// realEngine is the pure-Go engine, shared by the tests.
func realEngine(t testing.TB) httpapi.Maker {
	pureOnce.Do(func() {
		o := engine.DefaultOptions()
		o.Kind = engine.Pure
		pureEngine, pureErr = engine.Open(o, pipeline.DefaultConfig())
	})
	if pureErr != nil {
		t.Fatal(pureErr)
	}
	return pureEngine
}

// storage is what every service test stands on: a temporary SQLite database, a
// master key and the users' vault, a blob folder, the catalogue, captured logs.
type storage struct {
	dir   string
	st    *store.Store
	mk    vault.Key
	v     *vault.Vault
	blobs blob.Store
	specs *spec.Catalog
	logs  *syncBuffer
	log   *slog.Logger
}

func openStorage(t testing.TB) storage { return openStorageOn(t, "") }

// openStorageOn is openStorage with the database on PostgreSQL at dbURL (the blobs
// stay in the temporary folder); "" is the SQLite file.
func openStorageOn(t testing.TB, dbURL string) storage {
	t.Helper()
	s := storage{dir: t.TempDir(), logs: &syncBuffer{}}
	scfg := store.DefaultConfig()
	scfg.Path = filepath.Join(s.dir, "idphoto.db")
	scfg.URL = dbURL
	var err error
	if s.st, err = store.Open(context.Background(), scfg); err != nil {
		t.Fatal(err)
	}
	s.mk, _ = vault.ParseMasterKey(vault.NewMasterKeyText())
	if s.v, err = vault.New([]vault.Key{s.mk}, s.st); err != nil {
		t.Fatal(err)
	}
	if s.blobs, err = blob.NewLocal(filepath.Join(s.dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	if s.specs, err = spec.Load(); err != nil {
		t.Fatal(err)
	}
	s.log = slog.New(server.NewRedacting(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return s
}

func newEnv(t testing.TB, cfg httpapi.Config, maker httpapi.Maker) *env {
	t.Helper()
	s := openStorage(t)
	sv, err := vault.New([]vault.Key{s.mk}, s.st.SupportKeys())
	if err != nil {
		t.Fatal(err)
	}
	srv, set := lateServer(t)
	return s.start(t, cfg, httpapi.Deps{Engine: maker, Support: sv}, srv, set)
}

// lateServer is a test server whose handler is set later: the payment channels need
// its notification URLs before the API that answers them exists.
func lateServer(t testing.TB) (*httptest.Server, func(http.Handler)) {
	t.Helper()
	var mu sync.Mutex
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handler
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	return srv, func(h http.Handler) { mu.Lock(); handler = h; mu.Unlock() }
}

// start builds the API on this storage (its store, vault, catalogue, log and, unless d
// names others, blobs), starts it and serves it at srv through set. On cleanup it stops
// the server, runs the closers (fake gateways), drains the API and closes the store.
func (s storage) start(t testing.TB, cfg httpapi.Config, d httpapi.Deps, srv *httptest.Server, set func(http.Handler), closers ...func()) *env {
	t.Helper()
	ctx := context.Background()
	d.Store, d.Vault, d.Specs, d.Log = s.st, s.v, s.specs, s.log
	if d.Blobs == nil {
		d.Blobs = s.blobs
	}
	api, err := httpapi.New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Start(ctx); err != nil {
		t.Fatal(err)
	}
	set(server.Middleware(api.Handler(), s.log))
	t.Cleanup(func() {
		srv.Close()
		for _, c := range closers {
			c()
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		api.Drain(dctx)
		s.st.Close()
	})
	return &env{t: t, srv: srv, api: api, store: s.st, vault: s.v, dir: s.dir, logs: s.logs}
}

func testConfig() httpapi.Config {
	c := httpapi.DefaultConfig()
	c.Limits.MaxBytes = 300 << 10 // small, so "too large" is cheap to send
	c.Limits.MaxPixels = 20_000_000
	return c
}

func portrait(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "portraits", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// code is the error code of a JSON error body.
func (r response) code() string {
	var e struct{ Code, Message string }
	json.Unmarshal(r.body, &e)
	return e.Code
}

func (e *env) do(method, path, token, contentType string, body []byte) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) session() string {
	e.t.Helper()
	res := e.do("POST", "/api/v1/sessions", "", "application/json",
		[]byte(`{"device":{"uuid":"6F9619FF-8B86-D011-B42D-00C04FC964FF","model":"iPhone 15","os":"iOS 18.1","app_version":"1.0.3"}}`))
	if res.status != http.StatusCreated {
		e.t.Fatalf("POST /sessions: %d %s", res.status, res.body)
	}
	var s struct{ Token string }
	res.json(e.t, &s)
	e.accept(s.Token)
	return s.Token
}

// accept accepts the current privacy policy, as a client does at the first launch's
// pop-up (R8): without it photos, jobs and orders answer 428.
func (e *env) accept(token string) {
	e.t.Helper()
	res := e.do("POST", "/api/v1/me/consents", token, "application/json", []byte(`{"policy":"privacy","version":"1.0"}`))
	if res.status != http.StatusOK {
		e.t.Fatalf("POST /me/consents: %d %s", res.status, res.body)
	}
}

func multipartBody(t testing.TB, field, filename string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func (e *env) upload(token string, data []byte) response {
	e.t.Helper()
	body, ct := multipartBody(e.t, "photo", "张三-身份证-selfie.jpg", data)
	return e.do("POST", "/api/v1/photos", token, ct, body)
}

func (e *env) uploadOK(token string, data []byte) string {
	e.t.Helper()
	res := e.upload(token, data)
	if res.status != http.StatusCreated {
		e.t.Fatalf("upload: %d %s", res.status, res.body)
	}
	var p struct{ ID string }
	res.json(e.t, &p)
	return p.ID
}

func (e *env) createJob(token, photoID, specID, bg string) response {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"photo_id": photoID, "spec": specID, "background": bg})
	return e.do("POST", "/api/v1/jobs", token, "application/json", b)
}

type jobJSON struct {
	ID, State, Spec, Background string
	ErrorCode                   string `json:"error_code"`
}

// waitJob polls until the job is done or failed.
func (e *env) waitJob(token, id string) jobJSON {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		res := e.do("GET", "/api/v1/jobs/"+id, token, "", nil)
		var j jobJSON
		res.json(e.t, &j)
		if j.State == "done" || j.State == "failed" {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatal("job did not finish")
	return jobJSON{}
}

// gate is a Maker that blocks until released: for queue tests.
type gate struct {
	release chan struct{}
	started chan struct{}
	inner   httpapi.Maker
}

func (g *gate) Make(ctx context.Context, r io.Reader, req pipeline.Request) (*pipeline.Result, error) {
	g.started <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, &pipeline.Error{Code: pipeline.CodeCanceled, Msg: "cancelled", Err: ctx.Err()}
	}
	return g.inner.Make(ctx, r, req)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
