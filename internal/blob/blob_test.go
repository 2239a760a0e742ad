package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// emptyDirs lists the folders under root (not root) that hold nothing.
func emptyDirs(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != root {
			if es, _ := os.ReadDir(p); len(es) == 0 {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// R3, R4: deleting a folder's last blob removes the folders it leaves empty, up to
// the root (which stays); a folder with another blob stays.
func TestPromiseR3LocalPrunesEmptyFolders(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	l, err := blob.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"jobs/j1/file", "jobs/j1/preview", "jobs/j2/file", "photos/p1"} {
		if err := l.Put(ctx, k, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	l.Delete(ctx, "jobs/j1/file")
	if _, err := os.Stat(filepath.Join(root, "jobs", "j1")); err != nil {
		t.Fatalf("a folder with a blob left was removed: %v", err)
	}
	for _, k := range []string{"jobs/j1/preview", "jobs/j2/file"} {
		l.Delete(ctx, k)
	}
	if _, err := os.Stat(filepath.Join(root, "jobs")); !os.IsNotExist(err) {
		t.Errorf("jobs/ stays after its last blob: %v", err)
	}
	l.Delete(ctx, "photos/p1")
	l.Delete(ctx, "photos/p1") // again: nothing to do, no error
	if es, err := os.ReadDir(root); err != nil || len(es) != 0 {
		t.Errorf("root after deleting everything: %v, %v; want it there and empty", es, err)
	}
	if err := l.Put(ctx, "jobs/j1/file", []byte("again")); err != nil {
		t.Fatalf("Put after its folder was pruned: %v", err)
	}
}

// Puts and Deletes racing in the same folders: every Put succeeds and keeps its
// blob, and once all is deleted no folder is left.
func TestLocalPruneConcurrent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	l, err := blob.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := fmt.Sprintf("jobs/j%d/f%d", i%3, g)
				if err := l.Put(ctx, k, []byte("x")); err != nil {
					errs <- err
					return
				}
				if b, err := l.Get(ctx, k); err != nil || string(b) != "x" {
					errs <- fmt.Errorf("get %s after put: %q, %v", k, b, err)
					return
				}
				if err := l.Delete(ctx, k); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if es, _ := os.ReadDir(root); len(es) != 0 {
		t.Errorf("left under the root: %v (empty: %v)", es, emptyDirs(t, root))
	}
}
