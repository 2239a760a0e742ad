package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"regexp"
	"strings"
)

// Redacting is a slog.Handler that keeps personal data out of the logs (promise P3
// and STYLE 13), whatever a caller passes:
//   - an attribute named like an address ("ip", "remote_addr", "x_forwarded_for") is
//     replaced by a keyed hash: the same client gives the same value within one run of
//     the service, so abuse can be followed, but the address can't be read back;
//   - attributes named like personal or face data (file names, tokens, device data,
//     phone, email, face, box, eyes, landmarks…) are replaced by "[redacted]";
//   - IP addresses inside any other string, and the message, are hashed the same way.
type Redacting struct {
	next slog.Handler
	key  []byte
}

// NewRedacting wraps next. The hashing key is random per process.
func NewRedacting(next slog.Handler) *Redacting {
	key := make([]byte, 32)
	rand.Read(key)
	return &Redacting{next: next, key: key}
}

var ipKeys = map[string]bool{"ip": true, "remote_addr": true, "remoteaddr": true, "client_ip": true, "x_forwarded_for": true, "x-forwarded-for": true, "addr_client": true}

var secretKeys = []string{"file", "name", "token", "authorization", "cookie", "device", "uuid", "phone", "email", "address", "openid",
	"face", "box", "eye", "landmark", "nose", "mouth", "chin", "keypoint", "exif", "gps", "password", "secret", "key"}

// allowed are attribute names that contain a secret word but are not personal.
var allowed = map[string]bool{"route": true, "request_id": true, "job": true, "code": true, "status": true, "method": true, "error": true}

// plain are attributes logged as they are: the service's own listening address.
var plain = map[string]bool{"addr": true}

// Enabled implements slog.Handler.
func (h *Redacting) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Redacting) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Redacting) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &Redacting{next: h.next.WithAttrs(red), key: h.key}
}

// WithGroup implements slog.Handler.
func (h *Redacting) WithGroup(name string) slog.Handler {
	return &Redacting{next: h.next.WithGroup(name), key: h.key}
}

func (h *Redacting) attr(a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	v := a.Value.Resolve()
	switch {
	case v.Kind() == slog.KindGroup:
		as := v.Group()
		red := make([]any, len(as))
		for i, g := range as {
			red[i] = h.attr(g)
		}
		return slog.Group(a.Key, red...)
	case ipKeys[k]:
		return slog.String(a.Key, h.hashIP(v.String()))
	case plain[k]:
		return slog.Attr{Key: a.Key, Value: v}
	case allowed[k]:
	default:
		for _, s := range secretKeys {
			if strings.Contains(k, s) {
				return slog.String(a.Key, "[redacted]")
			}
		}
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.scrub(v.String()))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.scrub(err.Error()))
		}
		return slog.String(a.Key, "[redacted]") // a struct could hold anything
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *Redacting) hashIP(s string) string {
	if s == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(s))
	return "ip-" + hex.EncodeToString(m.Sum(nil)[:6])
}

// ipLike finds candidate IPv4 and IPv6 addresses; each is checked with netip.
var ipLike = regexp.MustCompile(`[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`)

func (h *Redacting) scrub(s string) string {
	return ipLike.ReplaceAllStringFunc(s, func(m string) string {
		// "2001:db8::1:" in "dial 2001:db8::1: refused": the colon after is no part.
		addr := strings.TrimRight(m, ":")
		if _, err := netip.ParseAddr(addr); err != nil {
			return m
		}
		return h.hashIP(addr) + m[len(addr):]
	})
}
