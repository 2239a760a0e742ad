package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/blob/sigv4"
	"github.com/idphoto/idphoto/internal/imageio"
)

// blobsFlag is --blobs: where the encrypted blobs are kept.
func blobsFlag(fs *flag.FlagSet) *string {
	return fs.String("blobs", os.Getenv("IDPHOTO_BLOBS"),
		"where the encrypted blobs are kept: a folder (default DATA/blobs), or an S3-compatible bucket as s3://BUCKET?endpoint=HOST:PORT&region=R&path_style=1 "+
			"with its keys in $IDPHOTO_S3_ACCESS_KEY and $IDPHOTO_S3_SECRET_KEY (and $IDPHOTO_S3_SESSION_TOKEN) or the file $IDPHOTO_S3_CREDENTIALS_FILE ($IDPHOTO_BLOBS)")
}

// openBlobStore opens the blob store as serve keeps it: the bucket of an s3:// URL,
// else a folder (DATA/blobs when where is empty). With probe, a bucket is written to,
// read and cleaned once, so that a wrong endpoint, region or key stops the start.
func openBlobStore(ctx context.Context, data, where string, probe bool) (blob.Store, string, error) {
	if where == "" {
		where = filepath.Join(data, "blobs")
	}
	if !strings.HasPrefix(strings.ToLower(where), "s3:") {
		l, err := blob.NewLocal(where)
		return l, "folder", err
	}
	cfg, err := blob.ParseS3URL(where)
	if err != nil {
		return nil, "", err
	}
	if cfg.Credentials, err = s3Credentials(); err != nil {
		return nil, "", err
	}
	s, err := blob.NewS3(cfg)
	if err != nil {
		return nil, "", err
	}
	if probe {
		if err := s.Probe(ctx); err != nil {
			return nil, "", fmt.Errorf("blob store %s does not answer as it should: %w", s, err)
		}
	}
	return s, s.String(), nil
}

const noS3Credentials = "an s3:// blob store needs its keys: set IDPHOTO_S3_ACCESS_KEY and IDPHOTO_S3_SECRET_KEY, or IDPHOTO_S3_CREDENTIALS_FILE to a file of 'access_key = ...' and 'secret_key = ...' lines (an AWS credentials file's [default] section also works)"

// s3Credentials reads the bucket's keys from the environment or a file, never from
// flags (which other users of the machine can read from the process list).
func s3Credentials() (sigv4.Credentials, error) {
	if f := os.Getenv("IDPHOTO_S3_CREDENTIALS_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return sigv4.Credentials{}, fmt.Errorf("s3 credentials file: %w", err)
		}
		return blob.ParseS3Credentials(string(b))
	}
	c := sigv4.Credentials{
		AccessKey:    strings.TrimSpace(os.Getenv("IDPHOTO_S3_ACCESS_KEY")),
		SecretKey:    strings.TrimSpace(os.Getenv("IDPHOTO_S3_SECRET_KEY")),
		SessionToken: strings.TrimSpace(os.Getenv("IDPHOTO_S3_SESSION_TOKEN")),
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return sigv4.Credentials{}, errors.New(noS3Credentials)
	}
	return c, nil
}

// decodeBudget sizes the memory of decoded pixels: mb, or when 0, 256 MB and 128 MB
// a worker (512 MB for the default 2 workers). Uploads and the workers' decodes share
// it.
func decodeBudget(mb, workers int) (*imageio.Budget, error) {
	if mb < 0 {
		return nil, usageError{"--decode-mb must not be negative"}
	}
	if mb == 0 {
		mb = 256 + 128*workers
	}
	if mb < 64 {
		return nil, usageError{fmt.Sprintf("--decode-mb %d is too small to decode a phone photo: at least 64", mb)}
	}
	return imageio.NewBudget(int64(mb) << 20)
}
