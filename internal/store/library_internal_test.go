package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
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
