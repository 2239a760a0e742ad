package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/store"
)

type photoResponse struct {
	ID     string `json:"id"`
	Format string `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
}

// multipartSlack is what a multipart body may hold beyond the photo: boundaries,
// headers, a few small fields.
const multipartSlack = 64 << 10

// uploadPhoto takes a photo as multipart field "photo" (browsers, wx.uploadFile) or as
// JSON {"data": base64} (mini-programs that can't send multipart). The body is capped
// while reading; the photo is decoded once to refuse what is not a whole image, then
// stored sealed.
func (a *API) uploadPhoto(w http.ResponseWriter, r *http.Request, user string) {
	ctx := r.Context()
	select { // at most cfg.Uploads bodies in memory at once
	case a.uploads <- struct{}{}:
		defer func() { <-a.uploads }()
	case <-ctx.Done():
		return
	}
	data, err := a.readPhoto(w, r)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	// The decode budget is taken from the header's size before any pixel is decoded,
	// and held until the thumbnails are made.
	img, info, release, err := a.decodes.Decode(ctx, bytes.NewReader(data), a.cfg.Limits)
	if err != nil && ctx.Err() != nil {
		return // the client left while waiting, as for the uploads semaphore
	}
	if err != nil {
		a.respondError(w, r, asPipelineError(err))
		return
	}
	defer release()
	p := store.Photo{ID: store.NewID(), UserID: user, Format: string(info.Format), Width: info.Width, Height: info.Height, Bytes: int64(len(data)), CreatedAt: a.now()}
	p.BlobKey = "photos/" + p.ID
	// The library's metadata and thumbnails (P8, P9): see library.go.
	lp, thumbs, err := a.libraryPhoto(ctx, user, p, data, img)
	img = nil
	release()
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.blobs.Put(ctx, user, p.BlobKey, data); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.store.CreateLibraryPhoto(ctx, lp); err != nil {
		a.blobs.Delete(ctx, p.BlobKey)
		a.respondError(w, r, err)
		return
	}
	// A consent withdrawn since libraryPhoto read it erases what it allowed (P9).
	if err := a.privacy.ScrubPhotoMeta(ctx, user, p.ID); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.putThumbs(ctx, user, p.ID, thumbs); err != nil {
		a.log.Warn("thumbnails not stored; made again on first read", slog.String("reason", "store"))
	}
	writeJSON(w, http.StatusCreated, photoResponse{ID: p.ID, Format: p.Format, Width: p.Width, Height: p.Height, Bytes: len(data)})
}

// readAtMost reads up to limit bytes. With the body's length known it reads into one
// buffer of that size, where io.ReadAll would grow by doubling and leave about as much
// again as garbage: a 10 MB photo takes 10 MB, not 26 (the uploads' memory bound).
func readAtMost(r io.Reader, limit, size int64) ([]byte, error) {
	if size <= 0 || size > limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	var buf bytes.Buffer
	buf.Grow(int(size) + bytes.MinRead)
	_, err := buf.ReadFrom(io.LimitReader(r, limit))
	return buf.Bytes(), err
}

// asPipelineError gives imageio's errors the pipeline's codes.
func asPipelineError(err error) error {
	if pe, ok := pipeline.Coded(err); ok {
		return pe
	}
	return err
}

func (a *API) readPhoto(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	max := a.cfg.Limits.MaxBytes
	tooLarge := func() error {
		return &pipeline.Error{Code: CodeTooLarge, Msg: (&imageio.TooLargeError{Limit: max}).Error()}
	}
	switch mediaType(r) {
	case "multipart/form-data":
		if r.ContentLength > max+multipartSlack {
			return nil, tooLarge()
		}
		r.Body = http.MaxBytesReader(w, r.Body, max+multipartSlack)
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, &apiError{Code: CodeBadRequest, Msg: "the multipart body can't be read", Err: err}
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, fail(CodeBadRequest, `no "photo" field in the form`)
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, tooLarge()
				}
				return nil, &apiError{Code: CodeBadRequest, Msg: "the multipart body can't be read", Err: err}
			}
			if part.FormName() != "photo" {
				part.Close()
				continue
			}
			// The part's own name and file name are never kept or logged.
			data, err := readAtMost(part, max+1, r.ContentLength)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, tooLarge()
				}
				return nil, &apiError{Code: CodeBadRequest, Msg: "the upload was cut off", Err: err}
			}
			if int64(len(data)) > max {
				return nil, tooLarge()
			}
			return data, nil
		}
	case "application/json":
		// base64 is 4/3 of the bytes.
		limit := max/3*4 + 8 + 1024
		if r.ContentLength > limit {
			return nil, tooLarge()
		}
		var req struct {
			Data string `json:"data"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
		if err := dec.Decode(&req); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge()
			}
			return nil, &apiError{Code: CodeBadRequest, Msg: `send {"data": "<base64 of the photo>"}`, Err: err}
		}
		if _, after, ok := bytes.Cut([]byte(req.Data), []byte(";base64,")); ok && bytes.HasPrefix([]byte(req.Data), []byte("data:")) {
			req.Data = string(after) // a data: URL, as canvas.toDataURL gives
		}
		data, err := base64.StdEncoding.DecodeString(req.Data)
		if err != nil {
			return nil, &apiError{Code: CodeBadRequest, Msg: `"data" is not base64`, Err: err}
		}
		if int64(len(data)) > max {
			return nil, tooLarge()
		}
		return data, nil
	case "":
		return nil, fail(CodeUnsupportedMedia, `send multipart/form-data with a "photo" field, or application/json {"data": base64}`)
	default:
		if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && ct != "" {
			return nil, fail(CodeUnsupportedMedia, `send multipart/form-data with a "photo" field, or application/json {"data": base64}`)
		}
		return nil, fail(CodeUnsupportedMedia, "the Content-Type can't be read")
	}
}
