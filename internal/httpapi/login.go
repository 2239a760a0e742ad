package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// Mini-program logins (issue 4): the client's one-time code goes to the channel from
// here, the channel's id of the user (WeChat openid, Alipay user id) finds or makes
// the account, and the client gets our own session token. The channel's session_key
// or access token never leaves the login package; the id is stored only as a keyed
// hash (to find the account) and sealed with the user's key (for payments).

// lookupSecret names the login lookup key in service_secrets; serviceKey is the
// vault key (held by no user) it is sealed with.
const (
	lookupSecret = "login-lookup"
	serviceKey   = "service"
)

// logins holds the enabled login channels and the lookup key, loaded once.
type logins struct {
	by   map[login.Channel]login.Provider
	keys *vault.Vault

	mu  sync.Mutex
	key []byte
}

func (a *API) setLogins(ps []login.Provider, keys *vault.Vault) error {
	a.logins = &logins{by: map[login.Channel]login.Provider{}, keys: keys}
	for _, p := range ps {
		if p == nil {
			return errors.New("httpapi: nil login channel")
		}
		if _, dup := a.logins.by[p.Channel()]; dup {
			return fmt.Errorf("httpapi: login channel %s given twice", p.Channel())
		}
		a.logins.by[p.Channel()] = p
	}
	if len(ps) > 0 && keys == nil {
		return errors.New("httpapi: login channels need the vault of keys held by no user (Deps.Ledger)")
	}
	return nil
}

// lookupKey returns the HMAC key of login lookups, made on first use and kept sealed.
func (a *API) lookupKey(ctx context.Context) ([]byte, error) {
	l := a.logins
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.key != nil {
		return l.key, nil
	}
	const sealContext = "service_secret:" + lookupSecret
	sealed, err := a.store.ServiceSecret(ctx, lookupSecret, func() ([]byte, error) {
		k := make([]byte, 32)
		rand.Read(k)
		return l.keys.Seal(ctx, serviceKey, k, sealContext)
	})
	if err != nil {
		return nil, err
	}
	key, err := l.keys.Open(ctx, serviceKey, sealed, sealContext)
	if err != nil {
		return nil, fmt.Errorf("httpapi: login lookup key: %w", err)
	}
	l.key = key
	return key, nil
}

func loginLookup(key []byte, id login.Identity) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id.Channel))
	m.Write([]byte{0})
	m.Write([]byte(id.Subject))
	return m.Sum(nil)
}

func loginSubjectContext(ch login.Channel) string { return "login.subject:" + string(ch) }

type wechatLoginRequest struct {
	Code   string     `json:"code"`
	Device deviceInfo `json:"device"`
}

type alipayLoginRequest struct {
	AuthCode string     `json:"auth_code"`
	Device   deviceInfo `json:"device"`
}

type loginResponse struct {
	sessionResponse
	NewUser bool `json:"new_user"`
}

func (a *API) loginWeChat(w http.ResponseWriter, r *http.Request, _ string) {
	var req wechatLoginRequest
	if err := decodeJSON(w, r, &req, 4<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	a.loginWith(w, r, login.WeChat, req.Code, req.Device)
}

func (a *API) loginAlipay(w http.ResponseWriter, r *http.Request, _ string) {
	var req alipayLoginRequest
	if err := decodeJSON(w, r, &req, 4<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	a.loginWith(w, r, login.Alipay, req.AuthCode, req.Device)
}

func (a *API) loginWith(w http.ResponseWriter, r *http.Request, ch login.Channel, code string, dev deviceInfo) {
	prov := a.logins.by[ch]
	if prov == nil {
		a.respondError(w, r, fail(CodeUnknownChannel, "this login channel is not enabled here"))
		return
	}
	if code == "" || len(code) > 256 {
		a.respondError(w, r, fail(CodeBadRequest, "the mini-program's login code is required"))
		return
	}
	if err := checkDevice(dev); err != nil {
		a.respondError(w, r, err)
		return
	}
	ctx := r.Context()
	id, err := prov.Exchange(ctx, code)
	switch {
	case errors.Is(err, login.ErrBadCode):
		a.respondError(w, r, &apiError{Code: CodeLoginCode, Msg: "the login code was refused: get a new one (wx.login / my.getAuthCode) and try again", Err: err})
		return
	case err != nil:
		a.respondError(w, r, &apiError{Code: CodeLoginChannel, Msg: "the login channel did not answer: try again", Err: err})
		return
	}
	key, err := a.lookupKey(ctx)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	now := a.now()
	user, created, err := a.store.LoginUser(ctx, store.Login{Lookup: loginLookup(key, id), Channel: string(ch), CreatedAt: now, LastAt: now},
		store.User{ID: store.NewID(), CreatedAt: now},
		func(userID string) ([]byte, error) {
			return a.vault.Seal(ctx, userID, []byte(id.Subject), loginSubjectContext(ch))
		})
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	res, err := a.startSession(ctx, user, dev)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, loginResponse{sessionResponse: res, NewUser: created})
}

func checkDevice(d deviceInfo) error {
	for _, f := range []string{d.UUID, d.Model, d.OS, d.AppVersion} {
		if len(f) > 128 {
			return fail(CodeBadRequest, "device fields are at most 128 characters")
		}
	}
	return nil
}

// startSession makes a session of the user for a device and returns its token, once.
func (a *API) startSession(ctx context.Context, user string, dev deviceInfo) (sessionResponse, error) {
	now := a.now()
	token, hash := newToken()
	se := store.Session{ID: store.NewID(), UserID: user, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL)}
	if !dev.empty() {
		plain, _ := json.Marshal(dev)
		sealed, err := a.vault.Seal(ctx, user, plain, "session.device:"+se.ID)
		if err != nil {
			return sessionResponse{}, err
		}
		se.DeviceSealed = sealed
	}
	if err := a.store.CreateSession(ctx, se); err != nil {
		return sessionResponse{}, err
	}
	return sessionResponse{Token: token, ExpiresAt: se.ExpiresAt.UTC()}, nil
}

// NewStaffToken is a bearer token for a staff session and its hash for the store
// (the 'idphoto staff add' command prints the token once).
func NewStaffToken() (token string, hash []byte) { return newToken() }
