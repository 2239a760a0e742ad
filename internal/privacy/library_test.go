package privacy_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// libraryPhoto stores a photo with library metadata as the upload does: capture time,
// camera, and the place and people count.
func (f *fixture) libraryPhoto(user string) string {
	f.t.Helper()
	people := 2
	m := privacy.PhotoMeta{Taken: "2024-05-01T09:30:15+08:00", TakenZone: true, Camera: "Apple iPhone 15 Pro", Width: 40, Height: 30,
		Colour: "#a0b0c0", Place: &privacy.Place{Lat: 31.2, Lon: 121.5}, People: &people, Aspect: 1.3333}
	p := store.LibraryPhoto{Photo: store.Photo{ID: store.NewID(), UserID: user, Format: "jpeg", Width: 40, Height: 30, Bytes: 1234, CreatedAt: time.Now()}}
	p.BlobKey = "photos/" + p.ID
	if err := f.sealed.Put(f.ctx, user, p.BlobKey, []byte("library photo")); err != nil {
		f.t.Fatal(err)
	}
	plain, _ := json.Marshal(m)
	var err error
	if p.MetaSealed, err = f.vault.Seal(f.ctx, user, plain, privacy.MetaContext(p.ID)); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreateLibraryPhoto(f.ctx, p); err != nil {
		f.t.Fatal(err)
	}
	return p.ID
}

// storedMeta opens the metadata as stored in the photo's row now.
func (f *fixture) storedMeta(user, id string) map[string]any {
	f.t.Helper()
	p, err := f.store.GetLibraryPhoto(f.ctx, user, id)
	if err != nil {
		f.t.Fatal(err)
	}
	plain, err := f.vault.Open(f.ctx, user, p.MetaSealed, privacy.MetaContext(id))
	if err != nil {
		f.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		f.t.Fatal(err)
	}
	return m
}

