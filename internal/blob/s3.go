package blob

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/blob/sigv4"
)

// S3Config says where an S3-compatible bucket is and how to sign for it.
type S3Config struct {
	// Endpoint is the store's host and port ("minio.internal:9000"), or a URL with
	// its scheme ("http://127.0.0.1:9000"); without a scheme, HTTPS is used.
	Endpoint string
	Bucket   string
	Region   string // "us-east-1" when empty
	// PathStyle puts the bucket in the path (endpoint/bucket/key), as self-hosted
	// stores expect; otherwise it is in the host name (bucket.endpoint/key).
	PathStyle   bool
	Credentials sigv4.Credentials
	// Timeout bounds one request, retries included.
	Timeout time.Duration
	// Attempts is how many times a request is tried when the store answers 500 or 503
	// or the connection fails (all four operations are idempotent).
	Attempts int
	// MaxObject bounds what Get reads: a blob larger than this is an error, not a
	// process out of memory.
	MaxObject int64
	// Client sends the requests; nil: one with connect, TLS and header timeouts.
	Client *http.Client
}

// DefaultS3Config has the limits; the caller fills in where and who.
func DefaultS3Config() S3Config {
	return S3Config{Region: "us-east-1", Timeout: 2 * time.Minute, Attempts: 3, MaxObject: 256 << 20}
}

// Validate reports a config that can't work. The messages name the setting, never a
// secret.
func (c S3Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return errors.New("blob: s3: no endpoint (host:port of the object store)")
	case c.Credentials.AccessKey == "" || c.Credentials.SecretKey == "":
		return errors.New("blob: s3: no access key or secret key")
	case c.Timeout <= 0 || c.Attempts < 1 || c.MaxObject <= 0:
		return errors.New("blob: s3: timeout, attempts and largest object must be positive")
	}
	if err := validBucket(c.Bucket); err != nil {
		return err
	}
	if !c.PathStyle && strings.Contains(c.Bucket, ".") {
		// A dotted bucket name breaks the wildcard certificate of virtual-host style.
		return errors.New("blob: s3: a bucket name with dots needs path_style=1")
	}
	if _, err := c.baseURL(); err != nil {
		return err
	}
	return nil
}

// validBucket checks S3's bucket naming rules: 3 to 63 lower-case letters, digits,
// dots and hyphens, starting and ending with a letter or digit.
func validBucket(b string) error {
	bad := len(b) < 3 || len(b) > 63 || !alnum(b[0]) || !alnum(b[len(b)-1]) || strings.Contains(b, "..")
	for i := 0; i < len(b) && !bad; i++ {
		bad = !alnum(b[i]) && b[i] != '.' && b[i] != '-'
	}
	if bad {
		return fmt.Errorf("blob: s3: bucket name %q: 3 to 63 of a-z, 0-9, '.' and '-'", b)
	}
	return nil
}

// baseURL is the endpoint as a URL with scheme and host only.
func (c S3Config) baseURL() (*url.URL, error) {
	raw := c.Endpoint
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if strings.Contains(raw, "@") || (err == nil && u.User != nil) {
		// Not repeated: the part before @ would be a key or a password.
		return nil, errors.New("blob: s3: the endpoint holds credentials (user@ or key:secret@): they come from the environment or a file")
	}
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("blob: s3: endpoint %q: want host:port or http(s)://host:port", c.Endpoint)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// ParseS3URL reads the --blobs form of an S3 store:
//
//	s3://BUCKET?endpoint=HOST:PORT&region=REGION&path_style=1
//
// endpoint may carry a scheme (endpoint=http://127.0.0.1:9000, for a store on the
// same machine without TLS). Credentials are never part of the URL: they come from
// the environment or a file (see the serve command).
func ParseS3URL(s string) (S3Config, error) {
	c := DefaultS3Config()
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" {
		return c, errors.New("blob: s3: want s3://BUCKET?endpoint=HOST:PORT&region=R&path_style=1")
	}
	if u.User != nil {
		return c, errors.New("blob: s3: credentials don't go in the URL: set IDPHOTO_S3_ACCESS_KEY and IDPHOTO_S3_SECRET_KEY")
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		return c, fmt.Errorf("blob: s3: the URL names a bucket only, not a path (%q)", p)
	}
	c.Bucket = u.Host
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("blob: s3: query: %w", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			return c, fmt.Errorf("blob: s3: %s given %d times", k, len(v))
		}
		switch k {
		case "endpoint":
			c.Endpoint = v[0]
		case "region":
			c.Region = v[0]
		case "path_style":
			if c.PathStyle, err = strconv.ParseBool(v[0]); err != nil {
				return c, fmt.Errorf("blob: s3: path_style=%q: want 1 or 0", v[0])
			}
		case "timeout":
			if c.Timeout, err = time.ParseDuration(v[0]); err != nil || c.Timeout <= 0 {
				return c, fmt.Errorf("blob: s3: timeout=%q: want a duration like 30s", v[0])
			}
		case "access_key", "secret_key", "session_token":
			return c, fmt.Errorf("blob: s3: %s doesn't go in the URL: set it in the environment or a file", k)
		default:
			return c, fmt.Errorf("blob: s3: unknown setting %q (endpoint, region, path_style, timeout)", k)
		}
	}
	if c.Endpoint == "" {
		return c, errors.New("blob: s3: endpoint= is required (host:port of the object store)")
	}
	if err := validBucket(c.Bucket); err != nil {
		return c, err
	}
	if _, err := c.baseURL(); err != nil {
		return c, err
	}
	return c, nil
}

