package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// ExportFormat is the version of the archive's layout, in manifest.json.
const ExportFormat = 1

// Manifest is manifest.json of an export archive.
type Manifest struct {
	Format        int       `json:"format"`
	SchemaVersion int       `json:"schema_version"`
	CreatedAt     time.Time `json:"created_at"`
	Categories    []string  `json:"data_categories"`
	Files         []string  `json:"files"`
}

type exportProfile struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

type exportPhoto struct {
	ID        string    `json:"id"`
	File      string    `json:"file"`
	Format    string    `json:"format"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Bytes     int64     `json:"bytes"`
	CreatedAt time.Time `json:"created_at"`
}

type exportJob struct {
	ID         string    `json:"id"`
	PhotoID    string    `json:"photo_id"`
	Spec       string    `json:"spec"`
	Background string    `json:"background"`
	State      string    `json:"state"`
	ErrorCode  string    `json:"error_code,omitempty"`
	Unlocked   bool      `json:"unlocked"`
	CreatedAt  time.Time `json:"created_at"`
}

type exportRequest struct {
	Kind       string     `json:"kind"`
	Scope      string     `json:"scope"`
	ReceivedAt time.Time  `json:"received_at"`
	DueAt      time.Time  `json:"due_at"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
}

// ErrNoVault means the service was built without a vault and can't open photos.
var ErrNoVault = errors.New("privacy: no vault")

// Export is a made export: the download token (given to the user once) and when it
// stops working.
type Export struct {
	Token     string
	ExpiresAt time.Time
}

// Export makes the archive of everything held about the user (R5) — profile,
// requests, consents, jobs, and the photos decrypted — stores it sealed, and returns
// the one-time token of its download link.
func (s *Service) Export(ctx context.Context, user string) (Export, error) {
	if s.sealed == nil {
		return Export{}, ErrNoVault
	}
	u, err := s.store.GetUser(ctx, user)
	if err != nil {
		return Export{}, err
	}
	var out Export
	err = s.request(ctx, user, store.RequestAccess, "export", audit.ActionExport, func() (string, error) {
		archive, n, err := s.archive(ctx, u)
		if err != nil {
			return "", err
		}
		b := make([]byte, 32)
		rand.Read(b)
		token := base64.RawURLEncoding.EncodeToString(b)
		now := s.now()
		e := store.Export{ID: store.NewID(), UserID: user, TokenHash: TokenHash(token), CreatedAt: now, ExpiresAt: now.Add(s.cfg.ExportTTL)}
		e.BlobKey = "exports/" + e.ID
		if err := s.sealed.Put(ctx, user, e.BlobKey, archive); err != nil {
			return "", err
		}
		if err := s.store.CreateExport(ctx, e); err != nil {
			s.blobs.Delete(ctx, e.BlobKey)
			return "", err
		}
		out = Export{Token: token, ExpiresAt: e.ExpiresAt}
		return "photos=" + strconv.Itoa(n), nil
	})
	return out, err
}

// TokenHash is what the database keeps of an export token.
func TokenHash(token string) []byte {
	sum := sha256.Sum256([]byte("idphoto/export/" + token))
	return sum[:]
}

// FetchExport returns the archive of a token once: the link then stops working and
// the archive is deleted. An unknown, used or expired token is store.ErrNotFound.
func (s *Service) FetchExport(ctx context.Context, token string) ([]byte, error) {
	if s.sealed == nil {
		return nil, ErrNoVault
	}
	e, err := s.store.UseExport(ctx, TokenHash(token), s.now())
	if err != nil {
		return nil, err
	}
	data, err := s.sealed.Get(ctx, e.UserID, e.BlobKey)
	if err != nil {
		return nil, err
	}
	if err := s.deleteBlobs(ctx, e.BlobKey); err != nil {
		return nil, err
	}
	if err := s.store.DeleteExport(ctx, e.ID); err != nil {
		return nil, err
	}
	if err := s.audit.Record(ctx, audit.Entry{Actor: audit.ActorUser, Action: audit.ActionExportFetch, Subject: audit.Subject(e.UserID)}); err != nil {
		return nil, err
	}
	return data, nil
}

// archive builds the zip.
func (s *Service) archive(ctx context.Context, u store.User) ([]byte, int, error) {
	photos, err := s.store.UserPhotos(ctx, u.ID)
	if err != nil {
		return nil, 0, err
	}
	jobs, err := s.store.UserJobs(ctx, u.ID, "")
	if err != nil {
		return nil, 0, err
	}
	reqs, err := s.store.PrivacyRequests(ctx, audit.Subject(u.ID))
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m := Manifest{Format: ExportFormat, SchemaVersion: store.KnownVersion(), CreatedAt: s.now().UTC(),
		Categories: []string{"profile", "privacy_requests", "consents", "photos", "jobs"}}
	add := func(name string, data []byte) error {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		m.Files = append(m.Files, name)
		return err
	}
	addJSON := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		return add(name, b)
	}
	if err := addJSON("profile.json", exportProfile{ID: u.ID, Role: u.Role, CreatedAt: u.CreatedAt}); err != nil {
		return nil, 0, err
	}
	rs := []exportRequest{}
	for _, r := range reqs {
		er := exportRequest{Kind: r.Kind, Scope: r.Scope, ReceivedAt: r.ReceivedAt, DueAt: r.DueAt}
		if !r.DoneAt.IsZero() {
			d := r.DoneAt
			er.DoneAt = &d
		}
		rs = append(rs, er)
	}
	if err := addJSON("privacy_requests.json", rs); err != nil {
		return nil, 0, err
	}
	consents, err := s.Consents(ctx, u.ID)
	if err != nil {
		return nil, 0, err
	}
	if err := addJSON("consents.json", consents); err != nil {
		return nil, 0, err
	}
	ps := []exportPhoto{}
	for _, p := range photos {
		data, err := s.sealed.Get(ctx, u.ID, p.BlobKey)
		if err != nil {
			return nil, 0, err
		}
		name := "photos/" + p.ID + "." + p.Format
		if err := add(name, data); err != nil {
			return nil, 0, err
		}
		ps = append(ps, exportPhoto{ID: p.ID, File: name, Format: p.Format, Width: p.Width, Height: p.Height, Bytes: p.Bytes, CreatedAt: p.CreatedAt})
	}
	if err := addJSON("photos.json", ps); err != nil {
		return nil, 0, err
	}
	js := []exportJob{}
	for _, j := range jobs {
		js = append(js, exportJob{ID: j.ID, PhotoID: j.PhotoID, Spec: j.SpecID, Background: j.Background, State: j.State,
			ErrorCode: j.ErrorCode, Unlocked: j.Unlocked, CreatedAt: j.CreatedAt})
	}
	if err := addJSON("jobs.json", js); err != nil {
		return nil, 0, err
	}
	if err := addJSON("manifest.json", m); err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), len(photos), nil
}
