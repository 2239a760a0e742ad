package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/sandbox"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/server"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
	"github.com/idphoto/idphoto/internal/web"
)

const chromiumPath = "/usr/bin/chromium"

// newService starts the real service behind the page, as serve wires it: a temporary
// SQLite database and blob folder, the pure-Go engine (fast, no models) and the
// sandbox payment channel.
func newService(t *testing.T) *httptest.Server {
	t.Helper()
	return startService(t, serviceOptions{}).srv
}

// service is the running service behind the page and what tests reach inside it.
type service struct {
	srv   *httptest.Server
	store *store.Store
	vault *vault.Vault
}

// serviceOptions change what newService wires.
type serviceOptions struct {
	// payments makes the payment channels, given the server's URL for their notify
	// URLs; nil: the sandbox alone.
	payments func(baseURL string) []payment.Provider
	logins   []login.Provider
}

func startService(t *testing.T, opt serviceOptions) *service {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	scfg := store.DefaultConfig()
	scfg.Path = filepath.Join(dir, "idphoto.db")
	st, err := store.Open(ctx, scfg)
	if err != nil {
		t.Fatal(err)
	}
	mk, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	keys := []vault.Key{mk}
	v, err := vault.New(keys, st)
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := vault.New(keys, st.LedgerKeys())
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	specs, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	o := engine.DefaultOptions()
	o.Kind = engine.Pure
	eng, err := engine.Open(o, pipeline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	// The channels' notify URLs name the server, so it starts first and gets its
	// handler once the API exists.
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	var pays []payment.Provider
	if opt.payments != nil {
		pays = opt.payments(srv.URL)
	} else {
		sb, err := sandbox.New(sandbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		pays = []payment.Provider{sb}
	}
	log := slog.New(server.NewRedacting(slog.NewTextHandler(io.Discard, nil)))
	api, err := httpapi.New(httpapi.DefaultConfig(), httpapi.Deps{Store: st, Vault: v, Blobs: blobs, Engine: eng, Specs: specs,
		Log: log, Payments: pays, Ledger: ledger, Logins: opt.logins})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Start(ctx); err != nil {
		t.Fatal(err)
	}
	handler = server.Middleware(web.Handler(api.Handler()), log)
	t.Cleanup(func() {
		srv.Close()
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		api.Drain(dctx)
		eng.Close()
		st.Close()
	})
	return &service{srv: srv, store: st, vault: v}
}

// startBrowser starts a fresh headless Chromium with a phone-sized viewport. Without
// Chromium the test is skipped, unless IDPHOTO_REQUIRE_BROWSER=1 (make test) makes
// that a failure.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := chromiumPath + " is missing: install Debian's chromium (scripts/setup does) to run the browser tests"
		if os.Getenv("IDPHOTO_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (IDPHOTO_REQUIRE_BROWSER=1)")
		}
		t.Skip(msg)
	}
	// A fresh profile, removed by hand: Chromium's helpers may still write to it for a
	// moment after the browser is gone, which t.TempDir's cleanup treats as an error.
	profile, err := os.MkdirTemp("", "idphoto-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(390, 844),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// The pinned protocol types predate some of this Chromium's event fields; those
	// events are not ones the tests use, so their decoding errors are dropped.
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") && !strings.Contains(msg, "unhandled node event") {
			t.Logf("chromedp: %s", msg)
		}
	}))
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// pageErrors collects the page's uncaught exceptions and console errors, CSP
// violations among them.
type pageErrors struct {
	mu   sync.Mutex
	errs []string
}

func (p *pageErrors) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			p.errs = append(p.errs, "exception: "+ev.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError {
				p.errs = append(p.errs, "console: "+ev.Entry.Text)
			}
		}
	})
}

func (p *pageErrors) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errs {
		t.Errorf("page error: %s", e)
	}
	p.errs = nil
}

// shots saves numbered full-page screenshots in $IDPHOTO_SCREENSHOTS (relative to the
// module root) or in a temporary folder.
type shots struct {
	t   *testing.T
	dir string
	n   int
}

func newShots(t *testing.T) *shots {
	dir := os.Getenv("IDPHOTO_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleRoot(t), dir)
	}
	// One folder per test, so that tests run together keep each other's shots.
	dir = filepath.Join(dir, "web", strings.TrimPrefix(t.Name(), "Test"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.png")) // a new run's shots only
	for _, f := range old {
		os.Remove(f)
	}
	t.Logf("browser screenshots: %s", dir)
	return &shots{t: t, dir: dir}
}

// take saves the whole page; view, only what is on the screen (for dialogs).
func (s *shots) take(name string) chromedp.Action { return s.save(name, true) }
func (s *shots) view(name string) chromedp.Action { return s.save(name, false) }

func (s *shots) save(name string, full bool) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var b []byte
		var err error
		if full {
			err = chromedp.FullScreenshot(&b, 100).Do(ctx)
		} else {
			err = chromedp.CaptureScreenshot(&b).Do(ctx)
		}
		if err != nil {
			return err
		}
		s.n++
		return os.WriteFile(filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name)), b, 0o644)
	})
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// until waits for a JavaScript expression to be true.
func until(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))
}

