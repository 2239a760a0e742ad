package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/idphoto/idphoto/internal/vault"
)

// serviceKeys is a vault.KeyStore for keys that belong to the service, not to a user
// (the ledger's, the support desk's): a table of its own (name, master_key_id,
// wrapped) that no user row refers to. table is one of the fixed names above, never
// input.
type serviceKeys struct {
	s          *Store
	table      string
	what       string // for errors: "ledger", "support"
	shreddable bool
}

func (k serviceKeys) LoadKey(ctx context.Context, name string) ([]byte, error) {
	var wrapped []byte
	err := k.s.r.QueryRowContext(ctx, "SELECT wrapped FROM "+k.table+" WHERE name = $1", name).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vault.ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("store: load %s key: %w", k.what, err)
	}
	return wrapped, nil
}

func (k serviceKeys) CreateKey(ctx context.Context, name, masterID string, wrapped []byte) error {
	res, err := k.s.w.ExecContext(ctx, "INSERT INTO "+k.table+` (name, master_key_id, wrapped) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, masterID, wrapped)
	if err != nil {
		return fmt.Errorf("store: create %s key: %w", k.what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vault.ErrKeyExists
	}
	return nil
}

// ReplaceKey is a compare-and-swap, like the users' keys'.
func (k serviceKeys) ReplaceKey(ctx context.Context, name string, old, wrapped []byte, masterID string) error {
	_, err := k.s.w.ExecContext(ctx, "UPDATE "+k.table+" SET wrapped = $1, master_key_id = $2 WHERE name = $3 AND wrapped = $4",
		wrapped, masterID, name, old)
	if err != nil {
		return fmt.Errorf("store: replace %s key: %w", k.what, err)
	}
	return nil
}

// DeleteKey shreds a shreddable key; the ledger's is refused.
func (k serviceKeys) DeleteKey(ctx context.Context, name string) error {
	if !k.shreddable {
		return fmt.Errorf("store: the %s key is never shredded", k.what)
	}
	if _, err := k.s.w.ExecContext(ctx, "DELETE FROM "+k.table+" WHERE name = $1", name); err != nil {
		return fmt.Errorf("store: delete %s key: %w", k.what, err)
	}
	return nil
}

func (k serviceKeys) KeysNotWrappedBy(ctx context.Context, masterID string, limit int) ([]string, error) {
	rows, err := k.s.r.QueryContext(ctx, "SELECT name FROM "+k.table+" WHERE master_key_id <> $1 ORDER BY name LIMIT $2", masterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: %s keys to rotate: %w", k.what, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: %s keys to rotate: %w", k.what, err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
