package blob

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The store's error answers are read into errors that reach the logs: whatever the
// body, the result is short, has a code and no control characters; of the body only
// Code, Message and RequestId are kept (not S3's StringToSign or CanonicalRequest).
func FuzzParseS3Error(f *testing.F) {
	f.Add(404, []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`))
	f.Add(403, []byte(`<Error><Code>SignatureDoesNotMatch</Code><Message>x`+"\n\x00"+`</Message><StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>`))
	f.Add(500, []byte{})
	f.Add(503, []byte("<Error><Code>"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		res := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		e := parseS3Error("get", "photos/p1", res)
		msg := e.Error()
		if e.Code == "" && http.StatusText(status) != "" {
			t.Fatalf("no code for %d %q", status, body)
		}
		if len(e.Code) > 70 || len(e.Message) > 210 || len(e.RequestID) > 70 {
			t.Fatalf("long fields: %q", msg)
		}
		if strings.ContainsAny(msg, "\n\r\x00") {
			t.Fatalf("control characters in %q", msg)
		}
	})
}
