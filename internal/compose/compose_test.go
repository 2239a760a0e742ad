package compose

import (
	"image"
	"image/color"
	"testing"

	"github.com/idphoto/idphoto/internal/geometry"
)

func TestParseBackground(t *testing.T) {
	blue := color.NRGBA{0x43, 0x8E, 0xDB, 255}
	white := color.NRGBA{255, 255, 255, 255}
	tests := []struct {
		in   string
		want Background
	}{
		{"blue", Background{Kind: Solid, From: blue, To: blue}},
		{"#438edb", Background{Kind: Solid, From: blue, To: blue}},
		{"438EDB", Background{Kind: Solid, From: blue, To: blue}},
		{" White ", Background{Kind: Solid, From: white, To: white}},
		{"#fff", Background{Kind: Solid, From: white, To: white}},
		{"vertical:white:blue", Background{Kind: Vertical, From: white, To: blue}},
		{"radial:#FFFFFF:#438EDB", Background{Kind: Radial, From: white, To: blue}},
	}
	for _, tt := range tests {
		got, err := ParseBackground(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseBackground(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if again, err := ParseBackground(got.String()); err != nil || again != got {
			t.Errorf("String round trip of %q: %v, %v", tt.in, again, err)
		}
	}
	for _, bad := range []string{"", "purple", "#12345", "#gggggg", "vertical:white", "diagonal:white:blue", "radial:white:nope"} {
		if _, err := ParseBackground(bad); err == nil {
			t.Errorf("ParseBackground(%q): no error", bad)
		}
	}
}

func FuzzParseBackground(f *testing.F) {
	for _, s := range []string{"blue", "#438EDB", "vertical:white:blue", "radial::", "#", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBackground(s)
		if err != nil {
			return
		}
		if again, err := ParseBackground(b.String()); err != nil || again != b {
			t.Fatalf("round trip of %q: %v %v", s, again, err)
		}
	})
}

func TestRender(t *testing.T) {
	// a 40x40 source: left half an opaque red person, right half transparent backdrop
	// whose colour (green) must never show
	src := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 40; x++ {
			if x < 20 {
				src.SetNRGBA(x, y, color.NRGBA{200, 0, 0, 255})
			} else {
				src.SetNRGBA(x, y, color.NRGBA{0, 255, 0, 0})
			}
		}
	}
	bg, _ := ParseBackground("blue")
	// output 20x20 at half scale, shifted so the source's left half lands on the
	// output's left half; the right of the output samples outside the source
	out := Render(20, 20, src, geometry.Scale(2), bg)
	if got := out.NRGBAAt(2, 10); got != (color.NRGBA{200, 0, 0, 255}) {
		t.Errorf("person pixel %v", got)
	}
	if got := out.NRGBAAt(17, 10); got != bg.From {
		t.Errorf("background pixel %v", got)
	}
	for x := 0; x < 20; x++ {
		if c := out.NRGBAAt(x, 5); c.G > 0x8E {
			t.Errorf("x=%d: the old backdrop's green leaks: %v", x, c)
		}
	}
	out = Render(20, 20, src, geometry.Translate(100, 100), bg)
	if got := out.NRGBAAt(0, 0); got != bg.From {
		t.Errorf("outside the source: %v", got)
	}
}

func TestRenderGradients(t *testing.T) {
	empty := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	v, _ := ParseBackground("vertical:#000000:#FFFFFF")
	out := Render(10, 11, empty, geometry.Identity, v)
	if top, bot, mid := out.NRGBAAt(3, 0), out.NRGBAAt(3, 10), out.NRGBAAt(3, 5); top.R != 0 || bot.R != 255 || mid.R < 126 || mid.R > 129 {
		t.Errorf("vertical: top %v mid %v bottom %v", top, mid, bot)
	}
	r, _ := ParseBackground("radial:#FFFFFF:#000000")
	out = Render(11, 11, empty, geometry.Identity, r)
	if c, corner := out.NRGBAAt(5, 5), out.NRGBAAt(0, 0); c.R != 255 || corner.R != 0 {
		t.Errorf("radial: centre %v corner %v", c, corner)
	}
}

func BenchmarkRender(b *testing.B) {
	src := image.NewNRGBA(image.Rect(0, 0, 2048, 1536))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	bg, _ := ParseBackground("blue")
	m := geometry.Rotate(3, 1000, 700).Then(geometry.Scale(3))
	b.ReportAllocs()
	for b.Loop() {
		Render(413, 531, src, m, bg)
	}
}
