package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/server"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/store/pgtest"
	"github.com/idphoto/idphoto/internal/vault"
)

// One PostgreSQL cluster for the whole test binary, started by the first test that
// asks for a database (see pgtest), stopped at the end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgEnv is the service with all its channels on a fresh PostgreSQL database, and a
// connection of the test's own to that database.
func pgEnv(t *testing.T) (*payEnv, *sql.DB) {
	t.Helper()
	url := pgtest.DB(t)
	e := newPayEnvOn(t, openStorageOn(t, url))
	if d := e.store.Dialect(); d != "postgres" {
		t.Fatalf("store on %s", d)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return e, db
}

// The whole flow on PostgreSQL: upload → job → preview → order → pay → the gateway's
// notification five times at once (applied once) → the clean file downloads.
func TestPostgresFlowPaidOnce(t *testing.T) {
	e, db := pgEnv(t)
	const payer = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	tok := e.loginSession("wechat", payer)
	job := e.madeJob(tok) // upload, job, wait
	if res := e.do("GET", "/api/v1/jobs/"+job+"/report", tok, "", nil); res.status != http.StatusOK {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
	if res := e.do("GET", "/api/v1/jobs/"+job+"/preview", tok, "", nil); res.status != http.StatusOK {
		t.Fatalf("preview: %d", res.status)
	}
	if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusPaymentRequired {
		t.Fatalf("file before payment: %d", res.status)
	}
	res := e.postJSON("/api/v1/orders", tok, map[string]any{"job_id": job, "items": []map[string]any{{"kind": "ephoto"}}})
	if res.status != http.StatusCreated {
		t.Fatalf("order: %d %s", res.status, res.body)
	}
	var o orderJSON
	res.json(t, &o)
	e.startPay(tok, o.ID, "wechatpay")
	if err := e.wechat.Pay(o.ID); err != nil {
		t.Fatal(err)
	}
	h, body, err := e.wechat.Notification(o.ID, fakegw.Notify{})
	if err != nil {
		t.Fatal(err)
	}
	url := e.wechat.NotifyURL(o.ID)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, ans, err := e.wechat.Send(context.Background(), url, h, body)
			if err != nil || !e.wechat.Accepted(status, ans) {
				t.Errorf("notification: %d %s %v", status, ans, err)
			}
		}()
	}
	wg.Wait()
	if got := e.getOrder(tok, o.ID); got.Status != "paid" || got.TradeNo == "" {
		t.Fatalf("after the notifications: %+v", got)
	}
	logs := e.logs.String()
	if a, d := strings.Count(logs, `"outcome":"applied"`), strings.Count(logs, `"outcome":"duplicate"`); a != 1 || d != 4 {
		t.Errorf("%d notifications applied and %d duplicates, want 1 and 4", a, d)
	}
	if n := len(e.ledgerEntries("wechatpay")); n != 1 {
		t.Errorf("%d ledger entries, want 1", n)
	}
	var rows int
	if err := db.QueryRow("SELECT COUNT(*) FROM ledger").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("ledger rows in PostgreSQL: %d %v", rows, err)
	}
	res = e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "image/") || len(res.body) < 1000 {
		t.Fatalf("file after payment: %d %s", res.status, res.header.Get("Content-Type"))
	}
	if bytes.Contains([]byte(logs), []byte(payer)) {
		t.Error("the payer id is in the logs")
	}
}

// R4 on PostgreSQL: after the cancellation no row of any table holds the user id,
// the photo's id or the marker planted in the photo, and no file under the data
// folder holds the id or the marker.
func TestPromiseR4CancelAccountPostgres(t *testing.T) {
	e, db := pgEnv(t)
	token := e.session()
	var user string
	if err := db.QueryRow("SELECT id FROM users").Scan(&user); err != nil {
		t.Fatal(err)
	}
	const marker = "R4-PG-MARKER-7c19d4"
	photo := e.uploadOK(token, withMarker(t, marker))
	e.env.madeJob(t, token, photo)
	if res := e.do("POST", "/api/v1/me/export", token, "", nil); res.status != http.StatusCreated {
		t.Fatalf("export: %d %s", res.status, res.body)
	}
	if len(pgRowsHolding(t, db, user)) == 0 {
		t.Fatal("the scan does not find the user id even before cancellation")
	}
	if res := e.do("POST", "/api/v1/me/cancel", token, "", nil); res.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	if hits := pgRowsHolding(t, db, user, photo, marker); len(hits) > 0 {
		t.Errorf("the cancelled user is still in %v", hits)
	}
	if files := e.blobFiles(t); len(files) != 0 {
		t.Errorf("blob files after cancellation: %v", files)
	}
	if hits := e.filesHolding(t, user, marker); len(hits) > 0 {
		t.Errorf("files under the data folder hold the user id or the marker: %v", hits)
	}
	if res := e.do("GET", "/api/v1/jobs/"+photo, token, "", nil); res.status != http.StatusUnauthorized {
		t.Errorf("the cancelled session still works: %d", res.status)
	}
	var users int
	if err := db.QueryRow("SELECT COUNT(*) FROM users").Scan(&users); err != nil || users != 0 {
		t.Errorf("users left: %d %v", users, err)
	}
}

