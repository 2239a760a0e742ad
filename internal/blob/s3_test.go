package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/blob/s3test"
	"github.com/idphoto/idphoto/internal/blob/sigv4"
)

var testCreds = sigv4.Credentials{AccessKey: "AKIDTESTIDPHOTO", SecretKey: "s3cr3t-t3st-k3y-0f-th3-f4k3-st0r3"}

// fakeS3 starts the fake store and a client of it, path style.
func fakeS3(t *testing.T, change func(*blob.S3Config)) (*s3test.Server, *blob.S3) {
	t.Helper()
	srv := s3test.New("idphoto-test", testCreds)
	t.Cleanup(srv.Close)
	cfg := blob.DefaultS3Config()
	cfg.Endpoint, cfg.Bucket, cfg.PathStyle, cfg.Credentials = srv.Endpoint(), "idphoto-test", true, testCreds
	if change != nil {
		change(&cfg)
	}
	s, err := blob.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, s
}

func TestS3PathStyle(t *testing.T) {
	srv, s := fakeS3(t, nil)
	conformance(t, s)
	if srv.Rejected.Load() != 0 {
		t.Fatalf("%d requests refused by the store", srv.Rejected.Load())
	}
	if err := s.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Objects()); n > 2 { // "e" and "c" of the suite; the probe cleaned up
		t.Fatalf("%d objects left", n)
	}
}

// Virtual-host style: the bucket is in the host name. The client dials the fake
// whatever the name, as a DNS wildcard would.
func TestS3VirtualHost(t *testing.T) {
	var hosts []string
	srv := s3test.New("idphoto-test", testCreds)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	cfg := blob.DefaultS3Config()
	cfg.Endpoint, cfg.Bucket, cfg.Credentials = srv.Endpoint(), "idphoto-test", testCreds
	cfg.Client = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		hosts = append(hosts, r.URL.Host)
		return tr.RoundTrip(r)
	})}
	s, err := blob.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "photos/v1", []byte("virtual")); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(ctx, "photos/v1"); err != nil || string(b) != "virtual" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if !bytes.Equal(srv.Objects()["photos/v1"], []byte("virtual")) {
		t.Fatal("the store does not hold the object under its key")
	}
	for _, h := range hosts {
		if h != "idphoto-test."+addr {
			t.Fatalf("request to host %q, want the bucket in the host name", h)
		}
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// tampering sends every request changed by change after it was signed.
func tampering(change func(*http.Request)) *http.Client {
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		change(r)
		return http.DefaultTransport.RoundTrip(r)
	})}
}

func s3Code(t *testing.T, err error) string {
	t.Helper()
	var e *blob.S3Error
	if !errors.As(err, &e) {
		t.Fatalf("%v: not an S3Error", err)
	}
	return e.Code
}

// Every way a request can be wrong is refused by the store with S3's code, and the
// error says so without a secret in it.
func TestS3Refusals(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(*blob.S3Config, *s3test.Server)
		code   string
	}{
		{"tampered signature", func(c *blob.S3Config, _ *s3test.Server) {
			c.Client = tampering(func(r *http.Request) {
				h := r.Header.Get("Authorization")
				flip := "0"
				if strings.HasSuffix(h, "0") {
					flip = "1"
				}
				r.Header.Set("Authorization", h[:len(h)-1]+flip)
			})
		}, "SignatureDoesNotMatch"},
		{"wrong secret", func(c *blob.S3Config, _ *s3test.Server) { c.Credentials.SecretKey = "not-the-secret" }, "SignatureDoesNotMatch"},
		{"unknown access key", func(c *blob.S3Config, _ *s3test.Server) { c.Credentials.AccessKey = "AKIDNOBODY" }, "InvalidAccessKeyId"},
		{"wrong region", func(c *blob.S3Config, _ *s3test.Server) { c.Region = "eu-west-1" }, "AuthorizationHeaderMalformed"},
		{"clock 20 minutes off", func(_ *blob.S3Config, s *s3test.Server) {
			s.SetClock(func() time.Time { return time.Now().Add(20 * time.Minute) })
		}, "RequestTimeTooSkewed"},
		{"body changed on the way", func(c *blob.S3Config, _ *s3test.Server) {
			c.Client = tampering(func(r *http.Request) {
				if r.ContentLength > 0 {
					b, _ := io.ReadAll(r.Body)
					b[0] ^= 1
					r.Body = io.NopCloser(bytes.NewReader(b))
				}
			})
		}, "XAmzContentSHA256Mismatch"},
		{"unsigned payload", func(c *blob.S3Config, _ *s3test.Server) {
			c.Client = tampering(func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") })
		}, "SignatureDoesNotMatch"},
		{"session token missing", func(_ *blob.S3Config, s *s3test.Server) { s.Creds.SessionToken = "token-of-the-session" }, "MissingSecurityHeader"},
		{"session token wrong", func(c *blob.S3Config, s *s3test.Server) {
			s.Creds.SessionToken = "token-of-the-session"
			c.Credentials.SessionToken = "another-token"
		}, "InvalidToken"},
		{"no such bucket", func(c *blob.S3Config, _ *s3test.Server) { c.Bucket = "another-bucket" }, "NoSuchBucket"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := s3test.New("idphoto-test", testCreds)
			defer srv.Close()
			srv.Put("photos/p1", []byte("sealed bytes"))
			cfg := blob.DefaultS3Config()
			cfg.Endpoint, cfg.Bucket, cfg.PathStyle, cfg.Credentials = srv.Endpoint(), "idphoto-test", true, testCreds
			tc.change(&cfg, srv)
			s, err := blob.NewS3(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Put(ctx, "photos/p2", []byte("new bytes"))
			if got := s3Code(t, err); got != tc.code {
				t.Fatalf("Put: code %s, want %s (%v)", got, tc.code, err)
			}
			for _, secret := range []string{cfg.Credentials.SecretKey, testCreds.SecretKey, "Signature="} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows a secret: %v", err)
				}
			}
			if _, ok := srv.Objects()["photos/p2"]; ok {
				t.Fatal("the refused object was stored")
			}
			if tc.code == "XAmzContentSHA256Mismatch" {
				return // only bodies are changed: reads pass
			}
			if _, err := s.Get(ctx, "photos/p1"); errors.Is(err, blob.ErrNotFound) || err == nil {
				t.Fatalf("Get: %v, want a refusal", err)
			}
			if ok, err := s.Exists(ctx, "photos/p1"); err == nil && tc.code != "NoSuchBucket" {
				t.Fatalf("Exists = %v without error", ok)
			}
			if err := s.Delete(ctx, "photos/p1"); err == nil {
				t.Fatal("Delete: no error")
			}
			if _, ok := srv.Objects()["photos/p1"]; !ok {
				t.Fatal("a refused delete removed the object")
			}
		})
	}
}