// S3 keeps blobs as objects of one bucket of an S3-compatible store, one object per
// key. Every request is signed with Signature Version 4 over the SHA-256 of its body,
// so a store (or a proxy) that changed the bytes on the way is refused. S3 replaces an
// object atomically on PUT and deletes the bytes on DELETE, as Store requires.
type S3 struct {
	cfg    S3Config
	base   *url.URL
	signer sigv4.Signer
	client *http.Client
	now    func() time.Time
}

// NewS3 checks cfg and returns the store; it sends nothing (see Probe).
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, _ := cfg.baseURL()
	client := cfg.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
			ForceAttemptHTTP2:     true,
		}}
	}
	return &S3{
		cfg:    cfg,
		base:   base,
		signer: sigv4.Signer{Credentials: cfg.Credentials, Region: cfg.Region, Service: "s3"},
		client: client,
		now:    time.Now,
	}, nil
}

// String names the store for logs: bucket and endpoint, no credentials.
func (s *S3) String() string { return "s3://" + s.cfg.Bucket + " at " + s.base.String() }

// objectURL addresses key (already validated: only a-z, 0-9, '.', '_', '-' and '/',
// which need no escaping) in path or virtual-host style; "" addresses the bucket.
func (s *S3) objectURL(key string) *url.URL {
	u := *s.base
	if s.cfg.PathStyle {
		u.Path = "/" + s.cfg.Bucket + "/" + key
	} else {
		u.Host = s.cfg.Bucket + "." + u.Host
		u.Path = "/" + key
	}
	return &u
}

// S3Error is an answer of the store other than success. Its text holds the
// operation, the blob key (an opaque id), the status and the store's code and message;
// never a credential or a signature.
type S3Error struct {
	Op        string // "put", "get", "delete", "exists", "probe"
	Key       string
	Status    int
	Code      string // "SignatureDoesNotMatch", "NoSuchBucket", ...
	Message   string
	RequestID string
}

func (e *S3Error) Error() string {
	msg := fmt.Sprintf("blob: s3 %s %s: %d %s", e.Op, e.Key, e.Status, e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return msg
}

// s3ErrorBody is the XML S3 answers a failed request with.
type s3ErrorBody struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
}

// parseS3Error reads an error response: the XML body when there is one (HEAD has
// none), else the status alone. The store's message is shortened and cleaned of
// control characters: it goes into logs.
func parseS3Error(op, key string, res *http.Response) *S3Error {
	e := &S3Error{Op: op, Key: key, Status: res.StatusCode, RequestID: clean(res.Header.Get("X-Amz-Request-Id"), 64)}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 16<<10))
	var b s3ErrorBody
	if len(body) > 0 && xml.Unmarshal(body, &b) == nil {
		e.Code, e.Message = clean(b.Code, 64), clean(b.Message, 200)
		if b.RequestID != "" {
			e.RequestID = clean(b.RequestID, 64)
		}
	}
	if e.Code == "" {
		e.Code = strings.ReplaceAll(http.StatusText(res.StatusCode), " ", "")
	}
	return e
}

func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.TrimSpace(s)
}

