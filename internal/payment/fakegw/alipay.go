package fakegw

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/payment/alipay"
)

// Alipay is a fake Alipay open-platform gateway: alipay.trade.create, .query, .close
// and .refund through one gateway.do, RSA2 requests checked, answers signed. A closed
// trade can't be paid.
type Alipay struct {
	Server *httptest.Server

	AppID     string
	SellerID  string
	AppKey    *rsa.PrivateKey // the app's key, generated here
	AlipayKey *rsa.PrivateKey // the gateway's own key

	mu     sync.Mutex
	trades map[string]*aliTrade
}

type aliTrade struct {
	OutTradeNo  string
	TradeNo     string
	AmountFen   int64
	Subject     string
	BuyerID     string
	OpenID      bool // the buyer came as buyer_open_id
	NotifyURL   string
	Status      string // WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED
	GmtCreate   time.Time
	GmtPayment  time.Time
	RefundedFen int64
	requests    map[string]int64
}

// NewAlipay starts a fake Alipay gateway. Close it when done.
func NewAlipay() (*Alipay, error) {
	app, err := newKey()
	if err != nil {
		return nil, err
	}
	ali, err := newKey()
	if err != nil {
		return nil, err
	}
	g := &Alipay{
		AppID:     "2021" + randomDigits(12),
		SellerID:  "2088" + randomDigits(12),
		AppKey:    app,
		AlipayKey: ali,
		trades:    map[string]*aliTrade{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /gateway.do", g.gateway)
	g.Server = httptest.NewServer(mux)
	return g, nil
}

// Close stops the server.
func (g *Alipay) Close() { g.Server.Close() }

// Config returns an app config that talks to this fake.
func (g *Alipay) Config(notifyURL string) alipay.Config {
	return alipay.Config{
		GatewayURL:      g.Server.URL + "/gateway.do",
		AppID:           g.AppID,
		AppPrivateKey:   privatePEM(g.AppKey),
		AlipayPublicKey: publicPEM(&g.AlipayKey.PublicKey),
		SellerID:        g.SellerID,
		NotifyURL:       notifyURL,
		Timeout:         10 * time.Second,
	}
}

// answer writes {"<method>_response": {...}, "sign": "…"}, the sign over the exact bytes.
func (g *Alipay) answer(w http.ResponseWriter, method string, v any) {
	raw, _ := json.Marshal(v)
	sig := signSHA256(g.AlipayKey, string(raw))
	key, _ := json.Marshal(strings.ReplaceAll(method, ".", "_") + "_response")
	s, _ := json.Marshal(sig)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_, _ = fmt.Fprintf(w, `{%s:%s,"sign":%s}`, key, raw, s)
}

func (g *Alipay) fail(w http.ResponseWriter, method, code, sub, msg string) {
	g.answer(w, method, map[string]string{"code": code, "msg": "Business Failed", "sub_code": sub, "sub_msg": msg})
}

func (g *Alipay) gateway(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := r.PostForm
	method := p.Get("method")
	if p.Get("app_id") != g.AppID {
		g.fail(w, method, "40002", "isv.invalid-app-id", "unknown app_id")
		return
	}
	if p.Get("sign_type") != "RSA2" || verifySHA256(&g.AppKey.PublicKey, alipay.SignContent(p), p.Get("sign")) != nil {
		g.fail(w, method, "40002", "isv.invalid-signature", "signature does not verify")
		return
	}
	ts, err := time.ParseInLocation("2006-01-02 15:04:05", p.Get("timestamp"), chinaTime)
	if err != nil || time.Since(ts).Abs() > 10*time.Minute {
		g.fail(w, method, "40002", "isv.invalid-timestamp", "timestamp")
		return
	}
	var biz map[string]string
	if err := json.Unmarshal([]byte(p.Get("biz_content")), &biz); err != nil {
		g.fail(w, method, "40002", "isv.invalid-parameter", "biz_content")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch method {
	case "alipay.trade.create":
		g.create(w, method, biz, p.Get("notify_url"))
	case "alipay.trade.query":
		g.query(w, method, biz)
	case "alipay.trade.close":
		g.close(w, method, biz)
	case "alipay.trade.refund":
		g.refund(w, method, biz)
	default:
		g.fail(w, method, "40004", "isv.invalid-method", "unknown method")
	}
}

func (g *Alipay) create(w http.ResponseWriter, method string, biz map[string]string, notifyURL string) {
	fen, err := alipay.ParseYuan(biz["total_amount"])
	buyer, openID := biz["buyer_id"], false
	if buyer == "" {
		buyer, openID = biz["buyer_open_id"], true
	}
	if err != nil || fen <= 0 || biz["out_trade_no"] == "" || biz["subject"] == "" || buyer == "" {
		g.fail(w, method, "40004", "ACQ.INVALID_PARAMETER", "missing or malformed parameters")
		return
	}
	t := g.trades[biz["out_trade_no"]]
	switch {
	case t == nil:
		t = &aliTrade{OutTradeNo: biz["out_trade_no"], TradeNo: time.Now().Format("20060102") + "22001" + randomDigits(15),
			AmountFen: fen, Subject: biz["subject"], BuyerID: buyer, OpenID: openID, NotifyURL: notifyURL,
			Status: "WAIT_BUYER_PAY", GmtCreate: time.Now().Truncate(time.Second)}
		g.trades[t.OutTradeNo] = t
	case t.Status == "TRADE_CLOSED":
		g.fail(w, method, "40004", "ACQ.TRADE_HAS_CLOSE", "trade closed")
		return
	case t.Status != "WAIT_BUYER_PAY":
		g.fail(w, method, "40004", "ACQ.TRADE_HAS_SUCCESS", "trade already paid")
		return
	case t.AmountFen != fen || t.BuyerID != buyer:
		g.fail(w, method, "40004", "ACQ.CONTEXT_INCONSISTENT", "out_trade_no reused with other parameters")
		return
	}
	g.answer(w, method, map[string]string{"code": "10000", "msg": "Success", "out_trade_no": t.OutTradeNo, "trade_no": t.TradeNo})
}

func (g *Alipay) query(w http.ResponseWriter, method string, biz map[string]string) {
	t := g.trades[biz["out_trade_no"]]
	if t == nil {
		g.fail(w, method, "40004", "ACQ.TRADE_NOT_EXIST", "trade does not exist")
		return
	}
	m := map[string]string{"code": "10000", "msg": "Success", "out_trade_no": t.OutTradeNo, "trade_no": t.TradeNo,
		"trade_status": t.Status, "total_amount": alipay.FormatYuan(t.AmountFen)}
	if t.OpenID {
		m["buyer_open_id"] = t.BuyerID
	} else {
		m["buyer_user_id"] = t.BuyerID
	}
	if !t.GmtPayment.IsZero() {
		m["send_pay_date"] = t.GmtPayment.In(chinaTime).Format("2006-01-02 15:04:05")
	}
	g.answer(w, method, m)
}

// close closes a trade waiting for payment. A paid trade is ACQ.TRADE_STATUS_ERROR; an
// unknown one ACQ.TRADE_NOT_EXIST; closing a closed one answers success again.
func (g *Alipay) close(w http.ResponseWriter, method string, biz map[string]string) {
	t := g.trades[biz["out_trade_no"]]
	switch {
	case t == nil:
		g.fail(w, method, "40004", "ACQ.TRADE_NOT_EXIST", "trade does not exist")
		return
	case t.Status == "WAIT_BUYER_PAY":
		t.Status = "TRADE_CLOSED"
	case t.Status != "TRADE_CLOSED" || t.RefundedFen > 0:
		g.fail(w, method, "40004", "ACQ.TRADE_STATUS_ERROR", "trade is paid: it can't be closed")
		return
	}
	g.answer(w, method, map[string]string{"code": "10000", "msg": "Success", "out_trade_no": t.OutTradeNo, "trade_no": t.TradeNo})
}

func (g *Alipay) refund(w http.ResponseWriter, method string, biz map[string]string) {
	t := g.trades[biz["out_trade_no"]]
	if t == nil {
		g.fail(w, method, "40004", "ACQ.TRADE_NOT_EXIST", "trade does not exist")
		return
	}
	fen, err := alipay.ParseYuan(biz["refund_amount"])
	if err != nil || fen <= 0 || biz["out_request_no"] == "" {
		g.fail(w, method, "40004", "ACQ.INVALID_PARAMETER", "refund amount or request number")
		return
	}
	if t.requests == nil {
		t.requests = map[string]int64{}
	}
	change := "N"
	if _, seen := t.requests[biz["out_request_no"]]; !seen {
		if t.Status != "TRADE_SUCCESS" {
			g.fail(w, method, "40004", "ACQ.TRADE_STATUS_ERROR", "trade is not paid")
			return
		}
		if t.RefundedFen+fen > t.AmountFen {
			g.fail(w, method, "40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "refund exceeds what was paid")
			return
		}
		t.requests[biz["out_request_no"]] = fen
		t.RefundedFen += fen
		change = "Y"
		if t.RefundedFen == t.AmountFen {
			t.Status = "TRADE_CLOSED"
		}
	}
	g.answer(w, method, map[string]string{"code": "10000", "msg": "Success", "out_trade_no": t.OutTradeNo,
		"trade_no": t.TradeNo, "fund_change": change, "refund_fee": alipay.FormatYuan(t.RefundedFen)})
}

// Pay marks a created trade paid, as if the buyer confirmed it in Alipay. A closed
// trade refuses payment.
func (g *Alipay) Pay(outTradeNo string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[outTradeNo]
	if t == nil {
		return fmt.Errorf("fakegw: alipay: no trade %s", outTradeNo)
	}
	if t.Status == "TRADE_CLOSED" {
		return fmt.Errorf("fakegw: alipay: trade %s is closed: %w", outTradeNo, ErrClosed)
	}
	if t.Status == "WAIT_BUYER_PAY" {
		t.Status, t.GmtPayment = "TRADE_SUCCESS", time.Now().Truncate(time.Second)
	}
	return nil
}

// Notification builds the trade_status_sync notification for a paid trade as a form
// body, signed RSA2 over the sorted parameters without sign and sign_type.
func (g *Alipay) Notification(outTradeNo string, n Notify) (http.Header, []byte, error) {
	g.mu.Lock()
	t := g.trades[outTradeNo]
	if t == nil || t.Status != "TRADE_SUCCESS" {
		g.mu.Unlock()
		return nil, nil, fmt.Errorf("fakegw: alipay: trade %s is not paid", outTradeNo)
	}
	tr := *t
	g.mu.Unlock()
	at := n.At
	if at.IsZero() {
		at = time.Now()
	}
	amount := alipay.FormatYuan(tr.AmountFen)
	if n.AmountFen != 0 {
		amount = alipay.FormatYuan(n.AmountFen)
	}
	appID := g.AppID
	if n.AppID != "" {
		appID = n.AppID
	}
	const layout = "2006-01-02 15:04:05"
	v := url.Values{
		"notify_time": {at.In(chinaTime).Format(layout)}, "notify_type": {"trade_status_sync"},
		"notify_id": {randomString(34)}, "charset": {"utf-8"}, "version": {"1.0"}, "sign_type": {"RSA2"},
		"app_id": {appID}, "auth_app_id": {appID}, "seller_id": {g.SellerID},
		"trade_no": {tr.TradeNo}, "out_trade_no": {tr.OutTradeNo}, "trade_status": {"TRADE_SUCCESS"},
		"total_amount": {amount}, "receipt_amount": {amount}, "buyer_pay_amount": {amount}, "invoice_amount": {amount},
		"point_amount": {"0.00"}, "subject": {tr.Subject},
		"gmt_create": {tr.GmtCreate.In(chinaTime).Format(layout)}, "gmt_payment": {tr.GmtPayment.In(chinaTime).Format(layout)},
		"fund_bill_list": {`[{"amount":"` + amount + `","fundChannel":"ALIPAYACCOUNT"}]`},
	}
	if tr.OpenID {
		v.Set("buyer_open_id", tr.BuyerID)
	} else {
		v.Set("buyer_id", tr.BuyerID)
	}
	k := g.AlipayKey
	if n.ForeignKey {
		var err error
		if k, err = foreignKey(); err != nil {
			return nil, nil, err
		}
	}
	v.Set("sign", signSHA256(k, alipay.VerifyContent(v)))
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return h, []byte(v.Encode()), nil
}

// SignForm signs any parameters as a notification from this gateway and encodes them,
// for fuzz tests of the parser.
func (g *Alipay) SignForm(v url.Values) []byte {
	v.Set("sign", signSHA256(g.AlipayKey, alipay.VerifyContent(v)))
	return []byte(v.Encode())
}

// Send posts a notification to a callback URL and returns the answer's status and body.
func (g *Alipay) Send(ctx context.Context, url string, h http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return 0, nil, err
	}
	req.Header = h.Clone()
	return send(req)
}

// Accepted reports whether a callback's answer acknowledges a notification: the body is
// exactly "success".
func (g *Alipay) Accepted(status int, body []byte) bool {
	return status == http.StatusOK && string(body) == "success"
}

// State returns a trade's status (WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED), or ""
// for a trade the gateway does not know.
func (g *Alipay) State(outTradeNo string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.trades[outTradeNo]; t != nil {
		return t.Status
	}
	return ""
}

// NotifyURL returns the notify_url a trade was created with.
func (g *Alipay) NotifyURL(outTradeNo string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.trades[outTradeNo]; t != nil {
		return t.NotifyURL
	}
	return ""
}

// VerifyClientParams checks my.tradePay's parameters as the Alipay client does: tradeNO
// names a trade created through this gateway and still waiting for payment.
func (g *Alipay) VerifyClientParams(f map[string]string) error {
	if len(f) != 1 || f["tradeNO"] == "" {
		return errors.New("fakegw: alipay: client parameters are not {tradeNO}")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range g.trades {
		if t.TradeNo == f["tradeNO"] && t.Status == "WAIT_BUYER_PAY" {
			return nil
		}
	}
	return errors.New("fakegw: alipay: tradeNO is not a trade waiting for payment")
}
