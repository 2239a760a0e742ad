package order_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// legal is the whole state machine written out a second time, by hand: every pair not
// listed here must be refused.
var legal = map[order.Status]map[order.Event]order.Status{
	order.StatusCreated:   {order.EventPay: order.StatusPaying, order.EventCancel: order.StatusCancelled, order.EventExpire: order.StatusExpired},
	order.StatusPaying:    {order.EventPay: order.StatusPaying, order.EventPaid: order.StatusPaid, order.EventCancel: order.StatusCancelled, order.EventExpire: order.StatusExpired},
	order.StatusPaid:      {order.EventFulfil: order.StatusFulfilled, order.EventShip: order.StatusShipped, order.EventRefund: order.StatusRefunded},
	order.StatusFulfilled: {order.EventClose: order.StatusClosed, order.EventRefund: order.StatusRefunded},
	order.StatusShipped:   {order.EventClose: order.StatusClosed, order.EventRefund: order.StatusRefunded},
	order.StatusClosed:    {order.EventRefund: order.StatusRefunded},
}

func TestTransitionExhaustive(t *testing.T) {
	events := append(order.Events(), "bogus", "")
	statuses := append(order.Statuses(), "bogus", "")
	n := 0
	for _, from := range statuses {
		for _, ev := range events {
			t.Run(string(from)+"/"+string(ev), func(t *testing.T) {
				to, err := order.Transition(from, ev)
				want, ok := legal[from][ev]
				if ok {
					n++
					if err != nil || to != want {
						t.Fatalf("Transition(%s, %s) = %s, %v; want %s", from, ev, to, err, want)
					}
					return
				}
				if !errors.Is(err, order.ErrIllegalTransition) {
					t.Fatalf("Transition(%s, %s) = %s, %v; want ErrIllegalTransition", from, ev, to, err)
				}
				var te *order.TransitionError
				if !errors.As(err, &te) || te.From != from || te.Event != ev || to != from {
					t.Fatalf("error %v does not name the transition or status moved to %s", err, to)
				}
			})
		}
	}
	if n != 15 {
		t.Fatalf("%d legal transitions exercised, want 15", n)
	}
}

func TestTerminalStatuses(t *testing.T) {
	for _, s := range []order.Status{order.StatusCancelled, order.StatusExpired, order.StatusRefunded} {
		for _, ev := range order.Events() {
			if _, err := order.Transition(s, ev); err == nil {
				t.Errorf("%s is terminal but %s moved it", s, ev)
			}
		}
	}
}

func newOrder(t *testing.T, lines ...order.Line) *order.Order {
	t.Helper()
	o, err := order.New(order.DefaultConfig(), order.NewID(), "u1", lines, t0)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

var (
	ephoto  = order.Line{Kind: order.KindEPhoto, JobID: "j1"}
	sheet   = order.Line{Kind: order.KindPrint, JobID: "j1", Copies: 8, Quantity: 2}
	mailing = order.Line{Kind: order.KindMailing}
)

func TestLifecycleEPhoto(t *testing.T) {
	o := newOrder(t, ephoto)
	if o.Status != order.StatusCreated || o.TotalFen != 500 || !o.ExpiresAt.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("new order: %+v", o)
	}
	steps := []struct {
		ev   order.Event
		want order.Status
	}{{order.EventPay, order.StatusPaying}, {order.EventPay, order.StatusPaying}}
	for _, s := range steps {
		if err := o.Apply(s.ev, t0); err != nil || o.Status != s.want {
			t.Fatalf("%s: %v, status %s", s.ev, err, o.Status)
		}
	}
	if err := o.MarkPaid("wechatpay", "4200", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if o.Status != order.StatusPaid || o.Channel != "wechatpay" || o.TradeNo != "4200" || !o.PaidAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after paid: %+v", o)
	}
	if err := o.Apply(order.EventShip, t0); err == nil {
		t.Fatal("shipped an order with nothing to mail")
	}
	if err := o.Apply(order.EventFulfil, t0); err != nil || o.Status != order.StatusFulfilled {
		t.Fatalf("fulfil: %v %s", err, o.Status)
	}
	if err := o.Apply(order.EventClose, t0); err != nil || o.Status != order.StatusClosed || o.ClosedAt.IsZero() {
		t.Fatalf("close: %v %+v", err, o)
	}
	if err := o.MarkPaid("wechatpay", "4201", t0); !errors.Is(err, order.ErrIllegalTransition) {
		t.Fatalf("paid twice: %v", err)
	}
	if o.TradeNo != "4200" {
		t.Fatal("a refused MarkPaid changed the trade number")
	}
}

