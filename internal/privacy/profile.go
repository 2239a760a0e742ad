package privacy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// Contact is a shipping contact: who receives a print order, at which address, and
// their phone. In a profile every field may be empty.
type Contact struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
}

// Profile is what a user keeps about themselves (R5): a display name and a default
// shipping contact that prefills their print orders. It is sealed with the user's key
// and goes with the account.
type Profile struct {
	DisplayName string  `json:"display_name"`
	Shipping    Contact `json:"shipping"`
}

func profileContext(user string) string { return "user.profile:" + user }

// Profile returns the user's profile; one never saved is empty. An unknown user is
// store.ErrNotFound.
func (s *Service) Profile(ctx context.Context, user string) (Profile, error) {
	var p Profile
	if s.vault == nil {
		return p, ErrNoVault
	}
	sealed, err := s.store.ProfileSealed(ctx, user)
	if err != nil || sealed == nil {
		return p, err
	}
	plain, err := s.vault.Open(ctx, user, sealed, profileContext(user))
	if err != nil {
		return p, fmt.Errorf("privacy: open profile: %w", err)
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, fmt.Errorf("privacy: profile: %w", err)
	}
	return p, nil
}

// SetProfile replaces the user's profile (the caller has validated it). It is a
// correction request (R5, R6): logged with its due date, answered at once, audited.
func (s *Service) SetProfile(ctx context.Context, user string, p Profile) error {
	if s.vault == nil {
		return ErrNoVault
	}
	if _, err := s.store.GetUser(ctx, user); err != nil {
		return err
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sealed, err := s.vault.Seal(ctx, user, plain, profileContext(user))
	if err != nil {
		return err
	}
	return s.Correct(ctx, user, "profile", func() error { return s.store.SetProfileSealed(ctx, user, sealed) })
}

// Correct carries out a correction of the user's data (R5) as a privacy request (R6):
// logged as received with its due date, done by do, then marked answered and audited.
// scope says what was corrected ("profile", "order.shipping"), never a value. A do
// that fails leaves the request open, for the operator's view.
func (s *Service) Correct(ctx context.Context, user, scope string, do func() error) error {
	return s.request(ctx, user, store.RequestCorrection, scope, audit.ActionCorrection, func() (string, error) {
		return scope, do()
	})
}
