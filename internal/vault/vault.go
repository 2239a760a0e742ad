// Package vault is envelope encryption for everything personal the service keeps
// (promise S1): each user has a random data key, stored only wrapped by a master key;
// fields and blobs are sealed with the user's data key. Rotating the master key
// re-wraps data keys without touching the data, and destroying a user's data key
// (Shred) makes every ciphertext of that user unreadable for good (crypto-shredding).
//
// A ciphertext is: version (1 byte) | key id length (1 byte) | key id | nonce (12
// bytes) | AES-256-GCM sealed bytes with their 16-byte tag. The header is
// authenticated together with a caller-chosen context (the "aad"), so a ciphertext
// moved to another user or another field does not open.
package vault

import (
	"container/list"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Version is the format of the ciphertexts this package writes.
const Version = 1

const (
	keySize   = 32
	nonceSize = 12
	tagSize   = 16
	// MaxKeyID bounds the key id in a header.
	MaxKeyID = 32
)

var (
	// ErrNoKey means the user has no data key: never made, or shredded.
	ErrNoKey = errors.New("vault: no data key")
	// ErrUnknownMaster means a wrapped key names a master key that is not loaded.
	ErrUnknownMaster = errors.New("vault: wrapped by an unknown master key")
	// ErrWrongKey means a ciphertext names another key than the one given.
	ErrWrongKey = errors.New("vault: ciphertext is sealed with another key")
	// ErrMalformed means the bytes are not a ciphertext of a known version.
	ErrMalformed = errors.New("vault: malformed ciphertext")
	// ErrAuth means the ciphertext, its header or its context was altered.
	ErrAuth = errors.New("vault: ciphertext failed authentication")
)

// Key is a 32-byte AES-256 key with its id. The id is derived from the key, so the
// same key always has the same id and a header can say which key it needs.
type Key struct {
	ID   string
	aead cipher.AEAD
}

func newKey(raw []byte, label string) (Key, error) {
	if len(raw) != keySize {
		return Key{}, fmt.Errorf("vault: a key is %d bytes, got %d", keySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, err
	}
	sum := sha256.Sum256(append([]byte(label), raw...))
	return Key{ID: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// ParseMasterKey reads a 32-byte master key written in hex or base64 (standard or
// URL alphabet, padded or not).
func ParseMasterKey(s string) (Key, error) {
	raw, err := decodeKey(strings.TrimSpace(s))
	if err != nil {
		return Key{}, err
	}
	return newKey(raw, "idphoto master key id\x00")
}

func decodeKey(s string) ([]byte, error) {
	if len(s) == 2*keySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == keySize {
			return b, nil
		}
	}
	return nil, errors.New("vault: a master key is 32 bytes written as 64 hex digits or base64 (make one with 'idphoto keygen')")
}

// NewMasterKeyText returns a new random master key written in hex, as key files hold it.
func NewMasterKeyText() string {
	return hex.EncodeToString(randomBytes(keySize))
}

// ParseKeyring reads master keys, one per line or separated by commas; blank lines
// and lines starting with # are skipped. The first key is the current one (it wraps
// new data keys); the others stay readable until a rotation has re-wrapped every data
// key they wrapped.
func ParseKeyring(text string) ([]Key, error) {
	var keys []Key
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' }) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := ParseMasterKey(line)
		if err != nil {
			return nil, fmt.Errorf("master key %d: %w", len(keys)+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("vault: no master key given")
	}
	return keys, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("vault: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return b
}

// header is the parsed front of a ciphertext.
type header struct {
	version byte
	keyID   string
	nonce   []byte
	body    []byte // sealed bytes and tag
	raw     []byte // the header's bytes, authenticated as part of the aad
}

// parse splits a ciphertext into its header and body. It never panics on any input.
func parse(ct []byte) (header, error) {
	if len(ct) < 2 {
		return header{}, ErrMalformed
	}
	if ct[0] != Version {
		return header{}, fmt.Errorf("%w: version %d", ErrMalformed, ct[0])
	}
	n := int(ct[1])
	if n == 0 || n > MaxKeyID || len(ct) < 2+n+nonceSize+tagSize {
		return header{}, ErrMalformed
	}
	id := ct[2 : 2+n]
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return header{}, ErrMalformed
		}
	}
	end := 2 + n + nonceSize
	return header{version: ct[0], keyID: string(id), nonce: ct[2+n : end], body: ct[end:], raw: ct[:end]}, nil
}

// KeyIDOf says which key sealed ct.
func KeyIDOf(ct []byte) (string, error) {
	h, err := parse(ct)
	return h.keyID, err
}

// Overhead is how many bytes Seal adds for a key id of n bytes.
func Overhead(n int) int { return 2 + n + nonceSize + tagSize }

func aadOf(hdr []byte, context string) []byte {
	a := make([]byte, 0, len(hdr)+len(context)+1)
	a = append(a, hdr...)
	a = append(a, 0)
	return append(a, context...)
}

// Seal encrypts plain with k; context binds the ciphertext to its place (for example
// "photo:ID" or "session.device:ID") and must be given again to Open.
func (k Key) Seal(plain []byte, context string) []byte {
	if k.aead == nil {
		panic("vault: Seal with a zero Key")
	}
	hdr := make([]byte, 0, Overhead(len(k.ID))+len(plain))
	hdr = append(hdr, Version, byte(len(k.ID)))
	hdr = append(hdr, k.ID...)
	hdr = append(hdr, randomBytes(nonceSize)...)
	nonce := hdr[len(hdr)-nonceSize:]
	return k.aead.Seal(hdr, nonce, plain, aadOf(hdr, context))
}

// Open decrypts a ciphertext of Seal made with the same key and context.
func (k Key) Open(ct []byte, context string) ([]byte, error) {
	h, err := parse(ct)
	if err != nil {
		return nil, err
	}
	if h.keyID != k.ID {
		return nil, ErrWrongKey
	}
	plain, err := k.aead.Open(nil, h.nonce, h.body, aadOf(h.raw, context))
	if err != nil {
		return nil, ErrAuth
	}
	return plain, nil
}

// KeyStore keeps wrapped data keys. The service's store implements it on its
// database; MemoryKeys is for tests.
type KeyStore interface {
	// LoadKey returns the user's wrapped key, or ErrNoKey.
	LoadKey(ctx context.Context, user string) ([]byte, error)
	// CreateKey stores a wrapped key for a user who has none; when another call won
	// the race it returns ErrKeyExists.
	CreateKey(ctx context.Context, user, masterID string, wrapped []byte) error
	// ReplaceKey swaps the wrapped key of a user for one wrapped by another master,
	// only if the stored one is still old (compare and swap).
	ReplaceKey(ctx context.Context, user string, old, wrapped []byte, masterID string) error
	// DeleteKey destroys the user's wrapped key, and with it every copy the storage
	// keeps that it can reach (secure delete).
	DeleteKey(ctx context.Context, user string) error
	// KeysNotWrappedBy lists up to limit users whose key is wrapped by another master.
	KeysNotWrappedBy(ctx context.Context, masterID string, limit int) ([]string, error)
}

// ErrKeyExists is returned by KeyStore.CreateKey when the user has a key already.
var ErrKeyExists = errors.New("vault: data key exists")

// Vault wraps and unwraps users' data keys with the master keys.
type Vault struct {
	current Key
	masters map[string]Key
	keys    KeyStore

	mu    sync.Mutex
	cache keyCache // unwrapped data keys of the users seen last: unwrapping costs a read
	// shreds counts Shred calls: a key read from the store before a Shred finished
	// is not cached after it.
	shreds uint64
}

// Config tunes a vault.
type Config struct {
	// CacheKeys is how many unwrapped data keys are kept in memory, the least
	// recently used dropped first. Each costs about 1 KB.
	CacheKeys int
}

// DefaultConfig keeps the keys of 10,000 users: about 10 MB.
func DefaultConfig() Config { return Config{CacheKeys: 10_000} }

// Validate reports a config that can't work.
func (c Config) Validate() error {
	if c.CacheKeys < 1 {
		return fmt.Errorf("vault: key cache of %d keys: at least 1", c.CacheKeys)
	}
	return nil
}

// New makes a vault from master keys (the first is current) and a key store, with
// DefaultConfig.
func New(masters []Key, keys KeyStore) (*Vault, error) {
	return NewWithConfig(DefaultConfig(), masters, keys)
}

// NewWithConfig is New with a config.
func NewWithConfig(cfg Config, masters []Key, keys KeyStore) (*Vault, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(masters) == 0 {
		return nil, errors.New("vault: no master key given")
	}
	if keys == nil {
		return nil, errors.New("vault: no key store")
	}
	v := &Vault{current: masters[0], masters: map[string]Key{}, keys: keys, cache: newKeyCache(cfg.CacheKeys)}
	for _, m := range masters {
		if m.aead == nil {
			return nil, errors.New("vault: zero master key")
		}
		v.masters[m.ID] = m
	}
	return v, nil
}

// CurrentMasterID is the id of the master key that wraps new data keys.
func (v *Vault) CurrentMasterID() string { return v.current.ID }

func wrapContext(user string) string { return "idphoto/data-key/" + user }

// dataKeyFromRaw makes a data key with its own id namespace.
func dataKeyFromRaw(raw []byte) (Key, error) { return newKey(raw, "idphoto data key id\x00") }

// UserKey returns the user's data key, making one on first use.
func (v *Vault) UserKey(ctx context.Context, user string) (Key, error) {
	k, err := v.ExistingKey(ctx, user)
	if !errors.Is(err, ErrNoKey) {
		return k, err
	}
	raw := randomBytes(keySize)
	wrapped := v.current.Seal(raw, wrapContext(user))
	clear(raw) // the key is read back, unwrapped, like any other
	switch err := v.keys.CreateKey(ctx, user, v.current.ID, wrapped); {
	case errors.Is(err, ErrKeyExists):
		return v.ExistingKey(ctx, user)
	case err != nil:
		return Key{}, fmt.Errorf("vault: store data key: %w", err)
	}
	return v.ExistingKey(ctx, user)
}

// ExistingKey returns the user's data key, or ErrNoKey when there is none: reading
// never makes a key, so a shredded user's data stays unreadable.
func (v *Vault) ExistingKey(ctx context.Context, user string) (Key, error) {
	v.mu.Lock()
	k, ok := v.cache.get(user)
	shreds := v.shreds
	v.mu.Unlock()
	if ok {
		return k, nil
	}
	wrapped, err := v.keys.LoadKey(ctx, user)
	if err != nil {
		return Key{}, err
	}
	k, raw, err := v.unwrapRaw(user, wrapped)
	clear(raw) // the cipher holds its own expanded copy; this one is not kept
	if err != nil {
		return Key{}, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.shreds == shreds { // else a Shred ran meanwhile: this may be the shredded key
		v.cache.put(user, k)
	}
	return k, nil
}

// CachedKeys is how many unwrapped data keys the vault holds in memory.
func (v *Vault) CachedKeys() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cache.len()
}

// Seal encrypts a field or blob of the user with their data key.
func (v *Vault) Seal(ctx context.Context, user string, plain []byte, context string) ([]byte, error) {
	k, err := v.UserKey(ctx, user)
	if err != nil {
		return nil, err
	}
	return k.Seal(plain, context), nil
}

// Open decrypts what Seal made for the user.
func (v *Vault) Open(ctx context.Context, user string, ct []byte, context string) ([]byte, error) {
	k, err := v.ExistingKey(ctx, user)
	if err != nil {
		return nil, err
	}
	return k.Open(ct, context)
}

// Shred destroys the user's data key: everything sealed for them is unreadable from
// then on, in the database, the blob store and every backup.
//
// The key leaves the cache before and after it leaves the store, and a read that
// raced with the shredding does not put it back.
func (v *Vault) Shred(ctx context.Context, user string) error {
	forget := func() {
		v.mu.Lock()
		v.shreds++
		v.cache.remove(user)
		v.mu.Unlock()
	}
	forget()
	err := v.keys.DeleteKey(ctx, user)
	forget()
	if err != nil {
		return fmt.Errorf("vault: shred: %w", err)
	}
	return nil
}

// Rotate re-wraps, with the current master key, every data key wrapped by an older
// one, in batches; the data itself is not re-encrypted. It returns how many keys it
// re-wrapped. Until it has finished the older master keys must stay loaded; after,
// they can be removed. Safe to run while the service runs and to run again.
func (v *Vault) Rotate(ctx context.Context) (int, error) {
	const batch = 100
	n := 0
	for {
		users, err := v.keys.KeysNotWrappedBy(ctx, v.current.ID, batch)
		if err != nil {
			return n, fmt.Errorf("vault: rotate: %w", err)
		}
		if len(users) == 0 {
			return n, nil
		}
		progress := 0
		for _, u := range users {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			wrapped, err := v.keys.LoadKey(ctx, u)
			if errors.Is(err, ErrNoKey) {
				continue // shredded meanwhile
			} else if err != nil {
				return n, fmt.Errorf("vault: rotate: %w", err)
			}
			_, raw, err := v.unwrapRaw(u, wrapped)
			if err != nil {
				return n, fmt.Errorf("vault: rotate key of a user: %w", err)
			}
			rewrapped := v.current.Seal(raw, wrapContext(u))
			clear(raw)
			if err := v.keys.ReplaceKey(ctx, u, wrapped, rewrapped, v.current.ID); err != nil {
				return n, fmt.Errorf("vault: rotate: %w", err)
			}
			n++
			progress++
		}
		if progress == 0 {
			return n, nil
		}
	}
}

func (v *Vault) unwrapRaw(user string, wrapped []byte) (Key, []byte, error) {
	id, err := KeyIDOf(wrapped)
	if err != nil {
		return Key{}, nil, err
	}
	m, ok := v.masters[id]
	if !ok {
		return Key{}, nil, fmt.Errorf("%w %s", ErrUnknownMaster, id)
	}
	raw, err := m.Open(wrapped, wrapContext(user))
	if err != nil {
		return Key{}, nil, err
	}
	k, err := dataKeyFromRaw(raw)
	return k, raw, err
}

// keyCache is a least-recently-used cache of unwrapped data keys. It holds each key
// only as its cipher: the raw bytes are zeroed as soon as the cipher is made, and an
// evicted or shredded entry's cipher is dropped. (Go's AES keeps its expanded key
// inside the cipher, with no way to wipe it; it goes with the garbage.)
type keyCache struct {
	max   int
	order list.List // *cacheEntry, most recently used first
	byID  map[string]*list.Element
}

type cacheEntry struct {
	user string
	key  Key
}

func newKeyCache(max int) keyCache { return keyCache{max: max, byID: map[string]*list.Element{}} }

func (c *keyCache) len() int { return c.order.Len() }

func (c *keyCache) get(user string) (Key, bool) {
	e, ok := c.byID[user]
	if !ok {
		return Key{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).key, true
}

func (c *keyCache) put(user string, k Key) {
	if e, ok := c.byID[user]; ok { // another reader cached it first
		c.order.MoveToFront(e)
		return
	}
	c.byID[user] = c.order.PushFront(&cacheEntry{user: user, key: k})
	for c.order.Len() > c.max {
		c.drop(c.order.Back())
	}
}

func (c *keyCache) remove(user string) {
	if e, ok := c.byID[user]; ok {
		c.drop(e)
	}
}

func (c *keyCache) drop(e *list.Element) {
	ent := e.Value.(*cacheEntry)
	ent.key = Key{}
	c.order.Remove(e)
	delete(c.byID, ent.user)
}
