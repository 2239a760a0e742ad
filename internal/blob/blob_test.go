package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/vault"
)

// conformance is the suite every Store passes.
func conformance(t *testing.T, s blob.Store) {
	ctx := context.Background()
	t.Run("put get exists delete", func(t *testing.T) {
		if err := s.Put(ctx, "photos/a1", []byte("one")); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "photos/a1", []byte("two")); err != nil {
			t.Fatal(err)
		}
		if b, err := s.Get(ctx, "photos/a1"); err != nil || string(b) != "two" {
			t.Fatalf("Get = %q, %v", b, err)
		}
		if ok, err := s.Exists(ctx, "photos/a1"); !ok || err != nil {
			t.Fatalf("Exists = %v, %v", ok, err)
		}
		if err := s.Delete(ctx, "photos/a1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "photos/a1"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if ok, _ := s.Exists(ctx, "photos/a1"); ok {
			t.Fatal("exists after delete")
		}
		if err := s.Delete(ctx, "photos/a1"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
	})
	t.Run("empty blob", func(t *testing.T) {
		if err := s.Put(ctx, "e", nil); err != nil {
			t.Fatal(err)
		}
		if b, err := s.Get(ctx, "e"); err != nil || len(b) != 0 {
			t.Fatalf("Get = %q, %v", b, err)
		}
	})
	t.Run("bad keys", func(t *testing.T) {
		for _, k := range []string{"", "../x", "a/../../x", "/etc/passwd", "a//b", "a/", ".hidden", "A", `a\b`, "a b", "a/.", strings.Repeat("a", 300), "a\x00b"} {
			if err := s.Put(ctx, k, []byte("x")); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
			}
			if _, err := s.Get(ctx, k); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("Get(%q) = %v, want ErrBadKey", k, err)
			}
		}
	})
	t.Run("concurrent puts", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.Put(ctx, "c", bytes.Repeat([]byte{byte(i)}, 1<<16))
			}()
		}
		wg.Wait()
		b, err := s.Get(ctx, "c")
		if err != nil || len(b) != 1<<16 || !bytes.Equal(b, bytes.Repeat(b[:1], 1<<16)) {
			t.Fatalf("a blob mixed from several puts (%d bytes, %v)", len(b), err)
		}
	})
}

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	l, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, l)
	// Deleting removes the bytes from disk; no temporary file is left behind.
	ctx := context.Background()
	l.Put(ctx, "jobs/j1/file", []byte("finished photo"))
	l.Delete(ctx, "jobs/j1/file")
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if d != nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte("finished photo")) || strings.HasPrefix(d.Name(), ".tmp-") {
				t.Errorf("left on disk: %s", p)
			}
		}
		return nil
	})
}

func TestMemory(t *testing.T) { conformance(t, blob.NewMemory()) }

func TestSealed(t *testing.T) {
	ctx := context.Background()
	m, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	v, _ := vault.New([]vault.Key{m}, vault.NewMemoryKeys())
	inner := blob.NewMemory()
	s := blob.NewSealed(inner, v)
	if err := s.Put(ctx, "alice", "photos/p1", []byte("JPEG bytes of alice")); err != nil {
		t.Fatal(err)
	}
	raw, _ := inner.Get(ctx, "photos/p1")
	if bytes.Contains(raw, []byte("alice")) {
		t.Fatal("the stored blob holds the plaintext")
	}
	if b, err := s.Get(ctx, "alice", "photos/p1"); err != nil || string(b) != "JPEG bytes of alice" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if _, err := s.Get(ctx, "bob", "photos/p1"); err == nil {
		t.Fatal("bob opened alice's blob")
	}
	inner.Put(ctx, "photos/p2", raw) // copied under another key
	if _, err := s.Get(ctx, "alice", "photos/p2"); !errors.Is(err, vault.ErrAuth) {
		t.Fatalf("blob moved to another key: %v, want ErrAuth", err)
	}
	if err := v.Shred(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "alice", "photos/p1"); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("after shredding: %v", err)
	}
}
