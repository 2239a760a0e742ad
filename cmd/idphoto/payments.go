package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/alipay"
	"github.com/idphoto/idphoto/internal/payment/sandbox"
	"github.com/idphoto/idphoto/internal/payment/wechatpay"
)

// payOptions are serve's payment channels. The sandbox is on by default so a new user
// can complete an order in the browser; it moves no money and says SANDBOX on every
// answer. WeChat Pay and Alipay are on when their app id is set; their base URLs can
// point at a fake gateway for development.
type payOptions struct {
	sandbox   bool
	publicURL string

	wxAppID, wxMchID, wxSerial, wxKeyFile, wxAPIv3Key string
	wxPubKeyID, wxPubKeyFile, wxCertFile, wxBaseURL   string

	aliAppID, aliKeyFile, aliPubKeyFile, aliSellerID, aliGateway string
}

func paymentFlags(fs *flag.FlagSet) *payOptions {
	o := &payOptions{}
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, envString(env, def), usage+" ($"+env+")")
	}
	sb := true
	if v, ok := os.LookupEnv("IDPHOTO_SANDBOX_PAY"); ok && v != "" {
		sb = envBool("IDPHOTO_SANDBOX_PAY")
	}
	fs.BoolVar(&o.sandbox, "sandbox-pay", sb, "enable the SANDBOX payment channel: orders complete, no money moves ($IDPHOTO_SANDBOX_PAY)")
	str(&o.publicURL, "public-url", "IDPHOTO_PUBLIC_URL", "", "the service's public https URL, for the channels' notify URLs")
	str(&o.wxAppID, "wechatpay-appid", "IDPHOTO_WECHATPAY_APPID", "", "WeChat Pay: the mini-program's appid (enables WeChat Pay)")
	str(&o.wxMchID, "wechatpay-mchid", "IDPHOTO_WECHATPAY_MCHID", "", "WeChat Pay: merchant id")
	str(&o.wxSerial, "wechatpay-cert-serial", "IDPHOTO_WECHATPAY_CERT_SERIAL", "", "WeChat Pay: merchant API certificate serial")
	str(&o.wxKeyFile, "wechatpay-key-file", "IDPHOTO_WECHATPAY_KEY_FILE", "", "WeChat Pay: merchant private key (PEM file)")
	str(&o.wxAPIv3Key, "wechatpay-apiv3-key-file", "IDPHOTO_WECHATPAY_APIV3_KEY_FILE", "", "WeChat Pay: file holding the 32-byte APIv3 key")
	str(&o.wxPubKeyID, "wechatpay-pubkey-id", "IDPHOTO_WECHATPAY_PUBKEY_ID", "", "WeChat Pay: platform public key id (PUB_KEY_ID_…)")
	str(&o.wxPubKeyFile, "wechatpay-pubkey-file", "IDPHOTO_WECHATPAY_PUBKEY_FILE", "", "WeChat Pay: platform public key (PEM file)")
	str(&o.wxCertFile, "wechatpay-platform-cert-file", "IDPHOTO_WECHATPAY_PLATFORM_CERT_FILE", "", "WeChat Pay: platform certificate (PEM file), instead of the public key")
	str(&o.wxBaseURL, "wechatpay-base-url", "IDPHOTO_WECHATPAY_BASE_URL", wechatpay.DefaultBaseURL, "WeChat Pay: API base URL")
	str(&o.aliAppID, "alipay-appid", "IDPHOTO_ALIPAY_APPID", "", "Alipay: app id (enables Alipay)")
	str(&o.aliKeyFile, "alipay-key-file", "IDPHOTO_ALIPAY_KEY_FILE", "", "Alipay: app private key (PEM file)")
	str(&o.aliPubKeyFile, "alipay-pubkey-file", "IDPHOTO_ALIPAY_PUBKEY_FILE", "", "Alipay: Alipay's public key (PEM file)")
	str(&o.aliSellerID, "alipay-seller-id", "IDPHOTO_ALIPAY_SELLER_ID", "", "Alipay: the merchant's seller id (2088…), checked on notifications")
	str(&o.aliGateway, "alipay-gateway-url", "IDPHOTO_ALIPAY_GATEWAY_URL", alipay.DefaultGatewayURL, "Alipay: gateway URL")
	return o
}

func readKeyFile(what, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return string(b), nil
}

// providers builds the enabled channels.
func (o *payOptions) providers() ([]payment.Provider, error) {
	var ps []payment.Provider
	notify := func(ch payment.Channel) (string, error) {
		if o.publicURL == "" {
			return "", fmt.Errorf("%s needs --public-url: the channel posts payment notifications there", ch)
		}
		return strings.TrimRight(o.publicURL, "/") + "/api/v1/pay/notify/" + string(ch), nil
	}
	if o.wxAppID != "" {
		url, err := notify(payment.WeChatPay)
		if err != nil {
			return nil, err
		}
		cfg := wechatpay.Config{BaseURL: o.wxBaseURL, AppID: o.wxAppID, MchID: o.wxMchID, MchCertSerial: o.wxSerial,
			PlatformPublicKeyID: o.wxPubKeyID, NotifyURL: url, Timeout: 10 * time.Second}
		var errs []error
		var e error
		cfg.MchPrivateKeyPEM, e = readKeyFile("wechatpay key", o.wxKeyFile)
		errs = append(errs, e)
		v3, e := readKeyFile("wechatpay APIv3 key", o.wxAPIv3Key)
		cfg.APIv3Key = strings.TrimSpace(v3)
		errs = append(errs, e)
		cfg.PlatformPublicKeyPEM, e = readKeyFile("wechatpay public key", o.wxPubKeyFile)
		errs = append(errs, e)
		cfg.PlatformCertPEM, e = readKeyFile("wechatpay platform certificate", o.wxCertFile)
		errs = append(errs, e)
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		p, err := wechatpay.New(cfg)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if o.aliAppID != "" {
		url, err := notify(payment.Alipay)
		if err != nil {
			return nil, err
		}
		key, e1 := readKeyFile("alipay key", o.aliKeyFile)
		pub, e2 := readKeyFile("alipay public key", o.aliPubKeyFile)
		if err := errors.Join(e1, e2); err != nil {
			return nil, err
		}
		p, err := alipay.New(alipay.Config{GatewayURL: o.aliGateway, AppID: o.aliAppID, AppPrivateKey: key, AlipayPublicKey: pub,
			SellerID: o.aliSellerID, NotifyURL: url, Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if o.sandbox {
		p, err := sandbox.New(sandbox.Config{})
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// channelNames lists the channels for the start-up log.
func channelNames(ps []payment.Provider) []string {
	var names []string
	for _, p := range ps {
		names = append(names, string(p.Channel()))
	}
	return names
}
