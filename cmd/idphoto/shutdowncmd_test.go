package main

import (
	"context"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/privacy"
)

// The closing notice is set, shown and withdrawn; a bad date is a usage error.
func TestPromiseShutdownNoticeCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := runCLI(t, "shutdown-notice", "--data", dir, "--effective", "2027-13-01"); code != exitUsage {
		t.Errorf("bad date: exit %d", code)
	}
	code, out, errs := runCLI(t, "shutdown-notice", "--data", dir, "--effective", "2027-03-01")
	if code != exitOK || !strings.Contains(out, "2027-03-01") {
		t.Fatalf("announce: exit %d: %s %s", code, out, errs)
	}
	st := testStore(t, dir)
	c, err := st.GetClosing(context.Background())
	st.Close()
	if err != nil || privacy.ClosingDate(c.Effective) != "2027-03-01" {
		t.Fatalf("stored notice %v, %v", c, err)
	}
	if code, out, _ := runCLI(t, "shutdown-notice", "--data", dir); code != exitOK || !strings.Contains(out, "closes on 2027-03-01") {
		t.Errorf("show: exit %d: %s", code, out)
	}
	if code, out, _ := runCLI(t, "shutdown-notice", "--data", dir, "--cancel"); code != exitOK || !strings.Contains(out, "withdrawn") {
		t.Errorf("cancel: exit %d: %s", code, out)
	}
	if code, out, _ := runCLI(t, "shutdown-notice", "--data", dir); code != exitOK || !strings.Contains(out, "not closing") {
		t.Errorf("after cancel: exit %d: %s", code, out)
	}
}
