package spec_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/spec"
)

func load(t testing.TB) *spec.Catalog {
	t.Helper()
	c, err := spec.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestCatalogEntries(t *testing.T) {
	c := load(t)
	all := c.All()
	if len(all) < 40 {
		t.Fatalf("catalogue has %d entries, want at least 40", len(all))
	}
	seen := map[string]bool{}
	for _, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			if seen[s.ID] {
				t.Fatal("duplicate id")
			}
			seen[s.ID] = true
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			if s.ID != strings.ToLower(s.ID) {
				t.Error("id is not lower-case")
			}
			// the px formula holds exactly for every entry given in mm (and for the
			// px-only ones, whose mm were derived from px at their DPI)
			if s.WidthMM > 0 {
				if got := spec.PxFromMM(s.WidthMM, s.DPI); got != s.WidthPx {
					t.Errorf("width %g mm at %d dpi = %d px, catalogue says %d", s.WidthMM, s.DPI, got, s.WidthPx)
				}
				if got := spec.PxFromMM(s.HeightMM, s.DPI); got != s.HeightPx {
					t.Errorf("height %g mm at %d dpi = %d px, catalogue says %d", s.HeightMM, s.DPI, got, s.HeightPx)
				}
			} else {
				t.Error("no size in mm")
			}
			for _, b := range s.Backgrounds {
				if _, err := spec.BackgroundColor(b); err != nil {
					t.Error(err)
				}
			}
			if s.Format != "jpeg" && s.Format != "png" {
				t.Errorf("format %q", s.Format)
			}
			if strings.TrimSpace(s.Source) == "" {
				t.Error("no source")
			}
		})
	}
}

// TestHeadBandsSatisfiable checks by hand (not through Feasible) that a typical head
// (crown-to-eye 0.45 of its height) has a placement meeting every vertical band.
func TestHeadBandsSatisfiable(t *testing.T) {
	for _, s := range load(t).All() {
		h := s.Head
		height := h.Height
		if !height.Set() { // scaled by face width: any real head height
			height = spec.Range{Min: 0.5, Max: 0.95}
		}
		found := false
		for ht := height.Min; ht <= height.Max+1e-9 && !found; ht += 0.001 {
			for c := 0.0; c <= 1-ht && !found; c += 0.001 {
				eye := 1 - c - 0.45*ht
				chin := 1 - c - ht
				found = h.CrownTop.Contains(c) && h.EyeFromBottom.Contains(eye) && h.ChinFromBottom.Contains(chin)
			}
		}
		if !found {
			t.Errorf("%s: no head height in %v places crown and eyes inside their bands", s.ID, h.Height)
		}
		if !(h.Height.Set() || h.FaceWidth.Set()) || !h.CenterX.Set() || !(h.CrownTop.Set() || h.EyeFromBottom.Set()) {
			t.Errorf("%s: placer has no target", s.ID)
		}
	}
}

func TestKnownEntries(t *testing.T) {
	tests := []struct {
		id         string
		wmm, hmm   float64
		wpx, hpx   int
		dpi        int
		background string
	}{
		{"cn-small-1inch", 22, 32, 260, 378, 300, "white"},
		{"cn-1inch", 25, 35, 295, 413, 300, "white"},
		{"cn-large-1inch", 33, 48, 390, 567, 300, "white"},
		{"cn-small-2inch", 35, 45, 413, 531, 300, "white"},
		{"cn-2inch", 35, 49, 413, 579, 300, "white"},
		{"cn-large-2inch", 35, 53, 413, 626, 300, "white"},
		{"cn-idcard", 26, 32, 358, 441, 350, "white"},
		{"cn-social-security", 26, 32, 358, 441, 350, "white"},
		{"cn-passport", 33, 48, 390, 567, 300, "white"},
		{"cn-driving-licence", 22, 32, 260, 378, 300, "white"},
		{"us-visa", 50.8, 50.8, 600, 600, 300, "white"},
		{"schengen", 35, 45, 413, 531, 300, "white"},
		{"jp-visa", 45, 45, 531, 531, 300, "white"},
		{"ca-visa", 50, 70, 591, 827, 300, "white"},
		{"cn-cet", 12.19, 16.26, 144, 192, 300, "light-blue"},
		{"cn-chsi", 40.64, 54.19, 480, 640, 300, "blue"},
		{"cn-visa", 29.97, 39.96, 354, 472, 300, "white"},
		{"cn-civil-service", 24.98, 34.97, 295, 413, 300, "blue"},
		{"cn-teacher", 24.98, 34.97, 295, 413, 300, "white"},
	}
	c := load(t)
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s, err := c.Lookup(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if s.WidthMM != tt.wmm || s.HeightMM != tt.hmm || s.WidthPx != tt.wpx || s.HeightPx != tt.hpx || s.DPI != tt.dpi {
				t.Errorf("got %gx%g mm %dx%d px %d dpi", s.WidthMM, s.HeightMM, s.WidthPx, s.HeightPx, s.DPI)
			}
			if s.Backgrounds[0] != tt.background {
				t.Errorf("default background %q, want %q", s.Backgrounds[0], tt.background)
			}
		})
	}
}

