package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/audit"
)

// S3: the newest entry cut off the log (around the triggers, as someone with the file
// could) leaves a valid chain, which Verify alone can't tell; verified against an
// anchor taken before, it fails. Untouched, it passes against every anchor taken.
func TestPromiseS3AnchorDetectsTruncation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		{"newest entry removed", []string{"DELETE FROM audit_log WHERE seq = 5"}},
		{"two newest removed", []string{"DELETE FROM audit_log WHERE seq >= 4"}},
		{"everything removed", []string{"DELETE FROM audit_log"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, path := openLog(t)
			fill(t, l, 5)
			head, err := l.Head(ctx)
			if err != nil || head.Seq != 5 || len(head.Hash) != 32 {
				t.Fatalf("head %v, %v", head, err)
			}
			if n, err := l.VerifyAnchors(ctx, head); err != nil || n != 5 {
				t.Fatalf("untouched: %d, %v", n, err)
			}
			tamper(t, path, tc.stmts...)
			if _, err := l.Verify(ctx); err != nil {
				t.Fatalf("the chain alone should still verify (this is the gap anchors close): %v", err)
			}
			if _, err := l.VerifyAnchors(ctx, head); !errors.Is(err, audit.ErrTampered) {
				t.Fatalf("VerifyAnchors = %v, want ErrTampered", err)
			}
		})
	}
}

// S3: the newest entry removed and another appended in its place, with a valid hash:
// the chain is whole and as long as before, but the anchor's entry is not the same.
func TestPromiseS3AnchorDetectsRewrittenHead(t *testing.T) {
	ctx := context.Background()
	l, path := openLog(t)
	fill(t, l, 3)
	head, _ := l.Head(ctx)
	tamper(t, path, "DELETE FROM audit_log WHERE seq = 3")
	if err := l.Record(ctx, audit.Entry{Actor: "staff1", Action: audit.ActionRead, Detail: "something else"}); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Verify(ctx); err != nil || n != 3 {
		t.Fatalf("the rewritten chain: %d, %v", n, err)
	}
	if _, err := l.VerifyAnchors(ctx, head); !errors.Is(err, audit.ErrTampered) || !strings.Contains(err.Error(), "entry 3") {
		t.Fatalf("VerifyAnchors = %v, want ErrTampered at entry 3", err)
	}
}

// The anchor file: appended only when the head moved, read back whole; every anchor
// in it must be reached.
func TestAnchorFile(t *testing.T) {
	ctx := context.Background()
	l, path := openLog(t)
	file := filepath.Join(t.TempDir(), "anchors.txt")
	if _, wrote, err := l.AppendAnchor(ctx, file); err != nil || wrote {
		t.Fatalf("empty log: wrote %v, %v", wrote, err)
	}
	fill(t, l, 2)
	if _, wrote, err := l.AppendAnchor(ctx, file); err != nil || !wrote {
		t.Fatalf("first anchor: wrote %v, %v", wrote, err)
	}
	if _, wrote, _ := l.AppendAnchor(ctx, file); wrote {
		t.Error("the same head written twice")
	}
	fill(t, l, 2)
	if _, wrote, err := l.AppendAnchor(ctx, file); err != nil || !wrote {
		t.Fatalf("second anchor: wrote %v, %v", wrote, err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("anchor file mode: %v, %v", st, err)
	}
	f, _ := os.Open(file)
	as, err := audit.ReadAnchors(f)
	f.Close()
	if err != nil || len(as) != 2 || as[0].Seq != 2 || as[1].Seq != 4 {
		t.Fatalf("anchors %v, %v", as, err)
	}
	if _, err := l.VerifyAnchors(ctx, as...); err != nil {
		t.Fatalf("untouched: %v", err)
	}
	tamper(t, path, "DELETE FROM audit_log WHERE seq = 4")
	if _, err := l.VerifyAnchors(ctx, as...); !errors.Is(err, audit.ErrTampered) {
		t.Fatalf("after cutting entry 4: %v", err)
	}
	if _, err := audit.ReadAnchors(strings.NewReader("2 abc\n")); !errors.Is(err, audit.ErrBadAnchor) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad line: %v", err)
	}
}

func TestParseAnchor(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, s := range []string{"7 " + h, "7:" + h, "  7 " + h + "  ", "7 " + h + " 2026-01-02T03:04:05Z", "0 -", "0:-"} {
		a, err := audit.ParseAnchor(s)
		if err != nil {
			t.Errorf("ParseAnchor(%q) = %v", s, err)
			continue
		}
		if b, err := audit.ParseAnchor(a.String()); err != nil || b.Seq != a.Seq || b.String() != a.String() {
			t.Errorf("%q does not read back: %v %v", a.String(), b, err)
		}
	}
	for _, s := range []string{"", "7", "7 " + h[:62], "7 " + strings.ToUpper(h), "-1 " + h, "07 " + h, "+7 " + h, "7 " + h + " later",
		"0 " + h, "1 -", "7 " + h + " x y", "99999999999999999999 " + h, "7: " + h} {
		if _, err := audit.ParseAnchor(s); !errors.Is(err, audit.ErrBadAnchor) {
			t.Errorf("ParseAnchor(%q) accepted", s)
		}
	}
}

// The anchor parser reads operators' input and files: it never panics, and what it
// accepts writes back to the same anchor.
func FuzzParseAnchor(f *testing.F) {
	h := strings.Repeat("0f", 32)
	for _, s := range []string{"1 " + h, "12:" + h, "0 -", "3 " + h + " 2026-01-02T03:04:05Z", "", ":", "1 :", "9223372036854775807 " + h} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := audit.ParseAnchor(s)
		if err != nil {
			return
		}
		b, err := audit.ParseAnchor(a.String())
		if err != nil || b.Seq != a.Seq || b.String() != a.String() {
			t.Fatalf("%q → %q → %v, %v", s, a.String(), b, err)
		}
	})
}
