package privacy

import (
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Policy is one version of a published policy document (R8). Versions are
// "major.minor": a new major version needs every user's consent again before any
// processing (the clients show it as a pop-up); a minor one is published and
// applies without blocking anyone.
type Policy struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Version   string    `json:"version"`
	Effective time.Time `json:"effective"`
	// Gates is true of the policy whose current major version a user must have
	// accepted before photos, jobs or orders are processed.
	Gates bool   `json:"gates_processing"`
	Text  string `json:"text"`
}

// Policy ids.
const (
	PolicyPrivacy   = "privacy"   // 隐私政策: what is collected, why, how long (gates processing)
	PolicyAgreement = "agreement" // 用户协议与照片政策: the photo service and its terms
)

//go:embed policies/privacy-1.0.txt
var privacyV1 string

//go:embed policies/agreement-1.0.txt
var agreementV1 string

// published is every version of every policy, oldest first. A new version is a new
// line here and a new file in policies/, never an edit of a published one. The texts
// are idphoto's own, written from the promises of the two policies the product was
// specified from (../shared/seeds); version 1.0 takes effect on the day it was
// written into the product.
var published = []Policy{
	{ID: PolicyPrivacy, Title: "证件照隐私政策", Version: "1.0", Effective: v1Effective, Gates: true, Text: privacyV1},
	{ID: PolicyAgreement, Title: "用户协议与照片政策", Version: "1.0", Effective: v1Effective, Text: agreementV1},
}

var v1Effective = time.Date(2026, 11, 23, 0, 0, 0, 0, ClosingZone)

// Policies lists the current version of each policy.
func Policies() []Policy {
	var out []Policy
	seen := map[string]int{}
	for _, p := range published {
		if i, ok := seen[p.ID]; ok {
			out[i] = p
			continue
		}
		seen[p.ID] = len(out)
		out = append(out, p)
	}
	return out
}

// CurrentPolicy returns the current version of a policy.
func CurrentPolicy(id string) (Policy, bool) {
	for _, p := range Policies() {
		if p.ID == id {
			return p, true
		}
	}
	return Policy{}, false
}

// ParseVersion reads "major.minor".
func ParseVersion(v string) (major, minor int, err error) {
	a, b, ok := strings.Cut(v, ".")
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || major < 0 || minor < 0 || strings.HasPrefix(b, "+") || strings.HasPrefix(a, "+") {
		return 0, 0, fmt.Errorf("privacy: version %q is not major.minor", v)
	}
	return major, minor, nil
}

// Errors of consent calls; the API answers them as 400.
var (
	ErrUnknownPolicy   = errors.New("privacy: no such policy")
	ErrNotCurrent      = errors.New("privacy: that is not the policy's current version")
	ErrUnknownPurpose  = errors.New("privacy: no such purpose")
	ErrConsentRequired = errors.New("privacy: the current major version of the privacy policy has not been accepted")
)

func init() {
	for _, p := range published {
		if _, _, err := ParseVersion(p.Version); err != nil || p.Text == "" {
			panic(fmt.Sprintf("privacy: published policy %s %s: bad version or no text", p.ID, p.Version))
		}
	}
}
