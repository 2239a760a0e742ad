package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/store"
)

// pool runs jobs on a fixed number of workers. slots holds one token per job that is
// queued or running here, so a full pool is known at once (429), never by blocking.
type pool struct {
	slots   chan struct{}
	queue   chan string
	workers int
	run     func(ctx context.Context, id string)

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	// work is cancelled when a drain runs out of time: running jobs stop and requeue.
	work       context.Context
	cancelWork context.CancelFunc
}

func newPool(workers, queue int, run func(context.Context, string)) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &pool{
		slots:   make(chan struct{}, workers+queue),
		queue:   make(chan string, workers+queue),
		workers: workers, run: run,
		stop: make(chan struct{}), work: ctx, cancelWork: cancel,
	}
}

func (p *pool) start() {
	for range p.workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				select {
				case <-p.stop:
					return
				default:
				}
				select {
				case <-p.stop:
					return
				case id := <-p.queue:
					p.run(p.work, id)
					<-p.slots
				}
			}
		}()
	}
}

// reserve takes a slot if one is free.
func (p *pool) reserve() bool {
	if p.stopped() {
		return false
	}
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (p *pool) release() { <-p.slots }

// submitReserved queues a job whose slot is taken; it never blocks.
func (p *pool) submitReserved(id string) { p.queue <- id }

// submitWait waits for a slot (jobs recovered at start); false once stopped.
func (p *pool) submitWait(id string) bool {
	select {
	case p.slots <- struct{}{}:
		p.queue <- id
		return true
	case <-p.stop:
		return false
	}
}

func (p *pool) stopped() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// drain stops the workers after their current job. Jobs still in the queue stay
// queued in the database. When ctx ends first, running jobs are cancelled (they put
// themselves back in the queue) and drain waits for them to say so.
func (p *pool) drain(ctx context.Context) error {
	p.stopOnce.Do(func() { close(p.stop) })
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		p.cancelWork()
		return nil
	case <-ctx.Done():
		p.cancelWork()
		<-done
		return ctx.Err()
	}
}

// idle is how many workers have nothing to do, queued work counted.
func (p *pool) idle() int { return p.workers - len(p.slots) }

// jobLease is how long a job may stay running before it counts as abandoned by its
// instance: longer than any run (JobTimeout) and the writes that end it.
func (a *API) jobLease() time.Duration { return a.cfg.JobTimeout + time.Minute }

// pollJobs runs until the pool stops: every PollEvery, idle workers take jobs from
// the database that this instance did not queue (another instance did, or died
// running them). A job queued here is in the pool already; it is polled only if it
// waited a whole period, and StartJob lets one worker, here or elsewhere, run each.
func (a *API) pollJobs() {
	t := time.NewTicker(a.cfg.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-a.pool.stop:
			return
		case <-t.C:
		}
		n := a.pool.idle()
		if n <= 0 {
			continue
		}
		ids, err := a.store.PollJobs(a.pool.work, time.Now().Add(-a.cfg.PollEvery), n, a.jobLease(), a.cfg.MaxAttempts, CodeInternal)
		if err != nil {
			a.log.Error("job poll failed", slog.String("error", errText(err)))
			continue
		}
		for _, id := range ids {
			if !a.pool.reserve() {
				break
			}
			a.pool.submitReserved(id)
		}
	}
}

// hub tells event streams that a job changed.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[chan struct{}]struct{}{}} }

func (h *hub) subscribe(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[id] == nil {
		h.subs[id] = map[chan struct{}]struct{}{}
	}
	h.subs[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
		h.mu.Unlock()
	}
}

