package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/login/fakelogin"
)

// The login channels come from flags (or the environment) with base URLs, so fake
// servers stand in for WeChat and Alipay: WeChat with its AppSecret, Alipay with the
// payment channel's app; each built channel exchanges a code at its fake.
func TestLoginFlags(t *testing.T) {
	wl := fakelogin.NewWeChat()
	defer wl.Close()
	al, err := fakelogin.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	t.Setenv("IDPHOTO_WECHAT_SECRET", "")
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wc, ac := wl.Config(), al.Config()
	parse := func(args ...string) (*loginOptions, *payOptions) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		po, lo := paymentFlags(fs), loginFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return lo, po
	}
	names := func(args ...string) ([]string, error) {
		lo, po := parse(args...)
		ps, err := lo.providers(po)
		return loginNames(ps), err
	}
	if got, err := names(); err != nil || len(got) != 0 {
		t.Fatalf("default login channels %v, %v: want none", got, err)
	}
	wx := []string{"-wechat-appid", wc.AppID, "-wechat-secret-file", file("secret", wc.Secret+"\n"), "-wechat-base-url", wc.BaseURL}
	ali := []string{"-alipay-appid", ac.AppID, "-alipay-key-file", file("ali.pem", ac.AppPrivateKey),
		"-alipay-pubkey-file", file("alipub.pem", ac.AlipayPublicKey), "-alipay-gateway-url", ac.GatewayURL}
	lo, po := parse(append(wx, ali...)...)
	ps, err := lo.providers(po)
	if err != nil || !slices.Equal(loginNames(ps), []string{"wechat", "alipay"}) {
		t.Fatalf("configured login channels %v, %v", loginNames(ps), err)
	}
	openid, userID := fakelogin.NewOpenID(), fakelogin.NewUserID()
	codes := map[string]string{"wechat": wl.Code(openid), "alipay": al.Code(userID)}
	want := map[string]string{"wechat": openid, "alipay": userID}
	for _, p := range ps {
		id, err := p.Exchange(context.Background(), codes[string(p.Channel())])
		if err != nil || id.Subject != want[string(p.Channel())] {
			t.Errorf("%s login through the flags' settings: %+v %v", p.Channel(), id, err)
		}
	}
	if got, err := names(append(ali, "-alipay-login=false")...); err != nil || len(got) != 0 {
		t.Fatalf("alipay login turned off: %v, %v", got, err)
	}
	// The secret from the environment; the appid from WeChat Pay's.
	t.Setenv("IDPHOTO_WECHAT_SECRET", wc.Secret)
	if got, err := names("-wechatpay-appid", wc.AppID, "-wechat-base-url", wc.BaseURL); err != nil || !slices.Equal(got, []string{"wechat"}) {
		t.Fatalf("secret from the environment: %v, %v", got, err)
	}
	if _, err := names(); err == nil || !strings.Contains(err.Error(), "appid") {
		t.Fatalf("a secret without an appid: %v", err)
	}
	t.Setenv("IDPHOTO_WECHAT_SECRET", "")
	if _, err := names("-wechat-appid", wc.AppID); err == nil || !strings.Contains(err.Error(), "AppSecret") {
		t.Fatalf("an appid without a secret: %v", err)
	}
}
