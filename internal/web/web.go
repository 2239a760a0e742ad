// Package web is the reference client of idphoto serve: one page of plain HTML, CSS and
// JavaScript, embedded in the binary and served at /, that drives the JSON API under
// /api/v1 the way the mini-programs do. There is no build step.
//
// The page runs under a strict Content-Security-Policy: scripts and styles come only
// from this server, nothing inline, and images only from here or from blob: URLs the
// script makes of the photos it fetched with the session token.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of the page and its assets.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// files are the page's assets and their content types; anything else is the API's.
var files = map[string]string{
	"/":           "text/html; charset=utf-8",
	"/app.js":     "text/javascript; charset=utf-8",
	"/library.js": "text/javascript; charset=utf-8",
	"/orders.js":  "text/javascript; charset=utf-8",
	"/style.css":  "text/css; charset=utf-8",
	// Linked from the page, so browsers ask for no /favicon.ico.
	"/favicon.svg": "image/svg+xml",
}

// Handler serves the page at / and its assets, and hands every other request to api.
func Handler(api http.Handler) http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder is part of the build
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, ok := files[r.URL.Path]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			api.ServeHTTP(w, r)
			return
		}
		name := path.Base(r.URL.Path)
		if r.URL.Path == "/" {
			name = "index.html"
		}
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		// Short caching: a new binary's page must not run with an old script.
		h.Set("Cache-Control", "no-cache")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(b)
	})
}
