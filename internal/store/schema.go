package store

import (
	"context"
	"fmt"
)

// Columns returns the live schema: every table's columns, as the database has them
// after all migrations (for the data map's check and the erasure tests).
func (s *Store) Columns(ctx context.Context) (map[string][]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("store: tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: tables: %w", err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tables: %w", err)
	}
	out := map[string][]string{}
	for _, t := range tables {
		cols, err := s.r.QueryContext(ctx, "SELECT name FROM pragma_table_info($1)", t)
		if err != nil {
			return nil, fmt.Errorf("store: columns of %s: %w", t, err)
		}
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				cols.Close()
				return nil, fmt.Errorf("store: columns of %s: %w", t, err)
			}
			out[t] = append(out[t], c)
		}
		cols.Close()
		if err := cols.Err(); err != nil {
			return nil, fmt.Errorf("store: columns of %s: %w", t, err)
		}
	}
	return out, nil
}
