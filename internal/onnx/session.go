package onnx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// SessionOptions describe one model with one float input and the outputs wanted.
type SessionOptions struct {
	ModelPath    string
	InputName    string
	InputShape   []int64
	InputFloat16 bool     // model input is float16: Run converts from float32 (the model's declared type wins)
	OutputNames  []string // only these outputs are computed and returned
	OutputShapes [][]int64
	Pool         int // number of ORT sessions kept (concurrent Runs); 0 means 1
	WarmUp       int // runs with a zero input per pooled session at creation
}

// Validate reports options that cannot describe a session.
func (o SessionOptions) Validate() error {
	switch {
	case o.ModelPath == "":
		return errors.New("onnx: session: no model path")
	case o.InputName == "":
		return errors.New("onnx: session: no input name")
	case len(o.OutputNames) == 0:
		return errors.New("onnx: session: no output names")
	case len(o.OutputShapes) != len(o.OutputNames):
		return fmt.Errorf("onnx: session: %d output names but %d output shapes", len(o.OutputNames), len(o.OutputShapes))
	case o.Pool < 0 || o.WarmUp < 0:
		return errors.New("onnx: session: pool and warm-up must be 0 or more")
	}
	if err := checkShape(o.InputShape); err != nil {
		return fmt.Errorf("onnx: session: input %s: %w", o.InputName, err)
	}
	for i, s := range o.OutputShapes {
		if err := checkShape(s); err != nil {
			return fmt.Errorf("onnx: session: output %s: %w", o.OutputNames[i], err)
		}
	}
	return nil
}

// maxElements bounds one tensor (1 GiB of float32) so a bad shape fails early.
const maxElements = 1 << 28

func checkShape(s []int64) error {
	if len(s) == 0 {
		return errors.New("empty shape")
	}
	n := int64(1)
	for _, d := range s {
		if d <= 0 {
			return fmt.Errorf("shape %v: dimensions must be positive", s)
		}
		n *= d
		if n > maxElements {
			return fmt.Errorf("shape %v: too many elements", s)
		}
	}
	return nil
}

func elements(s []int64) int {
	n := 1
	for _, d := range s {
		n *= int(d)
	}
	return n
}

// Session runs one model. It is safe for concurrent use: each Run borrows one of
// Pool ORT sessions, waiting (or giving up with ctx) while all are busy.
type Session struct {
	rt       *Runtime
	inputLen int
	outLens  []int
	pool     chan *slot
	slots    []*slot
	done     chan struct{}
	once     sync.Once
}

// slot is one ORT session with its own input and output tensors.
type slot struct {
	sess   *ort.AdvancedSession
	in     ort.Value
	in32   []float32 // input data when the model takes float32
	inHalf []byte    // input data when the model takes float16
	outs   []ort.Value
	out32  [][]float32 // per output: data when float32
	outH   [][]byte    // per output: data when float16
}

// NewSession loads the model Pool times, checks the input and outputs against the
// model, and runs the warm-up.
func (rt *Runtime) NewSession(opt SessionOptions) (*Session, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if err := rt.addSession(); err != nil {
		return nil, err
	}
	pool := max(opt.Pool, 1)
	s := &Session{
		rt:       rt,
		inputLen: elements(opt.InputShape),
		pool:     make(chan *slot, pool),
		done:     make(chan struct{}),
	}
	opt, outHalf, err := rt.checkModel(opt)
	if err != nil {
		rt.dropSession()
		return nil, err
	}
	for _, sh := range opt.OutputShapes {
		s.outLens = append(s.outLens, elements(sh))
	}
	for range pool {
		sl, err := rt.newSlot(opt, outHalf)
		if err != nil {
			s.destroy()
			return nil, err
		}
		s.slots = append(s.slots, sl)
		s.pool <- sl
	}
	// Before the warm-up grows the activation arena, and once more after it.
	releaseFreedHeap()
	zero := make([]float32, s.inputLen)
	for _, sl := range s.slots {
		for range opt.WarmUp {
			if err := sl.run(zero); err != nil {
				s.destroy()
				return nil, fmt.Errorf("onnx: warm up %s: %w", opt.ModelPath, err)
			}
		}
	}
	releaseFreedHeap()
	return s, nil
}

