// Package s3test is a fake S3-compatible object store for tests: an httptest server
// that speaks S3's wire format for single objects (PUT, GET, HEAD, DELETE of an object;
// HEAD of the bucket), answers errors with S3's XML bodies and codes, keeps objects in
// memory, and verifies every request's Signature Version 4 and payload hash as S3
// does. Requests are accepted in path style (/bucket/key) and virtual-host style
// (Host: bucket.host:port).
package s3test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idphoto/idphoto/internal/blob/sigv4"
)

// MaxBody bounds what one PUT may send.
const MaxBody = 64 << 20

// Server is the fake store. Its fields may be changed between requests, not during.
type Server struct {
	*httptest.Server
	Bucket string
	Region string
	Creds  sigv4.Credentials

	mu      sync.Mutex
	objects map[string][]byte
	now     func() time.Time
	fail    []Failure
	delay   time.Duration
	reqID   atomic.Int64
	// Requests counts the requests that reached the handler, Rejected those refused
	// for their authentication.
	Requests, Rejected atomic.Int64
}

// Failure is an error the server answers the next matching request with, before
// looking at it (to test retries and error handling).
type Failure struct {
	Status int
	Code   string
}

// New starts a server for one bucket in region "us-east-1" with the given credentials.
func New(bucket string, creds sigv4.Credentials) *Server {
	s := &Server{Bucket: bucket, Region: "us-east-1", Creds: creds, objects: map[string][]byte{}, now: time.Now}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Endpoint is host:port of the server, as S3Config.Endpoint takes it with "http://".
func (s *Server) Endpoint() string { return "http://" + s.Listener.Addr().String() }

// SetClock sets the server's clock (for RequestTimeTooSkewed).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// FailNext makes the next len(f) requests fail with these answers, in order.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, f...)
}

// Delay makes every request wait d before it is answered.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Objects returns a copy of what the bucket holds, by key.
func (s *Server) Objects() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(s.objects))
	for k, v := range s.objects {
		out[k] = bytes.Clone(v)
	}
	return out
}

// Put stores an object directly, bypassing HTTP (to plant bytes in a test).
func (s *Server) Put(key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[key] = bytes.Clone(data)
}

// errorBody is S3's XML error document.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

// statusOf is the HTTP status S3 gives each error code this server uses.
var statusOf = map[string]int{
	"AccessDenied":                 http.StatusForbidden,
	"AuthorizationHeaderMalformed": http.StatusBadRequest,
	"InvalidAccessKeyId":           http.StatusForbidden,
	"SignatureDoesNotMatch":        http.StatusForbidden,
	"RequestTimeTooSkewed":         http.StatusForbidden,
	"InvalidToken":                 http.StatusBadRequest,
	"MissingSecurityHeader":        http.StatusBadRequest,
	"XAmzContentSHA256Mismatch":    http.StatusBadRequest,
	"NoSuchKey":                    http.StatusNotFound,
	"NoSuchBucket":                 http.StatusNotFound,
	"MissingContentLength":         http.StatusLengthRequired,
	"EntityTooLarge":               http.StatusBadRequest,
	"MethodNotAllowed":             http.StatusMethodNotAllowed,
	"NotImplemented":               http.StatusNotImplemented,
	"InternalError":                http.StatusInternalServerError,
	"SlowDown":                     http.StatusServiceUnavailable,
	"InvalidURI":                   http.StatusBadRequest,
}

