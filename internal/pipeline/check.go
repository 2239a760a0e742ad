package pipeline

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/idphoto/idphoto/internal/check"
	"github.com/idphoto/idphoto/internal/face"
)

// CheckReport is the photo check's verdict (check.Report), named here so Result can
// hold it.
type CheckReport = check.Report

// check judges the photo and the finished photo against the spec's rules. Face data
// stays in the run state; the report holds measured numbers only.
func (e *Engine) check(_ context.Context, st *run) error {
	st.res.Report = check.Evaluate(e.checkInput(st, []face.Face{st.face}, true))
	return nil
}

// checkInput gathers what the rules measure from the run state, as far as the steps
// got.
func (e *Engine) checkInput(st *run, faces []face.Face, hasFace bool) check.Input {
	in := check.Input{
		Spec:    st.req.Spec,
		Source:  st.work,
		Faces:   faces,
		HasFace: hasFace,
		Alpha:   st.alpha,
		Photo:   st.out,
		MaxRoll: e.cfg.MaxRoll,
	}
	if hasFace {
		in.Face = st.face
	}
	if st.work != nil && st.info.Width > 0 {
		in.SourceScale = float64(st.work.Rect.Dx()) / float64(st.info.Width)
	}
	if st.head.CrownUp > 0 {
		in.Head = st.head
	}
	if st.place.Width > 0 {
		p := st.place
		in.Placement = &p
	}
	if st.res != nil {
		in.File = st.res.File
	}
	return in
}

// Check runs the steps as Make does and returns the report on the photo. When a step
// stops the photo (no face, two faces, a head too tilted, a backdrop the matte can't
// read), Check still returns the report on what was measured, with the rules that
// explain it failing, together with the step's error; the result is then nil. The
// report is nil only when the photo could not be read at all.
func (e *Engine) Check(ctx context.Context, r io.Reader, req Request) (*CheckReport, *Result, error) {
	if req.Spec.WidthPx <= 0 || req.Spec.HeightPx <= 0 {
		return nil, nil, &Error{Code: CodeBadRequest, Msg: "no photo spec chosen"}
	}
	st := &run{req: req, in: r, res: &Result{}}
	for i, s := range e.steps {
		if err := ctx.Err(); err != nil {
			return nil, nil, &Error{Code: CodeCanceled, Msg: "cancelled", Err: err}
		}
		t0 := time.Now()
		err := s.fn(ctx, st)
		st.res.Timings = append(st.res.Timings, Timing{Step: s.name, D: time.Since(t0)})
		if err == nil {
			continue
		}
		err = classify(s.name, err)
		if i == 0 || st.work == nil {
			return nil, nil, err
		}
		return e.partialReport(ctx, st, err), nil, err
	}
	return st.res.Report, st.res, nil
}

// partialReport is the report on a photo whose steps stopped with err.
func (e *Engine) partialReport(ctx context.Context, st *run, err error) *CheckReport {
	var pe *Error
	errors.As(err, &pe)
	faces, hasFace := []face.Face{st.face}, true
	if pe != nil && (pe.Code == CodeNoFace || pe.Code == CodeManyFaces) {
		// detect keeps no list of the faces it rejected: find them again.
		faces, _ = e.det.Detect(ctx, st.work)
		hasFace = false
	}
	if st.face == (face.Face{}) {
		hasFace = false
	}
	return check.Evaluate(e.checkInput(st, faces, hasFace))
}