// retryable says whether a failed attempt may succeed when tried again.
func retryable(status int) bool {
	return status == http.StatusInternalServerError || status == http.StatusServiceUnavailable || status == http.StatusBadGateway || status == http.StatusGatewayTimeout
}

// do sends one signed request, again on a server error or a failed connection, and
// returns the response of the last attempt (its body for the caller to close).
func (s *S3) do(ctx context.Context, op, method, key string, body []byte) (*http.Response, error) {
	hash := sigv4.EmptySHA256
	if body != nil {
		hash = sigv4.HashHex(body)
	}
	var lastErr error
	for attempt := range s.cfg.Attempts {
		if attempt > 0 {
			wait := time.Duration(100<<(2*(attempt-1))) * time.Millisecond // 100 ms, 400 ms, 1.6 s
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("blob: s3 %s %s: %w (after %v)", op, key, ctx.Err(), lastErr)
			case <-time.After(wait):
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, s.objectURL(key).String(), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("blob: s3 %s %s: %w", op, key, err)
		}
		if body == nil {
			req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
		} else {
			req.Header.Set("Content-Type", "application/octet-stream")
		}
		s.signer.Sign(req, hash, s.now())
		res, err := s.client.Do(req)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if retryable(res.StatusCode) && attempt < s.cfg.Attempts-1 {
			lastErr = parseS3Error(op, key, res)
			res.Body.Close()
			continue
		}
		return res, nil
	}
	if ue := (*url.Error)(nil); errors.As(lastErr, &ue) {
		lastErr = ue.Err // the URL is the endpoint and the key, said once below
	}
	return nil, fmt.Errorf("blob: s3 %s %s: %w", op, key, lastErr)
}

// withTimeout bounds one operation, retries included.
func (s *S3) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

// Put implements Store: a PUT of the whole object, signed over its SHA-256.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if data == nil {
		data = []byte{}
	}
	res, err := s.do(ctx, "put", http.MethodPut, key, data)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return parseS3Error("put", key, res)
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	return nil
}

// Get implements Store. A missing object is ErrNotFound; a missing bucket is an
// S3Error (a configuration fault, not a missing blob).
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	res, err := s.do(ctx, "get", http.MethodGet, key, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		e := parseS3Error("get", key, res)
		if res.StatusCode == http.StatusNotFound && e.Code == "NoSuchKey" {
			return nil, ErrNotFound
		}
		return nil, e
	}
	if res.ContentLength > s.cfg.MaxObject {
		return nil, fmt.Errorf("blob: s3 get %s: %d bytes, more than the %d a blob may have", key, res.ContentLength, s.cfg.MaxObject)
	}
	var buf bytes.Buffer
	if res.ContentLength > 0 {
		buf.Grow(int(res.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(res.Body, s.cfg.MaxObject+1))
	if err != nil {
		return nil, fmt.Errorf("blob: s3 get %s: reading the body: %w", key, err)
	}
	if n > s.cfg.MaxObject {
		return nil, fmt.Errorf("blob: s3 get %s: more than the %d bytes a blob may have", key, s.cfg.MaxObject)
	}
	if res.ContentLength >= 0 && n != res.ContentLength {
		return nil, fmt.Errorf("blob: s3 get %s: %d of %d bytes", key, n, res.ContentLength)
	}
	return buf.Bytes(), nil
}

// Delete implements Store; S3 answers 204 whether or not the object was there.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	res, err := s.do(ctx, "delete", http.MethodDelete, key, nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotFound {
		return parseS3Error("delete", key, res)
	}
	if res.StatusCode == http.StatusNotFound {
		if e := parseS3Error("delete", key, res); e.Code != "NoSuchKey" && e.Code != "NotFound" {
			return e // NoSuchBucket: a configuration fault
		}
	}
	return nil
}

// Exists implements Store with a HEAD request.
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	if err := ValidateKey(key); err != nil {
		return false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	res, err := s.do(ctx, "exists", http.MethodHead, key, nil)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, parseS3Error("exists", key, res)
}

// Probe writes, reads back and deletes a small object, so that serve finds a wrong
// endpoint, bucket, region or key at start rather than on the first upload.
func (s *S3) Probe(ctx context.Context) error {
	key := "probe/" + strconv.FormatInt(s.now().UnixNano(), 36)
	want := []byte("idphoto probe")
	if err := s.Put(ctx, key, want); err != nil {
		return err
	}
	got, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("blob: s3 probe: the object read back differs from the one written")
	}
	return s.Delete(ctx, key)
}
