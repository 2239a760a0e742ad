package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/payment/paymenttest"
)

// gateway is the sandbox's own side of the conformance suite.
type gateway struct{ p *Provider }

func (g gateway) Pay(string) error { return nil } // Prepay already paid

func (g gateway) Notification(no string, n fakegw.Notify) (http.Header, []byte, error) {
	t, err := g.p.Query(context.Background(), no)
	if err != nil {
		return nil, nil, err
	}
	if n.AmountFen != 0 {
		t.AmountFen = n.AmountFen
	}
	at := n.At
	if at.IsZero() {
		at = time.Now()
	}
	body := g.p.notificationOf(t, at)
	if n.AppID != "" {
		body.AppID = n.AppID
	}
	key := g.p.key
	if n.ForeignKey {
		key = []byte("another-key-0123456789")
	}
	h, b := g.p.build(body, key)
	return h, b, nil
}

func (g gateway) Send(ctx context.Context, url string, h http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil, nil
}

func (g gateway) Accepted(status int, _ []byte) bool { return status == http.StatusNoContent }

// VerifyClientParams checks what the browser gets: labelled, and a notification the
// server accepts.
func (g gateway) VerifyClientParams(f map[string]string) error {
	if f["sandbox"] != "true" || len(f) != 3 {
		return errors.New("not labelled sandbox")
	}
	h := http.Header{}
	h.Set(SignatureHeader, f["signature"])
	_, err := g.p.ParseNotification(context.Background(), h, []byte(f["notification"]))
	return err
}

func TestConformance(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	paymenttest.Run(t, p, gateway{p})
}

func TestEverythingLabelled(t *testing.T) {
	p, _ := New(Config{})
	params, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "o1", AmountFen: 500, PayerID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if !params.Sandbox || params.Fields["sandbox"] != "true" || !strings.Contains(params.Fields["notification"], Notice) {
		t.Fatalf("client parameters not labelled: %+v", params)
	}
	var n notification
	if err := json.Unmarshal([]byte(params.Fields["notification"]), &n); err != nil || !n.Sandbox {
		t.Fatal("notification not labelled")
	}
	h := http.Header{}
	h.Set(SignatureHeader, params.Fields["signature"])
	tr, err := p.ParseNotification(context.Background(), h, []byte(params.Fields["notification"]))
	if err != nil || !tr.Sandbox || !strings.HasPrefix(tr.TradeNo, "SANDBOX-") {
		t.Fatalf("trade not labelled: %+v %v", tr, err)
	}
	q, _ := p.Query(context.Background(), "o1")
	r, err := p.Refund(context.Background(), payment.RefundRequest{OutTradeNo: "o1", OutRefundNo: "r1", TotalFen: 500, RefundFen: 500})
	if err != nil || !q.Sandbox || !r.Sandbox {
		t.Fatalf("query or refund not labelled: %+v %+v %v", q, r, err)
	}
}

func TestKeyIsPerProcess(t *testing.T) {
	a, _ := New(Config{})
	b, _ := New(Config{})
	params, _ := a.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "o1", AmountFen: 500})
	h := http.Header{}
	h.Set(SignatureHeader, params.Fields["signature"])
	if _, err := b.ParseNotification(context.Background(), h, []byte(params.Fields["notification"])); !errors.Is(err, payment.ErrInvalidNotification) {
		t.Fatalf("another sandbox's notification accepted: %v", err)
	}
}

func FuzzParseNotification(f *testing.F) {
	p, _ := New(Config{})
	params, _ := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "o1", AmountFen: 500})
	f.Add([]byte(params.Fields["notification"]), true)
	f.Add([]byte(`{"sandbox":true}`), true)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		h := http.Header{}
		if signed {
			h.Set(SignatureHeader, p.sign(p.key, body))
		}
		tr, err := p.ParseNotification(context.Background(), h, body)
		if err == nil && (!tr.Sandbox || tr.OutTradeNo == "" || tr.AmountFen <= 0) {
			t.Fatalf("accepted %+v", tr)
		}
	})
}
