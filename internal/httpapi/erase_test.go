package httpapi_test

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/store"
)

// erasedJSON is the answer of DELETE /orders/{id}/personal-data and DELETE /me/data.
type erasedJSON struct {
	Orders int `json:"erased_orders"`
	Jobs   int `json:"deleted_jobs"`
	Photos int `json:"deleted_photos"`
	Kept   []struct {
		OrderID string `json:"order_id"`
		Reason  string
	} `json:"kept_orders"`
}

// orderPersonal lists the order row's personal columns that are not NULL.
func (e *env) orderPersonal(t *testing.T, id string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "idphoto.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var m, ip, tr []byte
	if err := db.QueryRow("SELECT mailing_sealed, pay_ip_sealed, tracking_sealed FROM orders WHERE id = ?", id).Scan(&m, &ip, &tr); err != nil {
		t.Fatalf("order row %s: %v", id, err)
	}
	var left []string
	for name, v := range map[string][]byte{"mailing_sealed": m, "pay_ip_sealed": ip, "tracking_sealed": tr} {
		if v != nil {
			left = append(left, name)
		}
	}
	return left
}

// photoOf is the photo a job was made from.
func (e *env) photoOf(t *testing.T, user, job string) string {
	t.Helper()
	j, err := e.store.GetJob(context.Background(), user, job)
	if err != nil {
		t.Fatal(err)
	}
	return j.PhotoID
}

// R3, S2: the user deletes one order's personal data. An unpaid order answers 409
// order_open, a paid print order not shipped yet 409 order_not_shipped, another
// user 404; once shipped, the blob folder holds nothing of the order, no table names
// its photo, the order row keeps no sealed mailing, IP or tracking number, the order
// still reads as shipped, and the ledger entry of its payment still opens.
func TestPromiseR3EraseOrderPersonalData(t *testing.T) {
	e := newStaffEnv(t)
	tok := e.session()
	user := e.userOf(tok)
	other := e.session()
	job := e.madeJob(tok)
	photo := e.photoOf(t, user, job)
	o := e.printOrder(tok, job)
	path := "/api/v1/orders/" + o.ID + "/personal-data"

	if res := e.do("DELETE", path, tok, "", nil); res.status != http.StatusConflict || res.code() != "order_open" ||
		!strings.Contains(string(res.body), "cancel") {
		t.Errorf("unpaid order: %d %s", res.status, res.body)
	}
	e.paySandbox(tok, o.ID)
	if res := e.do("DELETE", path, tok, "", nil); res.status != http.StatusConflict || res.code() != "order_not_shipped" {
		t.Errorf("paid print order not shipped: %d %s", res.status, res.body)
	}
	if res := e.do("DELETE", path, other, "", nil); res.status != http.StatusNotFound {
		t.Errorf("another user's order: %d %s", res.status, res.body)
	}
	if res := e.do("DELETE", "/api/v1/orders/nope/personal-data", tok, "", nil); res.status != http.StatusNotFound {
		t.Errorf("a bad id: %d %s", res.status, res.body)
	}
	if n := len(e.blobFiles(t)); n != 4 {
		t.Fatalf("%d blob files after refusals, want 4", n)
	}
	_, op := e.staff(store.RoleOperator)
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/ship", op, map[string]string{"tracking_no": "SF1234567890"}); res.status != http.StatusOK {
		t.Fatalf("ship: %d %s", res.status, res.body)
	}
	if left := e.orderPersonal(t, o.ID); len(left) != 3 {
		t.Fatalf("the shipped order holds %v, want mailing, IP and tracking", left)
	}

	res := e.do("DELETE", path, tok, "", nil)
	var got erasedJSON
	res.json(t, &got)
	if res.status != http.StatusOK || got.Orders != 1 || got.Jobs != 1 || got.Photos != 1 || len(got.Kept) != 0 {
		t.Fatalf("DELETE personal data: %d %s", res.status, res.body)
	}
	if files := e.blobFiles(t); len(files) != 0 {
		t.Errorf("blob files left: %v", files)
	}
	if dirs := e.emptyDirs(t); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}
	if hits := e.rowsHolding(t, photo); len(hits) > 0 {
		t.Errorf("the order's photo is still named in %v", hits)
	}
	// The job's id is left only in the order's record of what was bought.
	if hits := e.rowsHolding(t, job); len(hits) != 1 || hits[0] != "orders.items_json" {
		t.Errorf("the order's job is named in %v", hits)
	}
	if left := e.orderPersonal(t, o.ID); len(left) != 0 {
		t.Errorf("the order row still holds %v", left)
	}
	if after := e.getOrder(tok, o.ID); after.Status != "shipped" || after.Mailing != nil || after.TrackingNo != "" ||
		after.TotalFen != o.TotalFen || after.PaidAt == nil {
		t.Errorf("the order after: %+v", after)
	}
	if es := e.ledgerEntries("sandbox"); len(es) != 1 || es[0].OrderID != o.ID || es[0].AmountFen != o.TotalFen {
		t.Errorf("ledger: %+v", es)
	}
	if res := e.do("DELETE", path, tok, "", nil); res.status != http.StatusOK {
		t.Errorf("again: %d %s", res.status, res.body)
	}
}

