package paymenttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
)

// Gateway is the channel's side of a provider under test: the fake gateways and the
// sandbox implement it.
type Gateway interface {
	// Pay marks a prepaid trade paid, as if the payer confirmed it.
	Pay(outTradeNo string) error
	// Notification returns the channel's payment notification for a paid trade, signed,
	// with the changes n asks for.
	Notification(outTradeNo string, n fakegw.Notify) (http.Header, []byte, error)
	// Send posts a notification to a URL and returns the answer.
	Send(ctx context.Context, url string, h http.Header, body []byte) (int, []byte, error)
	// Accepted reports whether an answer acknowledges the notification for the channel.
	Accepted(status int, body []byte) bool
	// VerifyClientParams checks client parameters as the channel's client would.
	VerifyClientParams(fields map[string]string) error
}

// Run is the conformance suite for a payment.Provider talking to its gateway.
func Run(t *testing.T, p payment.Provider, g Gateway) {
	s := &suite{p: p, g: g, store: NewMemStore()}
	s.callback = httptest.NewServer(http.HandlerFunc(s.notify))
	t.Cleanup(s.callback.Close)

	t.Run("PrepayParamsVerify", s.prepayParamsVerify)
	t.Run("PaidOnceUnderFiveConcurrentNotifications", s.paidOnce)
	t.Run("RejectedNotificationsChangeNothing", s.rejected)
	t.Run("QueryUnknownTrade", s.queryUnknown)
	t.Run("Refund", s.refund)
	t.Run("CloseUnpaidTrade", s.closeUnpaid)
}

type suite struct {
	p        payment.Provider
	g        Gateway
	store    *MemStore
	callback *httptest.Server

	mu       sync.Mutex
	outcomes map[string][]result // by order id
}

type result struct {
	out payment.Outcome
	err error
}

// notify is the service's notification handler in miniature: read under a limit, parse
// and verify, apply, reply.
func (s *suite) notify(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		s.p.Reply(w, err)
		return
	}
	var out payment.Outcome
	tr, err := s.p.ParseNotification(r.Context(), r.Header, body)
	if err == nil {
		out, err = payment.Apply(r.Context(), s.store, tr)
	}
	id := tr.OutTradeNo
	s.mu.Lock()
	if s.outcomes == nil {
		s.outcomes = map[string][]result{}
	}
	s.outcomes[id] = append(s.outcomes[id], result{out, err})
	s.mu.Unlock()
	s.p.Reply(w, err)
}

func (s *suite) results(id string) []result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]result(nil), s.outcomes[id]...)
}

