package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func portrait(name string) string { return filepath.Join("..", "..", "testdata", "portraits", name) }

func TestMakeWritesTheSpecFile(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "photo.jpg")
	code, out, errs := runCLI(t, "make", portrait("hivision-test3.jpg"), "--spec", "cn-idcard", "--engine", "pure", "-o", dst, "--sheet", "6in")
	if code != exitOK {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	for _, want := range []string{dst, "358x441 px", "350 dpi", "KB", "head", "eyes", "sheet"} {
		if !strings.Contains(out, want) {
			t.Errorf("report %q lacks %q", out, want)
		}
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if dpi, err := imageio.ReadDPI(data); err != nil || dpi != 350 {
		t.Errorf("DPI %d %v", dpi, err)
	}
	if len(data) < 14*1024 || len(data) > 20*1024 {
		t.Errorf("%d bytes, want the ID card's 14-20 KB", len(data))
	}
	sheet := strings.TrimSuffix(dst, ".jpg") + "-sheet-6in.jpg"
	if _, err := os.Stat(sheet); err != nil {
		t.Errorf("no sheet: %v", err)
	}
}

func TestMakeBatchReportsEachPhoto(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.jpg")
	os.WriteFile(bad, []byte("not a photo"), 0o644)
	code, out, _ := runCLI(t, "make", portrait("hivision-test3.jpg"), filepath.Join("..", "..", "testdata", "no-face", "cat.png"), bad,
		"--spec", "cn-1inch", "--bg", "blue", "--engine", "pure", "--out-dir", filepath.Join(dir, "out"))
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var report []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "  ") {
			report = append(report, l)
		}
	}
	if len(report) != 3 {
		t.Fatalf("want one line per photo, got %q", out)
	}
	if !strings.Contains(report[1], "cat.png: no face found") || !strings.Contains(report[2], "notes.jpg: not an image") {
		t.Errorf("failure lines: %q", report[1:])
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "hivision-test3.jpg")); err != nil {
		t.Error(err)
	}
}

func TestUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no command":   {},
		"unknown":      {"frobnicate"},
		"no spec":      {"make", "x.jpg"},
		"no photo":     {"make", "--spec", "cn-1inch"},
		"unknown spec": {"make", "x.jpg", "--spec", "cn-1inc"},
		"bad colour":   {"make", "x.jpg", "--spec", "cn-1inch", "--bg", "purple"},
		"bad paper":    {"make", "x.jpg", "--spec", "cn-1inch", "--sheet", "7in"},
		"-o for two":   {"make", "a.jpg", "b.jpg", "--spec", "cn-1inch", "-o", "x.jpg"},
		"bad flag":     {"specs", "--nope"},
	} {
		code, _, errs := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d (%s)", name, code, exitUsage, errs)
		}
	}
	_, _, errs := runCLI(t, "make", "x.jpg", "--spec", "cn-1inc")
	if !strings.Contains(errs, "cn-1inch") {
		t.Errorf("no suggestion in %q", errs)
	}
}

func TestSpecsJSON(t *testing.T) {
	code, out, _ := runCLI(t, "specs", "--json")
	if code != exitOK {
		t.Fatal(code)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) < 40 {
		t.Errorf("%d specs", len(list))
	}
	code, out, _ = runCLI(t, "specs", "--group", "visa")
	if code != exitOK || !strings.Contains(out, "us-visa") || strings.Contains(out, "cn-1inch") {
		t.Errorf("group filter: %d %q", code, out)
	}
}

func TestSheetMixed(t *testing.T) {
	dir := t.TempDir()
	one, two := filepath.Join(dir, "one.jpg"), filepath.Join(dir, "two.jpg")
	for _, c := range [][]string{
		{"make", portrait("hivision-test3.jpg"), "--spec", "cn-1inch", "--engine", "pure", "-o", one},
		{"make", portrait("hivision-test3.jpg"), "--spec", "cn-2inch", "--engine", "pure", "-o", two},
	} {
		if code, out, errs := runCLI(t, c...); code != exitOK {
			t.Fatalf("%v: %d %s %s", c, code, out, errs)
		}
	}
	sheet := filepath.Join(dir, "sheet.jpg")
	code, out, errs := runCLI(t, "sheet", one, two, "--spec", "cn-1inch,cn-2inch", "--paper", "6in", "-o", sheet)
	if code != exitOK {
		t.Fatalf("%d %s %s", code, out, errs)
	}
	f, _ := os.Open(sheet)
	defer f.Close()
	_, info, err := imageio.Decode(f, imageio.DefaultLimits())
	if err != nil || (info.Width != 1795 && info.Height != 1795) {
		t.Errorf("sheet %+v %v", info, err)
	}
}

func TestModelsList(t *testing.T) {
	code, out, _ := runCLI(t, "models", "list", "--dir", t.TempDir())
	if code != exitOK || !strings.Contains(out, "not installed") || !strings.Contains(out, "AGPL-3.0") || !strings.Contains(out, "Apache-2.0") {
		t.Errorf("%d %q", code, out)
	}
}
