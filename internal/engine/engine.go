// Package engine wires a pipeline from what is installed: the neural face detector and
// matte when their models are present, the pure-Go ones otherwise.
package engine

import (
	"fmt"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/face/blazeface"
	"github.com/idphoto/idphoto/internal/matte"
	"github.com/idphoto/idphoto/internal/matte/isnet"
	"github.com/idphoto/idphoto/internal/models"
	"github.com/idphoto/idphoto/internal/onnx"
	"github.com/idphoto/idphoto/internal/pipeline"
)

// Kinds of engine.
const (
	Auto   = "auto"   // neural when its models are installed, else pure
	Neural = "neural" // BlazeFace + IS-Net through ONNX Runtime
	Pure   = "pure"   // pigo + the plain-backdrop matte, Go only
)

// Options choose the engine.
type Options struct {
	Kind      string
	ModelsDir string
	Threads   int // ONNX Runtime threads per session
	Pool      int // concurrent IS-Net sessions
	WarmUp    int // IS-Net runs at start (the first runs are ~3x slower); 0 for none
}

// DefaultOptions suit a long-running process on a small machine: two warm-up runs
// at start, so the first users don't wait three times as long.
func DefaultOptions() Options {
	return Options{Kind: Auto, ModelsDir: models.DefaultDir(), Threads: 2, Pool: 1, WarmUp: 2}
}

// Engine is a pipeline and what must be closed with it.
type Engine struct {
	*pipeline.Engine
	Kind  string // Neural or Pure
	close []func() error
}

// Close releases the models.
func (e *Engine) Close() error {
	var first error
	for i := len(e.close) - 1; i >= 0; i-- {
		if err := e.close[i](); err != nil && first == nil {
			first = err
		}
	}
	e.close = nil
	return first
}

// Open builds the engine o asks for.
func Open(o Options, cfg pipeline.Config) (*Engine, error) {
	switch o.Kind {
	case Auto, Neural, Pure:
	default:
		return nil, fmt.Errorf("unknown engine %q: use auto, neural or pure", o.Kind)
	}
	if o.Kind != Pure {
		paths, err := models.Locate(o.ModelsDir)
		switch {
		case err == nil:
			return openNeural(o, cfg, paths)
		case o.Kind == Neural:
			return nil, err
		}
	}
	det, err := face.NewPigo(face.PigoConfig{})
	if err != nil {
		return nil, err
	}
	p, err := pipeline.New(cfg, det, matte.NewBackdrop(matte.BackdropConfig{}))
	if err != nil {
		return nil, err
	}
	return &Engine{Engine: p, Kind: Pure}, nil
}

func openNeural(o Options, cfg pipeline.Config, paths models.Paths) (e *Engine, err error) {
	e = &Engine{Kind: Neural}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	rt, err := onnx.Open(onnx.Config{LibraryPath: paths.ORTLib, Threads: o.Threads})
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, rt.Close)
	det, err := blazeface.New(rt, paths.BlazeFront, paths.BlazeBack, blazeface.Config{})
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, det.Close)
	// BlazeFace's eye keypoints are a few pixels off, which is degrees of roll on a
	// small face; pigo's pupil localiser puts them on the pupils.
	pupils, err := face.NewPigo(face.PigoConfig{})
	if err != nil {
		return nil, err
	}
	warm := o.WarmUp
	if warm == 0 {
		warm = isnet.NoWarmUp
	}
	m, err := isnet.New(rt, paths.ISNet, isnet.Config{Pool: o.Pool, WarmUp: warm})
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, m.Close)
	if e.Engine, err = pipeline.New(cfg, face.PupilRefined(det, pupils), m); err != nil {
		return nil, err
	}
	return e, nil
}
