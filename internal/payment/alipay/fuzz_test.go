package alipay_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/alipay"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
)

func seed(f *testing.F) (*alipay.Provider, *fakegw.Alipay, []byte) {
	p, g := newPair(f)
	if _, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "fuzz-1", Description: "x", AmountFen: 500, PayerID: "2088102146225135"}); err != nil {
		f.Fatal(err)
	}
	_ = g.Pay("fuzz-1")
	_, body, err := g.Notification("fuzz-1", fakegw.Notify{})
	if err != nil {
		f.Fatal(err)
	}
	return p, g, body
}

func check(t *testing.T, p *alipay.Provider, body []byte) {
	tr, err := p.ParseNotification(context.Background(), http.Header{}, body)
	if err != nil {
		return
	}
	if tr.OutTradeNo == "" || tr.TradeNo == "" || tr.Channel != payment.Alipay || tr.AmountFen < 0 ||
		(tr.State == payment.StatePaid && (tr.AmountFen == 0 || tr.PaidAt.IsZero())) {
		t.Fatalf("accepted an incomplete trade: %+v", tr)
	}
}

// FuzzParseNotification: arbitrary bodies must not panic or be accepted incomplete.
func FuzzParseNotification(f *testing.F) {
	p, _, body := seed(f)
	f.Add(body)
	f.Add([]byte("sign=&sign_type=RSA2"))
	f.Add([]byte("%zz"))
	f.Fuzz(func(t *testing.T, body []byte) { check(t, p, body) })
}

// FuzzParseNotificationSigned re-signs whatever form the fuzzer writes, to reach the
// checks behind the signature.
func FuzzParseNotificationSigned(f *testing.F) {
	p, g, body := seed(f)
	f.Add(body)
	f.Add([]byte("app_id=" + g.AppID + "&notify_type=trade_status_sync&total_amount=1.5&trade_status=TRADE_SUCCESS"))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return
		}
		check(t, p, g.SignForm(v))
	})
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"0", "12.34", "1.5", "-1", "1e2", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := alipay.ParseYuan(s)
		if err != nil {
			return
		}
		if fen < 0 {
			t.Fatalf("%q gave %d", s, fen)
		}
		if back, _ := alipay.ParseYuan(alipay.FormatYuan(fen)); back != fen {
			t.Fatalf("%q: %d does not round-trip", s, fen)
		}
	})
}
