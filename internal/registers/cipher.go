package registers

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Cipher seals the protected fields (ID numbers, diagnoses, case notes)
// with AES-256-GCM. The key lives outside the database (a key file or an
// environment variable, read in cmd/gridd). The associated data binds a
// ciphertext to its row and field, so a value copied into another row or
// column does not open.
//
// Layout: version byte 1 || 12-byte random nonce || ciphertext+tag.
type Cipher struct {
	aead     cipher.AEAD
	indexKey []byte // for Index, derived from the key
}

// NewCipher returns a cipher for a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("data key: want 32 bytes (AES-256), got %d", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("gridd blind index v1"))
	return &Cipher{aead: g, indexKey: m.Sum(nil)}, nil
}

const sealVersion = 1

// AD returns the associated data of field of row id in table.
func AD(table string, id int64, field string) []byte {
	return fmt.Appendf(nil, "gridd:%s:%d:%s", table, id, field)
}

// Seal encrypts plain; an empty plain seals to nil (nothing stored).
func (c *Cipher) Seal(plain string, ad []byte) []byte {
	if plain == "" {
		return nil
	}
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail
	}
	out := append([]byte{sealVersion}, nonce...)
	return c.aead.Seal(out, nonce, []byte(plain), ad)
}

// ErrOpen is returned for a ciphertext that does not open with this key
// and associated data.
var ErrOpen = errors.New("protected field does not decrypt (wrong key, or moved between rows)")

// Open decrypts b; nil opens to "".
func (c *Cipher) Open(b, ad []byte) (string, error) {
	if b == nil {
		return "", nil
	}
	ns := c.aead.NonceSize()
	if len(b) < 1+ns+c.aead.Overhead() || b[0] != sealVersion {
		return "", ErrOpen
	}
	p, err := c.aead.Open(nil, b[1:1+ns], b[1+ns:], ad)
	if err != nil {
		return "", ErrOpen
	}
	return string(p), nil
}

// Index is the blind index of a field's value: HMAC-SHA256 under a key
// derived from the data key. Equal values give equal indexes, so sealed
// fields can be filtered by exact value; the index does not reveal it.
func (c *Cipher) Index(field, value string) []byte {
	m := hmac.New(sha256.New, c.indexKey)
	m.Write([]byte(field + "\x00" + value))
	return m.Sum(nil)
}
