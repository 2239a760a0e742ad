package alipay

import (
	"crypto/rsa"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/idphoto/idphoto/internal/alipayopen"
)

// SignContent, VerifyContent, Sign and Verify are the open platform's RSA2 rules,
// kept in internal/alipayopen, which the login shares.
func SignContent(params url.Values) string { return alipayopen.SignContent(params) }

// VerifyContent is the text an async notification's sign covers (alipayopen.VerifyContent).
func VerifyContent(params url.Values) string { return alipayopen.VerifyContent(params) }

// Sign is SHA256withRSA (RSA2), base64.
func Sign(k *rsa.PrivateKey, msg []byte) (string, error) { return alipayopen.Sign(k, msg) }

// Verify checks an RSA2 signature.
func Verify(k *rsa.PublicKey, msg []byte, sig string) error { return alipayopen.Verify(k, msg, sig) }

var yuanRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$`)

// ParseYuan reads an Alipay amount ("12.34") as fen, exactly: no floating point.
func ParseYuan(s string) (int64, error) {
	if !yuanRE.MatchString(s) {
		return 0, fmt.Errorf("amount %q is not yuan with up to two decimals", truncate(s, 24))
	}
	whole, frac, _ := strings.Cut(s, ".")
	y, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
		if len(frac) == 1 {
			f *= 10
		}
	}
	return y*100 + f, nil
}

// FormatYuan writes fen as Alipay's amount: 1234 → "12.34".
func FormatYuan(fen int64) string {
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string { return alipayopen.Truncate(s, n) }