// checkModel compares opt with the model's declared input and outputs, so a wrong
// name or shape fails here with a clear message rather than inside a Run. The
// model's declared element types win over InputFloat16: "fp16" exports often keep a
// float32 input and cast inside (IS-Net medium does). It returns opt with
// InputFloat16 set from the model and, per wanted output, whether it is float16.
func (rt *Runtime) checkModel(opt SessionOptions) (SessionOptions, []bool, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return opt, nil, fmt.Errorf("onnx: session options: %w", err)
	}
	defer so.Destroy()
	// Only the declarations are read: skip the graph optimisations.
	if err := so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll); err != nil {
		return opt, nil, fmt.Errorf("onnx: session options: %w", err)
	}
	ins, outs, err := ort.GetInputOutputInfoWithOptions(opt.ModelPath, so)
	if err != nil {
		return opt, nil, fmt.Errorf("onnx: load %s: %w", opt.ModelPath, err)
	}
	in, ok := findInfo(ins, opt.InputName)
	if !ok {
		return opt, nil, fmt.Errorf("onnx: %s has no input %q (inputs: %s)", opt.ModelPath, opt.InputName, infoNames(ins))
	}
	switch in.DataType {
	case ort.TensorElementDataTypeFloat:
		opt.InputFloat16 = false
	case ort.TensorElementDataTypeFloat16:
		opt.InputFloat16 = true
	default:
		return opt, nil, fmt.Errorf("onnx: %s input %q is %s: only float and float16 are supported", opt.ModelPath, opt.InputName, in.DataType)
	}
	if !shapeFits(in.Dimensions, opt.InputShape) {
		return opt, nil, fmt.Errorf("onnx: %s input %q has shape %v, options say %v", opt.ModelPath, opt.InputName, in.Dimensions, opt.InputShape)
	}
	half := make([]bool, len(opt.OutputNames))
	for i, name := range opt.OutputNames {
		o, ok := findInfo(outs, name)
		if !ok {
			return opt, nil, fmt.Errorf("onnx: %s has no output %q (outputs: %s)", opt.ModelPath, name, infoNames(outs))
		}
		switch o.DataType {
		case ort.TensorElementDataTypeFloat:
		case ort.TensorElementDataTypeFloat16:
			half[i] = true
		default:
			return opt, nil, fmt.Errorf("onnx: %s output %q is %s: only float and float16 are supported", opt.ModelPath, name, o.DataType)
		}
		if !shapeFits(o.Dimensions, opt.OutputShapes[i]) {
			return opt, nil, fmt.Errorf("onnx: %s output %q has shape %v, options say %v", opt.ModelPath, name, o.Dimensions, opt.OutputShapes[i])
		}
	}
	return opt, half, nil
}

func findInfo(infos []ort.InputOutputInfo, name string) (ort.InputOutputInfo, bool) {
	for _, in := range infos {
		if in.Name == name && in.OrtValueType == ort.ONNXTypeTensor {
			return in, true
		}
	}
	return ort.InputOutputInfo{}, false
}

func infoNames(infos []ort.InputOutputInfo) string {
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = fmt.Sprintf("%q", in.Name)
	}
	return strings.Join(names, ", ")
}

// shapeFits reports whether the concrete shape matches the model's, where the model's
// dynamic dimensions (zero or negative) match anything.
func shapeFits(model ort.Shape, want []int64) bool {
	if len(model) != len(want) {
		return false
	}
	for i, d := range model {
		if d > 0 && d != want[i] {
			return false
		}
	}
	return true
}

