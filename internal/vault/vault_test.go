package vault_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/vault"
)

func master(t testing.TB) vault.Key {
	t.Helper()
	k, err := vault.ParseMasterKey(vault.NewMasterKeyText())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newVault(t testing.TB, keys vault.KeyStore, masters ...vault.Key) *vault.Vault {
	t.Helper()
	v, err := vault.New(masters, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseMasterKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	b64 := "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=" // the same 32 bytes
	a, err := vault.ParseMasterKey(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	b, err := vault.ParseMasterKey(" " + b64 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || len(a.ID) != 8 {
		t.Fatalf("ids %q and %q: one key, one id of 8 hex digits", a.ID, b.ID)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("ab", 31), strings.Repeat("zz", 32), "q6urq6ur"} {
		if _, err := vault.ParseMasterKey(bad); err == nil {
			t.Errorf("ParseMasterKey(%q) accepted", bad)
		}
	}
	ring, err := vault.ParseKeyring("# new\n" + vault.NewMasterKeyText() + "\n\n" + hexKey + "\n")
	if err != nil || len(ring) != 2 || ring[1].ID != a.ID {
		t.Fatalf("keyring: %v, %d keys", err, len(ring))
	}
	if _, err := vault.ParseKeyring("# nothing\n"); err == nil {
		t.Fatal("empty keyring accepted")
	}
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	v := newVault(t, vault.NewMemoryKeys(), master(t))
	ct, err := v.Seal(ctx, "u1", []byte("138 0013 8000"), "user.phone:u1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("138 0013 8000")) {
		t.Fatal("plaintext in the ciphertext")
	}
	got, err := v.Open(ctx, "u1", ct, "user.phone:u1")
	if err != nil || string(got) != "138 0013 8000" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := v.Seal(ctx, "u1", []byte("138 0013 8000"), "user.phone:u1")
	if bytes.Equal(ct, again) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	if _, err := v.Seal(ctx, "u2", nil, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(ctx, "u2", ct, "user.phone:u1"); !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("another user's key: %v, want ErrWrongKey", err)
	}
	if _, err := v.Open(ctx, "u3", ct, "user.phone:u1"); !errors.Is(err, vault.ErrNoKey) {
		t.Fatalf("a user without key: %v, want ErrNoKey", err)
	}
}

func TestTamperDetection(t *testing.T) {
	ctx := context.Background()
	v := newVault(t, vault.NewMemoryKeys(), master(t))
	ct, err := v.Seal(ctx, "u1", []byte("a photo's bytes"), "photo:p1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := v.Open(ctx, "u1", bad, "photo:p1"); err == nil {
			t.Fatalf("flipping a bit of byte %d went unnoticed", i)
		}
	}
	if _, err := v.Open(ctx, "u1", ct[:len(ct)-1], "photo:p1"); !errors.Is(err, vault.ErrAuth) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := v.Open(ctx, "u1", ct, "photo:p2"); !errors.Is(err, vault.ErrAuth) {
		t.Fatalf("moved to another photo: %v, want ErrAuth", err)
	}
	if _, err := v.Open(ctx, "u1", append([]byte{9}, ct[1:]...), "photo:p1"); !errors.Is(err, vault.ErrMalformed) {
		t.Fatalf("unknown version: %v, want ErrMalformed", err)
	}
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	keys := vault.NewMemoryKeys()
	old := master(t)
	v1 := newVault(t, keys, old)
	var cts [][]byte
	users := []string{"a", "b", "c"}
	for _, u := range users {
		ct, err := v1.Seal(ctx, u, []byte("secret of "+u), "f")
		if err != nil {
			t.Fatal(err)
		}
		cts = append(cts, ct)
	}
	// A restart with a new current key and the old one kept: everything reads.
	cur := master(t)
	v2 := newVault(t, keys, cur, old)
	for i, u := range users {
		if got, err := v2.Open(ctx, u, cts[i], "f"); err != nil || string(got) != "secret of "+u {
			t.Fatalf("before rotation %s: %q %v", u, got, err)
		}
	}
	// New users get keys wrapped by the new master.
	if _, err := v2.Seal(ctx, "d", []byte("x"), "f"); err != nil {
		t.Fatal(err)
	}
	n, err := v2.Rotate(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Rotate = %d, %v; want 3 re-wrapped", n, err)
	}
	if left, _ := keys.KeysNotWrappedBy(ctx, cur.ID, 10); len(left) != 0 {
		t.Fatalf("keys still wrapped by the old master: %v", left)
	}
	// The old master is gone: data sealed before the rotation still opens, unchanged.
	v3 := newVault(t, keys, cur)
	for i, u := range users {
		if got, err := v3.Open(ctx, u, cts[i], "f"); err != nil || string(got) != "secret of "+u {
			t.Fatalf("after rotation %s: %q %v", u, got, err)
		}
	}
	if n, err := v3.Rotate(ctx); n != 0 || err != nil {
		t.Fatalf("second rotation = %d, %v", n, err)
	}
	// Without the master that wrapped a key, it does not open.
	keys2 := vault.NewMemoryKeys()
	if _, err := newVault(t, keys2, old).Seal(ctx, "e", []byte("x"), "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := newVault(t, keys2, cur).ExistingKey(ctx, "e"); !errors.Is(err, vault.ErrUnknownMaster) {
		t.Fatalf("unknown master: %v", err)
	}
}

func TestShred(t *testing.T) {
	ctx := context.Background()
	keys := vault.NewMemoryKeys()
	m := master(t)
	v := newVault(t, keys, m)
	ct, _ := v.Seal(ctx, "u1", []byte("photo"), "photo:1")
	other, _ := v.Seal(ctx, "u2", []byte("photo"), "photo:2")
	if err := v.Shred(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	for _, vv := range []*vault.Vault{v, newVault(t, keys, m)} {
		if _, err := vv.Open(ctx, "u1", ct, "photo:1"); !errors.Is(err, vault.ErrNoKey) {
			t.Fatalf("after shredding: %v, want ErrNoKey", err)
		}
		if _, err := vv.Open(ctx, "u2", other, "photo:2"); err != nil {
			t.Fatalf("another user's data after shredding: %v", err)
		}
	}
	// A new key for the same user does not bring the old data back.
	if _, err := v.Seal(ctx, "u1", []byte("new"), "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(ctx, "u1", ct, "photo:1"); !errors.Is(err, vault.ErrWrongKey) {
		t.Fatalf("old data with a new key: %v, want ErrWrongKey", err)
	}
}

func FuzzOpen(f *testing.F) {
	k := master(f)
	f.Add(k.Seal([]byte("hello"), "c"))
	f.Add([]byte{1, 8, 'a', 'b'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, ct []byte) {
		id, err := vault.KeyIDOf(ct)
		if err == nil && (id == "" || len(id) > vault.MaxKeyID) {
			t.Fatalf("key id %q accepted", id)
		}
		// Only a ciphertext sealed by k opens: the seed, whose plaintext is known.
		if got, err := k.Open(ct, "c"); err == nil && string(got) != "hello" {
			t.Fatalf("forged ciphertext opened to %q", got)
		}
	})
}
