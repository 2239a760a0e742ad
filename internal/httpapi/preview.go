package httpapi

import (
	"bytes"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/idphoto/idphoto/internal/imageio"
)

// Preview (promise P6): the finished photo at half its size, JPEG quality 40, under a
// tiled diagonal watermark, good enough to judge the photo and useless as one.
const (
	WatermarkText  = "idphoto 预览 PREVIEW"
	previewQuality = 40
	watermarkAngle = 30 * math.Pi / 180
)

// makePreview reduces and watermarks a finished photo.
func makePreview(img *image.NRGBA) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	small := imageio.Shrink(img, max(1, (max(w, h)+1)/2))
	if small == img { // a 1-pixel photo: never draw on the caller's image
		small = &image.NRGBA{Pix: bytes.Clone(img.Pix), Stride: img.Stride, Rect: img.Rect}
	}
	watermark(small)
	var buf bytes.Buffer
	err := imageio.Encode(&buf, small, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: previewQuality})
	return buf.Bytes(), err
}

// watermark draws WatermarkText over img in rows turned by watermarkAngle, each row
// shifted by half a repeat, in grey at 45% so it shows on white, blue and red.
func watermark(img *image.NRGBA) {
	mask, mw, mh := textMask(WatermarkText)
	scale := max(1, img.Rect.Dx()/300)
	tw, th := mw*scale, mh*scale
	px, py := tw+tw/4, th*2
	sin, cos := math.Sincos(watermarkAngle)
	const a = 0.45
	const grey = 90.0
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			u := float64(x)*cos - float64(y)*sin
			v := float64(x)*sin + float64(y)*cos
			row := int(math.Floor(v / float64(py)))
			tu := mod(int(math.Floor(u))+row*px/2, px)
			tv := mod(int(math.Floor(v)), py)
			if tu >= tw || tv >= th || !mask[(tv/scale)*mw+tu/scale] {
				continue
			}
			i := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				img.Pix[i+c] = uint8(float64(img.Pix[i+c])*(1-a) + grey*a + 0.5)
			}
		}
	}
}

func mod(a, m int) int {
	a %= m
	if a < 0 {
		a += m
	}
	return a
}

// textMask renders s in one row: ASCII with the 7x13 basic font, the two Chinese
// characters from the 16x16 bitmaps below, baselines aligned.
func textMask(s string) (mask []bool, w, h int) {
	const height, baseline = 16, 14
	face := basicfont.Face7x13
	width := 0
	for _, r := range s {
		if _, ok := cjkGlyphs[r]; ok {
			width += 17
		} else {
			width += 7
		}
	}
	img := image.NewAlpha(image.Rect(0, 0, width, height))
	x := 0
	for _, r := range s {
		if g, ok := cjkGlyphs[r]; ok {
			for gy, line := range g {
				for gx, c := range line {
					if c == '#' {
						img.SetAlpha(x+gx, gy, color.Alpha{255})
					}
				}
			}
			x += 17
			continue
		}
		d := font.Drawer{Dst: img, Src: image.Opaque, Face: face, Dot: fixed.P(x, baseline)}
		d.DrawString(string(r))
		x += 7
	}
	mask = make([]bool, width*height)
	for i, v := range img.Pix {
		mask[i] = v >= 128
	}
	return mask, width, height
}

// cjkGlyphs are 预 and 览 drawn by hand on a 16x16 grid: no CJK font is embedded for
// two characters.
var cjkGlyphs = map[rune][16]string{
	'预': {
		"................",
		".######..#######",
		"......#.....#...",
		".....#...######.",
		"..##.....#....#.",
		"....#....#....#.",
		"#######..#.#..#.",
		"...#..#..#.#..#.",
		"...#.#...#.#..#.",
		"...#.....#.#..#.",
		"...#.....#.#..#.",
		"...#.......#....",
		"...#......#.#...",
		"...#.....#...#..",
		".###....#.....#.",
		"................",
	},
	'览': {
		"................",
		".#.#.....#......",
		".#.#....#######.",
		".#.#...#........",
		".#.#......##....",
		".#.#........#...",
		"................",
		"..###########...",
		"..#.........#...",
		"..#....#....#...",
		"..#....#....#...",
		"..#...#.#...#...",
		".....#..#.......",
		"....#...#.....#.",
		"..##.....#####..",
		"................",
	},
}
