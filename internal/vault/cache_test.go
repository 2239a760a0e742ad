package vault_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// countingKeys counts the reads of wrapped keys: a read is a cache miss. When gate is
// set, LoadKey waits on it after reading, to let a test run something in between.
type countingKeys struct {
	*vault.MemoryKeys
	loads  atomic.Int64
	mu     sync.Mutex
	gate   chan struct{}
	loaded chan struct{}
}

func (c *countingKeys) LoadKey(ctx context.Context, user string) ([]byte, error) {
	c.loads.Add(1)
	b, err := c.MemoryKeys.LoadKey(ctx, user)
	c.mu.Lock()
	gate, loaded := c.gate, c.loaded
	c.mu.Unlock()
	if gate != nil {
		loaded <- struct{}{}
		<-gate
	}
	return b, err
}

func cachedVault(t testing.TB, size int) (*vault.Vault, *countingKeys) {
	t.Helper()
	keys := &countingKeys{MemoryKeys: vault.NewMemoryKeys()}
	v, err := vault.NewWithConfig(vault.Config{CacheKeys: size}, []vault.Key{master(t)}, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v, keys
}

// The key cache holds at most its size, dropping the least recently used key first.
func TestKeyCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	v, keys := cachedVault(t, 2)
	cts := map[string][]byte{}
	for _, u := range []string{"u1", "u2", "u3"} {
		ct, err := v.Seal(ctx, u, []byte("data of "+u), "f")
		if err != nil {
			t.Fatal(err)
		}
		cts[u] = ct
	}
	if n := v.CachedKeys(); n != 2 {
		t.Fatalf("%d keys cached, want 2", n)
	}
	open := func(u string) (missed bool) {
		t.Helper()
		before := keys.loads.Load()
		if got, err := v.Open(ctx, u, cts[u], "f"); err != nil || string(got) != "data of "+u {
			t.Fatalf("Open(%s) = %q, %v", u, got, err)
		}
		return keys.loads.Load() > before
	}
	if open("u2") || open("u3") {
		t.Fatal("the two latest keys were not cached")
	}
	if !open("u1") { // evicted by u3; now back, evicting u2 (u3 was used after it)
		t.Fatal("u1 still cached in a cache of 2 after u2 and u3")
	}
	if open("u3") {
		t.Fatal("u3, used last but one, was evicted")
	}
	if !open("u2") {
		t.Fatal("u2, the least recently used, was not evicted")
	}
	if n := v.CachedKeys(); n != 2 {
		t.Fatalf("%d keys cached, want 2", n)
	}
	if _, err := vault.NewWithConfig(vault.Config{}, []vault.Key{master(t)}, vault.NewMemoryKeys()); err == nil {
		t.Fatal("a cache of 0 keys accepted")
	}
}

// Shredding takes the key out of the cache: nothing sealed for the user opens from
// then on, in this process either.
func TestPromiseS1ShredEmptiesKeyCache(t *testing.T) {
	ctx := context.Background()
	v, keys := cachedVault(t, 10)
	ct, _ := v.Seal(ctx, "u1", []byte("photo"), "photo:1")
	v.Seal(ctx, "u2", []byte("photo"), "photo:2")
	if v.CachedKeys() != 2 {
		t.Fatalf("%d cached", v.CachedKeys())
	}
	if err := v.Shred(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if v.CachedKeys() != 1 {
		t.Fatalf("%d keys cached after shredding one of 2", v.CachedKeys())
	}
	before := keys.loads.Load()
	if _, err := v.Open(ctx, "u1", ct, "photo:1"); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("after shredding: %v, want ErrNoKey", err)
	}
	if keys.loads.Load() == before {
		t.Fatal("the shredded key was answered from the cache")
	}
}

// A read that loaded the key before a Shred and finishes after it does not put the
// shredded key back into the cache.
func TestShredRacingARead(t *testing.T) {
	ctx := context.Background()
	m := master(t)
	keys := &countingKeys{MemoryKeys: vault.NewMemoryKeys()}
	v, err := vault.NewWithConfig(vault.Config{CacheKeys: 10}, []vault.Key{m}, keys)
	if err != nil {
		t.Fatal(err)
	}
	// Another process made the key and sealed with it: v's cache is cold.
	ct, err := newVault(t, keys.MemoryKeys, m).Seal(ctx, "u1", []byte("photo"), "photo:1")
	if err != nil {
		t.Fatal(err)
	}
	keys.mu.Lock()
	keys.gate, keys.loaded = make(chan struct{}), make(chan struct{})
	keys.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := v.Open(ctx, "u1", ct, "photo:1")
		done <- err
	}()
	<-keys.loaded // the read holds the wrapped key
	if err := v.Shred(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	keys.mu.Lock()
	close(keys.gate)
	keys.gate = nil
	keys.mu.Unlock()
	<-done // it began before the shredding: it may open
	if n := v.CachedKeys(); n != 0 {
		t.Fatalf("%d keys cached: the racing read cached the shredded key", n)
	}
	if _, err := v.Open(ctx, "u1", ct, "photo:1"); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("after shredding: %v, want ErrNoKey", err)
	}
}

// BenchmarkSealOpen seals and opens 1 KB with the user's key in the cache (hit) and
// with a cache of one key shared by two users taking turns (every call a miss: the
// wrapped key read from the key store, in memory or the service's SQLite database,
// and unwrapped with the master key).
func BenchmarkSealOpen(b *testing.B) {
	ctx := context.Background()
	plain := make([]byte, 1024)
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(b.TempDir(), "keys.db")
	st, err := store.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for _, bc := range []struct {
		name  string
		users []string
		keys  vault.KeyStore
	}{
		{"hit", []string{"u1"}, vault.NewMemoryKeys()},
		{"miss", []string{"u1", "u2"}, vault.NewMemoryKeys()},
		{"miss-sqlite", []string{"u1", "u2"}, st.SupportKeys()}, // data_keys has the same shape, and a users foreign key
	} {
		v, err := vault.NewWithConfig(vault.Config{CacheKeys: 1}, []vault.Key{master(b)}, bc.keys)
		if err != nil {
			b.Fatal(err)
		}
		cts := map[string][]byte{}
		for _, u := range bc.users {
			cts[u], _ = v.Seal(ctx, u, plain, "f")
		}
		b.Run("Seal/"+bc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := v.Seal(ctx, bc.users[i%len(bc.users)], plain, "f"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Open/"+bc.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				u := bc.users[i%len(bc.users)]
				if _, err := v.Open(ctx, u, cts[u], "f"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The cache stays within its size under many users at once.
func TestKeyCacheBoundedUnderLoad(t *testing.T) {
	ctx := context.Background()
	v, _ := cachedVault(t, 16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				u := fmt.Sprintf("u%d", (g*50+i)%100)
				if _, err := v.Seal(ctx, u, []byte("x"), "f"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := v.CachedKeys(); n > 16 {
		t.Fatalf("%d keys cached, more than 16", n)
	}
}
