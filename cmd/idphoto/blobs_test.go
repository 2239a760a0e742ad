package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/blob/s3test"
	"github.com/idphoto/idphoto/internal/blob/sigv4"
)

// --blobs s3://... opens the bucket with the keys from the environment or a file
// and probes it; without keys, or with wrong ones, serve is refused a start.
func TestOpenBlobStoreS3(t *testing.T) {
	ctx := context.Background()
	creds := sigv4.Credentials{AccessKey: "AKIDCMD", SecretKey: "cmd-secret-key"}
	fake := s3test.New("idphoto", creds)
	defer fake.Close()
	url := "s3://idphoto?endpoint=" + fake.Endpoint() + "&region=us-east-1&path_style=1"
	for _, k := range []string{"IDPHOTO_S3_ACCESS_KEY", "IDPHOTO_S3_SECRET_KEY", "IDPHOTO_S3_SESSION_TOKEN", "IDPHOTO_S3_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}

	if _, _, err := openBlobStore(ctx, t.TempDir(), url, true); err == nil || !strings.Contains(err.Error(), "IDPHOTO_S3_ACCESS_KEY") {
		t.Fatalf("no keys: %v, want how to give them", err)
	}

	t.Setenv("IDPHOTO_S3_ACCESS_KEY", creds.AccessKey)
	t.Setenv("IDPHOTO_S3_SECRET_KEY", "wrong")
	_, _, err := openBlobStore(ctx, t.TempDir(), url, true)
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong secret: %v, want the store's refusal without the secret", err)
	}

	t.Setenv("IDPHOTO_S3_SECRET_KEY", creds.SecretKey)
	s, desc, err := openBlobStore(ctx, t.TempDir(), url, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*blob.S3); !ok || !strings.Contains(desc, "s3://idphoto") || strings.Contains(desc, creds.SecretKey) {
		t.Fatalf("opened %T, %q", s, desc)
	}
	if n := len(fake.Objects()); n != 0 {
		t.Fatalf("the probe left %d objects", n)
	}

	// The same from a credentials file, which wins over the environment.
	file := filepath.Join(t.TempDir(), "s3.credentials")
	os.WriteFile(file, []byte("[default]\naws_access_key_id = AKIDCMD\naws_secret_access_key = cmd-secret-key\n"), 0o600)
	t.Setenv("IDPHOTO_S3_SECRET_KEY", "wrong")
	t.Setenv("IDPHOTO_S3_CREDENTIALS_FILE", file)
	if _, _, err := openBlobStore(ctx, t.TempDir(), url, true); err != nil {
		t.Fatalf("credentials file: %v", err)
	}

	// Without --blobs: the folder in the data folder.
	data := t.TempDir()
	if s, desc, err := openBlobStore(ctx, data, "", true); err != nil || desc != "folder" || s.(*blob.Local).Root() != filepath.Join(data, "blobs") {
		t.Fatalf("default: %v, %q", err, desc)
	}
	if _, _, err := openBlobStore(ctx, data, "s3://idphoto?region=x", false); err == nil {
		t.Fatal("an s3 URL without endpoint accepted")
	}
}

func TestDecodeBudgetFlag(t *testing.T) {
	if b, err := decodeBudget(0, 2); err != nil || b.Size() != 512<<20 {
		t.Fatalf("default for 2 workers: %v, %v", b.Size()>>20, err)
	}
	if b, err := decodeBudget(0, 6); err != nil || b.Size() != 1024<<20 {
		t.Fatalf("default for 6 workers: %v, %v", b.Size()>>20, err)
	}
	if b, err := decodeBudget(300, 2); err != nil || b.Size() != 300<<20 {
		t.Fatalf("300: %v, %v", b.Size()>>20, err)
	}
	for _, bad := range []int{-1, 10} {
		if _, err := decodeBudget(bad, 2); err == nil {
			t.Errorf("--decode-mb %d accepted", bad)
		}
	}
}