// download clicks a download link, as a user does, and reads the file the browser
// saved into dir under the name the link suggests.
func download(sel, dir, name string, out *[]byte) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir).Do(ctx); err != nil {
			return err
		}
		if err := chromedp.Click(sel, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		for {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err == nil && len(b) > 0 {
				*out = b
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no %s downloaded: %w", name, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

func visible(sel string) string {
	return `(() => { const e = document.querySelector(` + "`" + sel + "`" + `); return !!e && e.offsetParent !== null; })()`
}

// A phone completes the whole flow with a real portrait: consent, upload, document
// and background, report, preview, sandbox payment, download; then the privacy centre
// exports the data and cancels the account.
func TestBrowserFlow(t *testing.T) {
	ctx := startBrowser(t)
	srv := newService(t)
	f := newFlow(t, ctx)
	shot, perr, run := f.shot, f.perr, f.run

	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("page CSP %q", csp)
	}

	photo, err := filepath.Abs("../../testdata/portraits/hivision-test3.jpg")
	if err != nil {
		t.Fatal(err)
	}

	run("consent pop-up",
		chromedp.Navigate(srv.URL+"/"),
		until(`document.querySelector('#consent-dialog').open && document.querySelector('#consent-text').textContent.length > 100`),
		shot.view("consent"),
		chromedp.Click("#consent-accept", chromedp.ByQuery),
		until(`!document.querySelector('#consent-dialog').open`),
	)
	run("upload",
		chromedp.SetUploadFiles("#photo-camera", []string{photo}, chromedp.ByQuery),
		until(`document.querySelector('#photo-status').textContent.includes('✓')`),
		shot.take("photo"),
	)
	run("choose the document and background",
		chromedp.SendKeys("#spec-search", "1-inch", chromedp.ByQuery),
		until(visible(`label[for="spec-cn-1inch"]`)),
		chromedp.Click(`label[for="spec-cn-1inch"]`, chromedp.ByQuery),
		until(visible(`label[for="bg-blue"]`)),
		chromedp.Click(`label[for="bg-blue"]`, chromedp.ByQuery),
		until(`document.querySelector('#bg-blue').checked && !document.querySelector('#make').disabled`),
		shot.take("document"),
		chromedp.Click("#make", chromedp.ByQuery),
		shot.take("progress"),
	)
	run("report and preview",
		until(visible("#report .verdict")),
		until(`(() => { const i = document.querySelector('#preview'); return i.complete && i.naturalWidth > 0 && i.offsetParent !== null; })()`),
		shot.take("report-preview"),
	)
	var report string
	run("read the report", chromedp.Text("#report", &report, chromedp.ByQuery))
	if !strings.Contains(report, "rules") && !strings.Contains(report, "try") {
		t.Errorf("report says %q", report)
	}

	run("pay in the sandbox",
		chromedp.Click("#order", chromedp.ByQuery),
		until(visible("#pay")),
		shot.take("checkout"),
	)
	var sandboxLabel string
	run("sandbox label", chromedp.Text("#checkout", &sandboxLabel, chromedp.ByQuery))
	if !strings.Contains(sandboxLabel, "no real money") {
		t.Errorf("checkout says %q, want the sandbox labelled", sandboxLabel)
	}
	var file, sheet []byte
	downloads := t.TempDir()
	run("download",
		chromedp.Click("#pay", chromedp.ByQuery),
		until(`document.querySelector('#download-file').href.startsWith('blob:') && document.querySelector('#download-sheet').href.startsWith('blob:')`),
		shot.take("download"),
		download("#download-file", downloads, "idphoto-cn-1inch.jpg", &file),
		download("#download-sheet", downloads, "idphoto-cn-1inch-6in.jpg", &sheet),
	)
	cfg, format, err := image.DecodeConfig(bytes.NewReader(file))
	if err != nil || format != "jpeg" || cfg.Width != 295 || cfg.Height != 413 {
		t.Errorf("downloaded photo: %s %dx%d, %v; want a 295x413 jpeg", format, cfg.Width, cfg.Height, err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(sheet)); err != nil || format != "jpeg" || max(cfg.Width, cfg.Height) < 1500 {
		t.Errorf("downloaded sheet: %s %dx%d, %v; want a 6-inch jpeg", format, cfg.Width, cfg.Height, err)
	}

	var zh string
	run("Chinese",
		chromedp.Click("#lang", chromedp.ByQuery),
		until(`document.documentElement.lang === 'zh-CN'`),
		chromedp.Text("#download-box h2", &zh, chromedp.ByQuery),
		shot.take("chinese"),
		chromedp.Click("#lang", chromedp.ByQuery),
		until(`document.documentElement.lang === 'en'`),
	)
	if zh != "下载" {
		t.Errorf("Chinese heading %q", zh)
	}

	var token, exportURL string
	run("privacy centre and export",
		chromedp.Click("#nav-privacy", chromedp.ByQuery),
		until(visible(".consents li")),
		shot.take("privacy"),
		chromedp.Click("#export", chromedp.ByQuery),
		until(`!!document.querySelector('#export-link')`),
		chromedp.AttributeValue("#export-link", "href", &exportURL, nil, chromedp.ByQuery),
		shot.take("export"),
		chromedp.Evaluate(`localStorage.getItem('idphoto.token')`, &token),
	)
	zipRes, err := http.Get(srv.URL + exportURL)
	if err != nil {
		t.Fatal(err)
	}
	zipBody, _ := io.ReadAll(zipRes.Body)
	zipRes.Body.Close()
	if zipRes.StatusCode != http.StatusOK || !bytes.HasPrefix(zipBody, []byte("PK\x03\x04")) {
		t.Errorf("export link %s: %d, %d bytes; want a zip", exportURL, zipRes.StatusCode, len(zipBody))
	}
	if code := apiStatus(t, srv.URL, token); code != http.StatusOK {
		t.Fatalf("session before cancelling: %d", code)
	}

	var everythingLive bool
	var everything string
	run("delete all my data, keeping the account",
		chromedp.Click("#delete-everything", chromedp.ByQuery),
		until(`document.querySelector('#confirm-dialog').open`),
		chromedp.Evaluate(`!document.querySelector('#confirm-yes').disabled`, &everythingLive),
		shot.view("everything-confirm"),
		chromedp.Click("#confirm-check", chromedp.ByQuery),
		until(`!document.querySelector('#confirm-yes').disabled`),
		chromedp.Click("#confirm-yes", chromedp.ByQuery),
		until(`document.querySelector('#everything-status').textContent.length > 0`),
		chromedp.Text("#everything-status", &everything, chromedp.ByQuery),
		shot.take("everything-deleted"),
		chromedp.Click("#nav-library", chromedp.ByQuery),
		until(visible("#lib-empty")),
		shot.take("everything-library-empty"),
		chromedp.Click("#nav-privacy", chromedp.ByQuery),
		until(visible(".consents li")),
	)
	if everythingLive {
		t.Error("the delete-everything button was live before the user ticked that they understand")
	}
	if !strings.Contains(everything, "Photos deleted: 1") {
		t.Errorf("delete-everything status %q, want 1 photo deleted", everything)
	}
	if n := apiPhotos(t, srv.URL, token); n != 0 {
		t.Errorf("the API lists %d photos after deleting everything", n)
	}
	if code := apiStatus(t, srv.URL, token); code != http.StatusOK {
		t.Fatalf("the session after deleting everything: %d, want it kept", code)
	}

	var yesDisabled bool
	run("cancel the account",
		chromedp.Click("#cancel", chromedp.ByQuery),
		until(`document.querySelector('#confirm-dialog').open`),
		chromedp.Evaluate(`document.querySelector('#confirm-yes').disabled`, &yesDisabled),
		shot.view("cancel-confirm"),
		chromedp.Click("#confirm-check", chromedp.ByQuery),
		until(`!document.querySelector('#confirm-yes').disabled`),
		chromedp.Click("#confirm-yes", chromedp.ByQuery),
		until(`document.querySelector('#cancel-status').textContent.length > 0`),
		shot.take("cancelled"),
	)
	if !yesDisabled {
		t.Error("the cancel button was live before the user ticked that they understand")
	}
	var left string
	run("token gone", chromedp.Evaluate(`localStorage.getItem('idphoto.token') || ''`, &left))
	if left != "" {
		t.Error("the page kept a session token after cancelling")
	}
	if code := apiStatus(t, srv.URL, token); code != http.StatusUnauthorized {
		t.Errorf("the cancelled session answers %d, want 401", code)
	}
	run("desktop",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(srv.URL+"/?desktop"), // a new load: the old one only changes its hash
		until(`document.body.dataset.ready === 'true' && document.querySelector('#consent-dialog').open`),
		chromedp.Click("#consent-accept", chromedp.ByQuery),
		until(`!document.querySelector('#consent-dialog').open`),
		shot.take("desktop"),
	)
	perr.check(t)
}

// apiStatus is the status of GET /me/consents with token.
func apiStatus(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/me/consents", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// apiPhotos is how many photos GET /photos lists on its first page with token.
func apiPhotos(t *testing.T, base, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/photos", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var feed struct{ Items []json.RawMessage }
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&feed) != nil {
		t.Fatalf("GET /photos: %d", res.StatusCode)
	}
	return len(feed.Items)
}

// noticeText digs the page's error notice out of its HTML, for failure messages.
func noticeText(html string) string {
	i := strings.Index(html, `id="notice"`)
	if i < 0 {
		return ""
	}
	s := html[i:]
	if j := strings.Index(s, "</p>"); j >= 0 {
		s = s[:j]
	}
	return s
}
