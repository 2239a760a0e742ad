package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/login/fakelogin"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/alipay"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/payment/sandbox"
	"github.com/idphoto/idphoto/internal/payment/wechatpay"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// payEnv is a running API with the fake WeChat Pay and Alipay gateways and the sandbox.
type payEnv struct {
	*env
	ledger *vault.Vault
	wechat *fakegw.WeChat
	alipay *fakegw.Alipay
	// wxLogin and aliLogin are the fake login servers: a payer is who logged in.
	wxLogin  *fakelogin.WeChat
	aliLogin *fakelogin.Alipay
}

// loginSession logs a user in through a mini-program login channel (wechat, alipay)
// as subject (openid, user id), accepts the privacy policy and returns the token.
func (e *payEnv) loginSession(channel, subject string) string {
	e.t.Helper()
	var body map[string]any
	switch channel {
	case "wechat":
		body = map[string]any{"code": e.wxLogin.Code(subject)}
	case "alipay":
		body = map[string]any{"auth_code": e.aliLogin.Code(subject)}
	}
	res := e.postJSON("/api/v1/login/"+channel, "", body)
	if res.status != http.StatusOK && res.status != http.StatusCreated {
		e.t.Fatalf("login %s: %d %s", channel, res.status, res.body)
	}
	var l struct{ Token string }
	res.json(e.t, &l)
	e.accept(l.Token)
	return l.Token
}

func newPayEnv(t *testing.T) *payEnv { return newPayEnvOn(t, openStorage(t)) }

