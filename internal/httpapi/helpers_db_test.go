package httpapi_test

import (
	"context"
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"
)

// users lists the user ids in the database (read after the store is closed).
func (e *env) users(t *testing.T) []string {
	db, err := sql.Open("sqlite", e.dir+"/idphoto.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM users")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// openBlob opens a sealed blob as blob.Sealed does.
func (e *env) openBlob(user, key string, ct []byte) ([]byte, error) {
	return e.vault.Open(context.Background(), user, ct, "blob:"+key)
}
