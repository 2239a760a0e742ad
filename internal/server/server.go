// Package server runs the HTTP service: the http.Server with its timeouts, the
// middleware every request goes through (request id, panic recovery, access log),
// the redacting log handler, and a graceful shutdown that drains the job workers.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Config holds the server's address and timeouts.
type Config struct {
	Addr              string
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request: a slow upload can't hold an upload
	// slot forever.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// ShutdownTimeout is how long a shutdown waits for requests and running jobs.
	ShutdownTimeout time.Duration
}

// DefaultConfig listens on :8080.
func DefaultConfig() Config {
	return Config{
		Addr:              ":8080",
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ShutdownTimeout:   30 * time.Second,
	}
}

// Validate reports a config that can't work.
func (c Config) Validate() error {
	if c.Addr == "" {
		return errors.New("server: no address")
	}
	if c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0 || c.ShutdownTimeout <= 0 {
		return errors.New("server: timeouts must be positive")
	}
	return nil
}

// Server is the http.Server and what to drain when it stops.
type Server struct {
	cfg   Config
	http  *http.Server
	log   *slog.Logger
	drain func(context.Context) error
}

// New wraps h in the middleware. drain is called at shutdown, after the listener has
// closed and the requests in flight have finished.
func New(cfg Config, h http.Handler, log *slog.Logger, drain func(context.Context) error) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, drain: drain}
	s.http = &http.Server{
		Addr:              cfg.Addr,
		Handler:           Middleware(h, log),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Run serves on l (or on cfg.Addr when l is nil) until ctx is cancelled, then shuts
// down gracefully: no new connections, requests in flight finished, jobs drained.
func (s *Server) Run(ctx context.Context, l net.Listener) error {
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	s.log.Info("listening", slog.String("addr", l.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(sctx)
	if s.drain != nil {
		err = errors.Join(err, s.drain(sctx))
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

type ctxKey struct{}

// RequestID is the id of the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Middleware gives every request an id (a client's X-Request-Id when it is a sane
// token, else a new one), answers it in X-Request-Id, turns a panic into a 500, and
// logs one line per request: method, route pattern, status, bytes, duration. It logs
// the route, never the raw path or query, and the client address only through the
// redacting handler.
func Middleware(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), ctxKey{}, id)
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		t0 := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(ctx, "panic in handler", slog.String("request_id", id), slog.String("type", fmt.Sprintf("%T", p)))
				if !rec.wrote {
					rec.Header().Set("Content-Type", "application/json; charset=utf-8")
					rec.WriteHeader(http.StatusInternalServerError)
					rec.Write([]byte(`{"code":"internal","message":"internal error"}` + "\n"))
				}
			}
			log.InfoContext(ctx, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", r.Pattern),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("took", time.Since(t0)),
				slog.String("ip", clientIP(r)),
			)
		}()
		h.ServeHTTP(rec, r)
	})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func saneID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