// newPayEnvOn is newPayEnv on the storage given.
func newPayEnvOn(t *testing.T, s storage) *payEnv {
	t.Helper()
	lv, err := vault.New([]vault.Key{s.mk}, s.st.LedgerKeys())
	if err != nil {
		t.Fatal(err)
	}
	srv, set := lateServer(t)
	wg, err := fakegw.NewWeChat(fakegw.WeChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := fakegw.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	wp, err := wechatpay.New(wg.Config(srv.URL + "/api/v1/pay/notify/wechatpay"))
	if err != nil {
		t.Fatal(err)
	}
	ap, err := alipay.New(ag.Config(srv.URL + "/api/v1/pay/notify/alipay"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wl := fakelogin.NewWeChat()
	al, err := fakelogin.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	wx, err := login.NewWeChat(wl.Config())
	if err != nil {
		t.Fatal(err)
	}
	ali, err := login.NewAlipay(al.Config())
	if err != nil {
		t.Fatal(err)
	}
	e := s.start(t, testConfig(), httpapi.Deps{Engine: realEngine(t),
		Payments: []payment.Provider{wp, ap, sb}, Ledger: lv, Logins: []login.Provider{wx, ali}},
		srv, set, wg.Close, ag.Close, wl.Close, al.Close)
	return &payEnv{env: e, ledger: lv, wechat: wg, alipay: ag, wxLogin: wl, aliLogin: al}
}

// gateway is what the test needs of a fake channel.
type gateway interface {
	Pay(outTradeNo string) error
	Notification(outTradeNo string, n fakegw.Notify) (http.Header, []byte, error)
	Send(ctx context.Context, url string, h http.Header, body []byte) (int, []byte, error)
	Accepted(status int, body []byte) bool
	NotifyURL(outTradeNo string) string
	VerifyClientParams(f map[string]string) error
}

type orderJSON struct {
	ID       string
	Status   string
	TotalFen int64 `json:"total_fen"`
	Channel  string
	TradeNo  string `json:"trade_no"`
	Mailing  *struct{ Name, Address, Phone string }
	// TrackingNo is the parcel's, once shipped.
	TrackingNo  string     `json:"tracking_no"`
	PaidAt      *time.Time `json:"paid_at"`
	FulfilledAt *time.Time `json:"fulfilled_at"`
}

func (e *payEnv) madeJob(tok string) string {
	e.t.Helper()
	var j jobJSON
	res := e.createJob(tok, e.uploadOK(tok, portrait(e.t, "hivision-test3.jpg")), "cn-1inch", "blue")
	res.json(e.t, &j)
	if j = e.waitJob(tok, j.ID); j.State != "done" {
		e.t.Fatalf("job %+v", j)
	}
	return j.ID
}

func (e *payEnv) getOrder(tok, id string) orderJSON {
	e.t.Helper()
	var o orderJSON
	res := e.do("GET", "/api/v1/orders/"+id, tok, "", nil)
	if res.status != http.StatusOK {
		e.t.Fatalf("GET order: %d %s", res.status, res.body)
	}
	res.json(e.t, &o)
	return o
}

func (e *payEnv) postJSON(path, tok string, v any) response {
	e.t.Helper()
	b, _ := json.Marshal(v)
	return e.do("POST", path, tok, "application/json", b)
}

// ledgerRows counts the ledger's entries for a channel.
func (e *payEnv) ledgerEntries(channel string) []ledger.Entry {
	e.t.Helper()
	ses, err := e.store.LedgerEntries(context.Background(), time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []ledger.Entry
	for _, se := range ses {
		if se.Channel != channel {
			continue
		}
		en, err := ledger.Open(context.Background(), e.ledger, se)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, en)
	}
	return out
}

// The whole flow through each real channel's fake gateway: upload → job → preview →
// order → pay → notification (tampered ones change nothing; five genuine ones at once
// apply once) → clean file and sheet → refund refused → one sealed ledger entry.
func TestOrderPaidThroughChannels(t *testing.T) {
	e := newPayEnv(t)
	var tradeNos []string
	channels := []struct {
		name, login string
		gw          gateway
		payerID     string
	}{
		{"wechatpay", "wechat", e.wechat, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		{"alipay", "alipay", e.alipay, "2088102175953034"},
	}
	for _, c := range channels {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			// An anonymous session has no openid or user id to pay with, and the
			// client's word on one is not taken.
			anon := e.session()
			anonJob := e.madeJob(anon)
			e.do("GET", "/api/v1/jobs/"+anonJob+"/preview", anon, "", nil)
			var ao orderJSON
			e.postJSON("/api/v1/orders", anon, map[string]any{"job_id": anonJob, "items": []map[string]any{{"kind": "ephoto"}}}).json(t, &ao)
			if res := e.postJSON("/api/v1/orders/"+ao.ID+"/pay", anon, map[string]string{"channel": c.name, "payer_id": c.payerID}); res.status != http.StatusConflict || res.code() != "login_required" {
				t.Fatalf("pay without a login of the channel: %d %s", res.status, res.body)
			}

			tok := e.loginSession(c.login, c.payerID)
			job := e.madeJob(tok)
			order := map[string]any{"job_id": job, "items": []map[string]any{{"kind": "ephoto"}}}

			if res := e.postJSON("/api/v1/orders", tok, order); res.status != http.StatusConflict || res.code() != "preview_required" {
				t.Fatalf("order before the preview: %d %s", res.status, res.body)
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/preview", tok, "", nil); res.status != http.StatusOK {
				t.Fatalf("preview: %d", res.status)
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusPaymentRequired {
				t.Fatalf("file before payment: %d", res.status)
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/sheet?paper=6in", tok, "", nil); res.status != http.StatusPaymentRequired {
				t.Fatalf("sheet before payment: %d", res.status)
			}
			res := e.postJSON("/api/v1/orders", tok, order)
			if res.status != http.StatusCreated {
				t.Fatalf("order: %d %s", res.status, res.body)
			}
			var o orderJSON
			res.json(t, &o)
			if o.Status != "created" || o.TotalFen != 500 {
				t.Fatalf("order %+v", o)
			}
			if res := e.do("POST", "/api/v1/orders/"+o.ID+"/refund", tok, "", nil); res.status != http.StatusConflict || res.code() != "order_state" {
				t.Fatalf("refund of an unpaid order: %d %s", res.status, res.body)
			}

			// A payer_id from the client is ignored: the login's id pays (see the ledger).
			res = e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": c.name, "payer_id": "oFORGED_by_the_client"})
			if res.status != http.StatusOK {
				t.Fatalf("pay: %d %s", res.status, res.body)
			}
			var params struct {
				OrderID string `json:"order_id"`
				Channel string
				Sandbox bool
				Fields  map[string]string
			}
			res.json(t, &params)
			if params.Channel != c.name || params.Sandbox || params.OrderID != o.ID {
				t.Fatalf("pay answer %s", res.body)
			}
			if err := c.gw.VerifyClientParams(params.Fields); err != nil {
				t.Fatalf("client parameters: %v", err)
			}
			if err := c.gw.Pay(o.ID); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			url := c.gw.NotifyURL(o.ID)

			// Notifications that must change nothing.
			bad := map[string]fakegw.Notify{
				"wrong amount":    {AmountFen: 1},
				"wrong app":       {AppID: "2021000000000000"},
				"forged":          {ForeignKey: true},
				"stale timestamp": {At: time.Now().Add(-10 * time.Minute)},
			}
			for why, n := range bad {
				h, body, err := c.gw.Notification(o.ID, n)
				if err != nil {
					t.Fatal(err)
				}
				if status, ans, err := c.gw.Send(ctx, url, h, body); err != nil || c.gw.Accepted(status, ans) {
					t.Errorf("%s notification accepted: %d %s %v", why, status, ans, err)
				}
			}
			h, body, err := c.gw.Notification(o.ID, fakegw.Notify{})
			if err != nil {
				t.Fatal(err)
			}
			tampered := bytes.Clone(body)
			tampered[len(tampered)/2] ^= 1
			if status, ans, _ := c.gw.Send(ctx, url, h, tampered); c.gw.Accepted(status, ans) {
				t.Errorf("tampered notification accepted: %d %s", status, ans)
			}
			if got := e.getOrder(tok, o.ID); got.Status != "paying" || got.TradeNo != "" {
				t.Fatalf("after refused notifications: %+v", got)
			}
			if n := len(e.ledgerEntries(c.name)); n != 0 {
				t.Fatalf("%d ledger entries after refused notifications", n)
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusPaymentRequired {
				t.Fatalf("file after refused notifications: %d", res.status)
			}

			// The genuine notification, five times at once: applied once.
			var wg sync.WaitGroup
			for i := 0; i < 5; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					status, ans, err := c.gw.Send(ctx, url, h, body)
					if err != nil || !c.gw.Accepted(status, ans) {
						t.Errorf("genuine notification: %d %s %v", status, ans, err)
					}
				}()
			}
			wg.Wait()
			got := e.getOrder(tok, o.ID)
			if got.Status != "paid" || got.Channel != c.name || got.TradeNo == "" {
				t.Fatalf("after payment: %+v", got)
			}
			logs := e.logs.String()
			if a, d := strings.Count(logs, `"outcome":"applied"`), strings.Count(logs, `"outcome":"duplicate"`); a != len(e.ledgerEntriesAll()) || d != 4*a {
				t.Errorf("%d applied and %d duplicate notifications logged, %d ledger entries", a, d, len(e.ledgerEntriesAll()))
			}
			tradeNos = append(tradeNos, got.TradeNo)

			res = e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil)
			if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "image/") {
				t.Fatalf("file after payment: %d %s", res.status, res.header.Get("Content-Type"))
			}
			res = e.do("GET", "/api/v1/jobs/"+job+"/sheet?paper=6in", tok, "", nil)
			if res.status != http.StatusOK || res.header.Get("Content-Type") != "image/jpeg" || len(res.body) < 1000 {
				t.Fatalf("sheet after payment: %d %s", res.status, res.header.Get("Content-Type"))
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/sheet?paper=poster", tok, "", nil); res.code() != "unknown_paper" {
				t.Fatalf("unknown paper: %d %s", res.status, res.body)
			}

			res = e.do("POST", "/api/v1/orders/"+o.ID+"/refund", tok, "", nil)
			if res.status != http.StatusUnprocessableEntity || res.code() != "refund_refused" || !strings.Contains(string(res.body), "不予退款") {
				t.Fatalf("refund: %d %s", res.status, res.body)
			}
			if res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": c.name, "payer_id": c.payerID}); res.code() != "order_state" {
				t.Fatalf("paying a paid order: %d %s", res.status, res.body)
			}

			entries := e.ledgerEntries(c.name)
			if len(entries) != 1 {
				t.Fatalf("%d ledger entries, want 1", len(entries))
			}
			en := entries[0]
			if en.TradeNo != got.TradeNo || en.OrderID != o.ID || en.AmountFen != 500 || en.PayerID != c.payerID ||
				en.ClientIP != "127.0.0.1" || en.PaidAt.IsZero() || en.Sandbox {
				t.Fatalf("ledger entry %+v", en)
			}
			if strings.Contains(e.logs.String(), c.payerID) {
				t.Error("the payer id is in the logs")
			}
		})
	}
	e.t = t

	// At rest: neither payer id nor the client IP is anywhere in the database files,
	// where the trade numbers (not personal, the ledger's keys) are found in clear.
	e.store.Close()
	var all []byte
	for _, f := range []string{"idphoto.db", "idphoto.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(e.dir, f))
		all = append(all, b...)
	}
	for _, no := range tradeNos {
		if !bytes.Contains(all, []byte(no)) {
			t.Fatalf("trade number %s not found in the database files: the scan reads nothing", no)
		}
	}
	for _, b := range [][]byte{all} {
		for _, c := range channels {
			if bytes.Contains(b, []byte(c.payerID)) {
				t.Errorf("the database holds a payer id in clear")
			}
		}
		if bytes.Contains(b, []byte("127.0.0.1")) {
			t.Errorf("the database holds the client IP in clear")
		}
	}
}