func TestLifecyclePrint(t *testing.T) {
	o := newOrder(t, sheet, mailing)
	if o.TotalFen != 2*1500+1000 {
		t.Fatalf("total %d", o.TotalFen)
	}
	_ = o.Apply(order.EventPay, t0)
	if err := o.MarkPaid("alipay", "2025", t0); err != nil {
		t.Fatal(err)
	}
	if err := o.Apply(order.EventFulfil, t0); err == nil {
		t.Fatal("fulfilled a print order instead of shipping it")
	}
	if err := o.Apply(order.EventShip, t0); err != nil || o.Status != order.StatusShipped || o.ShippedAt.IsZero() {
		t.Fatalf("ship: %v %+v", err, o)
	}
}

func TestExpiry(t *testing.T) {
	o := newOrder(t, ephoto)
	if err := o.Apply(order.EventExpire, t0.Add(29*time.Minute)); err == nil {
		t.Fatal("expired early")
	}
	if o.ExpireIfDue(t0.Add(29 * time.Minute)) {
		t.Fatal("ExpireIfDue before time")
	}
	_ = o.Apply(order.EventPay, t0)
	if !o.ExpireIfDue(t0.Add(30*time.Minute)) || o.Status != order.StatusExpired {
		t.Fatalf("not expired: %s", o.Status)
	}
	if err := o.MarkPaid("wechatpay", "1", t0); !errors.Is(err, order.ErrIllegalTransition) {
		t.Fatalf("an expired order was paid: %v", err)
	}
	p := newOrder(t, ephoto)
	_ = p.Apply(order.EventPay, t0)
	_ = p.MarkPaid("wechatpay", "1", t0)
	if p.ExpireIfDue(t0.Add(time.Hour)) || p.Status != order.StatusPaid {
		t.Fatal("a paid order expired")
	}
}

func TestApplyRefusesRefundEvent(t *testing.T) {
	o := newOrder(t, ephoto)
	_ = o.Apply(order.EventPay, t0)
	_ = o.MarkPaid("wechatpay", "1", t0)
	if err := o.Apply(order.EventRefund, t0); err == nil || o.Status != order.StatusPaid {
		t.Fatalf("Apply(refund) bypassed the refund rule: %v %s", err, o.Status)
	}
	p := newOrder(t, ephoto)
	_ = p.Apply(order.EventPay, t0)
	if err := p.Apply(order.EventPaid, t0); err == nil || p.Status != order.StatusPaying {
		t.Fatalf("Apply(paid) bypassed MarkPaid: %v %s", err, p.Status)
	}
}

func TestRefundRule(t *testing.T) {
	ov := &order.Override{Operator: "op1", Reason: "printed the wrong size"}
	unpaid := newOrder(t, ephoto)
	if err := order.CheckRefund(unpaid, ov); !errors.Is(err, order.ErrNothingToRefund) {
		t.Fatalf("unpaid: %v", err)
	}
	for _, final := range []order.Event{"", order.EventFulfil} {
		o := newOrder(t, ephoto)
		_ = o.Apply(order.EventPay, t0)
		_ = o.MarkPaid("wechatpay", "1", t0)
		if final != "" {
			_ = o.Apply(final, t0)
		}
		before := o.Status
		err := o.Refund(nil, t0)
		if !errors.Is(err, order.ErrRefundRefused) || o.Status != before {
			t.Fatalf("refund without override: %v, status %s", err, o.Status)
		}
		if !strings.Contains(err.Error(), "preview") {
			t.Fatalf("refusal does not explain itself: %q", err)
		}
		if err := o.Refund(&order.Override{Operator: "op1"}, t0); err == nil {
			t.Fatal("override without a reason accepted")
		}
		if err := o.Refund(ov, t0.Add(time.Hour)); err != nil || o.Status != order.StatusRefunded || !o.RefundedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("override: %v %+v", err, o)
		}
		if err := o.Refund(ov, t0); err == nil {
			t.Fatal("refunded twice")
		}
	}
}

