package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/web"
)

// The page and its assets are served with their types and the strict CSP; anything
// else, and any method but GET and HEAD, goes to the API.
func TestHandler(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		w.WriteHeader(http.StatusTeapot)
	})
	h := web.Handler(api)
	for _, tc := range []struct {
		method, path, ctype string
		status              int
	}{
		{"GET", "/", "text/html", 200},
		{"HEAD", "/", "text/html", 200},
		{"GET", "/app.js", "text/javascript", 200},
		{"GET", "/library.js", "text/javascript", 200},
		{"GET", "/orders.js", "text/javascript", 200},
		{"GET", "/style.css", "text/css", 200},
		{"POST", "/", "", http.StatusTeapot},
		{"GET", "/api/v1/specs", "", http.StatusTeapot},
		{"GET", "/index.html", "", http.StatusTeapot},
		{"GET", "/web.go", "", http.StatusTeapot},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.ctype == "" {
				if w.Header().Get("X-From") != "api" {
					t.Error("not handed to the API")
				}
				return
			}
			if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
				t.Errorf("content type %q, want %s", got, tc.ctype)
			}
			if w.Header().Get("Content-Security-Policy") != web.CSP || w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", w.Header())
			}
		})
	}
}

// Nothing inline: the CSP forbids inline scripts, event-handler attributes and style
// attributes, so the page must have none.
func TestPageHasNothingInline(t *testing.T) {
	w := httptest.NewRecorder()
	web.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	b, _ := io.ReadAll(w.Body)
	page := string(b)
	for _, re := range []string{`<script>`, `<script[^>]*>[^<]+</script>`, `\son[a-z]+\s*=`, `\sstyle\s*=`, `<style`, `javascript:`} {
		if m := regexp.MustCompile(`(?i)` + re).FindString(page); m != "" {
			t.Errorf("page has inline %q", m)
		}
	}
	if strings.Contains(web.CSP, "unsafe-inline") || strings.Contains(web.CSP, "unsafe-eval") {
		t.Errorf("CSP allows unsafe sources: %s", web.CSP)
	}
}