// R3: "delete everything" keeps the account and takes the rest: the library, the
// orders' personal data, the profile, the exports. A paid print order not shipped
// yet keeps its mailing details and photo, named in kept_orders; the session still
// works and its consents stay.
func TestPromiseR3DeleteEverything(t *testing.T) {
	e := newStaffEnv(t)
	tok := e.session()
	user := e.userOf(tok)
	const marker = "R3-EVERYTHING-5d1e"
	library := e.uploadOK(tok, withMarker(t, marker))
	shippedJob := e.madeJob(tok)
	shipped := e.printOrder(tok, shippedJob)
	e.paySandbox(tok, shipped.ID)
	_, op := e.staff(store.RoleOperator)
	if res := e.postJSON("/api/v1/ops/orders/"+shipped.ID+"/ship", op, map[string]string{"tracking_no": "SF1234567890"}); res.status != http.StatusOK {
		t.Fatalf("ship: %d %s", res.status, res.body)
	}
	waitingJob := e.madeJob(tok)
	waitingPhoto := e.photoOf(t, user, waitingJob)
	waiting := e.printOrder(tok, waitingJob)
	e.paySandbox(tok, waiting.ID)
	if res := e.putJSON("/api/v1/me/profile", tok, map[string]any{"display_name": "Zhang San"}); res.status != http.StatusOK {
		t.Fatalf("profile: %d %s", res.status, res.body)
	}
	if res := e.do("POST", "/api/v1/me/export", tok, "", nil); res.status != http.StatusCreated {
		t.Fatalf("export: %d %s", res.status, res.body)
	}

	res := e.do("DELETE", "/api/v1/me/data", tok, "", nil)
	var got erasedJSON
	res.json(t, &got)
	if res.status != http.StatusOK || got.Photos != 2 || got.Orders != 1 || len(got.Kept) != 1 ||
		got.Kept[0].OrderID != waiting.ID || got.Kept[0].Reason != "order_not_shipped" {
		t.Fatalf("DELETE /me/data: %d %s", res.status, res.body)
	}
	// Left on disk: the waiting order's photo and its job's three files.
	files := e.blobFiles(t)
	if len(files) != 4 || !contains(files, "photos/"+waitingPhoto) {
		t.Errorf("blob files left: %v", files)
	}
	if dirs := e.emptyDirs(t); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}
	if hits := e.rowsHolding(t, library, marker, "Zhang San"); len(hits) > 0 {
		t.Errorf("deleted data still named in %v", hits)
	}
	if hits := e.filesHolding(t, marker); len(hits) > 0 {
		t.Errorf("the library photo's bytes are in %v", hits)
	}
	if left := e.orderPersonal(t, shipped.ID); len(left) != 0 {
		t.Errorf("the shipped order still holds %v", left)
	}
	if left := e.orderPersonal(t, waiting.ID); !contains(left, "mailing_sealed") {
		t.Errorf("the waiting order lost its mailing details: %v", left)
	}
	var feed struct{ Items []struct{ ID string } }
	e.do("GET", "/api/v1/photos", tok, "", nil).json(t, &feed)
	if len(feed.Items) != 1 || feed.Items[0].ID != waitingPhoto {
		t.Errorf("library after: %+v, want only the waiting order's photo", feed.Items)
	}
	prof := e.do("GET", "/api/v1/me/profile", tok, "", nil)
	if prof.status != http.StatusOK || strings.Contains(string(prof.body), "Zhang") {
		t.Errorf("profile after: %d %s", prof.status, prof.body)
	}
	if es := e.ledgerEntries("sandbox"); len(es) != 2 {
		t.Errorf("ledger entries: %d, want 2 that open", len(es))
	}
	if res := e.do("GET", "/api/v1/me/consents", tok, "", nil); res.status != http.StatusOK || !strings.Contains(string(res.body), "privacy") {
		t.Errorf("consents after: %d %s", res.status, res.body)
	}

	// Once the order is shipped, the same request takes the rest.
	if res := e.postJSON("/api/v1/ops/orders/"+waiting.ID+"/ship", op, map[string]string{"tracking_no": "SF0000000001"}); res.status != http.StatusOK {
		t.Fatalf("ship: %d %s", res.status, res.body)
	}
	res = e.do("DELETE", "/api/v1/me/data", tok, "", nil)
	got = erasedJSON{}
	res.json(t, &got)
	if res.status != http.StatusOK || len(got.Kept) != 0 || got.Photos != 1 {
		t.Fatalf("DELETE /me/data again: %d %s", res.status, res.body)
	}
	if files := e.blobFiles(t); len(files) != 0 {
		t.Errorf("blob files left: %v", files)
	}
	if res := e.do("GET", "/api/v1/photos", tok, "", nil); res.status != http.StatusOK || strings.Contains(string(res.body), waitingPhoto) {
		t.Errorf("library at the end: %d %s", res.status, res.body)
	}
}
