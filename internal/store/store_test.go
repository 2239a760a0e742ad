package store_test

import (
	"bytes"
	"context"
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

// openStore is a store on a fresh SQLite file, for what only SQLite has (the file).
func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	cfg := dialectConfig(t, "sqlite")
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg.Path
}

func TestMigrations(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			cfg := dialectConfig(t, d)
			s, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.Version(ctx)
			if err != nil || v != store.KnownVersion() || v < 1 || s.Dialect() != d {
				t.Fatalf("%s: version %d, %v; known %d", s.Dialect(), v, err, store.KnownVersion())
			}
			if err := s.CreateUser(ctx, store.User{ID: "kept", Role: store.RoleUser, CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			// Opening again applies nothing and keeps the data.
			s2, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s2.GetUser(ctx, "kept"); err != nil {
				t.Fatalf("after reopening: %v", err)
			}
			s2.Close()
			// A database from a newer idphoto is refused, not written to.
			db := rawDB(t, cfg)
			if _, err := db.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (999, '0999_future.sql', 0)"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if _, err := store.Open(ctx, cfg); !errors.Is(err, store.ErrSchemaTooNew) {
				t.Fatalf("newer schema: %v, want ErrSchemaTooNew", err)
			}
		})
	}
}

func TestUsersSessionsPhotosJobs(t *testing.T) { eachDialect(t, testUsersSessionsPhotosJobs) }

func testUsersSessionsPhotosJobs(t *testing.T, s *store.Store) {
	ctx := context.Background()
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

func TestRecoverJobs(t *testing.T) { eachDialect(t, testRecoverJobs) }

func testRecoverJobs(t *testing.T, s *store.Store) {
	ctx := context.Background()
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
	if s.Dialect() == "postgres" {
		// Another instance may be running 0 and 1: within their lease they stay.
		got, err := s.RecoverJobs(ctx, time.Hour, 3, "internal")
		if err != nil || strings.Join(got, ",") != ids[3] {
			t.Fatalf("recovered %v %v within the lease, want job 3 only", got, err)
		}
		if j, _ := s.JobByID(ctx, ids[0]); j.State != store.JobRunning {
			t.Fatalf("a job running within its lease is %s", j.State)
		}
		if polled, err := s.PollJobs(ctx, time.Now().Add(time.Minute), 10, time.Hour, 3, "internal"); err != nil || strings.Join(polled, ",") != ids[3] {
			t.Fatalf("polled %v %v, want job 3", polled, err)
		}
	}
	// Past the lease (on SQLite, always), the running jobs are abandoned.
	got, err := s.RecoverJobs(ctx, -time.Minute, 3, "internal")
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
// and a shredded key's bytes are gone from the SQLite file. (PostgreSQL's files are
// the server's: there the shredded row is vacuumed, see postgresDialect.shredded.)
func TestDataKeysInDatabase(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			s, cfg := openDialect(t, d)
			testDataKeys(t, s, cfg.Path)
		})
	}
}

func testDataKeys(t *testing.T, s *store.Store, path string) {
	ctx := context.Background()
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
	if s.Dialect() != "sqlite" {
		return
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
	eachDialect(t, func(t *testing.T, s *store.Store) {
		schema, err := s.Columns(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"photos", "jobs", "users"} {
			if len(schema[table]) == 0 {
				t.Fatalf("no columns for %s", table)
			}
			for _, col := range schema[table] {
				if strings.Contains(col, "session") || strings.Contains(col, "device") {
					t.Errorf("%s.%s links %s to sessions or devices", table, col, table)
				}
			}
		}
	})
}
