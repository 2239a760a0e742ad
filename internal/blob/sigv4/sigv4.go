// Package sigv4 signs and verifies HTTP requests with AWS Signature Version 4, the
// authentication of S3 and of the object stores that speak its protocol. Sign is used
// by blob.S3; Verify by the fake server the tests run it against, so both sides share
// one canonicalisation, which AWS's published example signatures pin down.
//
// Only the Authorization-header form with a signed payload hash is supported: no
// presigned URLs, no chunked (streaming) uploads, no UNSIGNED-PAYLOAD.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm of Signature Version 4 this package knows.
const Algorithm = "AWS4-HMAC-SHA256"

// TimeFormat is the layout of X-Amz-Date.
const TimeFormat = "20060102T150405Z"

// EmptySHA256 is the hex SHA-256 of no bytes: the payload hash of a request without
// a body.
const EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Credentials are an access key id, its secret and, for temporary credentials, the
// session token that goes with them.
type Credentials struct {
	AccessKey    string
	SecretKey    string
	SessionToken string
}

// String never shows the secret or the token.
func (c Credentials) String() string { return "sigv4.Credentials{" + c.AccessKey + " ****}" }

// GoString is String: %#v shows no secret either.
func (c Credentials) GoString() string { return c.String() }

// Signer signs requests for one service in one region.
type Signer struct {
	Credentials
	Region  string // "us-east-1"
	Service string // "s3"
}

// Signed is what signing a request computed; the intermediate strings are for tests
// and for explaining a mismatch, never for logs (they hold header values).
type Signed struct {
	CanonicalRequest string
	StringToSign     string
	Signature        string // hex
	SignedHeaders    string // "host;x-amz-content-sha256;x-amz-date"
	Authorization    string // the header's value
}

// HashHex is the hex SHA-256 of b, as X-Amz-Content-Sha256 carries it.
func HashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Sign sets X-Amz-Date (from t), X-Amz-Security-Token (with temporary credentials),
// X-Amz-Content-Sha256 (for S3, which requires it) and Authorization on req.
// payloadHash is the hex SHA-256 of the body the request will send (EmptySHA256 for
// none). Signed are the Host, Date, Range, Content-Type, Content-MD5 and every X-Amz-*
// header present.
func (s Signer) Sign(req *http.Request, payloadHash string, t time.Time) Signed {
	t = t.UTC()
	req.Header.Set("X-Amz-Date", t.Format(TimeFormat))
	if s.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", s.SessionToken)
	}
	if s.Service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	var names []string
	for name := range req.Header {
		if n := strings.ToLower(name); signable(n) {
			names = append(names, n)
		}
	}
	names = append(names, "host")
	sort.Strings(names)
	sg := s.compute(req, names, payloadHash, t)
	req.Header.Set("Authorization", sg.Authorization)
	return sg
}

// signable says whether Sign signs a header: the ones that change what the request
// does. Others (User-Agent, Accept-Encoding, Content-Length) may be changed by proxies
// and the transport, and are left out as AWS's own clients leave them out.
func signable(name string) bool {
	switch name {
	case "date", "range", "content-type", "content-md5":
		return true
	}
	return strings.HasPrefix(name, "x-amz-") && name != "x-amz-client-context"
}

// scope is the credential scope of a day: "20130524/us-east-1/s3/aws4_request".
func (s Signer) scope(t time.Time) string {
	return t.Format("20060102") + "/" + s.Region + "/" + s.Service + "/aws4_request"
}

// compute signs req over the named (lower-case, sorted) headers.
func (s Signer) compute(req *http.Request, names []string, payloadHash string, t time.Time) Signed {
	signed := strings.Join(names, ";")
	creq := strings.Join([]string{
		req.Method,
		CanonicalURI(req.URL),
		CanonicalQuery(req.URL),
		canonicalHeaders(req, names),
		signed,
		payloadHash,
	}, "\n")
	sts := strings.Join([]string{Algorithm, t.Format(TimeFormat), s.scope(t), HashHex([]byte(creq))}, "\n")
	sig := hex.EncodeToString(hmacSHA256(SigningKey(s.SecretKey, t, s.Region, s.Service), []byte(sts)))
	return Signed{
		CanonicalRequest: creq,
		StringToSign:     sts,
		Signature:        sig,
		SignedHeaders:    signed,
		Authorization:    Algorithm + " Credential=" + s.AccessKey + "/" + s.scope(t) + ", SignedHeaders=" + signed + ", Signature=" + sig,
	}
}

