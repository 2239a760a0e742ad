package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestServeRefusesWithoutMasterKey(t *testing.T) {
	t.Setenv("IDPHOTO_MASTER_KEY", "")
	t.Setenv("IDPHOTO_MASTER_KEY_FILE", "")
	code, _, errs := runCLI(t, "serve", "--data", t.TempDir())
	if code != exitRuntime || !strings.Contains(errs, "idphoto keygen -o") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q: want one line saying how to make a key", code, errs)
	}
}

func TestKeygen(t *testing.T) {
	f := filepath.Join(t.TempDir(), "k", "master.key")
	if code, _, errs := runCLI(t, "keygen", "-o", f); code != exitOK {
		t.Fatalf("keygen: %d %s", code, errs)
	}
	st, err := os.Stat(f)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", st, err)
	}
	b, _ := os.ReadFile(f)
	if !regexp.MustCompile(`^[0-9a-f]{64}\n$`).Match(b) {
		t.Fatalf("key file holds %q", b)
	}
	if code, _, _ := runCLI(t, "keygen", "-o", f); code == exitOK {
		t.Fatal("keygen overwrote a key file")
	}
}

// serveProc is `idphoto serve` running as a separate process.
type serveProc struct {
	cmd  *exec.Cmd
	base string
	logs *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startServe(t *testing.T, bin, data, keyFile string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--engine", "pure", "--workers", "1", "--queue", "8")
	cmd.Env = append(os.Environ(), "IDPHOTO_MASTER_KEY_FILE="+keyFile, "IDPHOTO_UNLOCK_ALL=1")
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, logs: &lockedBuffer{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.logs.WriteString(sc.Text() + "\n")
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	return p
}

func (p *serveProc) call(t *testing.T, method, path, token, ct string, body []byte, v any) int {
	t.Helper()
	req, _ := http.NewRequest(method, p.base+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if v != nil {
		json.Unmarshal(b, v)
	}
	return res.StatusCode
}

// A kill -9 while jobs run loses nothing: after a restart every job completes and
// the uploaded photo is still there.
func TestServeSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "idphoto")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	keyFile := filepath.Join(dir, "master.key")
	if code, _, errs := runCLI(t, "keygen", "-o", keyFile); code != exitOK {
		t.Fatal(errs)
	}
	data := filepath.Join(dir, "data")
	p := startServe(t, bin, data, keyFile)

	var sess struct{ Token string }
	if p.call(t, "POST", "/api/v1/sessions", "", "", nil, &sess) != 201 {
		t.Fatal("session")
	}
	// The first launch's pop-up: the privacy policy accepted (R8).
	if p.call(t, "POST", "/api/v1/me/consents", sess.Token, "application/json", []byte(`{"policy":"privacy","version":"1.0"}`), nil) != 200 {
		t.Fatal("consent")
	}
	photo, _ := os.ReadFile(portrait("hivision-test3.jpg"))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("photo", "me.jpg")
	fw.Write(photo)
	mw.Close()
	var ph struct{ ID string }
	if code := p.call(t, "POST", "/api/v1/photos", sess.Token, mw.FormDataContentType(), body.Bytes(), &ph); code != 201 {
		t.Fatalf("upload %d", code)
	}
	var jobs []string
	for range 6 {
		var j struct{ ID string }
		req, _ := json.Marshal(map[string]string{"photo_id": ph.ID, "spec": "cn-1inch"})
		if code := p.call(t, "POST", "/api/v1/jobs", sess.Token, "application/json", req, &j); code != 202 {
			t.Fatalf("job %d", code)
		}
		jobs = append(jobs, j.ID)
	}
	// Kill the process the moment a job is running.
	deadline := time.Now().Add(30 * time.Second)
	killed := false
	for !killed && time.Now().Before(deadline) {
		for _, id := range jobs {
			var j struct{ State string }
			p.call(t, "GET", "/api/v1/jobs/"+id, sess.Token, "", nil, &j)
			if j.State == "running" {
				p.cmd.Process.Signal(syscall.SIGKILL)
				p.cmd.Wait()
				killed = true
				break
			}
		}
	}
	if !killed {
		t.Fatal("no job was seen running")
	}

	p2 := startServe(t, bin, data, keyFile)
	for _, id := range jobs {
		var j struct{ State, ErrorCode string }
		for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			p2.call(t, "GET", "/api/v1/jobs/"+id, sess.Token, "", nil, &j)
			if j.State == "done" || j.State == "failed" {
				break
			}
		}
		if j.State != "done" {
			t.Fatalf("job after the restart: %+v\n%s", j, p2.logs.String())
		}
		if code := p2.call(t, "GET", "/api/v1/jobs/"+id+"/file", sess.Token, "", nil, nil); code != 200 {
			t.Fatalf("file after the restart: %d", code)
		}
	}
	// The photo survived: a new job of it works.
	req, _ := json.Marshal(map[string]string{"photo_id": ph.ID, "spec": "cn-2inch"})
	if code := p2.call(t, "POST", "/api/v1/jobs", sess.Token, "application/json", req, nil); code != 202 {
		t.Fatalf("new job of the old photo: %d", code)
	}
	// A graceful stop: SIGTERM drains and exits 0.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p2.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, p2.logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if !strings.Contains(p2.logs.String(), "jobs re-queued") {
		t.Errorf("the restart did not say it re-queued jobs:\n%s", p2.logs.String())
	}
}
