package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store/pgtest"
)

// The feed's query reads the index photos_feed from the cursor: the proof that a
// page costs the same wherever it starts (BenchmarkFeedPage measures it).
func TestFeedUsesIndex(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "db.sqlite")
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for q, args := range map[string][]any{feedFirst: {"u", 5}, feedAfter: {"u", 202405, 1, "x", 5}} {
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "USING INDEX photos_feed") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("plan of %q: %s", q, p)
		}
	}
}

// On PostgreSQL too the feed reads photos_feed from the cursor, without sorting.
func TestFeedUsesIndexPostgres(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.URL = pgtest.DB(t)
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, u := range []string{"u", "v"} {
		if err := s.CreateUser(ctx, User{ID: u, Role: RoleUser, CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
		var ps []LibraryPhoto
		for i := range 300 {
			id := NewID()
			ps = append(ps, LibraryPhoto{Photo: Photo{ID: id, UserID: u, BlobKey: id, Format: "jpeg", CreatedAt: base.Add(time.Duration(i) * time.Minute)},
				SortMonth: MonthOf(base.AddDate(0, i/30, 0))})
		}
		if err := s.CreateLibraryPhotos(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, "ANALYZE photos"); err != nil {
		t.Fatal(err)
	}
	for q, args := range map[string][]any{feedFirst: {"u", 25}, feedAfter: {"u", 202403, base.Add(time.Hour).UnixMilli(), "x", 25}} {
		plan, err := firstColumn(s.r.QueryContext(ctx, "EXPLAIN "+q, args...))
		if err != nil {
			t.Fatal(err)
		}
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "photos_feed") || strings.Contains(p, "Sort") {
			t.Errorf("plan of %q: %s", q, p)
		}
	}
}

// Migration 0010 rewrites the exact capture times of photos stored before it into
// months (UTC+8, the only zone SQL can use without the sealed metadata), and the
// trigger gives a photo added without a sort key its upload month: the same on both
// dialects.
func TestMigration0010KeepsOnlyTheMonth(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			cfg := DefaultConfig()
			driver, dsn := "sqlite", filepath.Join(t.TempDir(), "db.sqlite")
			if d == "postgres" {
				cfg.URL = pgtest.DB(t)
				driver, dsn = "pgx", cfg.URL
			} else {
				cfg.Path = dsn
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ms, err := loadMigrations(d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			for _, m := range ms[:9] { // the schema before 0010
				if _, err := db.ExecContext(ctx, m.sql); err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				if _, err := db.ExecContext(ctx, "INSERT INTO schema_version VALUES ($1, $2, 0)", m.version, m.name); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, "INSERT INTO users (id, created_at) VALUES ('u', 0)"); err != nil {
				t.Fatal(err)
			}
			exact := map[string]time.Time{
				"a": time.Date(2024, 5, 31, 20, 0, 0, 0, time.UTC), // 1 June, 04:00 in Beijing
				"b": time.Date(2024, 5, 1, 1, 30, 15, 0, time.UTC),
				"c": time.Date(2023, 12, 31, 15, 59, 59, 0, time.UTC),
			}
			for id, at := range exact {
				if _, err := db.ExecContext(ctx, `INSERT INTO photos (id, user_id, blob_key, format, width, height, size_bytes, created_at, sort_at)
					VALUES ($1, 'u', 'k', 'jpeg', 1, 1, 1, $2, $3)`, id, at.Add(time.Hour).UnixMilli(), at.UnixMilli()); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			s, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := map[string]int{"a": 202406, "b": 202405, "c": 202312}
			for id, m := range want {
				var got int64
				if err := s.r.QueryRowContext(ctx, "SELECT sort_at FROM photos WHERE id = $1", id).Scan(&got); err != nil || int(got) != m {
					t.Errorf("photo %s: sort_at %d, want %d (%v)", id, got, m, err)
				}
			}
			// Added the old way after the migration: the trigger's upload month.
			at := time.Date(2025, 2, 28, 16, 0, 0, 0, time.UTC) // 1 March in Beijing
			if err := s.CreatePhoto(ctx, Photo{ID: NewID(), UserID: "u", BlobKey: "k", Format: "jpeg", CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
			feed, err := s.Feed(ctx, "u", nil, 10)
			if err != nil || len(feed) != 4 {
				t.Fatalf("feed: %d %v", len(feed), err)
			}
			if feed[0].SortMonth != 202503 {
				t.Errorf("trigger's month %d, want 202503", feed[0].SortMonth)
			}
			for i, id := range []string{"a", "b", "c"} {
				if feed[i+1].ID != id {
					t.Errorf("feed position %d: %s, want %s", i+1, feed[i+1].ID, id)
				}
			}
		})
	}
}