// prepaid creates an order in the store, prepays it and moves it to paying.
func (s *suite) prepaid(t *testing.T) (order.Order, payment.ClientParams) {
	t.Helper()
	cfg := order.DefaultConfig()
	o, err := order.New(cfg, order.NewID(), "user-1", []order.Line{{Kind: order.KindEPhoto, JobID: "job-1"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	params, err := s.p.Prepay(context.Background(), payment.PrepayRequest{
		OutTradeNo: o.ID, Description: "ID photo", AmountFen: o.TotalFen,
		PayerID: "payer-" + o.ID[:8], ClientIP: "192.0.2.7", ExpiresAt: o.ExpiresAt,
	})
	if err != nil {
		t.Fatalf("prepay: %v", err)
	}
	if err := o.Apply(order.EventPay, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.store.Put(*o)
	return *o, params
}

func (s *suite) prepayParamsVerify(t *testing.T) {
	_, params := s.prepaid(t)
	if params.Channel != s.p.Channel() || len(params.Fields) == 0 {
		t.Fatalf("params %+v", params)
	}
	if err := s.g.VerifyClientParams(params.Fields); err != nil {
		t.Fatalf("client parameters do not verify: %v", err)
	}
	for k, v := range params.Fields {
		changed := make(map[string]string, len(params.Fields))
		for k2, v2 := range params.Fields {
			changed[k2] = v2
		}
		changed[k] = v + "0"
		if s.g.VerifyClientParams(changed) == nil {
			t.Errorf("client parameters verify with %s changed", k)
		}
	}
}

// paid prepays an order and has the gateway mark it paid.
func (s *suite) paid(t *testing.T) order.Order {
	t.Helper()
	o, _ := s.prepaid(t)
	if err := s.g.Pay(o.ID); err != nil {
		t.Fatal(err)
	}
	return o
}

func (s *suite) send(t *testing.T, h http.Header, body []byte) bool {
	t.Helper()
	status, reply, err := s.g.Send(context.Background(), s.callback.URL, h, body)
	if err != nil {
		t.Fatal(err)
	}
	return s.g.Accepted(status, reply)
}

func (s *suite) paidOnce(t *testing.T) {
	o := s.paid(t)
	h, body, err := s.g.Notification(o.ID, fakegw.Notify{})
	if err != nil {
		t.Fatal(err)
	}
	writes := s.store.Writes()
	var wg sync.WaitGroup
	accepted := make(chan bool, 5)
	for range 5 {
		wg.Go(func() { accepted <- s.send(t, h, body) })
	}
	wg.Wait()
	close(accepted)
	for a := range accepted {
		if !a {
			t.Error("a repeat of a valid notification was not acknowledged")
		}
	}
	applied, dup := 0, 0
	for _, r := range s.results(o.ID) {
		switch {
		case r.err != nil:
			t.Errorf("valid notification: %v", r.err)
		case r.out == payment.Applied:
			applied++
		case r.out == payment.Duplicate:
			dup++
		}
	}
	if applied != 1 || dup != 4 {
		t.Fatalf("applied %d, duplicates %d; want 1 and 4", applied, dup)
	}
	if w := s.store.Writes() - writes; w != 1 {
		t.Fatalf("%d writes to the order, want 1", w)
	}
	got, _ := s.store.Get(o.ID)
	if got.Status != order.StatusPaid || got.Channel != string(s.p.Channel()) || got.TradeNo == "" || got.PaidAt.IsZero() {
		t.Fatalf("order after payment: %+v", got)
	}
	q, err := s.p.Query(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.State != payment.StatePaid || q.TradeNo != got.TradeNo || q.AmountFen != o.TotalFen || q.OutTradeNo != o.ID || q.PayerID == "" {
		t.Fatalf("query disagrees with the notification: %+v (trade %s)", q, got.TradeNo)
	}
	// Reconciliation by query on an already-paid order is a duplicate too.
	if out, err := payment.Apply(context.Background(), s.store, q); err != nil || out != payment.Duplicate {
		t.Fatalf("apply of the queried trade: %v %v", out, err)
	}
}

// tamper changes the last digit in the body: the signature no longer covers it.
func tamper(body []byte) []byte {
	b := bytes.Clone(body)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '0' + (b[i]-'0'+1)%10
			return b
		}
	}
	return append(b, ' ')
}

func (s *suite) rejected(t *testing.T) {
	cases := []struct {
		name   string
		notify fakegw.Notify
		change func(h http.Header, body []byte) []byte
		want   error
	}{
		{"TamperedBody", fakegw.Notify{}, func(_ http.Header, b []byte) []byte { return tamper(b) }, payment.ErrInvalidNotification},
		{"WrongSignature", fakegw.Notify{ForeignKey: true}, nil, payment.ErrInvalidNotification},
		{"StaleTimestamp", fakegw.Notify{At: time.Now().Add(-6 * time.Minute)}, nil, payment.ErrInvalidNotification},
		{"FutureTimestamp", fakegw.Notify{At: time.Now().Add(6 * time.Minute)}, nil, payment.ErrInvalidNotification},
		{"WrongAmount", fakegw.Notify{AmountFen: 1}, nil, payment.ErrAmountMismatch},
		{"WrongAppID", fakegw.Notify{AppID: "another-app"}, nil, payment.ErrWrongApp},
		{"EmptyBody", fakegw.Notify{}, func(http.Header, []byte) []byte { return nil }, payment.ErrInvalidNotification},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := s.paid(t)
			before, _ := s.store.Get(o.ID)
			writes := s.store.Writes()
			h, body, err := s.g.Notification(o.ID, c.notify)
			if err != nil {
				t.Fatal(err)
			}
			if c.change != nil {
				body = c.change(h, body)
			}
			if s.send(t, h, body) {
				t.Fatal("the callback acknowledged a bad notification")
			}
			rs := s.results(o.ID)
			if c.want == payment.ErrInvalidNotification || c.want == payment.ErrWrongApp {
				rs = s.results("") // rejected before the order id was known
			}
			if len(rs) == 0 || !errors.Is(rs[len(rs)-1].err, c.want) {
				t.Fatalf("want %v, got %+v", c.want, rs)
			}
			t.Logf("rejected: %v", rs[len(rs)-1].err)
			after, _ := s.store.Get(o.ID)
			if !reflect.DeepEqual(before, after) || s.store.Writes() != writes {
				t.Fatalf("a rejected notification changed the order:\n%+v\n%+v", before, after)
			}
			// The real notification still goes through afterwards.
			h, body, err = s.g.Notification(o.ID, fakegw.Notify{})
			if err != nil {
				t.Fatal(err)
			}
			if !s.send(t, h, body) {
				t.Fatal("the valid notification was refused after a bad one")
			}
			if got, _ := s.store.Get(o.ID); got.Status != order.StatusPaid {
				t.Fatalf("status %s after the valid notification", got.Status)
			}
		})
	}
}

func (s *suite) queryUnknown(t *testing.T) {
	_, err := s.p.Query(context.Background(), order.NewID())
	if !errors.Is(err, payment.ErrTradeNotFound) {
		t.Fatalf("query of an unknown trade: %v", err)
	}
}

func (s *suite) refund(t *testing.T) {
	o := s.paid(t)
	r, err := s.p.Refund(context.Background(), payment.RefundRequest{
		OutTradeNo: o.ID, OutRefundNo: "R" + o.ID[:16], TotalFen: o.TotalFen, RefundFen: o.TotalFen, Reason: "operator override",
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Channel != s.p.Channel() || r.AmountFen != o.TotalFen || r.RefundNo == "" {
		t.Fatalf("refund %+v", r)
	}
	q, err := s.p.Query(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.State != payment.StateRefunded && q.State != payment.StateClosed {
		t.Fatalf("trade after a full refund: %s", q.State)
	}
	if _, err := s.p.Refund(context.Background(), payment.RefundRequest{
		OutTradeNo: o.ID, OutRefundNo: "X" + o.ID[:16], TotalFen: o.TotalFen, RefundFen: o.TotalFen,
	}); err == nil {
		t.Fatal("refunded more than was paid")
	}
}

// closeUnpaid: a closed trade is closed at the channel and can't be paid afterwards;
// closing it again, or closing a trade the channel never saw, is no error; a paid
// trade is not closed.
func (s *suite) closeUnpaid(t *testing.T) {
	ctx := context.Background()
	if err := s.p.Close(ctx, order.NewID()); err != nil {
		t.Fatalf("close of a trade the channel does not know: %v", err)
	}
	o, _ := s.prepaid(t)
	q, err := s.p.Query(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q.State != payment.StatePending {
		// The sandbox pays at prepay: nothing is ever left open, and Close does nothing.
		if err := s.p.Close(ctx, o.ID); err != nil {
			t.Fatalf("close of a trade paid at prepay: %v", err)
		}
		t.Skipf("the channel leaves no trade open after prepay (%s)", q.State)
	}
	if err := s.p.Close(ctx, o.ID); err != nil {
		t.Fatalf("close: %v", err)
	}
	if q, err = s.p.Query(ctx, o.ID); err != nil || q.State != payment.StateClosed {
		t.Fatalf("after close: %s %v", q.State, err)
	}
	if err := s.g.Pay(o.ID); err == nil {
		t.Fatal("the gateway let the payer pay a closed trade")
	}
	if q, _ = s.p.Query(ctx, o.ID); q.State != payment.StateClosed {
		t.Fatalf("a closed trade became %s", q.State)
	}
	if err := s.p.Close(ctx, o.ID); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.p.Prepay(ctx, payment.PrepayRequest{OutTradeNo: o.ID, Description: "ID photo", AmountFen: o.TotalFen,
		PayerID: "payer-" + o.ID[:8], ExpiresAt: o.ExpiresAt}); err == nil {
		t.Fatal("prepay of a closed trade was accepted")
	}

	paid := s.paid(t)
	if err := s.p.Close(ctx, paid.ID); !errors.Is(err, payment.ErrChannel) {
		t.Fatalf("close of a paid trade: %v", err)
	}
	if q, err := s.p.Query(ctx, paid.ID); err != nil || q.State != payment.StatePaid {
		t.Fatalf("a paid trade after a refused close: %s %v", q.State, err)
	}
}