// The resident ID card's bands are GA 461's pixel rules over 358x441.
func TestIDCardBands(t *testing.T) {
	s, err := load(t).Lookup("cn-idcard")
	if err != nil {
		t.Fatal(err)
	}
	h := s.Head
	near := func(name string, got, wantPx float64) {
		if math.Abs(got-wantPx) > 0.05 {
			t.Errorf("%s = %.2f px, want %.0f", name, got, wantPx)
		}
	}
	near("crown min", h.CrownTop.Min*441, 7)
	near("crown max", h.CrownTop.Max*441, 21)
	near("eye min", h.EyeFromBottom.Min*441, 207)
	near("face min", h.FaceWidth.Min*358, 193)
	near("face max", h.FaceWidth.Max*358, 221)
	if !h.EyeWins || s.MinKB != 14 || s.MaxKB != 20 || s.Retouch {
		t.Errorf("eye_wins %v, KB %d-%d, retouch %v", h.EyeWins, s.MinKB, s.MaxKB, s.Retouch)
	}
}

func TestLookup(t *testing.T) {
	c := load(t)
	tests := []struct {
		in, want, suggest string
	}{
		{"cn-1inch", "cn-1inch", ""},
		{"  US-Visa ", "us-visa", ""},
		{"shengen", "", "schengen"},
		{"us-viza", "", "us-visa"},
		{"idcard", "", "cn-idcard"},
		{"cn-1inh", "", "cn-1inch"},
		{"zzzzzzzzzzzz", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := c.Lookup(tt.in)
			if tt.want != "" {
				if err != nil || s.ID != tt.want {
					t.Fatalf("Lookup = %q, %v; want %q", s.ID, err, tt.want)
				}
				return
			}
			if !errors.Is(err, spec.ErrUnknownSpec) {
				t.Fatalf("err = %v, want ErrUnknownSpec", err)
			}
			var ue *spec.UnknownSpecError
			if !errors.As(err, &ue) || ue.DidYouMean != tt.suggest {
				t.Fatalf("suggestion for %q = %+v, want %q", tt.in, ue, tt.suggest)
			}
			if tt.suggest != "" && !strings.Contains(err.Error(), "did you mean \""+tt.suggest+"\"") {
				t.Errorf("message %q lacks the suggestion", err)
			}
		})
	}
}

