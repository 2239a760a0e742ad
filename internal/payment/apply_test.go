package payment_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/paymenttest"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T, status order.Event) (*paymenttest.MemStore, order.Order) {
	t.Helper()
	o, err := order.New(order.DefaultConfig(), order.NewID(), "u1", []order.Line{{Kind: order.KindEPhoto, JobID: "j"}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	switch status {
	case order.EventPay, order.EventCancel:
		if err := o.Apply(status, t0); err != nil {
			t.Fatal(err)
		}
	case order.EventExpire:
		_ = o.Apply(order.EventPay, t0)
		if !o.ExpireIfDue(o.ExpiresAt) {
			t.Fatal("did not expire")
		}
	}
	s := paymenttest.NewMemStore()
	s.Put(*o)
	return s, *o
}

func paid(o order.Order) payment.Trade {
	return payment.Trade{Channel: payment.WeChatPay, OutTradeNo: o.ID, TradeNo: "4200001", AmountFen: o.TotalFen,
		PayerID: "openid-secret", PaidAt: t0.Add(time.Minute), State: payment.StatePaid}
}

func TestApplyOnce(t *testing.T) {
	s, o := setup(t, order.EventPay)
	ctx := context.Background()
	out, err := payment.Apply(ctx, s, paid(o))
	if err != nil || out != payment.Applied {
		t.Fatalf("first: %v %v", out, err)
	}
	got, _ := s.Get(o.ID)
	if got.Status != order.StatusPaid || got.TradeNo != "4200001" || got.Channel != "wechatpay" || !got.PaidAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("order %+v", got)
	}
	for range 3 {
		if out, err := payment.Apply(ctx, s, paid(o)); err != nil || out != payment.Duplicate {
			t.Fatalf("repeat: %v %v", out, err)
		}
	}
	if s.Writes() != 1 {
		t.Fatalf("%d writes", s.Writes())
	}
}

func TestApplyConcurrent(t *testing.T) {
	s, o := setup(t, order.EventPay)
	var wg sync.WaitGroup
	outs := make(chan payment.Outcome, 50)
	for range 50 {
		wg.Go(func() {
			out, err := payment.Apply(context.Background(), s, paid(o))
			if err != nil {
				t.Error(err)
			}
			outs <- out
		})
	}
	wg.Wait()
	close(outs)
	n := map[payment.Outcome]int{}
	for out := range outs {
		n[out]++
	}
	if n[payment.Applied] != 1 || n[payment.Duplicate] != 49 || s.Writes() != 1 {
		t.Fatalf("outcomes %v, writes %d", n, s.Writes())
	}
}

func TestApplyBeforePayStep(t *testing.T) {
	s, o := setup(t, "") // still created: the notification overtook the client
	if out, err := payment.Apply(context.Background(), s, paid(o)); err != nil || out != payment.Applied {
		t.Fatalf("%v %v", out, err)
	}
	if got, _ := s.Get(o.ID); got.Status != order.StatusPaid {
		t.Fatalf("status %s", got.Status)
	}
}

func TestApplyRefusals(t *testing.T) {
	cases := []struct {
		name   string
		status order.Event
		change func(*payment.Trade)
		want   error
	}{
		{"amount", order.EventPay, func(tr *payment.Trade) { tr.AmountFen++ }, payment.ErrAmountMismatch},
		{"zero amount", order.EventPay, func(tr *payment.Trade) { tr.AmountFen = 0 }, payment.ErrAmountMismatch},
		{"cancelled", order.EventCancel, nil, payment.ErrNotPayable},
		{"expired", order.EventExpire, nil, payment.ErrNotPayable},
		{"unknown order", order.EventPay, func(tr *payment.Trade) { tr.OutTradeNo = "nope" }, payment.ErrOrderNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, o := setup(t, c.status)
			tr := paid(o)
			if c.change != nil {
				c.change(&tr)
			}
			_, err := payment.Apply(context.Background(), s, tr)
			if !errors.Is(err, c.want) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
			if got, _ := s.Get(o.ID); got.Status != o.Status || s.Writes() != 0 {
				t.Fatalf("order changed: %s, %d writes", got.Status, s.Writes())
			}
		})
	}
}

func TestApplyOtherTradeOnPaidOrder(t *testing.T) {
	s, o := setup(t, order.EventPay)
	_, _ = payment.Apply(context.Background(), s, paid(o))
	other := paid(o)
	other.TradeNo = "4200002"
	if _, err := payment.Apply(context.Background(), s, other); !errors.Is(err, payment.ErrNotPayable) {
		t.Fatalf("second trade on a paid order: %v", err)
	}
	other = paid(o)
	other.Channel = payment.Alipay
	if _, err := payment.Apply(context.Background(), s, other); !errors.Is(err, payment.ErrNotPayable) {
		t.Fatalf("same trade number on another channel: %v", err)
	}
	if got, _ := s.Get(o.ID); got.TradeNo != "4200001" || s.Writes() != 1 {
		t.Fatalf("order changed: %+v", got)
	}
}

func TestApplyNotPaid(t *testing.T) {
	for _, st := range []payment.State{payment.StatePending, payment.StateClosed, payment.StateFailed, payment.StateRefunded} {
		s, o := setup(t, order.EventPay)
		tr := paid(o)
		tr.State = st
		if out, err := payment.Apply(context.Background(), s, tr); err != nil || out != payment.NotPaid || s.Writes() != 0 {
			t.Fatalf("%s: %v %v", st, out, err)
		}
	}
	s, o := setup(t, order.EventPay)
	tr := paid(o)
	tr.TradeNo = ""
	if _, err := payment.Apply(context.Background(), s, tr); err == nil {
		t.Fatal("trade without a trade number applied")
	}
}

func TestTradeLogOmitsPayer(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	_, o := setup(t, order.EventPay)
	log.Info("paid", "trade", paid(o))
	log.Info("prepay", "req", payment.PrepayRequest{OutTradeNo: o.ID, PayerID: "openid-secret", ClientIP: "192.0.2.99"})
	log.Info("params", "params", payment.ClientParams{Channel: payment.Sandbox, Fields: map[string]string{"notification": "openid-secret"}})
	if bytes.Contains(buf.Bytes(), []byte("openid-secret")) || bytes.Contains(buf.Bytes(), []byte("192.0.2.99")) || !bytes.Contains(buf.Bytes(), []byte(o.ID)) {
		t.Fatalf("log line: %s", buf.Bytes())
	}
}
