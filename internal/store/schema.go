package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Columns returns the live schema: every table's columns, in the order the table
// has them, as the database has them after all migrations (for the data map's
// check, the erasure tests, and the test that the dialects' schemas agree).
func (s *Store) Columns(ctx context.Context) (map[string][]string, error) {
	tables, err := s.d.tables(ctx, s.r)
	if err != nil {
		return nil, fmt.Errorf("store: tables: %w", err)
	}
	out := map[string][]string{}
	for _, t := range tables {
		cols, err := s.d.columns(ctx, s.r, t)
		if err != nil {
			return nil, fmt.Errorf("store: columns of %s: %w", t, err)
		}
		out[t] = cols
	}
	return out, nil
}

// firstColumn reads the first column of every row, as strings.
func firstColumn(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
