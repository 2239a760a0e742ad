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
	"fmt"
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
	ID          string    `json:"id"`
	Role        string    `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
	DisplayName string    `json:"display_name"`
	Shipping    Contact   `json:"shipping"` // the default shipping contact
}

// exportLibraryItem is a photo's library metadata as the user sees it, with the
// place and the people count when they are stored.
type exportLibraryItem struct {
	PhotoID    string  `json:"photo_id"`
	TakenAt    string  `json:"taken_at,omitempty"` // RFC 3339, or without zone when the camera wrote none
	TimeSource string  `json:"time_source"`        // "exif" or "upload"
	UploadedAt string  `json:"uploaded_at"`
	Camera     string  `json:"camera,omitempty"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Bytes      int64   `json:"bytes"`
	Format     string  `json:"format"`
	Colour     string  `json:"placeholder_colour,omitempty"`
	Place      *Place  `json:"place,omitempty"`
	People     *int    `json:"people,omitempty"`
	Aspect     float64 `json:"aspect,omitempty"`
}

type exportOrderItem struct {
	Kind      string `json:"kind"`
	JobID     string `json:"job_id,omitempty"`
	Copies    int    `json:"copies,omitempty"`
	Quantity  int    `json:"quantity,omitempty"`
	AmountFen int64  `json:"amount_fen"`
}

// exportOrder is an order with its shipping details in clear: they are the user's.
type exportOrder struct {
	ID         string            `json:"id"`
	Status     string            `json:"status"`
	Items      []exportOrderItem `json:"items"`
	TotalFen   int64             `json:"total_fen"`
	Channel    string            `json:"channel,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	PaidAt     *time.Time        `json:"paid_at,omitempty"`
	ShippedAt  *time.Time        `json:"shipped_at,omitempty"`
	Shipping   *Contact          `json:"shipping,omitempty"`
	TrackingNo string            `json:"tracking_no,omitempty"`
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
		Categories: []string{"profile", "privacy_requests", "consents", "photos", "library", "jobs", "orders"}}
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
	prof, err := s.Profile(ctx, u.ID)
	if err != nil {
		return nil, 0, err
	}
	if err := addJSON("profile.json", exportProfile{ID: u.ID, Role: u.Role, CreatedAt: u.CreatedAt,
		DisplayName: prof.DisplayName, Shipping: prof.Shipping}); err != nil {
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
	lib, err := s.exportLibrary(ctx, u.ID)
	if err != nil {
		return nil, 0, err
	}
	if err := addJSON("library.json", lib); err != nil {
		return nil, 0, err
	}
	orders, err := s.exportOrders(ctx, u.ID)
	if err != nil {
		return nil, 0, err
	}
	if err := addJSON("orders.json", orders); err != nil {
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

// exportLibrary is every photo's library metadata, opened.
func (s *Service) exportLibrary(ctx context.Context, user string) ([]exportLibraryItem, error) {
	photos, err := s.store.PhotoMetas(ctx, user)
	if err != nil {
		return nil, err
	}
	out := []exportLibraryItem{}
	for _, p := range photos {
		it := exportLibraryItem{PhotoID: p.ID, TimeSource: "upload", UploadedAt: p.CreatedAt.UTC().Format(time.RFC3339),
			Width: p.Width, Height: p.Height, Bytes: p.Bytes, Format: p.Format}
		if p.MetaSealed != nil {
			m, err := s.openMeta(ctx, p)
			if err != nil {
				return nil, err
			}
			if m.Taken != "" {
				it.TakenAt, it.TimeSource = m.Taken, "exif"
			}
			it.Camera, it.Colour, it.Place, it.People, it.Aspect = m.Camera, m.Colour, m.Place, m.People, m.Aspect
		}
		out = append(out, it)
	}
	return out, nil
}

// MailingContext binds a print order's sealed shipping details to the order;
// TrackingContext its tracking number.
func MailingContext(orderID string) string  { return "order.mailing:" + orderID }
func TrackingContext(orderID string) string { return "order.tracking:" + orderID }

// exportOrders is every order of the user, shipping details and tracking opened.
func (s *Service) exportOrders(ctx context.Context, user string) ([]exportOrder, error) {
	orders, err := s.store.ListOrders(ctx, user, 1<<20)
	if err != nil {
		return nil, err
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	out := []exportOrder{}
	for _, o := range orders {
		eo := exportOrder{ID: o.ID, Status: string(o.Status), Items: []exportOrderItem{}, TotalFen: o.TotalFen, Channel: o.Channel,
			CreatedAt: o.CreatedAt.UTC(), PaidAt: opt(o.PaidAt), ShippedAt: opt(o.ShippedAt)}
		for _, it := range o.Items {
			eo.Items = append(eo.Items, exportOrderItem{Kind: string(it.Kind), JobID: it.JobID, Copies: it.Copies, Quantity: it.Quantity, AmountFen: it.AmountFen})
		}
		if len(o.MailingSealed) > 0 {
			plain, err := s.vault.Open(ctx, user, o.MailingSealed, MailingContext(o.ID))
			if err != nil {
				return nil, fmt.Errorf("privacy: order %s shipping: %w", o.ID, err)
			}
			var c Contact
			if err := json.Unmarshal(plain, &c); err != nil {
				return nil, fmt.Errorf("privacy: order %s shipping: %w", o.ID, err)
			}
			eo.Shipping = &c
		}
		tr, err := s.store.Tracking(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		if len(tr) > 0 {
			b, err := s.vault.Open(ctx, user, tr, TrackingContext(o.ID))
			if err != nil {
				return nil, fmt.Errorf("privacy: order %s tracking: %w", o.ID, err)
			}
			eo.TrackingNo = string(b)
		}
		out = append(out, eo)
	}
	return out, nil
}
