package httpapi

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/sheet"
)

// jobSheet is the clean photo laid out on print paper (?paper=6in, 5in or a4; 6in by
// default), as many copies as fit, with crop marks: 402 until the job is paid for.
func (a *API) jobSheet(w http.ResponseWriter, r *http.Request, user string) {
	paperID := r.URL.Query().Get("paper")
	if paperID == "" {
		paperID = "6in"
	}
	paper, err := sheet.LookupPaper(paperID)
	if err != nil {
		a.respondError(w, r, fail(CodeUnknownPaper, "paper: 6in, 5in or a4"))
		return
	}
	j, ok := a.finishedJob(w, r, user, "the print sheet")
	if !ok {
		return
	}
	sp, err := a.specs.Lookup(j.SpecID)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	b, err := a.blobs.Get(r.Context(), user, jobBlob(j.ID, "file"))
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	img, _, err := imageio.Decode(bytes.NewReader(b), a.cfg.Limits)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	out, _, err := sheet.Render([]sheet.Photo{{Img: img, WidthMM: sp.WidthMM, HeightMM: sp.HeightMM}}, sheet.DefaultOptions(paper))
	if errors.Is(err, sheet.ErrTooLarge) {
		a.respondError(w, r, fail(CodeUnknownPaper, "the photo does not fit on this paper: choose a larger one"))
		return
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := imageio.Encode(&buf, out, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: 95, DPI: paper.DPI}); err != nil {
		a.respondError(w, r, err)
		return
	}
	a.delivered(r, user, j.ID)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="idphoto-`+j.SpecID+`-sheet-`+paper.ID+`.jpg"`)
	w.Write(buf.Bytes())
}
