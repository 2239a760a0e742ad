package wechatpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/payment/paymenttest"
	"github.com/idphoto/idphoto/internal/payment/wechatpay"
)

func newPair(t testing.TB, o fakegw.WeChatOptions) (*wechatpay.Provider, *fakegw.WeChat) {
	t.Helper()
	g, err := fakegw.NewWeChat(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	p, err := wechatpay.New(g.Config("https://idphoto.example/pay/notify/wechatpay"))
	if err != nil {
		t.Fatal(err)
	}
	return p, g
}

func TestConformancePublicKey(t *testing.T) {
	p, g := newPair(t, fakegw.WeChatOptions{})
	paymenttest.Run(t, p, g)
}

func TestConformancePlatformCertificate(t *testing.T) {
	p, g := newPair(t, fakegw.WeChatOptions{Certificate: true})
	paymenttest.Run(t, p, g)
}

func TestPrepaySendsOrder(t *testing.T) {
	p, g := newPair(t, fakegw.WeChatOptions{})
	_, err := p.Prepay(context.Background(), payment.PrepayRequest{
		OutTradeNo: "order000001", Description: "证件照", AmountFen: 500, PayerID: "openid-1",
		ExpiresAt: time.Now().Add(30 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.NotifyURL("order000001"); got != "https://idphoto.example/pay/notify/wechatpay" {
		t.Fatalf("notify_url %q", got)
	}
	// Reusing an order id with another amount is refused by the channel.
	_, err = p.Prepay(context.Background(), payment.PrepayRequest{
		OutTradeNo: "order000001", Description: "证件照", AmountFen: 600, PayerID: "openid-1",
	})
	if !errors.Is(err, payment.ErrChannel) || !strings.Contains(err.Error(), "INVALID_REQUEST") {
		t.Fatalf("reuse: %v", err)
	}
}

func TestWrongMerchantKeyRefused(t *testing.T) {
	_, g := newPair(t, fakegw.WeChatOptions{})
	other, err := fakegw.NewWeChat(fakegw.WeChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cfg := g.Config("https://idphoto.example/n")
	cfg.MchPrivateKeyPEM = other.Config("https://x.example/").MchPrivateKeyPEM
	p, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "order000002", Description: "x", AmountFen: 1, PayerID: "o"})
	if !errors.Is(err, payment.ErrChannel) || !strings.Contains(err.Error(), "SIGN_ERROR") {
		t.Fatalf("prepay signed with the wrong key: %v", err)
	}
}

func TestForgedGatewayAnswerRefused(t *testing.T) {
	// A gateway whose answers are signed by a key the merchant does not trust.
	_, g := newPair(t, fakegw.WeChatOptions{})
	other, err := fakegw.NewWeChat(fakegw.WeChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cfg := g.Config("https://idphoto.example/n")
	cfg.PlatformPublicKeyPEM = other.Config("https://x.example/").PlatformPublicKeyPEM
	p, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: "order000003", Description: "x", AmountFen: 1, PayerID: "o"})
	if !errors.Is(err, payment.ErrChannel) {
		t.Fatalf("prepay accepted an answer with a bad signature: %v", err)
	}
}

func TestWrongSerialAndMerchant(t *testing.T) {
	p, g := newPair(t, fakegw.WeChatOptions{})
	paymenttestOrder := "order000004"
	if _, err := p.Prepay(context.Background(), payment.PrepayRequest{OutTradeNo: paymenttestOrder, Description: "x", AmountFen: 500, PayerID: "o"}); err != nil {
		t.Fatal(err)
	}
	_ = g.Pay(paymenttestOrder)
	h, body, err := g.Notification(paymenttestOrder, fakegw.Notify{})
	if err != nil {
		t.Fatal(err)
	}
	h.Set("Wechatpay-Serial", "PUB_KEY_ID_0000")
	if _, err := p.ParseNotification(context.Background(), h, body); !errors.Is(err, payment.ErrInvalidNotification) {
		t.Fatalf("wrong serial: %v", err)
	}
	h, body, _ = g.Notification(paymenttestOrder, fakegw.Notify{})
	tr, err := p.ParseNotification(context.Background(), h, body)
	if err != nil || tr.OutTradeNo != paymenttestOrder || tr.AmountFen != 500 || tr.PayerID != "o" || tr.State != payment.StatePaid {
		t.Fatalf("valid notification: %+v %v", tr, err)
	}
}

func TestReply(t *testing.T) {
	p, _ := newPair(t, fakegw.WeChatOptions{})
	w := httptest.NewRecorder()
	p.Reply(w, nil)
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("ack: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	p.Reply(w, payment.ErrInvalidNotification)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"FAIL"`) {
		t.Fatalf("nack: %d %q", w.Code, w.Body)
	}
}

func TestConfigValidate(t *testing.T) {
	_, g := newPair(t, fakegw.WeChatOptions{})
	good := g.Config("https://idphoto.example/n")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*wechatpay.Config){
		func(c *wechatpay.Config) { c.BaseURL = "https://api.mch.weixin.qq.com/v3" },
		func(c *wechatpay.Config) { c.AppID = "" },
		func(c *wechatpay.Config) { c.APIv3Key = "short" },
		func(c *wechatpay.Config) { c.PlatformPublicKeyID = "" },
		func(c *wechatpay.Config) { c.PlatformCertPEM = "x" },
		func(c *wechatpay.Config) { c.PlatformPublicKeyID, c.PlatformPublicKeyPEM = "", "" },
		func(c *wechatpay.Config) { c.NotifyURL = "/relative" },
		func(c *wechatpay.Config) { c.Timeout = 0 },
	}
	for i, f := range bad {
		c := good
		f(&c)
		if c.Validate() == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
}

// A trade whose payer is entering a PIN is not closed (202 USER_PAYING, which the SDK
// counts as success): Close says so, and the payment can still complete.
func TestCloseWhilePayerPays(t *testing.T) {
	p, g := newPair(t, fakegw.WeChatOptions{})
	ctx := context.Background()
	if _, err := p.Prepay(ctx, payment.PrepayRequest{OutTradeNo: "order000010", Description: "x", AmountFen: 500, PayerID: "o"}); err != nil {
		t.Fatal(err)
	}
	if err := g.StartPaying("order000010"); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx, "order000010"); !errors.Is(err, payment.ErrChannel) || !strings.Contains(err.Error(), "202") {
		t.Fatalf("close while the payer pays: %v", err)
	}
	if q, err := p.Query(ctx, "order000010"); err != nil || q.State != payment.StatePending {
		t.Fatalf("after a refused close: %+v %v", q, err)
	}
	if err := g.Pay("order000010"); err != nil {
		t.Fatal(err)
	}
	if g.State("order000010") != "SUCCESS" {
		t.Fatalf("state %s", g.State("order000010"))
	}
}

// Close's 204 is signed like any answer: one signed by another key is not taken as
// closed.
func TestCloseForgedAnswerRefused(t *testing.T) {
	good, g := newPair(t, fakegw.WeChatOptions{})
	other, err := fakegw.NewWeChat(fakegw.WeChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	if _, err := good.Prepay(ctx, payment.PrepayRequest{OutTradeNo: "order000011", Description: "x", AmountFen: 1, PayerID: "o"}); err != nil {
		t.Fatal(err)
	}
	cfg := g.Config("https://idphoto.example/n")
	cfg.PlatformPublicKeyPEM = other.Config("https://x.example/").PlatformPublicKeyPEM
	p, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx, "order000011"); !errors.Is(err, payment.ErrChannel) {
		t.Fatalf("close accepted an answer with a bad signature: %v", err)
	}
}
