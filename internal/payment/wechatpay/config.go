package wechatpay

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// DefaultBaseURL is WeChat Pay's API server.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// Config is a merchant's WeChat Pay APIv3 settings. Keys are PEM text; cmd/ reads them
// from files or the environment.
type Config struct {
	// BaseURL is scheme://host[:port] with no path; the fake gateway sets its own.
	BaseURL string
	AppID   string // the mini-program's appid
	MchID   string // the merchant id
	// MchCertSerial and MchPrivateKeyPEM are the merchant API certificate's serial number
	// and its PKCS#8 private key, which sign requests and the client's paySign.
	MchCertSerial    string
	MchPrivateKeyPEM string
	// APIv3Key decrypts notifications (AEAD_AES_256_GCM): 32 bytes.
	APIv3Key string
	// WeChat Pay's own key verifies responses and notifications: either its public key
	// and id ("微信支付公钥", PUB_KEY_ID_…) or its platform certificate.
	PlatformPublicKeyID  string
	PlatformPublicKeyPEM string
	PlatformCertPEM      string
	// NotifyURL is where WeChat Pay posts payment notifications: https, reachable.
	NotifyURL string
	// Timeout bounds one API call.
	Timeout time.Duration
	// NotifyMaxSkew bounds the age of a notification's timestamp (the SDK also enforces
	// five minutes); 0 means five minutes.
	NotifyMaxSkew time.Duration
}

// Validate reports a config that can't work. Key parsing is checked by New.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		errs = append(errs, fmt.Errorf("wechatpay: base URL %q must be scheme://host[:port]", c.BaseURL))
	}
	if c.AppID == "" || c.MchID == "" {
		errs = append(errs, errors.New("wechatpay: app id and merchant id are required"))
	}
	if c.MchCertSerial == "" || c.MchPrivateKeyPEM == "" {
		errs = append(errs, errors.New("wechatpay: the merchant certificate serial and private key are required"))
	}
	if len(c.APIv3Key) != 32 {
		errs = append(errs, errors.New("wechatpay: the APIv3 key must be 32 bytes"))
	}
	pub := c.PlatformPublicKeyID != "" || c.PlatformPublicKeyPEM != ""
	switch {
	case pub && c.PlatformCertPEM != "":
		errs = append(errs, errors.New("wechatpay: give the platform public key or the platform certificate, not both"))
	case pub && (c.PlatformPublicKeyID == "" || c.PlatformPublicKeyPEM == ""):
		errs = append(errs, errors.New("wechatpay: the platform public key needs its id"))
	case !pub && c.PlatformCertPEM == "":
		errs = append(errs, errors.New("wechatpay: a platform public key or certificate is required"))
	}
	if n, err := url.Parse(c.NotifyURL); err != nil || (n.Scheme != "https" && n.Scheme != "http") || n.Host == "" {
		errs = append(errs, fmt.Errorf("wechatpay: notify URL %q must be an absolute URL", c.NotifyURL))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("wechatpay: timeout must be positive"))
	}
	if c.NotifyMaxSkew < 0 || c.NotifyMaxSkew > 5*time.Minute {
		errs = append(errs, errors.New("wechatpay: notify skew must be within [0, 5m]"))
	}
	return errors.Join(errs...)
}
