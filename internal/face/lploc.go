package face

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// lploc is a localisation cascade in pico's "lploc" format, the format of pigo's
// puploc and lps/* files: stages of regression trees whose nodes compare two pixels
// placed relative to the current estimate, each stage moving the estimate and
// shrinking its scale.
//
// pigo evaluates these files itself, but draws its perturbations from the global
// math/rand source and mixes stale values from a shared pool into the median when
// fewer than 63 perturbations are asked for, so the same photo would give slightly
// different eyes from one call to the next. This evaluator reads the same files with
// the same arithmetic, uses a fixed perturbation sequence (the same photo always gives
// the same points) and turns the pixel offsets with the face's roll.
type lploc struct {
	stages int
	scale  float32 // factor applied to the scale after each stage
	trees  int
	depth  int
	codes  []int8    // per tree: 4*(leaves-1) bytes (r1, c1, r2, c2 per node)
	preds  []float32 // per tree: 2*leaves floats (dr, dc per leaf)
}

var errCascade = errors.New("face: malformed landmark cascade")

// parseLploc reads an lploc cascade. It rejects truncated or oversized files
// without panicking.
func parseLploc(data []byte) (*lploc, error) {
	if len(data) < 16 {
		return nil, fmt.Errorf("%w: %d-byte header", errCascade, len(data))
	}
	stages := binary.LittleEndian.Uint32(data[0:])
	scale := math.Float32frombits(binary.LittleEndian.Uint32(data[4:]))
	trees := binary.LittleEndian.Uint32(data[8:])
	depth := binary.LittleEndian.Uint32(data[12:])
	if depth < 1 || depth > 12 || stages < 1 || stages > 1<<10 || trees < 1 || trees > 1<<12 {
		return nil, fmt.Errorf("%w: %d stages, %d trees, depth %d", errCascade, stages, trees, depth)
	}
	if s := float64(scale); math.IsNaN(s) || s <= 0 || s > 4 {
		return nil, fmt.Errorf("%w: scale factor", errCascade)
	}
	leaves := 1 << depth
	perTree := 4*(leaves-1) + 8*leaves
	n := int(stages) * int(trees)
	if len(data)-16 != n*perTree {
		return nil, fmt.Errorf("%w: %d bytes, want %d", errCascade, len(data), 16+n*perTree)
	}
	c := &lploc{
		stages: int(stages), scale: scale, trees: int(trees), depth: int(depth),
		codes: make([]int8, 0, n*4*(leaves-1)),
		preds: make([]float32, 0, n*2*leaves),
	}
	pos := 16
	for range n {
		for _, b := range data[pos : pos+4*(leaves-1)] {
			c.codes = append(c.codes, int8(b))
		}
		pos += 4 * (leaves - 1)
		for range 2 * leaves {
			c.preds = append(c.preds, math.Float32frombits(binary.LittleEndian.Uint32(data[pos:])))
			pos += 4
		}
	}
	for _, p := range c.preds {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return nil, fmt.Errorf("%w: prediction not finite", errCascade)
		}
	}
	return c, nil
}

// locate runs the cascade once from (x, y) at window size s on g. cos and sin turn
// the cascade's frame by the face's roll; flip mirrors it left to right (pigo uses the
// mirrored cascade for the other side of the face).
func (c *lploc) locate(g *grayImage, x, y, s, cos, sin float64, flip bool) (float64, float64, float64) {
	leaves := 1 << c.depth
	fl := 1.0
	if flip {
		fl = -1
	}
	codes, preds := c.codes, c.preds
	ci, pi := 0, 0
	for range c.stages {
		var dr, dc float64
		k := s / 256
		for range c.trees {
			node := codes[ci : ci+4*(leaves-1)]
			idx := 0
			for range c.depth {
				n := node[4*idx : 4*idx+4]
				r1, c1 := float64(n[0])*k, fl*float64(n[1])*k
				r2, c2 := float64(n[2])*k, fl*float64(n[3])*k
				p1 := g.at(int(math.Floor(x+cos*c1-sin*r1)), int(math.Floor(y+sin*c1+cos*r1)))
				p2 := g.at(int(math.Floor(x+cos*c2-sin*r2)), int(math.Floor(y+sin*c2+cos*r2)))
				idx = 2*idx + 1
				if p1 > p2 {
					idx++
				}
			}
			leaf := idx - (leaves - 1)
			dr += float64(preds[pi+2*leaf])
			dc += fl * float64(preds[pi+2*leaf+1])
			ci += 4 * (leaves - 1)
			pi += 2 * leaves
		}
		x += (cos*dc - sin*dr) * s
		y += (sin*dc + cos*dr) * s
		s *= float64(c.scale)
	}
	return x, y, s
}

// find runs the cascade from n perturbed starts around (x, y) and returns the median
// position. roll is in radians, clockwise on screen.
func (c *lploc) find(g *grayImage, x, y, s, roll float64, flip bool, n int) (float64, float64) {
	// A fixed seed: the perturbations only need to be spread, not unpredictable.
	rng := rand.New(rand.NewPCG(0x1d, 0x9407))
	cos, sin := math.Cos(roll), math.Sin(roll)
	xs := make([]float64, n)
	ys := make([]float64, n)
	for i := range n {
		px := x + s*0.15*(0.5-rng.Float64())
		py := y + s*0.15*(0.5-rng.Float64())
		ps := s * (0.925 + 0.15*rng.Float64())
		xs[i], ys[i], _ = c.locate(g, px, py, ps, cos, sin, flip)
	}
	slices.Sort(xs)
	slices.Sort(ys)
	return xs[n/2], ys[n/2]
}