func TestS3MissingKeyIsNotFound(t *testing.T) {
	_, s := fakeS3(t, nil)
	if _, err := s.Get(context.Background(), "photos/never"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(context.Background(), "photos/never"); ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
}

func TestS3Retries(t *testing.T) {
	ctx := context.Background()
	srv, s := fakeS3(t, nil)
	srv.FailNext(s3test.Failure{Status: 503, Code: "SlowDown"}, s3test.Failure{Status: 500, Code: "InternalError"})
	if err := s.Put(ctx, "a", []byte("x")); err != nil {
		t.Fatalf("two server errors, then success: %v", err)
	}
	srv.FailNext(s3test.Failure{Status: 503, Code: "SlowDown"}, s3test.Failure{Status: 503, Code: "SlowDown"}, s3test.Failure{Status: 503, Code: "SlowDown"})
	if code := s3Code(t, s.Put(ctx, "a", []byte("y"))); code != "SlowDown" {
		t.Fatalf("code %s after 3 attempts", code)
	}
	// Client errors are not tried again.
	n := srv.Requests.Load()
	srv.FailNext(s3test.Failure{Status: 403, Code: "AccessDenied"})
	if code := s3Code(t, s.Put(ctx, "a", []byte("z"))); code != "AccessDenied" || srv.Requests.Load() != n+1 {
		t.Fatalf("code %s after %d requests", code, srv.Requests.Load()-n)
	}
}

func TestS3Timeout(t *testing.T) {
	srv, s := fakeS3(t, func(c *blob.S3Config) { c.Timeout = 200 * time.Millisecond })
	srv.Delay(5 * time.Second)
	t0 := time.Now()
	err := s.Put(context.Background(), "a", []byte("x"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a store that does not answer: %v, want a deadline error", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("gave up after %v, want about the 200 ms timeout", d) // a bound, not a timing
	}
}

func TestParseS3URL(t *testing.T) {
	c, err := blob.ParseS3URL("s3://photos-eu?endpoint=minio.internal:9000&region=eu-central-1&path_style=1&timeout=30s")
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "photos-eu" || c.Endpoint != "minio.internal:9000" || c.Region != "eu-central-1" || !c.PathStyle || c.Timeout != 30*time.Second {
		t.Fatalf("parsed %+v", c)
	}
	if c, err := blob.ParseS3URL("s3://b-1?endpoint=http://127.0.0.1:9000"); err != nil || c.Region != "us-east-1" || c.PathStyle {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	for _, bad := range []string{
		"", "s3://", "http://b?endpoint=h", "s3://bucket", "s3://bucket?endpoint=", "s3://Bucket?endpoint=h",
		"s3://ab?endpoint=h", "s3://bucket/prefix?endpoint=h", "s3://key:secret@bucket?endpoint=h",
		"s3://bucket?endpoint=h&secret_key=x", "s3://bucket?endpoint=h&path_style=maybe", "s3://bucket?endpoint=h&colour=red",
		"s3://bucket?endpoint=ftp://h", "s3://bucket?endpoint=h&endpoint=g", "s3://bucket?endpoint=h/path",
	} {
		if _, err := blob.ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "secret") && strings.Contains(bad, "key:secret") {
			t.Errorf("error repeats the credentials: %v", err)
		}
	}
	cfg := blob.DefaultS3Config()
	cfg.Endpoint, cfg.Bucket = "h:9000", "a.b.c"
	cfg.Credentials = testCreds
	if _, err := blob.NewS3(cfg); err == nil {
		t.Error("a dotted bucket in virtual-host style accepted")
	}
	cfg.Credentials.SecretKey = ""
	cfg.PathStyle = true
	if _, err := blob.NewS3(cfg); err == nil {
		t.Error("no secret key accepted")
	}
}

// An endpoint carrying credentials is refused without repeating them: the error goes
// to the terminal and the logs.
func TestParseS3URLEndpointCredentialsNotRepeated(t *testing.T) {
	for _, s := range []string{
		"s3://photos?endpoint=http://AKIDLEAK:s3cr3tLEAK@127.0.0.1:9000&path_style=1",
		"s3://photos?endpoint=AKIDLEAK:s3cr3tLEAK@minio.internal:9000",
		"s3://photos?endpoint=http://AKIDLEAK:s3cr3tLEAK%zz@h",
	} {
		_, err := blob.ParseS3URL(s)
		if err == nil {
			t.Fatalf("%q accepted", s)
		}
		if strings.Contains(err.Error(), "LEAK") {
			t.Errorf("the error repeats a credential: %v", err)
		}
	}
	cfg := blob.DefaultS3Config()
	cfg.Endpoint, cfg.Bucket, cfg.PathStyle = "https://AKIDLEAK:s3cr3tLEAK@h:9000", "photos", true
	cfg.Credentials.AccessKey, cfg.Credentials.SecretKey = "a", "b"
	if _, err := blob.NewS3(cfg); err == nil || strings.Contains(err.Error(), "LEAK") {
		t.Errorf("NewS3: %v", err)
	}
}

func FuzzParseS3URL(f *testing.F) {
	f.Add("s3://photos?endpoint=127.0.0.1:9000&region=us-east-1&path_style=1")
	f.Add("s3://a.b?endpoint=http://h&timeout=1s")
	f.Add("s3://%zz")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := blob.ParseS3URL(s)
		if err != nil {
			return
		}
		if c.Endpoint == "" || len(c.Bucket) < 3 || c.Credentials.AccessKey != "" {
			t.Fatalf("accepted %q as %+v", s, c)
		}
	})
}

