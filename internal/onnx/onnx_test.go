package onnx_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/idphoto/idphoto/internal/models"
	"github.com/idphoto/idphoto/internal/onnx"
)

func installed(t testing.TB) models.Paths {
	t.Helper()
	p, err := models.Locate(models.DefaultDir())
	if err != nil {
		t.Skipf("models not installed (%v)", err)
	}
	return p
}

func open(t testing.TB, p models.Paths) *onnx.Runtime {
	t.Helper()
	rt, err := onnx.Open(onnx.Config{LibraryPath: p.ORTLib, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt
}

func TestOpenRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  onnx.Config
		want string
	}{
		{"no path", onnx.Config{}, "no runtime library path"},
		{"missing file", onnx.Config{LibraryPath: filepath.Join(t.TempDir(), "libonnxruntime.so.1")}, "no such file"},
		{"directory", onnx.Config{LibraryPath: t.TempDir()}, "not a regular file"},
		{"negative threads", onnx.Config{LibraryPath: "x", Threads: -1}, "threads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := onnx.Open(tt.cfg)
			if err == nil {
				rt.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// The BlazeFace front model: one NHWC float input, four float outputs.
func blazeOptions(p models.Paths) onnx.SessionOptions {
	return onnx.SessionOptions{
		ModelPath:    p.BlazeFront,
		InputName:    "input:0",
		InputShape:   []int64{1, 128, 128, 3},
		OutputNames:  []string{"Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"},
		OutputShapes: [][]int64{{1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}},
	}
}

func TestSessionRunsBlazeFace(t *testing.T) {
	p := installed(t)
	rt := open(t, p)
	opt := blazeOptions(p)
	opt.Pool, opt.WarmUp = 2, 1
	s, err := rt.NewSession(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	if err := rt.Close(); err == nil || !strings.Contains(err.Error(), "sessions still open") {
		t.Errorf("closing a runtime with an open session: %v", err)
	}

	in := make([]float32, 128*128*3)
	out, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{512, 384, 512 * 16, 384 * 16} {
		if len(out[i]) != want {
			t.Errorf("output %d has %d values, want %d", i, len(out[i]), want)
		}
	}

	// Concurrent runs over the pool give the serial answer.
	for i := range in {
		in[i] = float32(i%255)/127.5 - 1
	}
	want, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got, err := s.Run(context.Background(), in)
			if err != nil {
				errs <- err
				return
			}
			for i := range want[0] {
				if got[0][i] != want[0][i] {
					errs <- errors.New("concurrent run differs")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if _, err := s.Run(context.Background(), in[:10]); err == nil {
		t.Error("short input accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	s.Close()
	if _, err := s.Run(context.Background(), in); !errors.Is(err, onnx.ErrClosed) {
		t.Errorf("run after close: %v", err)
	}
}

func TestNewSessionChecksTheModel(t *testing.T) {
	p := installed(t)
	rt := open(t, p)
	tests := []struct {
		name string
		edit func(*onnx.SessionOptions)
		want string
	}{
		{"wrong input name", func(o *onnx.SessionOptions) { o.InputName = "input" }, `"input:0"`},
		{"wrong output name", func(o *onnx.SessionOptions) { o.OutputNames[0] = "scores" }, "Identity_3:0"},
		{"wrong shape", func(o *onnx.SessionOptions) { o.InputShape = []int64{1, 3, 128, 128} }, "shape"},
		{"shapes missing", func(o *onnx.SessionOptions) { o.OutputShapes = nil }, "output shapes"},
		{"zero dimension", func(o *onnx.SessionOptions) { o.InputShape = []int64{1, 0, 128, 3} }, "positive"},
		{"no model", func(o *onnx.SessionOptions) { o.ModelPath = filepath.Join(t.TempDir(), "x.onnx") }, "load"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := blazeOptions(p)
			opt.OutputNames = append([]string(nil), opt.OutputNames...)
			tt.edit(&opt)
			s, err := rt.NewSession(opt)
			if err == nil {
				s.Close()
				t.Fatal("NewSession succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

// Runtimes share the one environment: closing one leaves the other working.
func TestRuntimesShareTheEnvironment(t *testing.T) {
	p := installed(t)
	a := open(t, p)
	b, err := onnx.Open(onnx.Config{LibraryPath: p.ORTLib})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := b.NewSession(blazeOptions(p)); !errors.Is(err, onnx.ErrClosed) {
		t.Errorf("session on a closed runtime: %v", err)
	}
	s, err := a.NewSession(blazeOptions(p))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), make([]float32, 128*128*3)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	other := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	os.WriteFile(other, []byte("x"), 0o644)
	if c, err := onnx.Open(onnx.Config{LibraryPath: other}); err == nil {
		c.Close()
		t.Error("a second library was accepted while one is loaded")
	}
}

// halfIdentityModel is a hand-encoded ONNX model: y = Identity(x), x and y float16[4].
func halfIdentityModel() []byte {
	tensor := cat(key(1, 0), varint(10), pb(2, pb(1, cat(key(1, 0), varint(4))))) // elem_type FLOAT16, shape [4]
	valueInfo := func(name string) []byte { return cat(pb(1, []byte(name)), pb(2, pb(1, tensor))) }
	node := cat(pb(1, []byte("x")), pb(2, []byte("y")), pb(4, []byte("Identity")))
	graph := cat(pb(1, node), pb(2, []byte("g")), pb(11, valueInfo("x")), pb(12, valueInfo("y")))
	opset := cat(key(2, 0), varint(13))
	return cat(key(1, 0), varint(7), pb(7, graph), pb(8, opset))
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func varint(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func key(field, wire uint64) []byte { return varint(field<<3 | wire) }

// pb encodes a length-delimited protobuf field.
func pb(field uint64, payload []byte) []byte {
	return cat(key(field, 2), varint(uint64(len(payload))), payload)
}

func TestSessionConvertsFloat16(t *testing.T) {
	p := installed(t)
	rt := open(t, p)
	model := filepath.Join(t.TempDir(), "half.onnx")
	if err := os.WriteFile(model, halfIdentityModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := rt.NewSession(onnx.SessionOptions{
		ModelPath: model, InputName: "x", InputShape: []int64{4}, InputFloat16: true,
		OutputNames: []string{"y"}, OutputShapes: [][]int64{{4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Run(context.Background(), []float32{1, 1.0 / 3, 70000, 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0.333251953125, float32(math.Inf(1)), 1.1920928955078125e-07}
	for i := range want {
		if out[0][i] != want[i] {
			t.Errorf("y[%d] = %g, want %g", i, out[0][i], want[i])
		}
	}
}

func BenchmarkBlazeFaceRun(b *testing.B) {
	p := installed(b)
	rt := open(b, p)
	s, err := rt.NewSession(blazeOptions(p))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	in := make([]float32, 128*128*3)
	for b.Loop() {
		if _, err := s.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// IS-Net medium: the "fp16" export takes and gives float32 (it casts inside), and
// only the "output" tensor of its twelve is asked for.
func BenchmarkISNetRun(b *testing.B) {
	p := installed(b)
	rt, err := onnx.Open(onnx.Config{LibraryPath: p.ORTLib, Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	s, err := rt.NewSession(onnx.SessionOptions{
		ModelPath: p.ISNet, InputName: "input", InputShape: []int64{1, 3, 1024, 1024},
		OutputNames: []string{"output"}, OutputShapes: [][]int64{{1, 1, 1024, 1024}},
		WarmUp: 2,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	in := make([]float32, 3*1024*1024)
	for b.Loop() {
		if _, err := s.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
