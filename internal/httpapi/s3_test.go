package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/blob/s3test"
	"github.com/idphoto/idphoto/internal/blob/sigv4"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/vault"
)

// newS3Env is newEnv with the blobs in the fake S3-compatible store, reached over
// HTTP with signed requests, and a decode budget for the uploads.
func newS3Env(t *testing.T, cfg httpapi.Config, maker httpapi.Maker) (*env, *s3test.Server) {
	t.Helper()
	creds := sigv4.Credentials{AccessKey: "AKIDIDPHOTOTEST", SecretKey: "secret-of-the-test-bucket"}
	fake := s3test.New("idphoto-blobs", creds)
	t.Cleanup(fake.Close)
	scfg := blob.DefaultS3Config()
	scfg.Endpoint, scfg.Bucket, scfg.PathStyle, scfg.Credentials = fake.Endpoint(), "idphoto-blobs", true, creds
	s3, err := blob.NewS3(scfg)
	if err != nil {
		t.Fatal(err)
	}
	budget, err := imageio.NewBudget(256 << 20)
	if err != nil {
		t.Fatal(err)
	}
	s := openStorage(t)
	sv, err := vault.New([]vault.Key{s.mk}, s.st.SupportKeys())
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: this one after the API has drained.
	t.Cleanup(func() {
		if budget.InUse() != 0 {
			t.Errorf("%d bytes of the decode budget still held", budget.InUse())
		}
	})
	srv, set := lateServer(t)
	e := s.start(t, cfg, httpapi.Deps{Blobs: s3, Engine: maker, Support: sv, Decodes: budget}, srv, set)
	return e, fake
}

// withEXIF puts an APP1 Exif segment right after the JPEG's SOI: a little-endian TIFF
// header with an empty IFD, followed by marker bytes that must never reach storage
// in clear.
func withEXIF(jpg []byte, marker string) []byte {
	tiff := []byte("II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	payload := append(append([]byte("Exif\x00\x00"), tiff...), marker...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(payload)))
	out := append([]byte{}, jpg[:2]...)
	out = append(append(out, seg...), payload...)
	return append(out, jpg[2:]...)
}

// The whole flow with the blobs in an S3-compatible store (S1, R3): upload, job and
// preview work; the bucket holds only sealed bytes (no JPEG, no EXIF, no run of the
// upload); deleting the photo deletes its objects from the bucket.
func TestPromiseS1S3BlobStoreFlow(t *testing.T) {
	e, fake := newS3Env(t, testConfig(), realEngine(t))
	tok := e.session()
	const marker = "EXIF-MARKER-Zhang-San-Camera-GPS-31.2304N"
	src := withEXIF(portrait(t, "hivision-test3.jpg"), marker)
	if _, _, err := imageio.Decode(bytes.NewReader(src), imageio.DefaultLimits()); err != nil {
		t.Fatalf("the photo with EXIF added does not decode: %v", err)
	}
	photo := e.uploadOK(tok, src)
	var j jobJSON
	if res := e.createJob(tok, photo, "cn-1inch", "blue"); res.status != http.StatusAccepted {
		t.Fatalf("POST /jobs: %d %s", res.status, res.body)
	} else {
		res.json(t, &j)
	}
	if got := e.waitJob(tok, j.ID); got.State != "done" {
		t.Fatalf("job %+v", got)
	}
	res := e.do("GET", "/api/v1/jobs/"+j.ID+"/preview", tok, "", nil)
	if res.status != 200 {
		t.Fatalf("preview %d %s", res.status, res.body)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(res.body)); err != nil || cfg.Width != 148 {
		t.Fatalf("preview %dx%d, %v", cfg.Width, cfg.Height, err)
	}
	if res := e.do("GET", "/api/v1/jobs/"+j.ID+"/report", tok, "", nil); res.status != 200 {
		t.Fatalf("report %d %s", res.status, res.body)
	}

	objects := fake.Objects()
	if _, ok := objects["photos/"+photo]; !ok {
		t.Fatalf("the upload is not in the bucket; keys: %v", keys(objects))
	}
	if len(objects) < 3 {
		t.Fatalf("only %v in the bucket: the job's results are not there", keys(objects))
	}
	for k, b := range objects {
		switch {
		case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}), bytes.HasPrefix(b, []byte("\x89PNG")):
			t.Errorf("%s is an image in clear", k)
		case bytes.Contains(b, []byte("Exif")), bytes.Contains(b, []byte("JFIF")), bytes.Contains(b, []byte(marker)):
			t.Errorf("%s holds EXIF or JFIF in clear", k)
		case bytes.Contains(b, src[len(src)/2:len(src)/2+64]):
			t.Errorf("%s holds bytes of the upload in clear", k)
		case strings.Contains(string(b), `"head_height"`), strings.Contains(string(b), `"state"`):
			t.Errorf("%s holds the report in clear", k)
		}
	}
	if fake.Rejected.Load() != 0 {
		t.Fatalf("the store refused %d requests", fake.Rejected.Load())
	}

	if res := e.do("DELETE", "/api/v1/photos/"+photo, tok, "", nil); res.status != http.StatusNoContent {
		t.Fatalf("DELETE /photos: %d %s", res.status, res.body)
	}
	for k := range fake.Objects() {
		if strings.Contains(k, photo) || strings.Contains(k, j.ID) {
			t.Errorf("%s is still in the bucket after the photo was deleted", k)
		}
	}
	if left := fake.Objects(); len(left) != 0 {
		t.Errorf("objects left after deleting the only photo: %v", keys(left))
	}
	if res := e.do("GET", "/api/v1/jobs/"+j.ID+"/preview", tok, "", nil); res.status != http.StatusNotFound {
		t.Fatalf("preview after delete: %d", res.status)
	}
}

// A bucket that refuses the service's signature fails an upload with a 500 that
// shows nothing of the cause; the log names the store's code, not the secret.
func TestS3RefusedUploadIs500WithoutDetail(t *testing.T) {
	e, fake := newS3Env(t, testConfig(), idleMaker{})
	tok := e.session()
	fake.Creds.SecretKey = "rotated-on-the-store-side"
	res := e.upload(tok, portrait(t, "hivision-test3.jpg"))
	if res.status != http.StatusInternalServerError || res.code() != "internal" {
		t.Fatalf("upload to a bucket that refuses us: %d %s", res.status, res.body)
	}
	if strings.Contains(string(res.body), "Signature") {
		t.Fatalf("the client sees the cause: %s", res.body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "SignatureDoesNotMatch") {
		t.Fatalf("the log does not say why: %s", logs)
	}
	if strings.Contains(logs, "secret-of-the-test-bucket") || strings.Contains(logs, "rotated-on-the-store-side") {
		t.Fatal("a secret in the log")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
