package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/idphoto/idphoto/internal/store"
)

// PhotoMeta is what the library keeps of a photo (P8, P9), sealed with the owner's
// key in photos.meta_sealed. Place and People are there only while the user grants
// photo_location and people_count: kept at upload only with the consent, and erased
// from every photo when it is withdrawn.
type PhotoMeta struct {
	Taken     string  `json:"taken,omitempty"`      // RFC 3339; without zone: the camera's wall clock
	TakenZone bool    `json:"taken_zone,omitempty"` // Taken carries the camera's zone
	Camera    string  `json:"camera,omitempty"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Colour    string  `json:"colour"` // "#rrggbb", the mean colour
	Place     *Place  `json:"place,omitempty"`
	People    *int    `json:"people,omitempty"`
	Aspect    float64 `json:"aspect"`
}

// Place is a coarse position (the library rounds it to 0.1°).
type Place struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// MetaContext binds a photo's sealed metadata to the photo.
func MetaContext(photoID string) string { return "photo.meta:" + photoID }

// openMeta opens a photo's sealed metadata.
func (s *Service) openMeta(ctx context.Context, p store.LibraryPhoto) (PhotoMeta, error) {
	var m PhotoMeta
	plain, err := s.vault.Open(ctx, p.UserID, p.MetaSealed, MetaContext(p.ID))
	if err != nil {
		return m, fmt.Errorf("privacy: photo metadata %s: %w", p.ID, err)
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return m, fmt.Errorf("privacy: photo metadata %s: %w", p.ID, err)
	}
	return m, nil
}

// scrub drops from m what a purpose not granted may not keep, and reports whether it
// dropped anything.
func scrub(m *PhotoMeta, location, people bool) bool {
	changed := false
	if !location && m.Place != nil {
		m.Place, changed = nil, true
	}
	if !people && m.People != nil {
		m.People, changed = nil, true
	}
	return changed
}

// scrubPhoto erases from one photo's stored metadata what the grants no longer allow,
// sealing the rest again; a concurrent change of the row is read again. It reports
// whether it erased anything.
func (s *Service) scrubPhoto(ctx context.Context, p store.LibraryPhoto, location, people bool) (bool, error) {
	for attempt := 0; attempt < 3; attempt++ {
		if p.MetaSealed == nil {
			return false, nil
		}
		m, err := s.openMeta(ctx, p)
		if err != nil {
			return false, err
		}
		if !scrub(&m, location, people) {
			return false, nil
		}
		plain, err := json.Marshal(m)
		if err != nil {
			return false, err
		}
		sealed, err := s.vault.Seal(ctx, p.UserID, plain, MetaContext(p.ID))
		if err != nil {
			return false, err
		}
		ok, err := s.store.ReplacePhotoMeta(ctx, p.UserID, p.ID, p.MetaSealed, sealed)
		if err != nil || ok {
			return ok, err
		}
		if p, err = s.store.GetLibraryPhoto(ctx, p.UserID, p.ID); err != nil {
			return false, err // deleted meanwhile: ErrNotFound
		}
	}
	return false, fmt.Errorf("privacy: photo metadata %s kept changing", p.ID)
}

// grants reads the user's separate purposes now.
func (s *Service) grants(ctx context.Context, user string) (location, people bool, err error) {
	if location, err = s.PurposeGranted(ctx, user, PurposePhotoLocation); err != nil {
		return
	}
	people, err = s.PurposeGranted(ctx, user, PurposePeopleCount)
	return
}

// eraseWithdrawn erases, from every photo of the user, what a purpose the user does
// not grant now had kept (P9, R8): the place or the people count is removed from the
// sealed metadata, not only hidden. It returns how many photos it changed.
func (s *Service) eraseWithdrawn(ctx context.Context, user string) (int, error) {
	if s.vault == nil {
		return 0, ErrNoVault
	}
	location, people, err := s.grants(ctx, user)
	if err != nil {
		return 0, err
	}
	photos, err := s.store.PhotoMetas(ctx, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range photos {
		changed, err := s.scrubPhoto(ctx, p, location, people)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// ScrubPhotoMeta erases from one newly stored photo what the user's consents no
// longer allow. The upload reads the consents before it stores the photo; a
// withdrawal in between erases every photo stored before it, and this, called after
// the photo is stored, catches the one stored after.
func (s *Service) ScrubPhotoMeta(ctx context.Context, user, photoID string) error {
	if s.vault == nil {
		return ErrNoVault
	}
	location, people, err := s.grants(ctx, user)
	if err != nil || (location && people) {
		return err
	}
	p, err := s.store.GetLibraryPhoto(ctx, user, photoID)
	if err != nil {
		return err
	}
	_, err = s.scrubPhoto(ctx, p, location, people)
	return err
}