func (rt *Runtime) newSlot(opt SessionOptions, outHalf []bool) (sl *slot, err error) {
	sl = &slot{}
	defer func() {
		if err != nil {
			sl.destroy()
		}
	}()
	if opt.InputFloat16 {
		sl.inHalf = make([]byte, 2*elements(opt.InputShape))
		sl.in, err = ort.NewCustomDataTensor(ort.NewShape(opt.InputShape...), sl.inHalf, ort.TensorElementDataTypeFloat16)
	} else {
		var t *ort.Tensor[float32]
		t, err = ort.NewEmptyTensor[float32](ort.NewShape(opt.InputShape...))
		if err == nil {
			sl.in, sl.in32 = t, t.GetData()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("onnx: input tensor: %w", err)
	}
	sl.out32 = make([][]float32, len(opt.OutputNames))
	sl.outH = make([][]byte, len(opt.OutputNames))
	for i, sh := range opt.OutputShapes {
		var v ort.Value
		if outHalf[i] {
			sl.outH[i] = make([]byte, 2*elements(sh))
			v, err = ort.NewCustomDataTensor(ort.NewShape(sh...), sl.outH[i], ort.TensorElementDataTypeFloat16)
		} else {
			var t *ort.Tensor[float32]
			t, err = ort.NewEmptyTensor[float32](ort.NewShape(sh...))
			if err == nil {
				v, sl.out32[i] = t, t.GetData()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("onnx: output tensor %q: %w", opt.OutputNames[i], err)
		}
		sl.outs = append(sl.outs, v)
	}

	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx: session options: %w", err)
	}
	defer so.Destroy()
	for _, set := range []func() error{
		func() error { return so.SetIntraOpNumThreads(rt.threads) },
		func() error { return so.SetInterOpNumThreads(1) },
		func() error { return so.SetExecutionMode(ort.ExecutionModeSequential) },
		// The arena keeps IS-Net near 1.2 s a run (3.6 s without it). The memory
		// pattern planner pre-allocates every activation at once: off, peak memory of
		// a 12 MP run fell from 2.55 GB to 1.74 GB with no loss of speed.
		func() error { return so.SetCpuMemArena(true) },
		func() error { return so.SetMemPattern(false) },
		// Idle workers sleep rather than spin: the host is shared with the server and
		// other sessions, and spinning there cost more than it saved in our runs.
		func() error { return so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0") },
		func() error { return so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("onnx: session options: %w", err)
		}
	}
	sl.sess, err = ort.NewAdvancedSession(opt.ModelPath, []string{opt.InputName}, opt.OutputNames,
		[]ort.Value{sl.in}, sl.outs, so)
	if err != nil {
		return nil, fmt.Errorf("onnx: load %s: %w", opt.ModelPath, err)
	}
	return sl, nil
}

// run copies input in, runs the model and leaves the results in the slot's outputs.
func (sl *slot) run(input []float32) error {
	if sl.inHalf != nil {
		for i, v := range input {
			binary.LittleEndian.PutUint16(sl.inHalf[2*i:], halfFromFloat32(v))
		}
	} else {
		copy(sl.in32, input)
	}
	return sl.sess.Run()
}

// results copies the outputs into fresh float32 slices owned by the caller.
func (sl *slot) results(lens []int) [][]float32 {
	res := make([][]float32, len(lens))
	for i, n := range lens {
		out := make([]float32, n)
		if h := sl.outH[i]; h != nil {
			for j := range out {
				out[j] = float32FromHalf(binary.LittleEndian.Uint16(h[2*j:]))
			}
		} else {
			copy(out, sl.out32[i])
		}
		res[i] = out
	}
	return res
}

func (sl *slot) destroy() {
	if sl.sess != nil {
		sl.sess.Destroy()
	}
	if sl.in != nil {
		sl.in.Destroy()
	}
	for _, v := range sl.outs {
		v.Destroy()
	}
}

// Run feeds input (len = product of InputShape) to the model and returns one
// float32 slice per OutputNames entry, in that order.
func (s *Session) Run(ctx context.Context, input []float32) ([][]float32, error) {
	if len(input) != s.inputLen {
		return nil, fmt.Errorf("onnx: run: input has %d values, want %d", len(input), s.inputLen)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var sl *slot
	select {
	case sl = <-s.pool:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, ErrClosed
	}
	defer func() { s.pool <- sl }()
	select {
	case <-s.done: // Close began while this Run waited: do not start new work
		return nil, ErrClosed
	default:
	}
	if err := sl.run(input); err != nil {
		return nil, fmt.Errorf("onnx: run: %w", err)
	}
	return sl.results(s.outLens), nil
}

// Close waits for running Runs to finish and frees the ORT sessions. Runs waiting for
// a session get ErrClosed. Closing twice is harmless.
func (s *Session) Close() error {
	s.once.Do(func() {
		close(s.done)
		for range s.slots {
			<-s.pool
		}
		s.destroy()
	})
	return nil
}

// destroy frees every slot and releases the Runtime; no slot may be in use.
func (s *Session) destroy() {
	for _, sl := range s.slots {
		sl.destroy()
	}
	s.slots = nil
	s.rt.dropSession()
}
