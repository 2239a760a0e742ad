package main

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// finishJobOf gives the print order's job a clean file in the blob folder, sealed
// with its user's key as serve seals it, and marks the job done.
func finishJobOf(t *testing.T, dir, keyText, orderID string) {
	t.Helper()
	ctx := context.Background()
	st := testStore(t, dir)
	defer st.Close()
	keys, err := vault.ParseKeyring(keyText)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(keys, st)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := st.OrderJobs(ctx, orderID)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs of the order: %v %v", jobs, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 295, 413)) // 25×35 mm at 300 DPI
	for y := range 413 {
		for x := range 295 {
			img.Set(x, y, color.RGBA{uint8(x), 120, uint8(y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	local, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := blob.NewSealed(local, v).Put(ctx, jobs[0].UserID, privacy.JobBlobs(jobs[0].ID)[0], buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishJob(ctx, jobs[0].ID, store.JobDone, "", nil); err != nil {
		t.Fatal(err)
	}
}

// O4: 'idphoto orders sheet ID -o FILE' writes the print-ready sheets of a paid print
// order on the data folder, the same archive as the API's, audited as a read of the
// user's data before it is written; an order that is not a paid print order is refused.
func TestPromiseO4OrdersSheetCommand(t *testing.T) {
	dir := t.TempDir()
	key := withMasterKey(t)
	id, _ := paidPrintOrder(t, dir, key)
	finishJobOf(t, dir, key, id)
	cli := cliOn(t, dir)
	file := filepath.Join(t.TempDir(), "sheets.zip")

	cli(exitUsage, "orders", "sheet", id)
	cli(exitUsage, "orders", "sheet", "-o", file)
	cli(exitUsage, "orders", "sheet", "not-an-order", "-o", file)
	if out := cli(exitRuntime, "orders", "sheet", order.NewID(), "-o", file); !strings.Contains(out, "no order") {
		t.Fatalf("sheet of no order: %q", out)
	}
	out := cli(exitOK, "orders", "sheet", id, "-o", file)
	if !strings.Contains(out, "sheet-1-6in-8up-print1.jpg") || !strings.Contains(out, "print 1") {
		t.Fatalf("orders sheet: %q", out)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the archive: %v %v", fi, err)
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 2 || zr.File[0].Name != "PRINT.txt" || zr.File[1].Name != "sheet-1-6in-8up-print1.jpg" {
		t.Fatalf("archive: %v", zr.File)
	}
	rc, err := zr.File[1].Open()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(rc)
	rc.Close()
	if err != nil || !(cfg.Width == 1795 && cfg.Height == 1205 || cfg.Width == 1205 && cfg.Height == 1795) {
		t.Fatalf("sheet: %+v %v", cfg, err)
	}

	ctx := context.Background()
	st := testStore(t, dir)
	o, err := st.OrderByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	st.AuditEntries(ctx, func(en store.AuditEntry) error {
		if en.Actor == audit.ActorCLI && en.Action == audit.ActionRead && en.Detail == "order.sheet "+id && en.Subject == audit.Subject(o.UserID) {
			reads++
		}
		return nil
	})
	err = st.UpdateOrder(ctx, id, func(so *store.Order) error {
		return so.Refund(&order.Override{Operator: "op", Reason: "lost in the post"}, time.Now())
	})
	st.Close()
	if reads != 1 || err != nil {
		t.Fatalf("%d audited sheet reads, refund %v", reads, err)
	}
	if out := cli(exitRuntime, "orders", "sheet", id, "-o", file); !strings.Contains(out, "refunded") {
		t.Fatalf("sheet of a refunded order: %q", out)
	}
}
