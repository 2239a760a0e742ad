// Package httpapi is the JSON API of idphoto serve (prefix /api/v1): anonymous device
// sessions, photo uploads, ID-photo jobs on a bounded worker pool, their reports,
// watermarked previews and the clean files.
//
// Every route but the health checks and POST /sessions needs a bearer token; a user
// reaches only their own photos and jobs, and another user's id answers 404 exactly
// like an id that does not exist (promise S2). Photos, results and every personal
// field are sealed with the user's data key before they are stored (S1). Face data
// stays inside the pipeline run: the API stores and logs none of it (P3).
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// Config holds the API's limits.
type Config struct {
	// Limits bound each upload: bytes while reading, pixels from the header.
	Limits imageio.Limits
	// Uploads is how many uploads are read and checked at once; the others wait, so
	// memory stays near Uploads × Limits.MaxBytes however many clients send at once.
	Uploads int
	// Workers process jobs; Queue is how many more jobs may wait before POST /jobs
	// answers 429.
	Workers, Queue int
	// JobTimeout bounds one job's run.
	JobTimeout time.Duration
	// MaxAttempts is how many starts a job gets before a crash fails it for good.
	MaxAttempts int
	// PollEvery, when set, is how often idle workers look in the database for jobs
	// that other instances queued, or left running when they stopped (several serve
	// instances on one PostgreSQL database). 0: only this instance's jobs.
	PollEvery time.Duration
	// SessionTTL is how long a session token lives.
	SessionTTL time.Duration
	// UnlockAll serves every clean file without payment (until payments exist).
	UnlockAll bool
	// Orders are the prices and the unpaid time of orders.
	Orders order.Config
}

// DefaultConfig: 2 workers, 8 queued jobs, 20 MB uploads of up to 50 megapixels.
func DefaultConfig() Config {
	return Config{
		Limits:      imageio.Limits{MaxBytes: 20 << 20, MaxPixels: 50_000_000},
		Uploads:     4,
		Workers:     2,
		Queue:       8,
		JobTimeout:  2 * time.Minute,
		MaxAttempts: 3,
		SessionTTL:  30 * 24 * time.Hour,
		Orders:      order.DefaultConfig(),
	}
}

// Validate reports a config that can't work.
func (c Config) Validate() error {
	switch {
	case c.Limits.MaxBytes <= 0 || c.Limits.MaxPixels <= 0:
		return errors.New("httpapi: upload limits must be positive")
	case c.Uploads < 1:
		return errors.New("httpapi: at least 1 concurrent upload")
	case c.Workers < 1:
		return errors.New("httpapi: at least 1 worker")
	case c.Queue < 0:
		return errors.New("httpapi: negative queue")
	case c.JobTimeout <= 0 || c.SessionTTL <= 0:
		return errors.New("httpapi: timeouts must be positive")
	case c.MaxAttempts < 1:
		return errors.New("httpapi: at least 1 attempt per job")
	case c.PollEvery < 0:
		return errors.New("httpapi: negative job poll interval")
	}
	return c.Orders.Validate()
}

// Maker makes ID photos: *pipeline.Engine, or a fake in tests.
type Maker interface {
	Make(ctx context.Context, r io.Reader, req pipeline.Request) (*pipeline.Result, error)
}

// Deps are what the API works with.
type Deps struct {
	Store  *store.Store
	Vault  *vault.Vault
	Blobs  blob.Store // sealed by the API with the vault
	Engine Maker
	Specs  *spec.Catalog
	Log    *slog.Logger
	// Payments are the enabled payment channels; Ledger is the ledger's vault
	// (store.LedgerKeys), needed when any channel is enabled.
	Payments []payment.Provider
	Ledger   *vault.Vault
	// Privacy carries out deletion, cancellation and export; nil: the default policy.
	Privacy *privacy.Service
	// Support is the support desk's vault (store.SupportKeys), a key held by no user;
	// nil: POST /support answers 503.
	Support *vault.Vault
	// Logins are the enabled mini-program login channels; they need Ledger, the vault
	// of keys held by no user, which seals the login lookup key.
	Logins []login.Provider
	// Decodes bounds the memory of decoded pixels, shared with the engine's
	// (pipeline.Config.Budget): an upload takes its share before decoding and holds
	// it until its thumbnails are made. nil: bounded by Config.Uploads alone.
	Decodes *imageio.Budget
}

