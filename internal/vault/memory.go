package vault

import (
	"bytes"
	"context"
	"sort"
	"sync"
)

// MemoryKeys is a KeyStore in memory, for tests and tools.
type MemoryKeys struct {
	mu   sync.Mutex
	keys map[string]memoryKey
}

type memoryKey struct {
	master  string
	wrapped []byte
}

// NewMemoryKeys returns an empty key store.
func NewMemoryKeys() *MemoryKeys { return &MemoryKeys{keys: map[string]memoryKey{}} }

// LoadKey implements KeyStore.
func (m *MemoryKeys) LoadKey(_ context.Context, user string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[user]
	if !ok {
		return nil, ErrNoKey
	}
	return bytes.Clone(k.wrapped), nil
}

// CreateKey implements KeyStore.
func (m *MemoryKeys) CreateKey(_ context.Context, user, master string, wrapped []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[user]; ok {
		return ErrKeyExists
	}
	m.keys[user] = memoryKey{master, bytes.Clone(wrapped)}
	return nil
}

// ReplaceKey implements KeyStore.
func (m *MemoryKeys) ReplaceKey(_ context.Context, user string, old, wrapped []byte, master string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[user]; ok && bytes.Equal(k.wrapped, old) {
		m.keys[user] = memoryKey{master, bytes.Clone(wrapped)}
	}
	return nil
}

// DeleteKey implements KeyStore.
func (m *MemoryKeys) DeleteKey(_ context.Context, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[user]; ok {
		clear(k.wrapped)
	}
	delete(m.keys, user)
	return nil
}

// KeysNotWrappedBy implements KeyStore.
func (m *MemoryKeys) KeysNotWrappedBy(_ context.Context, master string, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var users []string
	for u, k := range m.keys {
		if k.master != master {
			users = append(users, u)
		}
	}
	sort.Strings(users)
	if len(users) > limit {
		users = users[:limit]
	}
	return users, nil
}
