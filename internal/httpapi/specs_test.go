package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/idphoto/idphoto/internal/spec"
)

// GET /specs is public and lists the whole catalogue, grouped in display order.
func TestListSpecs(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	res := e.do("GET", "/api/v1/specs", "", "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /specs: %d %s", res.status, res.body)
	}
	var got struct {
		Groups []struct {
			Group string
			Specs []struct {
				ID                string
				WidthPx, HeightPx int `json:"-"`
				Backgrounds       []string
			}
		}
		Backgrounds []struct{ Name, Hex string }
	}
	res.json(t, &got)
	cat, _ := spec.Load()
	var groups []string
	n := 0
	for _, g := range got.Groups {
		groups = append(groups, g.Group)
		n += len(g.Specs)
	}
	if want := cat.Groups(); len(groups) != len(want) || groups[0] != want[0] || groups[len(groups)-1] != want[len(want)-1] {
		t.Errorf("groups %v, want %v", groups, want)
	}
	if n != len(cat.All()) {
		t.Errorf("%d specs, want %d", n, len(cat.All()))
	}
	if got.Groups[0].Group != "common" || len(got.Backgrounds) != len(spec.BackgroundNames()) || got.Backgrounds[0].Hex == "" {
		t.Errorf("first group %q, backgrounds %+v", got.Groups[0].Group, got.Backgrounds)
	}
}