// API is the handlers and the job workers.
type API struct {
	cfg     Config
	store   *store.Store
	vault   *vault.Vault
	blobs   *blob.Sealed
	engine  Maker
	specs   *spec.Catalog
	log     *slog.Logger
	uploads chan struct{}
	pool    *pool
	hub     *hub
	now     func() time.Time
	pay     map[payment.Channel]payment.Provider
	ledger  *vault.Vault
	privacy *privacy.Service
	support *privacy.SupportDesk
	logins  *logins
	audit   *audit.Log
	people  peopleCounter // the library's people count (P9), made on first use
	decodes *imageio.Budget
	hooks   raceHooks // nil funcs in service; tests run interleavings with them
}

// New builds the API; Start runs its workers.
func New(cfg Config, d Deps) (*API, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Vault == nil || d.Blobs == nil || d.Engine == nil || d.Specs == nil {
		return nil, errors.New("httpapi: missing dependency")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{
		cfg: cfg, store: d.Store, vault: d.Vault, blobs: blob.NewSealed(d.Blobs, d.Vault),
		engine: d.Engine, specs: d.Specs, log: d.Log,
		uploads: make(chan struct{}, cfg.Uploads),
		hub:     newHub(),
		now:     time.Now,
		decodes: d.Decodes,
	}
	a.pool = newPool(cfg.Workers, cfg.Queue, a.process)
	a.support = newSupport(d)
	var err error
	if a.privacy, err = newPrivacy(d); err != nil {
		return nil, err
	}
	if err := a.setPayments(d.Payments, d.Ledger); err != nil {
		return nil, err
	}
	if err := a.setLogins(d.Logins, d.Ledger); err != nil {
		return nil, err
	}
	a.audit = audit.New(d.Store)
	return a, nil
}

// route is one line of the route table.
type route struct {
	method, path string
	auth         bool
	h            func(http.ResponseWriter, *http.Request, string) // user id when auth
}

// Prefix of the API's routes.
const Prefix = "/api/v1"

func (a *API) routes() []route {
	return []route{
		{"GET", "/healthz", false, a.healthz},
		{"GET", "/readyz", false, a.readyz},
		{"POST", Prefix + "/sessions", false, a.createSession},
		{"POST", Prefix + "/photos", true, a.consented(a.uploadPhoto)},
		{"POST", Prefix + "/jobs", true, a.consented(a.createJob)},
		{"GET", Prefix + "/jobs/{id}", true, a.getJob},
		{"GET", Prefix + "/jobs/{id}/events", true, a.jobEvents},
		{"GET", Prefix + "/jobs/{id}/report", true, a.jobReport},
		{"GET", Prefix + "/jobs/{id}/preview", true, a.jobPreview},
		{"GET", Prefix + "/jobs/{id}/file", true, a.jobFile},
		{"GET", Prefix + "/photos", true, a.listPhotos},
		{"GET", Prefix + "/photos/{id}", true, a.getPhoto},
		{"GET", Prefix + "/photos/{id}/thumb", true, a.photoThumb},
		{"POST", Prefix + "/photos:delete", true, a.deletePhotos},
		{"DELETE", Prefix + "/photos/{id}", true, a.deletePhoto},
		{"DELETE", Prefix + "/me/photos", true, a.deleteAllPhotos},
		{"DELETE", Prefix + "/me/data", true, a.deleteEverything},
		{"POST", Prefix + "/me/cancel", true, a.cancelAccount},
		{"POST", Prefix + "/me/export", true, a.createExport},
		{"GET", Prefix + "/me/profile", true, a.getProfile},
		{"PUT", Prefix + "/me/profile", true, a.putProfile},
		{"GET", Prefix + "/me/requests", true, a.myRequests},
		{"GET", Prefix + "/exports/{token}", false, a.getExport},
		{"GET", Prefix + "/jobs/{id}/sheet", true, a.jobSheet},
		{"POST", Prefix + "/orders", true, a.consented(a.createOrder)},
		{"GET", Prefix + "/orders", true, a.listOrders},
		{"GET", Prefix + "/orders/{id}", true, a.getOrder},
		{"POST", Prefix + "/orders/{id}/pay", true, a.payOrder},
		{"POST", Prefix + "/orders/{id}/cancel", true, a.cancelOrder},
		{"POST", Prefix + "/orders/{id}/refund", true, a.refundOrder},
		{"PUT", Prefix + "/orders/{id}/shipping", true, a.correctShipping},
		{"DELETE", Prefix + "/orders/{id}/personal-data", true, a.eraseOrder},
		{"POST", Prefix + "/pay/notify/{channel}", false, a.payNotify},
		{"GET", Prefix + "/status", false, a.serviceStatus},
		{"GET", Prefix + "/policies", false, a.getPolicies},
		{"GET", Prefix + "/specs", false, a.listSpecs},
		{"GET", Prefix + "/shop", false, a.shop},
		{"GET", Prefix + "/me/consents", true, a.getConsents},
		{"POST", Prefix + "/me/consents", true, a.acceptPolicy},
		{"POST", Prefix + "/me/consents/{purpose}", true, a.setPurpose},
		{"POST", Prefix + "/support", false, a.createTicket},
		{"POST", Prefix + "/login/wechat", false, a.loginWeChat},
		{"POST", Prefix + "/login/alipay", false, a.loginAlipay},
		{"GET", Prefix + "/ops/print-orders", true, a.staffOnly(store.RoleOperator, a.opsPrintOrders)},
		{"POST", Prefix + "/ops/orders/{id}/ship", true, a.staffOnly(store.RoleOperator, a.opsShip)},
		{"POST", Prefix + "/ops/orders/{id}/refund", true, a.staffOnly(store.RoleOperator, a.opsRefund)},
		{"GET", Prefix + "/ops/orders/{id}/sheet", true, a.staffOnly(store.RoleOperator, a.opsOrderSheet)},
		{"GET", Prefix + "/ops/late-payments", true, a.staffOnly(store.RoleOperator, a.opsLatePayments)},
		{"POST", Prefix + "/ops/late-payments/{channel}/{trade_no}/refund", true, a.staffOnly(store.RoleOperator, a.opsRefundLatePayment)},
		{"GET", Prefix + "/ops/requests", true, a.staffOnly(store.RoleOperator, a.opsRequests)},
		{"GET", Prefix + "/ops/holds", true, a.staffOnly(store.RoleOperator, a.opsHolds)},
		{"POST", Prefix + "/ops/holds", true, a.staffOnly(store.RoleOperator, a.opsPlaceHold)},
		{"DELETE", Prefix + "/ops/holds/{id}", true, a.staffOnly(store.RoleOperator, a.opsReleaseHold)},
		{"GET", Prefix + "/ops/support", true, a.staffOnly(store.RoleOperator, a.opsSupport)},
		{"GET", Prefix + "/audit/ledger.csv", true, a.staffOnly(store.RoleAuditor, a.auditLedger)},
		{"GET", Prefix + "/audit/reads", true, a.staffOnly(store.RoleAuditor, a.auditReads)},
	}
}

// Routes lists "METHOD /path" of every route, as registered.
func (a *API) Routes() []string {
	var out []string
	for _, rt := range a.routes() {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// PublicRoutes lists the routes that take no session token (health, sessions, the
// payment channels' notifications, one-time links), as Routes writes them.
func (a *API) PublicRoutes() []string {
	var out []string
	for _, rt := range a.routes() {
		if !rt.auth {
			out = append(out, rt.method+" "+rt.path)
		}
	}
	return out
}

// Handler returns the routes on a mux; anything else is a JSON 404.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routes() {
		h := rt.h
		if rt.auth {
			mux.HandleFunc(rt.method+" "+rt.path, a.authenticated(h))
		} else {
			mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { h(w, r, "") })
		}
	}
	return a.closingHeader(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// No route: the mux knows whether the path exists for another method (405,
		// with Allow) or not at all (404); answer in the API's JSON either way.
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			a.respondError(w, r, fail(CodeMethodNotAllowed, "method not allowed"))
			return
		}
		a.respondError(w, r, fail(CodeNotFound, "no such route"))
	}))
}