func TestParseS3Credentials(t *testing.T) {
	c, err := blob.ParseS3Credentials("# idphoto\naccess_key = AKID1\nsecret_key=s3cr3t/with+chars=\n")
	if err != nil || c.AccessKey != "AKID1" || c.SecretKey != "s3cr3t/with+chars=" || c.SessionToken != "" {
		t.Fatalf("%v, %v", c, err)
	}
	aws := "[other]\naws_access_key_id = NOPE\n\n[default]\naws_access_key_id = AKID2\naws_secret_access_key = sec2\naws_session_token = tok\nregion = eu-west-1\n[later]\naws_secret_access_key = NOPE\n"
	if c, err := blob.ParseS3Credentials(aws); err != nil || c.AccessKey != "AKID2" || c.SecretKey != "sec2" || c.SessionToken != "tok" {
		t.Fatalf("AWS file: %v, %v", c, err)
	}
	for _, bad := range []string{"", "access_key = a\n", "secret_key = s\n", "access_key = a\nsecret_key = s\naccess_key = b\n",
		"access_key a\nsecret_key = s\n", "access_key = a b\nsecret_key = s\n", "[default\naccess_key = a\n"} {
		_, err := blob.ParseS3Credentials(bad)
		if err == nil {
			t.Errorf("accepted %q", bad)
		} else if strings.Contains(err.Error(), "a b") || strings.Contains(err.Error(), "= s") {
			t.Errorf("the error shows a value: %v", err)
		}
	}
}

func FuzzParseS3Credentials(f *testing.F) {
	f.Add("access_key = AKID\nsecret_key = secret\n")
	f.Add("[default]\naws_access_key_id=a\naws_secret_access_key=b\naws_session_token=c")
	f.Add("[x\n=")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := blob.ParseS3Credentials(text)
		if err != nil {
			for _, v := range []string{c.AccessKey, c.SecretKey} {
				if v != "" {
					t.Fatal("credentials returned with an error")
				}
			}
			return
		}
		if c.AccessKey == "" || c.SecretKey == "" || strings.ContainsAny(c.AccessKey+c.SecretKey+c.SessionToken, " \t\r\n") {
			t.Fatalf("accepted %q as %v", text, c)
		}
	})
}