func (h *hub) publish(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// process runs one job. What it logs: the job id, the outcome's code, durations.
// Never a message of the pipeline (it may hold head measurements) nor face data.
func (a *API) process(work context.Context, id string) {
	// The database writes at the end use a context of their own: a cancelled job
	// must still record that it goes back to the queue.
	bg := context.WithoutCancel(work)
	if err := a.store.StartJob(bg, id); err != nil {
		if !errors.Is(err, store.ErrNotFound) { // not queued any more: nothing to do
			a.log.Error("job start failed", slog.String("job", id), slog.String("error", errText(err)))
		}
		return
	}
	a.hub.publish(id)
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(work, a.cfg.JobTimeout)
	defer cancel()
	j, rep, err := a.makePhoto(ctx, id)
	var pe *pipeline.Error
	switch {
	case err == nil:
		err = a.store.FinishJob(bg, id, store.JobDone, "", nil)
	case work.Err() != nil:
		// Shutdown ran out of time: back to the queue for the next start.
		if err := a.store.RequeueJob(bg, id); err != nil {
			a.log.Error("job requeue failed", slog.String("job", id), slog.String("error", errText(err)))
		}
		a.log.Info("job requeued at shutdown", slog.String("job", id))
		a.hub.publish(id)
		return
	case errors.As(err, &pe) && pe.Code != pipeline.CodeInternal && pe.Code != pipeline.CodeCanceled:
		err = a.fail(bg, j, rep, pe.Code, pe.Msg)
	case ctx.Err() != nil:
		err = a.fail(bg, j, rep, CodeInternal, "making the photo took too long")
	default:
		a.log.Error("job failed", slog.String("job", id), slog.String("error", errText(err)))
		err = a.fail(bg, j, rep, CodeInternal, "internal error")
	}
	if errors.Is(err, store.ErrNotFound) {
		// The job was deleted while it ran (R3, R4): remove what it just wrote.
		err = a.dropJobBlobs(bg, id)
	}
	if err != nil {
		a.log.Error("job finish failed", slog.String("job", id), slog.String("error", errText(err)))
	}
	code := ""
	if pe != nil {
		code = pe.Code
	}
	a.log.Info("job finished", slog.String("job", id), slog.String("code", code), slog.Duration("took", time.Since(t0)))
	a.hub.publish(id)
}

// fail records a failed job: the code in the row, the message sealed in the row and
// in the report.
func (a *API) fail(ctx context.Context, j store.Job, rep report, code, msg string) error {
	if j.ID == "" {
		return errors.New("httpapi: job vanished")
	}
	rep.State, rep.ErrorCode, rep.Error = store.JobFailed, code, msg
	b, _ := json.Marshal(rep)
	if err := a.blobs.Put(ctx, j.UserID, jobBlob(j.ID, "report"), b); err != nil {
		return err
	}
	sealed, err := a.vault.Seal(ctx, j.UserID, []byte(msg), "job.error:"+j.ID)
	if err != nil {
		return err
	}
	return a.store.FinishJob(ctx, j.ID, store.JobFailed, code, sealed)
}

// makePhoto runs the pipeline on the job's photo and stores the file, the preview
// and the report, sealed.
func (a *API) makePhoto(ctx context.Context, id string) (store.Job, report, error) {
	j, err := a.store.JobByID(ctx, id)
	if err != nil {
		return j, report{}, err
	}
	rep := report{JobID: j.ID, Spec: j.SpecID, Background: j.Background, Misses: []string{}, Warnings: []string{}}
	s, err := a.specs.Lookup(j.SpecID)
	if err != nil {
		return j, rep, err
	}
	bg, err := compose.ParseBackground(j.Background)
	if err != nil {
		return j, rep, err
	}
	p, err := a.store.GetPhoto(ctx, j.UserID, j.PhotoID)
	if err != nil {
		return j, rep, err
	}
	data, err := a.blobs.Get(ctx, j.UserID, p.BlobKey)
	if err != nil {
		return j, rep, err
	}
	res, err := a.engine.Make(ctx, bytes.NewReader(data), pipeline.Request{Spec: s, Background: bg})
	if err != nil {
		return j, rep, err
	}
	preview, err := makePreview(res.Image)
	if err != nil {
		return j, rep, err
	}
	rep.State = store.JobDone
	rep.Width, rep.Height = res.Image.Rect.Dx(), res.Image.Rect.Dy()
	rep.Format, rep.Bytes, rep.Quality = string(res.Format), len(res.File), res.Quality
	l := res.Layout
	rep.Layout = &layoutJSON{CrownTop: l.CrownTop, HeadHeight: l.Height, EyeFromBottom: l.EyeFromBottom, ChinFromBottom: l.ChinFromBottom, FaceWidth: l.FaceWidth, CenterX: l.CenterX}
	rep.Misses = append(rep.Misses, res.Misses...)
	rep.Warnings = append(rep.Warnings, res.Warnings...)
	if res.Report != nil {
		// Rules with measured values (P5): the user's own, sealed like the rest, less
		// the face-derived numbers, which never outlive the run (P3).
		if rep.Checks, err = json.Marshal(res.Report.ForStorage()); err != nil {
			return j, rep, err
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return j, rep, err
	}
	for name, blob := range map[string][]byte{"file": res.File, "preview": preview, "report": b} {
		if err := a.blobs.Put(ctx, j.UserID, jobBlob(j.ID, name), blob); err != nil {
			return j, rep, err
		}
	}
	return j, rep, nil
}
