package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/payment/fakegw"
)

// The channels come from flags (or the environment) with base URLs, so a fake gateway
// stands in for WeChat Pay and Alipay; the sandbox is on unless turned off.
func TestPaymentFlags(t *testing.T) {
	wg, err := fakegw.NewWeChat(fakegw.WeChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer wg.Close()
	ag, err := fakegw.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wc, ac := wg.Config(""), ag.Config("")
	args := []string{"-public-url", "https://photo.example.com/",
		"-wechatpay-appid", wc.AppID, "-wechatpay-mchid", wc.MchID, "-wechatpay-cert-serial", wc.MchCertSerial,
		"-wechatpay-key-file", file("wx.pem", wc.MchPrivateKeyPEM), "-wechatpay-apiv3-key-file", file("v3", wc.APIv3Key+"\n"),
		"-wechatpay-pubkey-id", wc.PlatformPublicKeyID, "-wechatpay-pubkey-file", file("wxpub.pem", wc.PlatformPublicKeyPEM),
		"-wechatpay-base-url", wc.BaseURL,
		"-alipay-appid", ac.AppID, "-alipay-key-file", file("ali.pem", ac.AppPrivateKey),
		"-alipay-pubkey-file", file("alipub.pem", ac.AlipayPublicKey), "-alipay-gateway-url", ac.GatewayURL}

	parse := func(args ...string) *payOptions {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		o := paymentFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return o
	}
	ps, err := parse().providers()
	if err != nil || !slices.Equal(channelNames(ps), []string{"sandbox"}) {
		t.Fatalf("default channels %v, %v: want the sandbox alone", channelNames(ps), err)
	}
	ps, err = parse(append(args, "-sandbox-pay=false")...).providers()
	if err != nil || !slices.Equal(channelNames(ps), []string{"wechatpay", "alipay"}) {
		t.Fatalf("configured channels %v, %v", channelNames(ps), err)
	}
	if _, err := parse(args[2:]...).providers(); err == nil || !strings.Contains(err.Error(), "public-url") {
		t.Fatalf("no public URL: %v", err)
	}
}
