package httpapi_test

import (
	"net/http"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLoadUpload uploads a real portrait from 8 clients at once over loopback
// and reports requests per second, p50/p99 latency and the peak heap.
func BenchmarkLoadUpload(b *testing.B) {
	t := b
	cfg := testConfig()
	cfg.Limits.MaxBytes = 20 << 20
	e := newEnv(t, cfg, realEngine(t))
	tok := e.session()
	photo := portrait(t, "hivision-test3.jpg")
	body, ct := multipartBody(t, "photo", "p.jpg", photo)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	var mu sync.Mutex
	var lat []time.Duration
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				res := e.do("POST", "/api/v1/photos", tok, ct, body)
				d := time.Since(t0)
				if res.status != http.StatusCreated {
					b.Errorf("upload %d", res.status)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(stop)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/el.Seconds(), "req/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	}
}
