package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/pipeline"
)

// Issue 4: memory stays bounded when 50 clients upload 10 MB photos at once. The
// uploads semaphore (Config.Uploads) lets that many bodies be read, decoded and
// sealed at a time; the others wait with their bytes unread in the socket.

const (
	stormClients = 50
	stormBytes   = 10 << 20
)

var (
	bigJPEGOnce sync.Once
	bigJPEG     []byte
)

// noisyJPEG is a JPEG of about 10 MB: noise barely compresses, so a few megapixels
// at quality 95 make it.
func noisyJPEG(t testing.TB) []byte {
	t.Helper()
	bigJPEGOnce.Do(func() {
		r := rand.New(rand.NewPCG(4, 10))
		const w, h = 3000, 3000
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < len(img.Pix); i += 4 {
			v := r.Uint32()
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(v), uint8(v>>8), uint8(v>>16), 255
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
			panic(err)
		}
		bigJPEG = buf.Bytes()
	})
	if n := len(bigJPEG); n < stormBytes*9/10 || n > stormBytes*12/10 {
		t.Fatalf("the generated JPEG has %d bytes, want about %d", n, stormBytes)
	}
	return bigJPEG
}

// idleMaker makes nothing: the storm only uploads.
type idleMaker struct{}

func (idleMaker) Make(context.Context, io.Reader, pipeline.Request) (*pipeline.Result, error) {
	return nil, &pipeline.Error{Code: pipeline.CodeCanceled, Msg: "not in this test"}
}

// stormResult is one storm of concurrent uploads.
type stormResult struct {
	lat      []time.Duration // sorted
	elapsed  time.Duration
	peakHeap uint64 // runtime.MemStats.HeapInuse, sampled every 2 ms
	failed   []string
}

// uploadStorm sends clients uploads of photo at once (one shared body; each client
// streams it) and samples the heap meanwhile.
func uploadStorm(e *env, tok string, clients int, photo []byte) stormResult {
	body, ct := multipartBody(e.t, "photo", "big.jpg", photo)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var (
		mu  sync.Mutex
		res stormResult
		wg  sync.WaitGroup
	)
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: clients, MaxIdleConnsPerHost: clients}, Timeout: 5 * time.Minute}
	defer hc.CloseIdleConnections()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/photos", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", ct)
			t0 := time.Now()
			r, err := hc.Do(req)
			var status int
			if err == nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				status = r.StatusCode
			}
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || status != http.StatusCreated {
				res.failed = append(res.failed, fmt.Sprintf("%d %v", status, err))
				return
			}
			res.lat = append(res.lat, d)
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(stop)
	<-sampled
	res.peakHeap = peak.Load()
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	return res
}

func stormConfig() httpapi.Config {
	cfg := testConfig()
	cfg.Limits.MaxBytes = 12 << 20
	cfg.Limits.MaxPixels = 50_000_000
	cfg.Uploads = 4
	return cfg
}

// heapBound is what the uploads may hold: each of Config.Uploads holds its body, its
// decoded pixels and its sealed copy (about 4 × MaxBytes), plus 200 MB for the rest of
// the process and the garbage collector's slack.
func heapBound(cfg httpapi.Config) uint64 {
	return uint64(cfg.Uploads)*uint64(cfg.Limits.MaxBytes)*4 + 200<<20
}

// vmHWM is the process's peak resident memory from /proc/self/status, 0 elsewhere.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb uint64
			fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb << 10
		}
	}
	return 0
}

// 50 clients upload a 10 MB photo at once against the real handler on a temporary
// SQLite database: every upload is stored, and the peak heap stays under the bound
// the uploads semaphore promises (a behaviour, memory; no timing is asserted).
func TestUploadStormMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 500 MB over loopback")
	}
	photo := noisyJPEG(t)
	cfg := stormConfig()
	e := newEnv(t, cfg, idleMaker{})
	tok := e.session()
	res := uploadStorm(e, tok, stormClients, photo)
	if len(res.failed) > 0 {
		t.Fatalf("%d of %d uploads failed: %v\n%s", len(res.failed), stormClients, res.failed[:min(5, len(res.failed))], e.logs.String()[:min(3000, len(e.logs.String()))])
	}
	bound := heapBound(cfg)
	t.Logf("%d uploads of %.1f MB in %v: peak heap %d MB (bound %d MB), process VmHWM %d MB",
		stormClients, float64(len(photo))/(1<<20), res.elapsed.Round(time.Millisecond), res.peakHeap>>20, bound>>20, vmHWM()>>20)
	if res.peakHeap > bound {
		t.Fatalf("peak heap %d MB is over %d MB = %d uploads × %d MB × 4 + 200 MB", res.peakHeap>>20, bound>>20,
			cfg.Uploads, cfg.Limits.MaxBytes>>20)
	}
	se, err := e.store.SessionByTokenHash(context.Background(), sha(tok), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := e.store.UserPhotos(context.Background(), se.UserID); err != nil || len(ps) != stormClients {
		t.Fatalf("%d photos stored, want %d (%v)", len(ps), stormClients, err)
	}
}

// BenchmarkUploadStorm: one op is a storm of 50 concurrent 10 MB uploads; reports
// requests per second, p50/p99 latency and the peak heap. Bounded: each op sends 50
// uploads; run with -benchtime=1x for one storm.
func BenchmarkUploadStorm(b *testing.B) {
	photo := noisyJPEG(b)
	cfg := stormConfig()
	e := newEnv(b, cfg, idleMaker{})
	tok := e.session()
	var lat []time.Duration
	var elapsed time.Duration
	var peak uint64
	b.ResetTimer()
	for range b.N {
		res := uploadStorm(e, tok, stormClients, photo)
		if len(res.failed) > 0 {
			b.Fatalf("%d uploads failed: %v", len(res.failed), res.failed[0])
		}
		lat = append(lat, res.lat...)
		elapsed += res.elapsed
		peak = max(peak, res.peakHeap)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(heapBound(cfg))/(1<<20), "bound-MB")
}