func (e *payEnv) ledgerEntriesAll() []store.LedgerEntry {
	ses, _ := e.store.LedgerEntries(context.Background(), time.Time{}, time.Now().Add(time.Hour))
	return ses
}

// A print order through the sandbox: the mailing details are masked in every answer
// and sealed at rest; the ledger entry survives the user's deletion and shredding.
func TestPrintOrderSandbox(t *testing.T) {
	e := newPayEnv(t)
	tok := e.session()
	job := e.madeJob(tok)
	e.do("GET", "/api/v1/jobs/"+job+"/preview", tok, "", nil)

	prints := []map[string]any{{"kind": "print", "copies": 8}, {"kind": "mailing"}}
	for _, bad := range []map[string]any{
		{"job_id": job, "items": prints},
		{"job_id": job, "items": prints, "mailing": map[string]string{"name": "张三", "address": "广东省深圳市南山区科技园路1号", "phone": "12345"}},
		{"job_id": job, "items": []map[string]any{{"kind": "print", "copies": 8}}},
		{"job_id": job, "items": []map[string]any{{"kind": "ephoto"}}, "mailing": map[string]string{"name": "张三", "address": "广东省深圳市南山区", "phone": "13812341234"}},
	} {
		if res := e.postJSON("/api/v1/orders", tok, bad); res.code() != "bad_order" {
			t.Errorf("bad order %v: %d %s", bad, res.status, res.body)
		}
	}
	res := e.postJSON("/api/v1/orders", tok, map[string]any{"job_id": job, "items": prints,
		"mailing": map[string]string{"name": "张三丰", "address": "广东省深圳市南山区科技园路1号", "phone": "138 1234 5678"}})
	if res.status != http.StatusCreated {
		t.Fatalf("print order: %d %s", res.status, res.body)
	}
	var o orderJSON
	res.json(t, &o)
	if o.TotalFen != 1500+1000 || o.Mailing == nil || o.Mailing.Phone != "138****5678" || o.Mailing.Name != "张**" ||
		strings.Contains(o.Mailing.Address, "科技园") {
		t.Fatalf("print order %s", res.body)
	}
	list := e.do("GET", "/api/v1/orders", tok, "", nil)
	if list.status != http.StatusOK || !strings.Contains(string(list.body), "138****5678") || strings.Contains(string(list.body), "12345678") {
		t.Fatalf("list: %d %s", list.status, list.body)
	}

	if res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": "paypal"}); res.code() != "unknown_channel" {
		t.Fatalf("unknown channel: %d %s", res.status, res.body)
	}
	res = e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": "sandbox"})
	var params struct {
		Sandbox bool
		Notice  string
		Fields  map[string]string
	}
	res.json(t, &params)
	if res.status != http.StatusOK || !params.Sandbox || !strings.Contains(params.Notice, "SANDBOX") {
		t.Fatalf("sandbox pay: %d %s", res.status, res.body)
	}
	// The client posts the signed notification back.
	post := func(sig string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/pay/notify/sandbox", strings.NewReader(params.Fields["notification"]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(sandbox.SignatureHeader, sig)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if st := post("AAAA"); st != http.StatusBadRequest {
		t.Fatalf("unsigned sandbox notification: %d", st)
	}
	if e.getOrder(tok, o.ID).Status != "paying" {
		t.Fatal("an unsigned notification paid the order")
	}
	if st := post(params.Fields["signature"]); st != http.StatusNoContent {
		t.Fatalf("sandbox notification: %d", st)
	}
	if got := e.getOrder(tok, o.ID); got.Status != "paid" || got.Channel != "sandbox" {
		t.Fatalf("after sandbox payment: %+v", got)
	}
	if res := e.do("GET", "/api/v1/jobs/"+job+"/sheet", tok, "", nil); res.status != http.StatusOK {
		t.Fatalf("sheet: %d", res.status)
	}

	// The user and their key go; the ledger stays readable.
	ctx := context.Background()
	var user string
	db, err := sql.Open("sqlite", e.dir+"/idphoto.db")
	if err != nil {
		t.Fatal(err)
	}
	db.QueryRow("SELECT user_id FROM orders WHERE id = ?", o.ID).Scan(&user)
	db.Close()
	if err := e.vault.Shred(ctx, user); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.OrderByID(ctx, o.ID); err == nil {
		t.Fatal("the order outlived its user")
	}
	entries := e.ledgerEntries("sandbox")
	if len(entries) != 1 || entries[0].OrderID != o.ID || entries[0].AmountFen != 2500 || !entries[0].Sandbox {
		t.Fatalf("ledger after the user's deletion: %+v", entries)
	}
	var csv bytes.Buffer
	if err := ledger.WriteCSV(&csv, entries); err != nil || !strings.Contains(csv.String(), "25.00") {
		t.Fatalf("csv %q %v", csv.String(), err)
	}

	e.store.Close()
	b, _ := os.ReadFile(filepath.Join(e.dir, "idphoto.db"))
	w, _ := os.ReadFile(filepath.Join(e.dir, "idphoto.db-wal"))
	for _, s := range []string{"13812345678", "张三丰", "科技园"} {
		if bytes.Contains(b, []byte(s)) || bytes.Contains(w, []byte(s)) {
			t.Errorf("%s is in the database in clear", s)
		}
	}
}
