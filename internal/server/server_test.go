package server_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/server"
)

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(server.NewRedacting(slog.NewJSONHandler(&buf, nil)))
	log.Info("upload from 203.0.113.7 failed",
		slog.String("ip", "198.51.100.23"),
		slog.String("filename", "张三-身份证.jpg"),
		slog.Any("face_box", []int{120, 80, 260, 240}),
		slog.String("left_eye", "150.5,130.25"),
		slog.Group("device", slog.String("uuid", "6F9619FF-8B86")),
		slog.String("error", errors.New("dial 2001:db8::1: refused").Error()),
		slog.String("token", "secret-token"),
		slog.Int("status", 201),
		slog.String("route", "POST /api/v1/photos"),
	)
	log.With(slog.String("remote_addr", "198.51.100.23")).Info("again")
	out := buf.String()
	for _, leak := range []string{"203.0.113.7", "198.51.100.23", "2001:db8::1", "张三", "120", "150.5", "6F9619FF", "secret-token"} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q:\n%s", leak, out)
		}
	}
	for _, kept := range []string{`"status":201`, `"route":"POST /api/v1/photos"`, `"ip":"ip-`} {
		if !strings.Contains(out, kept) {
			t.Errorf("log lost %s:\n%s", kept, out)
		}
	}
	// One address hashes the same way in both lines: abuse can be followed.
	first := strings.Index(out, `"ip":"ip-`)
	id := out[first+6 : first+6+15]
	if !strings.Contains(out, `"remote_addr":"`+id[:15]) {
		t.Errorf("the same address hashed differently:\n%s", out)
	}
}

func TestMiddlewareRequestIDAndPanic(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(server.NewRedacting(slog.NewJSONHandler(&buf, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /id", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(server.RequestID(r.Context()))) })
	srv := httptest.NewServer(server.Middleware(mux, log))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 500 || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("panic: %d, id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	req, _ := http.NewRequest("GET", srv.URL+"/id", nil)
	req.Header.Set("X-Request-Id", "bad id with spaces")
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if id := res.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("an unsafe request id was echoed: %q", id)
	}
	if strings.Contains(buf.String(), "127.0.0.1") {
		t.Fatalf("client address in the log:\n%s", buf.String())
	}
}

// Run shuts down on cancel: requests in flight finish, then drain runs.
func TestRunGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write([]byte("done"))
	})
	cfg := server.DefaultConfig()
	drained := false
	s, err := server.New(cfg, h, slog.New(slog.DiscardHandler), func(context.Context) error { drained = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, l) }()
	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + l.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		res.Body.Close()
		got <- b.String()
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if body := <-got; body != "done" {
		t.Fatalf("request in flight got %q", body)
	}
	if err := <-runErr; err != nil || !drained {
		t.Fatalf("Run = %v, drained %v", err, drained)
	}
}
