// Package login exchanges a mini-program's one-time login code for the user's id at
// the channel: WeChat's code2session (openid) and Alipay's alipay.system.oauth.token
// (user_id or open_id). What else the channels answer (WeChat's session_key, Alipay's
// access token) is dropped here and never leaves this package.
//
// The ids are personal data: they appear in no error message or log.
package login

import (
	"context"
	"errors"
	"log/slog"
)

// Channel names a login channel; it is also stored with each login.
type Channel string

// The channels.
const (
	WeChat Channel = "wechat"
	Alipay Channel = "alipay"
)

// Identity is who the channel says the code belongs to.
type Identity struct {
	Channel Channel
	// Subject is the WeChat openid, or the Alipay user_id (2088…) or open_id.
	Subject string
}

// LogValue keeps the subject out of logs.
func (i Identity) LogValue() slog.Value { return slog.StringValue(string(i.Channel)) }

// Provider is one login channel.
type Provider interface {
	Channel() Channel
	// Exchange trades a login code for the user's identity.
	Exchange(ctx context.Context, code string) (Identity, error)
}

// Errors that callers tell apart; their text holds no code and no id.
var (
	// ErrBadCode: the channel refused the code (invalid, used, expired).
	ErrBadCode = errors.New("login: the channel refused the login code")
	// ErrRateLimited: the channel asks to slow down.
	ErrRateLimited = errors.New("login: the channel is rate limiting")
	// ErrChannel: the channel failed or answered what cannot be trusted.
	ErrChannel = errors.New("login: the channel failed")
)

// maxCode bounds a login code; real ones are 32 to 64 characters.
const maxCode = 256

func checkCode(code string) error {
	if code == "" || len(code) > maxCode {
		return ErrBadCode
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; c <= ' ' || c > '~' {
			return ErrBadCode
		}
	}
	return nil
}
