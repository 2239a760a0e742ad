package privacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

type fixture struct {
	t      *testing.T
	ctx    context.Context
	dir    string
	store  *store.Store
	vault  *vault.Vault
	blobs  *blob.Local
	sealed *blob.Sealed
	svc    *privacy.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(dir, "idphoto.db")
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	v, err := vault.New([]vault.Key{mk}, st)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := privacy.New(privacy.DefaultConfig(), st, bl, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, dir: dir, store: st, vault: v, blobs: bl, sealed: blob.NewSealed(bl, v), svc: svc}
}

func (f *fixture) user() string {
	f.t.Helper()
	id := store.NewID()
	if err := f.store.CreateUser(f.ctx, store.User{ID: id, Role: store.RoleUser, CreatedAt: time.Now()}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// photo stores a photo with a job that has finished, as the API does.
func (f *fixture) photo(user string, data []byte) (photoID, jobID string) {
	f.t.Helper()
	p := store.Photo{ID: store.NewID(), UserID: user, Format: "jpeg", Width: 10, Height: 10, Bytes: int64(len(data)), CreatedAt: time.Now()}
	p.BlobKey = "photos/" + p.ID
	if err := f.sealed.Put(f.ctx, user, p.BlobKey, data); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreatePhoto(f.ctx, p); err != nil {
		f.t.Fatal(err)
	}
	j := store.Job{ID: store.NewID(), UserID: user, PhotoID: p.ID, SpecID: "cn-id", Background: "#ffffff", CreatedAt: time.Now()}
	if err := f.store.CreateJob(f.ctx, j); err != nil {
		f.t.Fatal(err)
	}
	for _, k := range privacy.JobBlobs(j.ID) {
		if err := f.sealed.Put(f.ctx, user, k, data); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := f.store.FinishJob(f.ctx, j.ID, store.JobDone, "", nil); err != nil {
		f.t.Fatal(err)
	}
	return p.ID, j.ID
}

// files lists the files under the blob folder.
func (f *fixture) files() []string {
	f.t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(f.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// emptyDirs lists the folders under the blob folder that hold nothing (R3, R4: a
// deletion leaves no empty per-user or per-job folder behind).
func (f *fixture) emptyDirs() []string {
	f.t.Helper()
	root := filepath.Join(f.dir, "blobs")
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			if es, _ := os.ReadDir(p); len(es) == 0 {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

func (f *fixture) at(t time.Time) *privacy.Service {
	return f.svc.WithClock(func() time.Time { return t })
}

// Every column of every table, after all migrations, is in the data map (R9); the
// map names no column that does not exist; and no column holds face data (P3).
func TestPromiseR9DataMapCoversSchema(t *testing.T) {
	f := newFixture(t)
	cols, err := f.store.Columns(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 5 {
		t.Fatalf("schema has %d tables", len(cols))
	}
	for table, names := range cols {
		m, ok := privacy.DataMap[table]
		if !ok {
			t.Errorf("table %s is not in the data map (privacy.DataMap)", table)
			continue
		}
		for _, c := range names {
			fld, ok := m[c]
			switch {
			case !ok:
				t.Errorf("column %s.%s is not classified in the data map", table, c)
			case fld.Class == "" || fld.Purpose == "":
				t.Errorf("column %s.%s has no class or no purpose", table, c)
			case fld.Class == privacy.ClassFaceDerived:
				t.Errorf("column %s.%s holds face-derived data, which is never stored (P3)", table, c)
			}
		}
	}
	for table, m := range privacy.DataMap {
		live := map[string]bool{}
		for _, c := range cols[table] {
			live[c] = true
		}
		for c := range m {
			if !live[c] {
				t.Errorf("the data map classifies %s.%s, which the schema does not have", table, c)
			}
		}
	}
}

// R1: a paid e-photo and its source photo are kept 6 days after payment and gone,
// files from disk and rows from the database, at 8.
func TestPromiseR1PaidPhotosDeletedSevenDaysAfterPayment(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	photo, job := f.photo(u, []byte("paid photo bytes"))
	if err := f.store.UnlockJob(f.ctx, u, job); err != nil { // payment: the clock starts
		t.Fatal(err)
	}
	paid := time.Now()
	if n := len(f.files()); n != 4 {
		t.Fatalf("%d files before the sweep, want 4", n)
	}
	rep, err := f.at(paid.Add(6*24*time.Hour)).Sweep(f.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Jobs != 0 || rep.Photos != 0 || len(f.files()) != 4 {
		t.Fatalf("day 6: %v, %d files; want everything kept", rep, len(f.files()))
	}
	if _, err := f.store.GetPhoto(f.ctx, u, photo); err != nil {
		t.Fatalf("day 6: photo: %v", err)
	}
	rep, err = f.at(paid.Add(8*24*time.Hour)).Sweep(f.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Jobs != 1 || rep.Photos != 1 {
		t.Errorf("day 8: %v, want 1 job and 1 photo", rep)
	}
	if files := f.files(); len(files) != 0 {
		t.Errorf("day 8: files left on disk: %v", files)
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("day 8: empty folders left: %v", dirs)
	}
	if _, err := f.store.GetPhoto(f.ctx, u, photo); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("day 8: photo row: %v", err)
	}
	if _, err := f.store.GetJob(f.ctx, u, job); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("day 8: job row: %v", err)
	}
}

// R1: an unpaid job's results and its source photo go after UnpaidTTL (24 h).
func TestPromiseR1UnpaidDeletedAfterADay(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	f.photo(u, []byte("unpaid"))
	now := time.Now()
	if rep, err := f.at(now.Add(23*time.Hour)).Sweep(f.ctx, false); err != nil || rep.Jobs+rep.Photos != 0 {
		t.Fatalf("23 h: %v, %v; want nothing deleted", rep, err)
	}
	dry, err := f.at(now.Add(25*time.Hour)).Sweep(f.ctx, true)
	if err != nil || dry.Jobs != 1 || dry.Photos != 1 || len(f.files()) != 4 {
		t.Fatalf("25 h, dry run: %v, %v, %d files; want 1 job and 1 photo counted, nothing deleted", dry, err, len(f.files()))
	}
	rep, err := f.at(now.Add(25*time.Hour)).Sweep(f.ctx, false)
	if err != nil || rep.Jobs != 1 || rep.Photos != 1 {
		t.Fatalf("25 h: %v, %v", rep, err)
	}
	if files := f.files(); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
}

// R7: a legal hold keeps what it names from the sweep, with its reason; released,
// the sweep deletes it.
func TestPromiseR7LegalHoldSkipsSweep(t *testing.T) {
	f := newFixture(t)
	held, free := f.user(), f.user()
	f.photo(held, []byte("held"))
	f.photo(free, []byte("free"))
	h := store.LegalHold{ID: store.NewID(), Scope: "user", TargetID: held, Reason: "court order 2026-17", CreatedAt: time.Now()}
	if err := f.store.CreateLegalHold(f.ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateLegalHold(f.ctx, store.LegalHold{ID: store.NewID(), Scope: "user", TargetID: free, CreatedAt: time.Now()}); err == nil {
		t.Error("a hold without a reason was accepted")
	}
	later := time.Now().Add(30 * 24 * time.Hour)
	rep, err := f.at(later).Sweep(f.ctx, false)
	if err != nil || rep.Photos != 1 || len(f.files()) != 4 {
		t.Fatalf("with a hold: %v, %v, %d files; want the free user's photo only", rep, err, len(f.files()))
	}
	if err := f.store.ReleaseLegalHold(f.ctx, h.ID, later); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.at(later).Sweep(f.ctx, false); err != nil || rep.Photos != 1 || len(f.files()) != 0 {
		t.Fatalf("released: %v, %v, %d files", rep, err, len(f.files()))
	}
}

// R6: every request is logged with its received time, a due date 15 working days on,
// and its done time; an audit entry names the user by pseudonym only.
func TestPromiseR6RequestsLoggedWithDueDate(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	photo, _ := f.photo(u, []byte("x"))
	received := time.Date(2026, 9, 28, 10, 0, 0, 0, time.UTC) // before the National Day holiday
	svc := f.at(received)
	if err := svc.DeletePhoto(f.ctx, u, photo); err != nil {
		t.Fatal(err)
	}
	reqs, err := f.store.PrivacyRequests(f.ctx, audit.Subject(u))
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests: %v, %v", reqs, err)
	}
	r := reqs[0]
	if r.Kind != store.RequestDeletion || !r.ReceivedAt.Equal(received) || r.DoneAt.IsZero() {
		t.Errorf("request %+v", r)
	}
	// 15 working days from Mon 28 Sep 2026, over the 1-8 October holiday, fall
	// well after a plain three weeks.
	if !r.DueAt.After(received.AddDate(0, 0, 21)) {
		t.Errorf("due %v: the holiday was not skipped", r.DueAt)
	}
	if open, _ := f.store.OpenPrivacyRequests(f.ctx); len(open) != 0 {
		t.Errorf("open requests: %v", open)
	}
	if n, err := svc.Audit().Verify(f.ctx); err != nil || n != 1 {
		t.Errorf("audit: %d entries, %v", n, err)
	}
}

// R4: cancellation leaves no file and no row that names the user, and the data key
// is gone, so a copy of a blob kept elsewhere (a backup) no longer opens.
func TestPromiseR4CancelErasesAndShreds(t *testing.T) {
	f := newFixture(t)
	u, other := f.user(), f.user()
	f.photo(u, []byte("mine"))
	f.photo(other, []byte("theirs"))
	photos, _ := f.store.UserPhotos(f.ctx, u)
	ct, err := f.blobs.Get(f.ctx, photos[0].BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CancelAccount(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	if n := len(f.files()); n != 4 {
		t.Errorf("%d files left, want the other user's 4", n)
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}
	if _, err := f.vault.Open(f.ctx, u, ct, "blob:"+photos[0].BlobKey); err == nil {
		t.Error("a backup copy of the user's photo still opens after cancellation")
	}
	if _, err := f.store.GetUser(f.ctx, u); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("user row: %v", err)
	}
	if left, _ := f.store.UserPhotos(f.ctx, other); len(left) != 1 {
		t.Errorf("the other user's photos: %d", len(left))
	}
}

// R5: the export holds a manifest with the schema version and data categories, the
// profile, the requests and the photos decrypted; the link works once.
func TestPromiseR5ExportArchive(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	f.photo(u, []byte("photo-bytes-marker"))
	e, files := f.exported(u)
	var m privacy.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != store.KnownVersion() || len(m.Categories) == 0 {
		t.Errorf("manifest %+v", m)
	}
	for _, name := range []string{"profile.json", "privacy_requests.json", "consents.json", "photos.json", "jobs.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("no %s in the archive", name)
		}
	}
	found := false
	for name, b := range files {
		if filepath.Dir(name) == "photos" && string(b) == "photo-bytes-marker" {
			found = true
		}
	}
	if !found {
		t.Error("the photo is not in the archive, decrypted")
	}
	if _, err := f.svc.FetchExport(f.ctx, e.Token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second download: %v, want ErrNotFound", err)
	}
	if n := len(f.files()); n != 4 {
		t.Errorf("%d files after the download, want the photo's 4 (the archive deleted)", n)
	}
}

// An export link not used in time stops working, and the sweep deletes the archive.
func TestPromiseR5ExportLinkExpires(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	e, err := f.svc.Export(f.ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	late := f.at(e.ExpiresAt.Add(time.Second))
	if _, err := late.FetchExport(f.ctx, e.Token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired link: %v", err)
	}
	if rep, err := late.Sweep(f.ctx, false); err != nil || rep.Exports != 1 || len(f.files()) != 0 {
		t.Errorf("sweep: %v, %v, %d files", rep, err, len(f.files()))
	}
}

func TestConfigValidate(t *testing.T) {
	c := privacy.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.PaidTTL = 8 * 24 * time.Hour
	if c.Validate() == nil {
		t.Error("a paid TTL over 7 days was accepted")
	}
	if len(privacy.DefaultConfig().Rules()) == 0 {
		t.Error("no retention rules")
	}
}