func TestPrice(t *testing.T) {
	cfg := order.DefaultConfig()
	cases := []struct {
		name  string
		lines []order.Line
		total int64
		ok    bool
	}{
		{"ephoto", []order.Line{ephoto}, 500, true},
		{"two ephotos", []order.Line{{Kind: order.KindEPhoto, JobID: "j", Quantity: 2}}, 1000, true},
		{"print and mail", []order.Line{sheet, mailing}, 4000, true},
		{"ephoto, print and mail", []order.Line{ephoto, sheet, mailing}, 4500, true},
		{"empty", nil, 0, false},
		{"ephoto without job", []order.Line{{Kind: order.KindEPhoto}}, 0, false},
		{"ephoto with copies", []order.Line{{Kind: order.KindEPhoto, JobID: "j", Copies: 2}}, 0, false},
		{"print without mailing", []order.Line{sheet}, 0, false},
		{"mailing alone", []order.Line{mailing}, 0, false},
		{"mailing twice", []order.Line{sheet, mailing, mailing}, 0, false},
		{"mailing quantity", []order.Line{sheet, {Kind: order.KindMailing, Quantity: 2}}, 0, false},
		{"zero copies", []order.Line{{Kind: order.KindPrint, JobID: "j"}, mailing}, 0, false},
		{"too many copies", []order.Line{{Kind: order.KindPrint, JobID: "j", Copies: 17}, mailing}, 0, false},
		{"negative quantity", []order.Line{{Kind: order.KindEPhoto, JobID: "j", Quantity: -1}}, 0, false},
		{"huge quantity", []order.Line{{Kind: order.KindEPhoto, JobID: "j", Quantity: 1 << 40}}, 0, false},
		{"unknown kind", []order.Line{{Kind: "frame", JobID: "j"}}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items, total, err := cfg.Price(c.lines)
			if !c.ok {
				if !errors.Is(err, order.ErrBadLines) {
					t.Fatalf("want ErrBadLines, got %v", err)
				}
				return
			}
			if err != nil || total != c.total || len(items) != len(c.lines) {
				t.Fatalf("got %d %v %v", total, items, err)
			}
			var sum int64
			for _, it := range items {
				if it.AmountFen != it.UnitFen*int64(it.Quantity) {
					t.Fatalf("item %+v does not add up", it)
				}
				sum += it.AmountFen
			}
			if sum != total {
				t.Fatalf("items sum to %d, total %d", sum, total)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	if err := order.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*order.Config){
		func(c *order.Config) { c.Prices.EPhotoFen = 0 },
		func(c *order.Config) { c.Prices.MailingFen = -1 },
		func(c *order.Config) { c.Prices.PrintSheetFen = 1 << 50 },
		func(c *order.Config) { c.UnpaidTTL = time.Second },
		func(c *order.Config) { c.MaxCopies = 0 },
		func(c *order.Config) { c.MaxQuantity = 1000 },
	}
	for i, f := range bad {
		c := order.DefaultConfig()
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}

func TestFormatFen(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 1: "0.01", 1234: "12.34", 100: "1.00", -5: "-0.05"} {
		if got := order.FormatFen(fen); got != want {
			t.Errorf("FormatFen(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestNewID(t *testing.T) {
	a, b := order.NewID(), order.NewID()
	if len(a) != 32 || a == b {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestCheckTrackingNo(t *testing.T) {
	for in, want := range map[string]string{" SF1234567890 ": "SF1234567890", "yt-0001": "yt-0001", "ABCD": "ABCD"} {
		if got, err := order.CheckTrackingNo(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ABC", strings.Repeat("9", 41), "SF 123456", "SF12345;", "顺丰12345"} {
		if _, err := order.CheckTrackingNo(in); !errors.Is(err, order.ErrBadTrackingNo) {
			t.Errorf("%q accepted: %v", in, err)
		}
	}
}
