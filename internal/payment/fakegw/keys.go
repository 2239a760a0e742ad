// Package fakegw runs in-process fake WeChat Pay and Alipay gateways (httptest servers)
// that speak the channels' wire formats with freshly generated RSA keys: they check the
// merchant's request signatures, sign their answers, keep trades in memory, and send
// signed (for WeChat, encrypted) payment notifications to a callback URL. Tests and the
// development setup use them so the whole payment flow runs on one machine.
//
// They are fakes: nothing here ever talks to a real channel or moves money.
package fakegw

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// ErrClosed is what Pay returns for a trade closed at the gateway: the payer can no
// longer pay it.
var ErrClosed = errors.New("fakegw: trade closed")

var foreign struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

// foreignKey is one key shared by all fakes for forging signatures.
func foreignKey() (*rsa.PrivateKey, error) {
	foreign.once.Do(func() { foreign.key, foreign.err = newKey() })
	return foreign.key, foreign.err
}

func newKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("fakegw: generate key: %w", err)
	}
	return k, nil
}

// privatePEM encodes a key as PKCS#8 PEM, the form both channels hand to merchants.
func privatePEM(k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// publicPEM encodes a public key as PKIX PEM.
func publicPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// signSHA256 is SHA256withRSA (PKCS#1 v1.5), base64: what both channels use.
func signSHA256(k *rsa.PrivateKey, msg string) string {
	h := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func verifySHA256(k *rsa.PublicKey, msg, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("signature is not base64")
	}
	h := sha256.Sum256([]byte(msg))
	return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], raw)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// send posts a notification to a callback and returns the answer's status and body.
func send(req *http.Request) (int, []byte, error) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, body, err
}