// P9, R8: withdrawing photo_location erases the place from every photo's stored
// metadata, and withdrawing people_count the people count; what else was read stays,
// and another user's photos are not touched.
func TestPromiseP9WithdrawalErasesStoredMetadata(t *testing.T) {
	f := newFixture(t)
	u, other := f.user(), f.user()
	for _, p := range privacy.Purposes() {
		for _, who := range []string{u, other} {
			if err := f.svc.SetPurpose(f.ctx, who, p, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b, theirs := f.libraryPhoto(u), f.libraryPhoto(u), f.libraryPhoto(other)
	before := map[string][]byte{}
	for _, id := range []string{a, b} {
		p, _ := f.store.GetLibraryPhoto(f.ctx, u, id)
		before[id] = p.MetaSealed
	}

	if err := f.svc.SetPurpose(f.ctx, u, privacy.PurposePhotoLocation, false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b} {
		m := f.storedMeta(u, id)
		if m["place"] != nil || m["people"] == nil || m["camera"] != "Apple iPhone 15 Pro" || m["taken"] == nil {
			t.Errorf("photo %s after withdrawing the location: %v", id, m)
		}
		p, _ := f.store.GetLibraryPhoto(f.ctx, u, id)
		if bytes.Equal(p.MetaSealed, before[id]) {
			t.Errorf("photo %s: the sealed metadata is the same bytes", id)
		}
	}
	if err := f.svc.SetPurpose(f.ctx, u, privacy.PurposePeopleCount, false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b} {
		if m := f.storedMeta(u, id); m["place"] != nil || m["people"] != nil || m["colour"] != "#a0b0c0" {
			t.Errorf("photo %s after withdrawing both: %v", id, m)
		}
	}
	if m := f.storedMeta(other, theirs); m["place"] == nil || m["people"] == nil {
		t.Errorf("another user's photo lost its metadata: %v", m)
	}

	// A photo stored after a withdrawal by an upload that read the grant before it.
	late := f.libraryPhoto(u)
	if err := f.svc.ScrubPhotoMeta(f.ctx, u, late); err != nil {
		t.Fatal(err)
	}
	if m := f.storedMeta(u, late); m["place"] != nil || m["people"] != nil {
		t.Errorf("the photo stored after the withdrawal: %v", m)
	}
	if err := f.svc.ScrubPhotoMeta(f.ctx, other, theirs); err != nil {
		t.Fatal(err)
	}
	if m := f.storedMeta(other, theirs); m["place"] == nil {
		t.Errorf("ScrubPhotoMeta erased what a granted purpose keeps: %v", m)
	}
}

// exported makes the user's export and downloads it once: the export and its
// archive's files by name.
func (f *fixture) exported(user string) (privacy.Export, map[string][]byte) {
	f.t.Helper()
	e, err := f.svc.Export(f.ctx, user)
	if err != nil {
		f.t.Fatal(err)
	}
	data, err := f.svc.FetchExport(f.ctx, e.Token)
	if err != nil {
		f.t.Fatal(err)
	}
	return e, readZip(f.t, data)
}

// readZip returns an archive's files by name.
func readZip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return files
}

// R5: the export holds the profile, every photo's library metadata as the user sees
// it (with the place and people count they let us keep), and the orders with their
// shipping details; the manifest lists those categories and files.
func TestPromiseR5ExportHasProfileLibraryAndOrders(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	prof := privacy.Profile{DisplayName: "小张", Shipping: privacy.Contact{Name: "张三", Address: "北京市海淀区某路1号", Phone: "13812341234"}}
	if err := f.svc.SetProfile(f.ctx, u, prof); err != nil {
		t.Fatal(err)
	}
	lib := f.libraryPhoto(u)
	_, job := f.photo(u, []byte("plain photo"))
	o, _ := f.printOrder(u, job, time.Now())

	_, files := f.exported(u)
	var m privacy.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"profile", "library", "orders", "photos", "consents", "privacy_requests", "jobs"} {
		if !slices.Contains(m.Categories, c) {
			t.Errorf("manifest categories %v lack %s", m.Categories, c)
		}
	}
	for _, name := range []string{"profile.json", "library.json", "orders.json"} {
		if !slices.Contains(m.Files, name) || files[name] == nil {
			t.Errorf("%s: listed %v, in the archive %v", name, slices.Contains(m.Files, name), files[name] != nil)
		}
	}

	var p struct {
		ID          string
		DisplayName string          `json:"display_name"`
		Shipping    privacy.Contact `json:"shipping"`
	}
	json.Unmarshal(files["profile.json"], &p)
	if p.ID != u || p.DisplayName != "小张" || p.Shipping != prof.Shipping {
		t.Errorf("profile.json: %s", files["profile.json"])
	}

	var items []map[string]any
	if err := json.Unmarshal(files["library.json"], &items); err != nil || len(items) != 2 {
		t.Fatalf("library.json: %s, %v", files["library.json"], err)
	}
	found := false
	for _, it := range items {
		if it["photo_id"] != lib {
			continue
		}
		found = true
		place, _ := it["place"].(map[string]any)
		if it["taken_at"] != "2024-05-01T09:30:15+08:00" || it["time_source"] != "exif" || it["camera"] != "Apple iPhone 15 Pro" ||
			it["width"] != 40.0 || it["bytes"] != 1234.0 || place["lat"] != 31.2 || it["people"] != 2.0 {
			t.Errorf("library item: %v", it)
		}
	}
	if !found {
		t.Errorf("library.json lacks photo %s: %s", lib, files["library.json"])
	}

	var orders []struct {
		ID       string
		Shipping *privacy.Contact
	}
	if err := json.Unmarshal(files["orders.json"], &orders); err != nil || len(orders) != 1 || orders[0].ID != o.ID ||
		orders[0].Shipping == nil || orders[0].Shipping.Phone != "13812341234" {
		t.Errorf("orders.json: %s, %v", files["orders.json"], err)
	}
}

// R5, R6: a profile correction is a privacy request of kind correction, received and
// answered at once with its due date, audited without the values.
func TestPromiseR5ProfileCorrectionIsARequest(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	if p, err := f.svc.Profile(f.ctx, u); err != nil || p != (privacy.Profile{}) {
		t.Fatalf("a profile never saved: %+v, %v", p, err)
	}
	want := privacy.Profile{DisplayName: "Ada", Shipping: privacy.Contact{Phone: "13900001111"}}
	if err := f.svc.SetProfile(f.ctx, u, want); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.Profile(f.ctx, u); err != nil || got != want {
		t.Fatalf("profile %+v, %v", got, err)
	}
	reqs, err := f.store.PrivacyRequests(f.ctx, audit.Subject(u))
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests %+v, %v", reqs, err)
	}
	if r := reqs[0]; r.Kind != store.RequestCorrection || r.Scope != "profile" || r.DoneAt.IsZero() || !r.DueAt.After(r.ReceivedAt) {
		t.Errorf("request %+v", r)
	}
	f.store.AuditEntries(f.ctx, func(e store.AuditEntry) error {
		if e.Action != audit.ActionCorrection || e.Subject != audit.Subject(u) || bytes.Contains([]byte(e.Detail), []byte("139")) {
			t.Errorf("audit entry %+v", e)
		}
		return nil
	})
	if err := f.svc.SetProfile(f.ctx, store.NewID(), want); err == nil {
		t.Error("a profile was saved for no user")
	}
}