// statusProbe keeps the status and headers of a response and drops its body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

func (a *API) healthz(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request, _ string) {
	if a.pool.stopped() {
		a.respondError(w, r, fail(CodeUnavailable, "shutting down"))
		return
	}
	if err := a.store.Ping(r.Context()); err != nil {
		a.respondError(w, r, &apiError{Code: CodeUnavailable, Msg: "database unavailable", Err: err})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Start re-queues the jobs a crash or a shutdown left behind and starts the workers.
func (a *API) Start(ctx context.Context) error {
	ids, err := a.store.RecoverJobs(ctx, a.jobLease(), a.cfg.MaxAttempts, CodeInternal)
	if err != nil {
		return err
	}
	a.pool.start()
	if a.cfg.PollEvery > 0 {
		go a.pollJobs()
	}
	if len(ids) > 0 {
		a.log.Info("jobs re-queued", slog.Int("count", len(ids)))
	}
	go func() {
		for _, id := range ids {
			if !a.pool.submitWait(id) {
				return // stopped: they stay queued in the database for the next start
			}
		}
	}()
	return nil
}

// Drain stops taking jobs and waits for the running ones; when ctx ends first, the
// running jobs are cancelled and go back to the queue for the next start.
func (a *API) Drain(ctx context.Context) error {
	if err := a.pool.drain(ctx); err != nil {
		return fmt.Errorf("httpapi: drain: %w", err)
	}
	return nil
}
