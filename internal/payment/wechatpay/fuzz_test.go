package wechatpay_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
)

// seedNotification prepays and pays one trade and returns its notification.
func seedNotification(f *testing.F) (*fakegw.WeChat, func(context.Context, http.Header, []byte) (payment.Trade, error), http.Header, []byte) {
	p, g := newPair(f, fakegw.WeChatOptions{})
	if _, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "fuzz000001", Description: "x", AmountFen: 500, PayerID: "o"}); err != nil {
		f.Fatal(err)
	}
	_ = g.Pay("fuzz000001")
	h, body, err := g.Notification("fuzz000001", fakegw.Notify{})
	if err != nil {
		f.Fatal(err)
	}
	return g, p.ParseNotification, h, body
}

// FuzzParseNotification throws arbitrary headers and bodies at the parser: it must not
// panic, and nothing it accepts may lack what Apply needs.
func FuzzParseNotification(f *testing.F) {
	_, parse, h, body := seedNotification(f)
	f.Add(h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Signature"), h.Get("Wechatpay-Serial"), body)
	f.Add("0", "", "", "", []byte("{}"))
	f.Fuzz(func(t *testing.T, ts, nonce, sig, serial string, body []byte) {
		h := http.Header{}
		h.Set("Wechatpay-Timestamp", ts)
		h.Set("Wechatpay-Nonce", nonce)
		h.Set("Wechatpay-Signature", sig)
		h.Set("Wechatpay-Serial", serial)
		check(t, parse, h, body)
	})
}

// FuzzParseNotificationSigned signs what the fuzzer writes, so it reaches the envelope,
// the decryption and the transaction checks behind the signature.
func FuzzParseNotificationSigned(f *testing.F) {
	g, parse, _, body := seedNotification(f)
	f.Add(body, []byte(`{"appid":"`+g.AppID+`","mchid":"`+g.MchID+`","out_trade_no":"o","transaction_id":"4","trade_state":"SUCCESS","success_time":"2025-03-01T10:00:00+08:00","amount":{"total":1}}`))
	f.Add([]byte(`{"event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","nonce":"x","ciphertext":"AAAA"}}`), []byte("null"))
	f.Fuzz(func(t *testing.T, envelope, plain []byte) {
		check(t, parse, g.SignBody(envelope), envelope)
		h, sealed := g.SealResource(plain)
		check(t, parse, h, sealed)
	})
}

func check(t *testing.T, parse func(context.Context, http.Header, []byte) (payment.Trade, error), h http.Header, body []byte) {
	tr, err := parse(context.Background(), h, body)
	if err != nil {
		return
	}
	if tr.OutTradeNo == "" || tr.TradeNo == "" || tr.AmountFen <= 0 || tr.State != payment.StatePaid || tr.PaidAt.IsZero() || tr.Channel != payment.WeChatPay {
		t.Fatalf("accepted an incomplete trade: %+v", tr)
	}
}
