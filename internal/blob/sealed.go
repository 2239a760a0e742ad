package blob

import (
	"context"
	"fmt"

	"github.com/idphoto/idphoto/internal/vault"
)

// Sealed encrypts every blob with its owner's data key before it reaches the store.
// The key of the blob is bound into the ciphertext: bytes copied to another key, or
// another user's blob, do not open.
type Sealed struct {
	store Store
	vault *vault.Vault
}

// NewSealed wraps s.
func NewSealed(s Store, v *vault.Vault) *Sealed { return &Sealed{store: s, vault: v} }

func sealContext(key string) string { return "blob:" + key }

// Put seals data with the user's key and stores it.
func (s *Sealed) Put(ctx context.Context, user, key string, data []byte) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ct, err := s.vault.Seal(ctx, user, data, sealContext(key))
	if err != nil {
		return fmt.Errorf("blob: seal: %w", err)
	}
	return s.store.Put(ctx, key, ct)
}

// Get reads and opens the user's blob.
func (s *Sealed) Get(ctx context.Context, user, key string) ([]byte, error) {
	ct, err := s.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	plain, err := s.vault.Open(ctx, user, ct, sealContext(key))
	if err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	return plain, nil
}

// Delete removes the blob.
func (s *Sealed) Delete(ctx context.Context, key string) error { return s.store.Delete(ctx, key) }

// Exists reports whether the blob is there.
func (s *Sealed) Exists(ctx context.Context, key string) (bool, error) {
	return s.store.Exists(ctx, key)
}