func TestOrderAndGroups(t *testing.T) {
	c := load(t)
	want := []string{"common", "id", "exam", "visa", "other"}
	if got := c.Groups(); !slices.Equal(got, want) {
		t.Fatalf("Groups = %v, want %v", got, want)
	}
	all := c.All()
	ok := slices.IsSortedFunc(all, func(a, b spec.Spec) int {
		if d := slices.Index(want, a.Group) - slices.Index(want, b.Group); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	if !ok {
		t.Error("All is not ordered by group, then id")
	}
	// callers cannot change the catalogue through what they are given
	all[0].Backgrounds[0] = "#000000"
	if again := c.All(); again[0].Backgrounds[0] == "#000000" {
		t.Error("All shares its slices with the catalogue")
	}
}

func TestBackgroundColor(t *testing.T) {
	tests := []struct {
		in      string
		r, g, b uint8
		ok      bool
	}{
		{"white", 255, 255, 255, true},
		{"blue", 0x43, 0x8E, 0xDB, true},
		{"#d9001b", 0xD9, 0x00, 0x1B, true},
		{"#FF0000", 255, 0, 0, true},
		{"#FF00", 0, 0, 0, false},
		{"#GG0000", 0, 0, 0, false},
		{"Blue", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	}
	for _, tt := range tests {
		c, err := spec.BackgroundColor(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (c.R != tt.r || c.G != tt.g || c.B != tt.b || c.A != 255)) {
			t.Errorf("BackgroundColor(%q) = %v, %v", tt.in, c, err)
		}
	}
}

// validEntry is one good entry as raw JSON fields, for Parse tests to break.
func validEntry() map[string]any {
	return map[string]any{
		"id": "x-test", "name": "Test", "name_zh": "测试", "group": "other", "country": "CN",
		"width_mm": 25, "height_mm": 35, "width_px": 295, "height_px": 413, "dpi": 300,
		"backgrounds": []string{"white", "#123456"},
		"head": map[string]any{
			"height":    map[string]float64{"min": 0.6, "max": 0.72},
			"crown_top": map[string]float64{"min": 0.06, "max": 0.12},
			"center_x":  map[string]float64{"min": 0.47, "max": 0.53},
		},
		"format": "jpeg", "source": "test",
	}
}

func doc(t testing.TB, entries ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"version": 1, "specs": entries})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	with := func(kv ...any) map[string]any {
		e := validEntry()
		for i := 0; i < len(kv); i += 2 {
			e[kv[i].(string)] = kv[i+1]
		}
		return e
	}
	withHead := func(k string, v any) map[string]any {
		e := validEntry()
		e["head"].(map[string]any)[k] = v
		return e
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"valid", doc(t, validEntry()), ""},
		{"mm rounded to a tenth", doc(t, with("width_mm", 25.1)), ""},
		{"one mm side missing", doc(t, with("width_mm", 0)), "both positive or both zero"},
		{"px only", doc(t, with("width_mm", 0, "height_mm", 0)), ""},
		{"duplicate id", doc(t, validEntry(), validEntry()), "duplicate id"},
		{"upper-case id", doc(t, with("id", "X-Test")), "a-z"},
		{"unknown group", doc(t, with("group", "misc")), "group"},
		{"bad country", doc(t, with("country", "chn")), "country"},
		{"zero px", doc(t, with("width_px", 0)), "pixel size"},
		{"px off formula", doc(t, with("width_px", 300)), "width 25 mm"},
		{"no backgrounds", doc(t, with("backgrounds", []string{})), "no backgrounds"},
		{"unknown background", doc(t, with("backgrounds", []string{"purple"})), "unknown background"},
		{"format", doc(t, with("format", "gif")), "format"},
		{"no source", doc(t, with("source", " ")), "no source"},
		{"two entries", doc(t, validEntry(), with("id", "a", "min_kb", 30, "max_kb", 40)), ""},
		{"KB inverted", doc(t, with("min_kb", 30, "max_kb", 10)), "not a range"},
		{"NaN-free bands only", []byte(`{"version":1,"specs":[{"id":"a","head":{"height":{"min":NaN}}}]}`), "parse catalogue"},
		{"band ≥ 1", doc(t, withHead("height", map[string]float64{"min": 0.6, "max": 1})), "0 < min <= max < 1"},
		{"band inverted", doc(t, withHead("center_x", map[string]float64{"min": 0.6, "max": 0.4})), "0 < min <= max < 1"},
		{"no height band", doc(t, withHead("height", map[string]float64{})), "height or face_width band"},
		{"no target", doc(t, withHead("crown_top", map[string]float64{})), "crown_top or eye_from_bottom"},
		{"unsatisfiable", doc(t, withHead("eye_from_bottom", map[string]float64{"min": 0.1, "max": 0.2})), "cannot all hold"},
		{"unknown field", []byte(`{"version":1,"specs":[{"idd":"x"}]}`), "unknown field"},
		{"version", []byte(`{"version":2,"specs":[]}`), "version 2"},
		{"empty", []byte(`{"version":1,"specs":[]}`), "no specs"},
		{"trailing data", append(doc(t, validEntry()), []byte(`{}`)...), "after the top-level"},
		{"not json", []byte(`<xml/>`), "parse catalogue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := spec.Parse(tt.data)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Parse err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(doc(f, validEntry()))
	f.Add([]byte(`{"version":1,"specs":[]}`))
	f.Add([]byte(`{"version":1,"specs":[{"id":"a","head":{"height":{"min":0.5,"max":0.4}}}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	c, err := spec.Load()
	if err != nil {
		f.Fatal(err)
	}
	builtin, err := json.Marshal(map[string]any{"version": 1, "specs": c.All()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(builtin)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := spec.Parse(data)
		if err != nil {
			return
		}
		// whatever parses must be a usable catalogue: every entry valid and found
		for _, s := range c.All() {
			if err := s.Validate(); err != nil {
				t.Fatalf("Parse accepted an invalid entry: %v", err)
			}
			if got, err := c.Lookup(s.ID); err != nil || got.ID != s.ID {
				t.Fatalf("Lookup(%q) = %q, %v", s.ID, got.ID, err)
			}
			if !s.Head.Feasible() {
				t.Fatal("Parse accepted unsatisfiable bands")
			}
		}
		if len(c.Groups()) == 0 {
			t.Fatal("a parsed catalogue has no groups")
		}
	})
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"cn-1inch", "shengen", "", "ÿÿÿ", strings.Repeat("a", 200)} {
		f.Add(s)
	}
	c, err := spec.Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s, err := c.Lookup(id)
		if err == nil {
			if s.ID != strings.ToLower(strings.TrimSpace(id)) {
				t.Fatalf("Lookup(%q) gave %q", id, s.ID)
			}
			return
		}
		var ue *spec.UnknownSpecError
		if !errors.As(err, &ue) {
			t.Fatalf("error %v is not an UnknownSpecError", err)
		}
		if ue.DidYouMean != "" {
			if _, err := c.Lookup(ue.DidYouMean); err != nil {
				t.Fatalf("suggested %q does not exist", ue.DidYouMean)
			}
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := spec.Load(); err != nil {
			b.Fatal(err)
		}
	}
}
