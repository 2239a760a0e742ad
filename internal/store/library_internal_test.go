package store

import (
	"context"
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
	for _, q := range []string{feedFirst, feedAfter} {
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+q, "u", 1, "x", 5)
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
			ps = append(ps, LibraryPhoto{Photo: Photo{ID: id, UserID: u, BlobKey: id, Format: "jpeg", CreatedAt: base}, SortAt: base.Add(time.Duration(i) * time.Minute)})
		}
		if err := s.CreateLibraryPhotos(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, "ANALYZE photos"); err != nil {
		t.Fatal(err)
	}
	for q, args := range map[string][]any{feedFirst: {"u", 25}, feedAfter: {"u", base.Add(time.Hour).UnixMilli(), "x", 25}} {
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
