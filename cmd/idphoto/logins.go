package main

import (
	"errors"
	"flag"
	"os"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/login"
)

// loginOptions are serve's mini-program login channels. WeChat login is on when the
// mini-program's AppSecret is given (its appid defaults to WeChat Pay's: one
// mini-program); Alipay login uses the Alipay app of the payment channel (--alipay-*)
// and is on whenever that app is configured, unless --alipay-login=false.
type loginOptions struct {
	wxAppID, wxSecretFile, wxBaseURL string
	aliLogin                         bool
}

func loginFlags(fs *flag.FlagSet) *loginOptions {
	o := &loginOptions{}
	fs.StringVar(&o.wxAppID, "wechat-appid", envString("IDPHOTO_WECHAT_APPID", ""),
		"WeChat login: the mini-program's appid; empty: --wechatpay-appid ($IDPHOTO_WECHAT_APPID)")
	fs.StringVar(&o.wxSecretFile, "wechat-secret-file", envString("IDPHOTO_WECHAT_SECRET_FILE", ""),
		"WeChat login: file holding the mini-program's AppSecret (enables WeChat login); or set $IDPHOTO_WECHAT_SECRET ($IDPHOTO_WECHAT_SECRET_FILE)")
	fs.StringVar(&o.wxBaseURL, "wechat-base-url", envString("IDPHOTO_WECHAT_BASE_URL", login.DefaultWeChatBaseURL),
		"WeChat login: API base URL of code2session ($IDPHOTO_WECHAT_BASE_URL)")
	al := true
	if v, ok := os.LookupEnv("IDPHOTO_ALIPAY_LOGIN"); ok && v != "" {
		al = envBool("IDPHOTO_ALIPAY_LOGIN")
	}
	fs.BoolVar(&o.aliLogin, "alipay-login", al, "Alipay login with the --alipay-* app, when one is configured ($IDPHOTO_ALIPAY_LOGIN)")
	return o
}

// providers builds the enabled login channels; pay holds the Alipay app settings.
func (o *loginOptions) providers(pay *payOptions) ([]login.Provider, error) {
	var ps []login.Provider
	secret := os.Getenv("IDPHOTO_WECHAT_SECRET")
	if o.wxSecretFile != "" {
		s, err := readKeyFile("wechat secret", o.wxSecretFile)
		if err != nil {
			return nil, err
		}
		secret = s
	}
	secret = strings.TrimSpace(secret)
	appID := o.wxAppID
	if appID == "" {
		appID = pay.wxAppID
	}
	switch {
	case secret != "" && appID == "":
		return nil, errors.New("WeChat login needs the mini-program's appid: --wechat-appid")
	case secret == "" && o.wxAppID != "":
		return nil, errors.New("WeChat login needs the mini-program's AppSecret: --wechat-secret-file or $IDPHOTO_WECHAT_SECRET")
	case secret != "":
		p, err := login.NewWeChat(login.WeChatConfig{BaseURL: o.wxBaseURL, AppID: appID, Secret: secret, Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if o.aliLogin && pay.aliAppID != "" {
		key, e1 := readKeyFile("alipay key", pay.aliKeyFile)
		pub, e2 := readKeyFile("alipay public key", pay.aliPubKeyFile)
		if err := errors.Join(e1, e2); err != nil {
			return nil, err
		}
		p, err := login.NewAlipay(login.AlipayConfig{GatewayURL: pay.aliGateway, AppID: pay.aliAppID, AppPrivateKey: key,
			AlipayPublicKey: pub, Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// loginNames lists the login channels for the start-up log.
func loginNames(ps []login.Provider) []string {
	var names []string
	for _, p := range ps {
		names = append(names, string(p.Channel()))
	}
	return names
}