// SigningKey derives the day's key from the secret: HMAC chained over the date, the
// region, the service and "aws4_request".
func SigningKey(secret string, t time.Time, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(t.UTC().Format("20060102")))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// CanonicalURI is the path as S3 signs it: each segment of the decoded path encoded
// once with Encode, the slashes kept; "/" for an empty path. (Services other than S3
// encode twice; this package signs for S3 and for the test vectors that agree.)
func CanonicalURI(u *url.URL) string {
	p := u.Path
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = Encode(s)
	}
	return strings.Join(segs, "/")
}

// CanonicalQuery is the query with every name and value encoded with Encode, sorted
// by name and then value; a name without a value is written "name=".
func CanonicalQuery(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	var pairs [][2]string
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		pairs = append(pairs, [2]string{Encode(k), Encode(v)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p[0] + "=" + p[1]
	}
	return strings.Join(out, "&")
}

// Encode is the URI encoding of Signature Version 4: every byte but A-Z, a-z, 0-9,
// '-', '.', '_' and '~' becomes %XX with upper-case hex digits.
func Encode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonicalHeaders writes "name:value\n" for each named header, the values of a
// header repeated joined by commas, each trimmed and its runs of spaces made one.
func canonicalHeaders(req *http.Request, names []string) string {
	var b strings.Builder
	for _, n := range names {
		var vals []string
		if n == "host" {
			vals = []string{hostOf(req)}
		} else {
			vals = req.Header.Values(n)
		}
		for i, v := range vals {
			vals[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.Join(vals, ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// hostOf is the Host header the request sends (client side) or came with (server
// side).
func hostOf(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// Error is a failed verification, with the error code S3 answers for it.
type Error struct {
	Code string // AccessDenied, AuthorizationHeaderMalformed, InvalidAccessKeyId, ...
	Msg  string
}

func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Msg }

// The codes Verify returns, as S3 names them.
const (
	CodeAccessDenied          = "AccessDenied"
	CodeMalformed             = "AuthorizationHeaderMalformed"
	CodeInvalidAccessKey      = "InvalidAccessKeyId"
	CodeSignatureMismatch     = "SignatureDoesNotMatch"
	CodeTimeTooSkewed         = "RequestTimeTooSkewed"
	CodeInvalidToken          = "InvalidToken"
	CodeMissingSecurityHeader = "MissingSecurityHeader"
	CodeContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
)

// MaxSkew is how far a request's time may be from the server's, as S3 allows.
const MaxSkew = 15 * time.Minute

// Verifier checks signed requests the way S3 does.
type Verifier struct {
	Region  string
	Service string
	// Lookup returns the credentials of an access key id.
	Lookup func(accessKey string) (Credentials, bool)
	// Now is the server's clock; nil: time.Now.
	Now func() time.Time
}

// auth is a parsed Authorization header.
type auth struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/
// aws4_request, SignedHeaders=a;b, Signature=HEX". It never panics on any input.
func parseAuthorization(h string) (auth, error) {
	var a auth
	rest, ok := strings.CutPrefix(h, Algorithm+" ")
	if !ok {
		return a, errors.New("not " + Algorithm)
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return a, errors.New("bad or repeated field")
		}
		seen[k] = true
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" || f[0] == "" {
				return a, errors.New("bad Credential")
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
			if !sort.StringsAreSorted(a.signedHeaders) {
				return a, errors.New("SignedHeaders not sorted")
			}
			for i, n := range a.signedHeaders {
				if n == "" || n != strings.ToLower(n) || i > 0 && a.signedHeaders[i-1] == n {
					return a, errors.New("bad SignedHeaders")
				}
			}
		case "Signature":
			if len(v) != 64 {
				return a, errors.New("bad Signature")
			}
			if _, err := hex.DecodeString(v); err != nil {
				return a, errors.New("bad Signature")
			}
			a.signature = v
		default:
			return a, errors.New("unknown field")
		}
	}
	if a.accessKey == "" || a.signedHeaders == nil || a.signature == "" {
		return a, errors.New("missing field")
	}
	return a, nil
}

// Verify checks req's signature; bodyHash is the hex SHA-256 of the body as the server
// read it. It checks, as S3 does: the header's form, the access key, the credential
// scope, the request time against the clock, the session token, that Host and
// X-Amz-Date and every X-Amz-* header sent are signed, the signature itself and, for
// S3, that X-Amz-Content-Sha256 is the body's hash (so UNSIGNED-PAYLOAD and a body
// changed on the way both fail).
func (v Verifier) Verify(req *http.Request, bodyHash string) (Credentials, error) {
	h := req.Header.Get("Authorization")
	if h == "" {
		return Credentials{}, &Error{CodeAccessDenied, "Access Denied"}
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return Credentials{}, &Error{CodeMalformed, "The authorization header is malformed: " + err.Error()}
	}
	cred, ok := v.Lookup(a.accessKey)
	if !ok {
		return Credentials{}, &Error{CodeInvalidAccessKey, "The AWS Access Key Id you provided does not exist in our records."}
	}
	t, err := time.Parse(TimeFormat, req.Header.Get("X-Amz-Date"))
	if err != nil {
		return Credentials{}, &Error{CodeAccessDenied, "AWS authentication requires a valid Date or x-amz-date header"}
	}
	if a.date != t.Format("20060102") || a.region != v.Region || a.service != v.Service {
		return Credentials{}, &Error{CodeMalformed, fmt.Sprintf("The authorization header is malformed; the Credential scope is wrong: expecting %s/%s/%s", t.Format("20060102"), v.Region, v.Service)}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Sub(t); d > MaxSkew || d < -MaxSkew {
		return Credentials{}, &Error{CodeTimeTooSkewed, "The difference between the request time and the current time is too large."}
	}
	signed := map[string]bool{}
	for _, n := range a.signedHeaders {
		signed[n] = true
	}
	if !signed["host"] || !signed["x-amz-date"] {
		return Credentials{}, &Error{CodeAccessDenied, "Host and x-amz-date must be signed"}
	}
	for name := range req.Header {
		if n := strings.ToLower(name); strings.HasPrefix(n, "x-amz-") && !signed[n] {
			return Credentials{}, &Error{CodeAccessDenied, "There were headers present in the request which were not signed: " + n}
		}
	}
	payloadHash := bodyHash
	if v.Service == "s3" {
		payloadHash = req.Header.Get("X-Amz-Content-Sha256")
		if payloadHash == "" || !signed["x-amz-content-sha256"] {
			return Credentials{}, &Error{CodeMalformed, "Missing required header for this request: x-amz-content-sha256"}
		}
	}
	tok := req.Header.Get("X-Amz-Security-Token")
	switch {
	case cred.SessionToken != "" && tok == "":
		return Credentials{}, &Error{CodeMissingSecurityHeader, "Your request was missing a required header: x-amz-security-token"}
	case subtleDiffer(cred.SessionToken, tok):
		return Credentials{}, &Error{CodeInvalidToken, "The provided token is malformed or otherwise invalid."}
	}
	s := Signer{Credentials: cred, Region: v.Region, Service: v.Service}
	want := s.compute(req, a.signedHeaders, payloadHash, t)
	if !hmac.Equal([]byte(want.Signature), []byte(a.signature)) {
		return Credentials{}, &Error{CodeSignatureMismatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	if payloadHash != bodyHash {
		return Credentials{}, &Error{CodeContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return cred, nil
}

func subtleDiffer(a, b string) bool { return !hmac.Equal([]byte(a), []byte(b)) }