var messageOf = map[string]string{
	"NoSuchKey":            "The specified key does not exist.",
	"NoSuchBucket":         "The specified bucket does not exist",
	"MissingContentLength": "You must provide the Content-Length HTTP header.",
	"EntityTooLarge":       "Your proposed upload exceeds the maximum allowed size",
	"MethodNotAllowed":     "The specified method is not allowed against this resource.",
	"NotImplemented":       "A header you provided implies functionality that is not implemented",
	"InternalError":        "We encountered an internal error. Please try again.",
	"SlowDown":             "Please reduce your request rate.",
	"InvalidURI":           "Couldn't parse the specified URI.",
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, code, msg string, status int) {
	if status == 0 {
		status = statusOf[code]
	}
	if status == 0 {
		status = http.StatusBadRequest
	}
	if msg == "" {
		msg = messageOf[code]
	}
	id := strconv.FormatInt(s.reqID.Load(), 16)
	w.Header().Set("X-Amz-Request-Id", id)
	if r.Method == http.MethodHead { // S3 answers HEAD errors without a body
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(errorBody{Code: code, Message: msg, Resource: r.URL.Path, RequestID: id})
}

// locate splits a request into bucket and key, path style or virtual-host style.
func (s *Server) locate(r *http.Request) (bucket, key string) {
	host := s.Listener.Addr().String()
	if b, ok := strings.CutSuffix(r.Host, "."+host); ok {
		return b, strings.TrimPrefix(r.URL.Path, "/")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return bucket, key
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	s.reqID.Add(1)
	s.mu.Lock()
	delay, now := s.delay, s.now
	var f *Failure
	if len(s.fail) > 0 {
		f = &s.fail[0]
		s.fail = s.fail[1:]
	}
	s.mu.Unlock()
	if f != nil {
		s.writeError(w, r, f.Code, "", f.Status)
		return
	}
	if r.Method == http.MethodPut && r.ContentLength < 0 {
		s.writeError(w, r, "MissingContentLength", "", 0)
		return
	}
	if r.ContentLength > MaxBody {
		s.writeError(w, r, "EntityTooLarge", "", 0)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil || int64(len(body)) > MaxBody {
		s.writeError(w, r, "IncompleteBody", "The request body could not be read.", http.StatusBadRequest)
		return
	}
	if delay > 0 { // after the body is read, so a client that hangs up ends the wait
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	v := sigv4.Verifier{Region: s.Region, Service: "s3", Now: now, Lookup: func(ak string) (sigv4.Credentials, bool) {
		return s.Creds, ak == s.Creds.AccessKey
	}}
	if _, err := v.Verify(r, sigv4.HashHex(body)); err != nil {
		s.Rejected.Add(1)
		code, msg := "AccessDenied", "Access Denied"
		if e, ok := err.(*sigv4.Error); ok {
			code, msg = e.Code, e.Msg
		}
		s.writeError(w, r, code, msg, 0)
		return
	}
	bucket, key := s.locate(r)
	if bucket != s.Bucket {
		s.writeError(w, r, "NoSuchBucket", "", 0)
		return
	}
	if key == "" {
		if r.Method == http.MethodHead { // HeadBucket
			w.WriteHeader(http.StatusOK)
			return
		}
		s.writeError(w, r, "NotImplemented", "Only single-object requests are implemented by this fake.", 0)
		return
	}
	if r.URL.RawQuery != "" {
		s.writeError(w, r, "NotImplemented", "Sub-resources are not implemented by this fake.", 0)
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.mu.Lock()
		s.objects[key] = body
		s.mu.Unlock()
		w.Header().Set("ETag", etag(body))
		w.WriteHeader(http.StatusOK)
	case http.MethodGet, http.MethodHead:
		s.mu.Lock()
		obj, ok := s.objects[key]
		s.mu.Unlock()
		if !ok {
			s.writeError(w, r, "NoSuchKey", "", 0)
			return
		}
		w.Header().Set("ETag", etag(obj))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(obj)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(obj)
		}
	case http.MethodDelete:
		s.mu.Lock()
		clear(s.objects[key])
		delete(s.objects, key)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		s.writeError(w, r, "MethodNotAllowed", "", 0)
	}
}

func etag(b []byte) string {
	sum := md5.Sum(b)
	return fmt.Sprintf("%q", hex.EncodeToString(sum[:]))
}
