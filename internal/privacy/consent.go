package privacy

import (
	"context"
	"strconv"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// Separate purposes a user grants or withdraws apart from the policies (P9).
const (
	PurposePhotoLocation = "photo_location" // read the place a photo was taken (EXIF GPS)
	PurposePeopleCount   = "people_count"   // count the people in a photo (never who they are)
)

// Purposes lists the separate purposes.
func Purposes() []string { return []string{PurposePhotoLocation, PurposePeopleCount} }

func knownPurpose(p string) bool {
	for _, q := range Purposes() {
		if p == q {
			return true
		}
	}
	return false
}

// PolicyConsent is where a user stands with one policy.
type PolicyConsent struct {
	Policy   string    `json:"policy"`
	Current  string    `json:"current_version"`
	Accepted string    `json:"accepted_version,omitempty"`
	At       time.Time `json:"accepted_at,omitzero"`
	// Required: the current major version is not accepted; for a policy that gates
	// processing, photos, jobs and orders are refused until it is.
	Required bool `json:"required"`
}

// PurposeConsent is where a user stands with one separate purpose; never asked is
// not granted.
type PurposeConsent struct {
	Purpose string    `json:"purpose"`
	Granted bool      `json:"granted"`
	At      time.Time `json:"at,omitzero"`
}

// ConsentRecord is one record of the user's consent history.
type ConsentRecord struct {
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Version string    `json:"version,omitempty"`
	Granted bool      `json:"granted"`
	At      time.Time `json:"at"`
}

// ConsentState is a user's consents now, and every grant and withdrawal before.
type ConsentState struct {
	Policies []PolicyConsent  `json:"policies"`
	Purposes []PurposeConsent `json:"purposes"`
	History  []ConsentRecord  `json:"history"`
}

// AcceptPolicy records that the user accepted the current version of a policy.
func (s *Service) AcceptPolicy(ctx context.Context, user, policy, version string) error {
	p, ok := CurrentPolicy(policy)
	switch {
	case !ok:
		return ErrUnknownPolicy
	case version != p.Version:
		return ErrNotCurrent
	}
	return s.addConsent(ctx, user, store.Consent{Kind: store.ConsentPolicy, Name: p.ID, Version: p.Version, Granted: true})
}

// SetPurpose grants or withdraws a separate purpose (P9). A withdrawal erases what the
// purpose had kept in the user's library (the place, or the people count) from every
// photo's stored metadata, after the withdrawal is recorded: an upload that read the
// grant before is caught by ScrubPhotoMeta.
func (s *Service) SetPurpose(ctx context.Context, user, purpose string, granted bool) error {
	if !knownPurpose(purpose) {
		return ErrUnknownPurpose
	}
	if err := s.addConsent(ctx, user, store.Consent{Kind: store.ConsentPurpose, Name: purpose, Granted: granted}); err != nil {
		return err
	}
	if granted {
		return nil
	}
	_, err := s.eraseWithdrawn(ctx, user)
	return err
}

// addConsent appends the record and audits it: both name the user by pseudonym.
func (s *Service) addConsent(ctx context.Context, user string, c store.Consent) error {
	c.Subject, c.At = audit.Subject(user), s.now()
	if err := s.store.AddConsent(ctx, c); err != nil {
		return err
	}
	detail := c.Kind + "=" + c.Name + " granted=" + strconv.FormatBool(c.Granted)
	if c.Version != "" {
		detail += " version=" + c.Version
	}
	return s.audit.Record(ctx, audit.Entry{Actor: audit.ActorUser, Action: audit.ActionConsent, Subject: c.Subject, Detail: detail})
}

// Consents returns the user's consent state and history.
func (s *Service) Consents(ctx context.Context, user string) (ConsentState, error) {
	recs, err := s.store.Consents(ctx, audit.Subject(user))
	if err != nil {
		return ConsentState{}, err
	}
	st := ConsentState{Policies: []PolicyConsent{}, Purposes: []PurposeConsent{}, History: []ConsentRecord{}}
	latest := map[string]store.Consent{}
	for _, r := range recs {
		latest[r.Kind+"/"+r.Name] = r
		st.History = append(st.History, ConsentRecord{Kind: r.Kind, Name: r.Name, Version: r.Version, Granted: r.Granted, At: r.At})
	}
	for _, p := range Policies() {
		pc := PolicyConsent{Policy: p.ID, Current: p.Version, Required: true}
		if r, ok := latest[store.ConsentPolicy+"/"+p.ID]; ok && r.Granted {
			pc.Accepted, pc.At = r.Version, r.At
			pc.Required = !sameMajor(r.Version, p.Version)
		}
		st.Policies = append(st.Policies, pc)
	}
	for _, name := range Purposes() {
		pc := PurposeConsent{Purpose: name}
		if r, ok := latest[store.ConsentPurpose+"/"+name]; ok {
			pc.Granted, pc.At = r.Granted, r.At
		}
		st.Purposes = append(st.Purposes, pc)
	}
	return st, nil
}

// sameMajor: accepted a version of the current major (a minor bump does not block).
func sameMajor(accepted, current string) bool {
	a, _, err1 := ParseVersion(accepted)
	c, _, err2 := ParseVersion(current)
	return err1 == nil && err2 == nil && a >= c
}

// RequireConsent returns ErrConsentRequired, with the policy to accept, while the user
// has not accepted the current major version of a policy that gates processing.
func (s *Service) RequireConsent(ctx context.Context, user string) (Policy, error) {
	recs, err := s.store.LatestConsents(ctx, audit.Subject(user))
	if err != nil {
		return Policy{}, err
	}
	for _, p := range Policies() {
		if !p.Gates {
			continue
		}
		ok := false
		for _, r := range recs {
			if r.Kind == store.ConsentPolicy && r.Name == p.ID && r.Granted && sameMajor(r.Version, p.Version) {
				ok = true
			}
		}
		if !ok {
			return p, ErrConsentRequired
		}
	}
	return Policy{}, nil
}

// PurposeGranted reports whether the user has granted a separate purpose now.
func (s *Service) PurposeGranted(ctx context.Context, user, purpose string) (bool, error) {
	recs, err := s.store.LatestConsents(ctx, audit.Subject(user))
	if err != nil {
		return false, err
	}
	for _, r := range recs {
		if r.Kind == store.ConsentPurpose && r.Name == purpose {
			return r.Granted, nil
		}
	}
	return false, nil
}
