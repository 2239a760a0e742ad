// Package alipayopen is the request layer of Alipay's open platform, shared by the
// payment channel (internal/payment/alipay) and the mini-program login
// (internal/login): RSA2 (SHA256withRSA) request signing, the gateway call, and the
// check that an answer's signature covers its exact bytes.
package alipayopen

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"sort"
	"strings"
)

// SignContent is the text RSA2 signs for a request: every parameter except sign, with a
// non-empty value, sorted by key, as k=v joined by &, values not escaped.
func SignContent(params url.Values) string {
	return content(params, func(k, v string) bool { return k != "sign" && v != "" })
}

// VerifyContent is the text an async notification's sign covers: every parameter except
// sign and sign_type, sorted, as k=v joined by & (the official SDK's rule, which keeps
// empty values).
func VerifyContent(params url.Values) string {
	return content(params, func(k, _ string) bool { return k != "sign" && k != "sign_type" })
}

func content(params url.Values, keep func(k, v string) bool) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if keep(k, params.Get(k)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params.Get(k))
	}
	return b.String()
}

// Sign is SHA256withRSA (RSA2), base64.
func Sign(k *rsa.PrivateKey, msg []byte) (string, error) {
	h := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks an RSA2 signature.
func Verify(k *rsa.PublicKey, msg []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errors.New("signature is not base64")
	}
	h := sha256.Sum256(msg)
	return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], raw)
}

// ParsePrivateKey reads the app's private key: PEM (PKCS#8 or PKCS#1), or the bare
// base64 that Alipay's key tool writes.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := pemOrBase64(s)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("not an RSA key")
	}
	return x509.ParsePKCS1PrivateKey(der)
}

// ParsePublicKey reads Alipay's public key: PEM or bare base64 of PKIX.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := pemOrBase64(s)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func pemOrBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		return b.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("neither PEM nor base64")
	}
	return der, nil
}

// Truncate cuts s to at most n bytes on a rune boundary (for channel text in errors).
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
