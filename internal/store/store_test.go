package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
	_ "modernc.org/sqlite"
)

func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "idphoto.db")
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg.Path
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	v, err := s.Version(ctx)
	if err != nil || v != store.KnownVersion() || v < 1 {
		t.Fatalf("version %d, %v; known %d", v, err, store.KnownVersion())
	}
	s.Close()
	// Opening again applies nothing and keeps the data.
	cfg := store.DefaultConfig()
	cfg.Path = path
	s2, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	// A database from a newer idphoto is refused, not written to.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (999, '0999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(ctx, cfg); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestUsersSessionsPhotosJobs(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	now := time.Now().Truncate(time.Millisecond)
	alice, bob := store.NewID(), store.NewID()
	for _, id := range []string{alice, bob} {
		if err := s.CreateUser(ctx, store.User{ID: id, Role: store.RoleUser, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if u, err := s.GetUser(ctx, alice); err != nil || u.Role != store.RoleUser || !u.CreatedAt.Equal(now) {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	if _, err := s.GetUser(ctx, store.NewID()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if err := s.CreateUser(ctx, store.User{ID: store.NewID(), Role: "king", CreatedAt: now}); err == nil {
		t.Fatal("unknown role accepted")
	}

	hash := bytes.Repeat([]byte{7}, 32)
	se := store.Session{ID: store.NewID(), UserID: alice, TokenHash: hash, DeviceSealed: []byte("sealed"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SessionByTokenHash(ctx, hash, now); err != nil || got.UserID != alice {
		t.Fatalf("session: %+v, %v", got, err)
	}
	if _, err := s.SessionByTokenHash(ctx, hash, now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v", err)
	}

	p := store.Photo{ID: store.NewID(), UserID: alice, BlobKey: "photos/x", Format: "jpeg", Width: 10, Height: 20, Bytes: 99, CreatedAt: now}
	if err := s.CreatePhoto(ctx, p); err != nil {
		t.Fatal(err)
	}
	got0, err := s.GetPhoto(ctx, alice, p.ID)
	if got0.CreatedAt.Equal(p.CreatedAt) {
		got0.CreatedAt = p.CreatedAt
	}
	if got := got0; err != nil || got != p {
		t.Fatalf("GetPhoto = %+v, %v", got, err)
	}
	if _, err := s.GetPhoto(ctx, bob, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's photo: %v", err)
	}
	if err := s.CreatePhoto(ctx, store.Photo{ID: store.NewID(), UserID: store.NewID(), BlobKey: "k", Format: "jpeg", CreatedAt: now}); err == nil {
		t.Fatal("a photo of no user accepted: foreign keys are off")
	}

	j := store.Job{ID: store.NewID(), UserID: alice, PhotoID: p.ID, SpecID: "cn-1inch", Background: "white", CreatedAt: now}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetJob(ctx, bob, j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's job: %v", err)
	}
	if err := s.StartJob(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.StartJob(ctx, j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("starting a running job: %v", err)
	}
	if err := s.FinishJob(ctx, j.ID, store.JobFailed, "no_face", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetJob(ctx, alice, j.ID)
	if err != nil || got.State != store.JobFailed || got.ErrorCode != "no_face" || got.Attempts != 1 || !got.Finished() {
		t.Fatalf("job = %+v, %v", got, err)
	}
	if err := s.UnlockJob(ctx, bob, j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob unlocks alice's job: %v", err)
	}
	// Deleting a user takes their rows with them.
	if err := s.DeleteUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JobByID(ctx, j.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("job of a deleted user: %v", err)
	}
}

func TestRecoverJobs(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	now := time.Now()
	u, p := store.NewID(), store.NewID()
	s.CreateUser(ctx, store.User{ID: u, Role: store.RoleUser, CreatedAt: now})
	s.CreatePhoto(ctx, store.Photo{ID: p, UserID: u, BlobKey: "k", Format: "jpeg", CreatedAt: now})
	var ids []string
	for i := range 4 {
		id := store.NewID()
		ids = append(ids, id)
		if err := s.CreateJob(ctx, store.Job{ID: id, UserID: u, PhotoID: p, SpecID: "s", Background: "b", CreatedAt: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	// 0 ran and crashed once, 1 crashed three times, 2 finished, 3 never started.
	s.StartJob(ctx, ids[0])
	for range 3 {
		s.StartJob(ctx, ids[1])
		s.RequeueJob(ctx, ids[1])
	}
	s.StartJob(ctx, ids[1])
	s.StartJob(ctx, ids[2])
	s.FinishJob(ctx, ids[2], store.JobDone, "", nil)
	got, err := s.RecoverJobs(ctx, 3, "internal")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != ids[0]+","+ids[3] {
		t.Fatalf("recovered %v, want jobs 0 and 3", got)
	}
	if j, _ := s.JobByID(ctx, ids[1]); j.State != store.JobFailed {
		t.Fatalf("job that crashed 4 times is %s, want failed", j.State)
	}
}

// The data keys live in the database: the vault's rotation and shredding work on it,
// and a shredded key's bytes are gone from the file.
func TestDataKeysInDatabase(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	old, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	now := time.Now()
	for _, u := range []string{"u1", "u2"} {
		s.CreateUser(ctx, store.User{ID: u, Role: store.RoleUser, CreatedAt: now})
	}
	v1, _ := vault.New([]vault.Key{old}, s)
	ct, err := v1.Seal(ctx, "u1", []byte("secret"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v1.Seal(ctx, "u2", []byte("secret"), "c"); err != nil {
		t.Fatal(err)
	}
	cur, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	v2, _ := vault.New([]vault.Key{cur, old}, s)
	if n, err := v2.Rotate(ctx); n != 2 || err != nil {
		t.Fatalf("Rotate = %d, %v", n, err)
	}
	v3, _ := vault.New([]vault.Key{cur}, s)
	if got, err := v3.Open(ctx, "u1", ct, "c"); err != nil || string(got) != "secret" {
		t.Fatalf("after rotation: %q, %v", got, err)
	}
	wrapped, _ := s.LoadKey(ctx, "u1")
	if err := v3.Shred(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if _, err := v3.Open(ctx, "u1", ct, "c"); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("after shredding: %v", err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, wrapped) {
			t.Fatalf("the shredded key's bytes are still in %s", filepath.Base(f))
		}
	}
}

// TestPromiseS5DeviceNotJoinedToPhotos: device data is on the session row only, and
// no photo or job column leads to a session.
func TestPromiseS5DeviceNotJoinedToPhotos(t *testing.T) {
	_, path := openStore(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"photos", "jobs", "users"} {
		rows, err := db.Query("SELECT name FROM pragma_table_info('" + table + "')")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var col string
			rows.Scan(&col)
			if strings.Contains(col, "session") || strings.Contains(col, "device") {
				t.Errorf("%s.%s links %s to sessions or devices", table, col, table)
			}
		}
		rows.Close()
	}
}
