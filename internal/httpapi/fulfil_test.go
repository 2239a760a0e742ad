package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/idphoto/idphoto/internal/payment/sandbox"
)

// paySandbox pays an order through the sandbox: the pay step, then the client posts
// the signed notification back.
func (e *payEnv) paySandbox(tok, orderID string) {
	e.t.Helper()
	res := e.postJSON("/api/v1/orders/"+orderID+"/pay", tok, map[string]string{"channel": "sandbox"})
	var params struct{ Fields map[string]string }
	res.json(e.t, &params)
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/pay/notify/sandbox", strings.NewReader(params.Fields["notification"]))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sandbox.SignatureHeader, params.Fields["signature"])
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNoContent {
		e.t.Fatalf("sandbox notification: %d", r.StatusCode)
	}
}

// An e-photo order reaches fulfilled when its clean file (or its print sheet) is first
// delivered to its owner, once however many downloads race; the preview does not count.
// A print order is not fulfilled by a download: it is shipped.
func TestPromiseO1EPhotoOrderFulfilledOnDownload(t *testing.T) {
	e := newPayEnv(t)
	tok := e.session()
	newOrder := func(body map[string]any) string {
		t.Helper()
		var o orderJSON
		res := e.postJSON("/api/v1/orders", tok, body)
		if res.status != http.StatusCreated {
			t.Fatalf("order: %d %s", res.status, res.body)
		}
		res.json(t, &o)
		e.paySandbox(tok, o.ID)
		return o.ID
	}
	jobs := []string{e.madeJob(tok), e.madeJob(tok), e.madeJob(tok)}
	for _, j := range jobs {
		e.do("GET", "/api/v1/jobs/"+j+"/preview", tok, "", nil)
	}
	byFile := newOrder(map[string]any{"job_id": jobs[0], "items": []map[string]any{{"kind": "ephoto"}}})
	bySheet := newOrder(map[string]any{"job_id": jobs[1], "items": []map[string]any{{"kind": "ephoto"}}})
	prints := newOrder(printOrderBody(jobs[2]))

	if o := e.getOrder(tok, byFile); o.Status != "paid" || o.FulfilledAt != nil {
		t.Fatalf("paid, not downloaded yet: %+v", o)
	}
	e.do("GET", "/api/v1/jobs/"+jobs[0]+"/preview", tok, "", nil)
	if o := e.getOrder(tok, byFile); o.Status != "paid" {
		t.Fatalf("after the preview: %s", o.Status)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if res := e.do("GET", "/api/v1/jobs/"+jobs[0]+"/file", tok, "", nil); res.status != http.StatusOK {
				t.Errorf("file: %d", res.status)
			}
		})
	}
	wg.Wait()
	o := e.getOrder(tok, byFile)
	if o.Status != "fulfilled" || o.FulfilledAt == nil || o.PaidAt == nil || o.FulfilledAt.Before(*o.PaidAt) {
		t.Fatalf("after six downloads at once: %+v", o)
	}
	if n := strings.Count(e.logs.String(), `"msg":"order fulfilled"`); n != 1 {
		t.Fatalf("fulfilled %d times, want once", n)
	}
	if res := e.do("GET", "/api/v1/jobs/"+jobs[0]+"/file", tok, "", nil); res.status != http.StatusOK {
		t.Fatalf("file of a fulfilled order: %d", res.status)
	}
	if again := e.getOrder(tok, byFile); !again.FulfilledAt.Equal(*o.FulfilledAt) {
		t.Fatalf("fulfilled at %v, then %v", o.FulfilledAt, again.FulfilledAt)
	}

	if res := e.do("GET", "/api/v1/jobs/"+jobs[1]+"/sheet?paper=6in", tok, "", nil); res.status != http.StatusOK {
		t.Fatalf("sheet: %d", res.status)
	}
	if o := e.getOrder(tok, bySheet); o.Status != "fulfilled" {
		t.Fatalf("after the sheet's download: %s", o.Status)
	}

	for _, what := range []string{"file", "sheet"} {
		if res := e.do("GET", "/api/v1/jobs/"+jobs[2]+"/"+what, tok, "", nil); res.status != http.StatusOK {
			t.Fatalf("%s of a print order: %d", what, res.status)
		}
	}
	if o := e.getOrder(tok, prints); o.Status != "paid" {
		t.Fatalf("print order after downloads: %s (it is shipped by the operator)", o.Status)
	}
}
