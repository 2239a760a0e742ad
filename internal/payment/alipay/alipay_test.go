package alipay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/alipay"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/payment/paymenttest"
)

func newPair(t testing.TB) (*alipay.Provider, *fakegw.Alipay) {
	t.Helper()
	g, err := fakegw.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	p, err := alipay.New(g.Config("https://idphoto.example/pay/notify/alipay"))
	if err != nil {
		t.Fatal(err)
	}
	return p, g
}

func TestConformance(t *testing.T) {
	p, g := newPair(t)
	paymenttest.Run(t, p, g)
}

func TestPrepayBuyerIDAndOpenID(t *testing.T) {
	p, g := newPair(t)
	for i, payer := range []string{"2088102146225135", "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"} {
		no := "order-" + string(rune('a'+i))
		params, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: no, Description: "证件照", AmountFen: 1234, PayerID: payer})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.VerifyClientParams(params.Fields); err != nil {
			t.Fatal(err)
		}
		if err := g.Pay(no); err != nil {
			t.Fatal(err)
		}
		h, body, err := g.Notification(no, fakegw.Notify{})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := p.ParseNotification(context.Background(), h, body)
		if err != nil || tr.PayerID != payer || tr.AmountFen != 1234 || tr.State != payment.StatePaid || tr.PaidAt.IsZero() {
			t.Fatalf("notification: %+v %v", tr, err)
		}
		q, err := p.Query(context.Background(), no)
		if err != nil || q.PayerID != payer || q.TradeNo != tr.TradeNo || !q.PaidAt.Equal(tr.PaidAt) {
			t.Fatalf("query: %+v %v", q, err)
		}
	}
	if got := g.NotifyURL("order-a"); got != "https://idphoto.example/pay/notify/alipay" {
		t.Fatalf("notify_url %q", got)
	}
}

func TestWrongKeys(t *testing.T) {
	_, g := newPair(t)
	other, err := fakegw.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	req := payment.PrepayRequest{OutTradeNo: "order-k", Description: "x", AmountFen: 1, PayerID: "2088102146225135"}

	cfg := g.Config("https://idphoto.example/n")
	cfg.AppPrivateKey = other.Config("https://x.example/").AppPrivateKey
	p, _ := alipay.New(cfg)
	if _, err := p.Prepay(context.Background(), req); !errors.Is(err, payment.ErrChannel) || !strings.Contains(err.Error(), "invalid-signature") {
		t.Fatalf("request signed with the wrong key: %v", err)
	}
	cfg = g.Config("https://idphoto.example/n")
	cfg.AlipayPublicKey = other.Config("https://x.example/").AlipayPublicKey
	p, _ = alipay.New(cfg)
	if _, err := p.Prepay(context.Background(), req); !errors.Is(err, payment.ErrChannel) {
		t.Fatalf("answer with a bad signature accepted: %v", err)
	}
}

func TestWrongSeller(t *testing.T) {
	_, g := newPair(t)
	cfg := g.Config("https://idphoto.example/n")
	cfg.SellerID = "2088000000000000"
	p, _ := alipay.New(cfg)
	if _, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "order-s", Description: "x", AmountFen: 100, PayerID: "2088102146225135"}); err != nil {
		t.Fatal(err)
	}
	_ = g.Pay("order-s")
	h, body, _ := g.Notification("order-s", fakegw.Notify{})
	if _, err := p.ParseNotification(context.Background(), h, body); !errors.Is(err, payment.ErrWrongApp) {
		t.Fatalf("notification for another seller: %v", err)
	}
}

func TestRepeatedParameterRefused(t *testing.T) {
	p, g := newPair(t)
	if _, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "order-r", Description: "x", AmountFen: 100, PayerID: "2088102146225135"}); err != nil {
		t.Fatal(err)
	}
	_ = g.Pay("order-r")
	h, body, _ := g.Notification("order-r", fakegw.Notify{})
	body = append(body, "&total_amount=0.01"...)
	if _, err := p.ParseNotification(context.Background(), h, body); !errors.Is(err, payment.ErrInvalidNotification) {
		t.Fatalf("repeated parameter: %v", err)
	}
}

func TestSignContent(t *testing.T) {
	v := url.Values{"b": {"2"}, "a": {"1 & ="}, "sign": {"x"}, "sign_type": {"RSA2"}, "empty": {""}}
	if got := alipay.SignContent(v); got != "a=1 & =&b=2&sign_type=RSA2" {
		t.Fatalf("SignContent = %q", got)
	}
	if got := alipay.VerifyContent(v); got != "a=1 & =&b=2&empty=" {
		t.Fatalf("VerifyContent = %q", got)
	}
}

func TestYuan(t *testing.T) {
	good := map[string]int64{"0": 0, "0.01": 1, "12.34": 1234, "12.3": 1230, "100": 10000, "9999999999.99": 999999999999}
	for s, want := range good {
		if got, err := alipay.ParseYuan(s); err != nil || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1.234", "01", "1e3", " 1", "1.", ".5", "NaN", "12345678901"} {
		if _, err := alipay.ParseYuan(s); err == nil {
			t.Errorf("ParseYuan(%q) accepted", s)
		}
	}
	for _, fen := range []int64{0, 1, 99, 100, 1234, 100000} {
		if back, _ := alipay.ParseYuan(alipay.FormatYuan(fen)); back != fen {
			t.Errorf("round trip of %d gave %d", fen, back)
		}
	}
}

func TestReply(t *testing.T) {
	p, _ := newPair(t)
	w := httptest.NewRecorder()
	p.Reply(w, nil)
	if w.Code != http.StatusOK || w.Body.String() != "success" {
		t.Fatalf("ack: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	p.Reply(w, errors.New("x"))
	if w.Body.String() == "success" {
		t.Fatal("failure answered success")
	}
}

// alipay.trade.close's answer is verified: one that does not verify is not taken as
// closed.
func TestCloseAnswerVerified(t *testing.T) {
	good, g := newPair(t)
	other, err := fakegw.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	if _, err := good.Prepay(ctx, payment.PrepayRequest{OutTradeNo: "order-c", Description: "x", AmountFen: 100, PayerID: "2088102146225135"}); err != nil {
		t.Fatal(err)
	}
	cfg := g.Config("https://idphoto.example/n")
	cfg.AlipayPublicKey = other.Config("https://x.example/").AlipayPublicKey
	p, _ := alipay.New(cfg)
	if err := p.Close(ctx, "order-c"); !errors.Is(err, payment.ErrChannel) {
		t.Fatalf("close accepted an answer with a bad signature: %v", err)
	}
	if err := good.Close(ctx, "order-c"); err != nil {
		t.Fatal(err)
	}
	if st := g.State("order-c"); st != "TRADE_CLOSED" {
		t.Fatalf("state after close: %s", st)
	}
}