// pgRowsHolding scans every table of the PostgreSQL database for any of needles, and
// returns "table.column" where one was found.
func pgRowsHolding(t *testing.T, db *sql.DB, needles ...string) []string {
	t.Helper()
	return tablesHolding(t, db, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`, needles...)
}

// countingMaker counts the photos made.
type countingMaker struct {
	inner httpapi.Maker
	n     atomic.Int32
}

func (c *countingMaker) Make(ctx context.Context, r io.Reader, req pipeline.Request) (*pipeline.Result, error) {
	c.n.Add(1)
	return c.inner.Make(ctx, r, req)
}

// Two instances on one PostgreSQL database (and one blob folder) with idle workers
// polling: jobs queued by an instance that stopped are run, once each; a job left
// running past its lease is taken back and run; a job another live instance is
// running is left to it.
func TestPostgresInstancesShareJobs(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	s1 := openStorageOn(t, url)
	maker := &countingMaker{inner: realEngine(t)}
	cfg := testConfig()
	cfg.PollEvery = 100 * time.Millisecond
	var apis []*httpapi.API
	var srv *httptest.Server
	for i := range 2 {
		st := s1.st
		if i > 0 {
			scfg := store.DefaultConfig()
			scfg.URL = url
			var err error
			if st, err = store.Open(ctx, scfg); err != nil {
				t.Fatal(err)
			}
		}
		v, err := vault.New([]vault.Key{s1.mk}, st)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := vault.New([]vault.Key{s1.mk}, st.SupportKeys())
		if err != nil {
			t.Fatal(err)
		}
		api, err := httpapi.New(cfg, httpapi.Deps{Store: st, Vault: v, Blobs: s1.blobs, Engine: maker, Specs: s1.specs, Log: s1.log, Support: sv})
		if err != nil {
			t.Fatal(err)
		}
		if err := api.Start(ctx); err != nil {
			t.Fatal(err)
		}
		apis = append(apis, api)
		if i == 0 {
			srv = httptest.NewServer(server.Middleware(api.Handler(), s1.log))
		}
		t.Cleanup(func() {
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			api.Drain(dctx)
			st.Close()
		})
	}
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, api: apis[0], store: s1.st, vault: s1.v, dir: s1.dir, logs: s1.logs}
	token := e.session()
	photo := e.uploadOK(token, portrait(t, "hivision-test3.jpg"))
	user := mustUser(t, s1.st, photo)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	newJob := func() string {
		id := store.NewID()
		if err := s1.st.CreateJob(ctx, store.Job{ID: id, UserID: user, PhotoID: photo, SpecID: "cn-1inch", Background: "blue", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Queued by an instance that stopped before running them: in no pool here.
	var queued []string
	for range 5 {
		queued = append(queued, newJob())
	}
	// Left running by an instance that died an hour ago, and running now elsewhere.
	abandoned, elsewhere := newJob(), newJob()
	for _, id := range []string{abandoned, elsewhere} {
		if err := s1.st.StartJob(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("UPDATE jobs SET updated_at = $1 WHERE id = $2", time.Now().Add(-time.Hour).UnixMilli(), abandoned); err != nil {
		t.Fatal(err)
	}

	want := append(queued, abandoned)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done := 0
		for _, id := range want {
			if j, err := s1.st.JobByID(ctx, id); err == nil && j.Finished() {
				if j.State != store.JobDone {
					t.Fatalf("job %s %s %s", id, j.State, j.ErrorCode)
				}
				done++
			}
		}
		if done == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs done", done, len(want))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * cfg.PollEvery) // a duplicate run would start now
	if n := maker.n.Load(); n != int32(len(want)) {
		t.Errorf("%d photos made for %d jobs", n, len(want))
	}
	for _, id := range queued {
		if j, _ := s1.st.JobByID(ctx, id); j.Attempts != 1 {
			t.Errorf("job %s started %d times", id, j.Attempts)
		}
	}
	if j, _ := s1.st.JobByID(ctx, elsewhere); j.State != store.JobRunning || j.Attempts != 1 {
		t.Errorf("the job running elsewhere was taken: %s, %d attempts", j.State, j.Attempts)
	}
}

// mustUser returns the owner of a photo.
func mustUser(t *testing.T, st *store.Store, photo string) string {
	t.Helper()
	owner, err := st.HoldTargetOwner(context.Background(), store.HoldPhoto, photo)
	if err != nil {
		t.Fatal(err)
	}
	return owner
}
