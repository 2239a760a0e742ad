package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"image/jpeg"
	"net/http"
	"testing"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// O4: the operator fulfilling a paid print order downloads its print sheets: one
// JPEG per print item at 300 DPI on 6-inch paper, named with its copies and how many
// to print, in a ZIP with PRINT.txt. Only an operator, only a paid or shipped print
// order (409 not_printable otherwise), and every download is audited as a read of the
// user's data.
func TestPromiseO4OperatorPrintSheet(t *testing.T) {
	e := newPayEnv(t)
	se := &staffEnv{payEnv: e}
	tok := e.session()
	job := e.madeJob(tok)
	e.do("GET", "/api/v1/jobs/"+job+"/preview", tok, "", nil)
	var o orderJSON
	res := e.postJSON("/api/v1/orders", tok, map[string]any{"job_id": job,
		"items":   []map[string]any{{"kind": "print", "copies": 8, "quantity": 2}, {"kind": "print", "copies": 4}, {"kind": "mailing"}},
		"mailing": map[string]string{"name": "李四", "address": "上海市浦东新区世纪大道100号", "phone": "13912345678"}})
	if res.status != http.StatusCreated {
		t.Fatalf("print order: %d %s", res.status, res.body)
	}
	res.json(t, &o)
	opID, op := se.staff(store.RoleOperator)
	sheet := func(tok, id string) response { return e.do("GET", "/api/v1/ops/orders/"+id+"/sheet", tok, "", nil) }

	if res := sheet(op, o.ID); res.code() != "not_printable" || res.status != http.StatusConflict {
		t.Fatalf("sheet of an unpaid order: %d %s", res.status, res.body)
	}
	e.paySandbox(tok, o.ID)
	if res := sheet(tok, o.ID); res.code() != "forbidden" {
		t.Fatalf("the user's own request: %d %s", res.status, res.body)
	}
	if res := sheet(op, order404()); res.status != http.StatusNotFound {
		t.Fatalf("sheet of no order: %d %s", res.status, res.body)
	}
	check := func(res response) {
		t.Helper()
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/zip" {
			t.Fatalf("sheet: %d %s %.200s", res.status, res.header.Get("Content-Type"), res.body)
		}
		zr, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"PRINT.txt", "sheet-1-6in-8up-print2.jpg", "sheet-2-6in-4up-print1.jpg"}
		if len(zr.File) != len(want) {
			t.Fatalf("archive: %d files, want %v", len(zr.File), want)
		}
		for i, f := range zr.File {
			if f.Name != want[i] {
				t.Fatalf("file %d: %s, want %s", i, f.Name, want[i])
			}
			if i == 0 {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			// 152×102 mm at 300 DPI, either way round.
			if !(cfg.Width == 1795 && cfg.Height == 1205) && !(cfg.Width == 1205 && cfg.Height == 1795) {
				t.Errorf("%s: %dx%d px", f.Name, cfg.Width, cfg.Height)
			}
		}
	}
	check(sheet(op, o.ID))
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/ship", op, map[string]string{"tracking_no": "SF1234567890"}); res.status != http.StatusOK {
		t.Fatalf("ship: %d %s", res.status, res.body)
	}
	check(sheet(op, o.ID))

	ephoto, _ := e.orderFor(tok)
	e.paySandbox(tok, ephoto.ID)
	if res := sheet(op, ephoto.ID); res.code() != "not_printable" {
		t.Fatalf("sheet of an e-photo order: %d %s", res.status, res.body)
	}

	user := se.userOf(tok)
	reads := 0
	e.store.AuditEntries(context.Background(), func(en store.AuditEntry) error {
		if en.Actor == opID && en.Action == audit.ActionRead && en.Detail == "order.sheet "+o.ID && en.Subject == audit.Subject(user) {
			reads++
		}
		return nil
	})
	if reads != 2 {
		t.Fatalf("%d audited sheet downloads, want 2", reads)
	}
}
