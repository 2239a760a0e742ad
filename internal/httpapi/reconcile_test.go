package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/login/fakelogin"
	"github.com/idphoto/idphoto/internal/payment/alipay"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
)

// orderFor makes a job, shows its preview and orders its e-photo.
func (e *payEnv) orderFor(tok string) (orderJSON, string) {
	e.t.Helper()
	job := e.madeJob(tok)
	e.do("GET", "/api/v1/jobs/"+job+"/preview", tok, "", nil)
	var o orderJSON
	if res := e.postJSON("/api/v1/orders", tok, map[string]any{"job_id": job, "items": []map[string]any{{"kind": "ephoto"}}}); res.status != http.StatusCreated {
		e.t.Fatalf("order: %d %s", res.status, res.body)
	} else {
		res.json(e.t, &o)
	}
	return o, job
}

// printOrderBody orders eight prints of the job, mailed to the test recipient.
func printOrderBody(job string) map[string]any {
	return map[string]any{"job_id": job,
		"items":   []map[string]any{{"kind": "print", "copies": 8}, {"kind": "mailing"}},
		"mailing": map[string]string{"name": "张三丰", "address": "广东省深圳市南山区科技园路1号", "phone": "13812345678"}}
}

// printOrder shows the job's preview and orders eight prints of it, mailed to the
// test recipient.
func (e *payEnv) printOrder(tok, job string) orderJSON {
	e.t.Helper()
	e.do("GET", "/api/v1/jobs/"+job+"/preview", tok, "", nil)
	var o orderJSON
	res := e.postJSON("/api/v1/orders", tok, printOrderBody(job))
	if res.status != http.StatusCreated {
		e.t.Fatalf("print order: %d %s", res.status, res.body)
	}
	res.json(e.t, &o)
	return o
}

// startPay is the pay step of an order through channel, which must be accepted.
func (e *payEnv) startPay(tok, orderID, channel string) {
	e.t.Helper()
	if res := e.postJSON("/api/v1/orders/"+orderID+"/pay", tok, map[string]string{"channel": channel}); res.status != http.StatusOK {
		e.t.Fatalf("pay through %s: %d %s", channel, res.status, res.body)
	}
}

// A payment whose notification was lost: the reconciliation asks the channel once the
// order has been paying a while, applies the trade once with its ledger entry, and the
// late notification afterwards is a duplicate.
func TestReconcileLostNotification(t *testing.T) {
	e := newPayEnv(t)
	cfg := httpapi.DefaultReconcileConfig()
	ctx := context.Background()
	for _, c := range []struct {
		name, login, payer string
		gw                 gateway
	}{
		{"wechatpay", "wechat", fakelogin.NewOpenID(), e.wechat},
		{"alipay", "alipay", fakelogin.NewUserID(), e.alipay},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			tok := e.loginSession(c.login, c.payer)
			o, job := e.orderFor(tok)
			e.startPay(tok, o.ID, c.name)
			if err := c.gw.Pay(o.ID); err != nil { // paid at the channel; no notification comes
				t.Fatal(err)
			}
			res, err := e.api.Reconcile(ctx, time.Now(), cfg)
			if err != nil || res.Paid != 0 || e.getOrder(tok, o.ID).Status != "paying" {
				t.Fatalf("an order paying for less than %v was reconciled: %+v %v", cfg.After, res, err)
			}
			later := time.Now().Add(cfg.After + time.Minute)
			res, err = e.api.Reconcile(ctx, later, cfg)
			if err != nil || res.Paid != 1 || res.Failed != 0 || res.Expired != 0 {
				t.Fatalf("reconcile: %+v %v", res, err)
			}
			got := e.getOrder(tok, o.ID)
			if got.Status != "paid" || got.Channel != c.name || got.TradeNo == "" {
				t.Fatalf("after reconciliation: %+v", got)
			}
			entries := e.ledgerEntries(c.name)
			if len(entries) != 1 || entries[0].OrderID != o.ID || entries[0].PayerID != c.payer || entries[0].AmountFen != got.TotalFen {
				t.Fatalf("ledger after reconciliation: %+v", entries)
			}
			if res, err := e.api.Reconcile(ctx, later, cfg); err != nil || res.Checked != 0 {
				t.Fatalf("a paid order reconciled again: %+v %v", res, err)
			}
			// The notification, late: acknowledged, changes nothing.
			h, body, err := c.gw.Notification(o.ID, fakegw.Notify{})
			if err != nil {
				t.Fatal(err)
			}
			if st, ans, err := c.gw.Send(ctx, c.gw.NotifyURL(o.ID), h, body); err != nil || !c.gw.Accepted(st, ans) {
				t.Fatalf("late notification: %d %s %v", st, ans, err)
			}
			if n := len(e.ledgerEntries(c.name)); n != 1 {
				t.Fatalf("%d ledger entries after the late notification, want 1", n)
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusOK {
				t.Fatalf("file after reconciliation: %d", res.status)
			}
		})
	}
}

// Unpaid orders expire past their time: one never paid, and one left paying whose
// trade the channel reports unpaid (closed there first). Neither can be paid afterwards.
func TestReconcileExpiresUnpaidOrders(t *testing.T) {
	e := newPayEnv(t)
	cfg := httpapi.DefaultReconcileConfig()
	ctx := context.Background()
	tok := e.loginSession("wechat", fakelogin.NewOpenID())
	created, _ := e.orderFor(tok)
	paying, job := e.orderFor(tok)
	e.startPay(tok, paying.ID, "wechatpay")
	// The sandbox "pays" at prepay: an order whose sandbox notification the client
	// never posted was not confirmed, and expires like the others.
	sandboxed, _ := e.orderFor(tok)
	e.startPay(tok, sandboxed.ID, "sandbox")
	if res, err := e.api.Reconcile(ctx, time.Now(), cfg); err != nil || res.Expired != 0 {
		t.Fatalf("orders expired before their time: %+v %v", res, err)
	}
	ttl := testConfig().Orders.UnpaidTTL
	res, err := e.api.Reconcile(ctx, time.Now().Add(ttl+time.Minute), cfg)
	if err != nil || res.Checked != 3 || res.Expired != 3 || res.Closed != 1 || res.Paid != 0 || res.Failed != 0 {
		t.Fatalf("reconcile past the unpaid time: %+v %v", res, err)
	}
	for _, o := range []orderJSON{created, paying, sandboxed} {
		if got := e.getOrder(tok, o.ID); got.Status != "expired" {
			t.Fatalf("order %s after its time: %s", o.ID, got.Status)
		}
		if res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": "wechatpay"}); res.code() != "order_state" {
			t.Fatalf("paying an expired order: %d %s", res.status, res.body)
		}
	}
	if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusPaymentRequired {
		t.Fatalf("file of an expired order: %d", res.status)
	}
	if n := len(e.ledgerEntriesAll()); n != 0 {
		t.Fatalf("%d ledger entries", n)
	}
	if res, err := e.api.Reconcile(ctx, time.Now().Add(ttl+time.Minute), cfg); err != nil || res.Checked != 0 {
		t.Fatalf("expired orders looked at again: %+v %v", res, err)
	}
}

// A channel that does not answer leaves a paying order as it is, even past its time:
// it may have been paid.
func TestReconcileChannelDownExpiresNothing(t *testing.T) {
	e := newPayEnv(t)
	cfg := httpapi.DefaultReconcileConfig()
	tok := e.loginSession("alipay", fakelogin.NewUserID())
	o, _ := e.orderFor(tok)
	e.startPay(tok, o.ID, "alipay")
	e.alipay.Server.Close()
	e.wechat.Server.Close()
	res, err := e.api.Reconcile(context.Background(), time.Now().Add(testConfig().Orders.UnpaidTTL+time.Minute), cfg)
	if err != nil || res.Failed != 1 || res.Expired != 0 {
		t.Fatalf("reconcile with the channels down: %+v %v", res, err)
	}
	if got := e.getOrder(tok, o.ID); got.Status != "paying" {
		t.Fatalf("order with the channels down: %s", got.Status)
	}
}

// forgedPaid is a "paid" notification for a trade that is not paid, signed with the
// gateway's own keys: what a channel's glitch or a replayed delivery would look like.
func (e *payEnv) forgedPaid(channel, orderID, payer string, amountFen int64) (http.Header, []byte) {
	e.t.Helper()
	now := time.Now()
	switch channel {
	case "wechatpay":
		tx, _ := json.Marshal(map[string]any{
			"appid": e.wechat.AppID, "mchid": e.wechat.MchID, "out_trade_no": orderID, "transaction_id": "4200000000" + orderID[:18],
			"trade_type": "JSAPI", "trade_state": "SUCCESS", "trade_state_desc": "SUCCESS", "bank_type": "OTHERS",
			"success_time": now.Format(time.RFC3339), "payer": map[string]string{"openid": payer},
			"amount": map[string]any{"total": amountFen, "payer_total": amountFen, "currency": "CNY", "payer_currency": "CNY"},
		})
		return e.wechat.SealResource(tx)
	case "alipay":
		const layout = "2006-01-02 15:04:05"
		cst := time.FixedZone("CST", 8*3600)
		body := e.alipay.SignForm(url.Values{
			"notify_time": {now.In(cst).Format(layout)}, "notify_type": {"trade_status_sync"}, "notify_id": {"n" + orderID},
			"charset": {"utf-8"}, "version": {"1.0"}, "sign_type": {"RSA2"}, "app_id": {e.alipay.AppID},
			"seller_id": {e.alipay.SellerID}, "trade_no": {"2025" + orderID[:24]}, "out_trade_no": {orderID},
			"trade_status": {"TRADE_SUCCESS"}, "total_amount": {alipay.FormatYuan(amountFen)}, "buyer_id": {payer},
			"gmt_payment": {now.In(cst).Format(layout)},
		})
		h := http.Header{}
		h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return h, body
	}
	e.t.Fatalf("no channel %s", channel)
	return nil, nil
}

// An order that reached a channel and expired unpaid has its trade closed there first:
// the gateway then refuses the payer, and a "paid" notification for it arriving
// afterwards is refused and changes nothing: no payment, no ledger entry, no file.
func TestPromiseO2ExpiredTradeClosedAtChannel(t *testing.T) {
	e := newPayEnv(t)
	cfg := httpapi.DefaultReconcileConfig()
	ctx := context.Background()
	for _, c := range []struct {
		name, login, payer, closed string
		gw                         interface {
			gateway
			State(string) string
		}
	}{
		{"wechatpay", "wechat", fakelogin.NewOpenID(), "CLOSED", e.wechat},
		{"alipay", "alipay", fakelogin.NewUserID(), "TRADE_CLOSED", e.alipay},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			tok := e.loginSession(c.login, c.payer)
			o, job := e.orderFor(tok)
			e.startPay(tok, o.ID, c.name)
			before := c.gw.State(o.ID)
			res, err := e.api.Reconcile(ctx, time.Now().Add(testConfig().Orders.UnpaidTTL+time.Minute), cfg)
			if err != nil || res.Checked != 1 || res.Closed != 1 || res.Expired != 1 || res.Paid != 0 || res.Failed != 0 {
				t.Fatalf("reconcile past the unpaid time: %+v %v", res, err)
			}
			if got := c.gw.State(o.ID); got != c.closed {
				t.Fatalf("trade at the channel: %s, then %s; want %s", before, got, c.closed)
			}
			if err := c.gw.Pay(o.ID); !errors.Is(err, fakegw.ErrClosed) {
				t.Fatalf("the gateway let the payer pay a closed trade: %v", err)
			}
			if got := e.getOrder(tok, o.ID); got.Status != "expired" {
				t.Fatalf("order: %s", got.Status)
			}
			h, body := e.forgedPaid(c.name, o.ID, c.payer, o.TotalFen)
			if st, ans, err := c.gw.Send(ctx, c.gw.NotifyURL(o.ID), h, body); err != nil || c.gw.Accepted(st, ans) {
				t.Fatalf("a paid notification for an expired, closed trade was acknowledged: %d %s %v", st, ans, err)
			}
			if got := e.getOrder(tok, o.ID); got.Status != "expired" || got.TradeNo != "" {
				t.Fatalf("order after the late notification: %+v", got)
			}
			if n := len(e.ledgerEntries(c.name)); n != 0 {
				t.Fatalf("%d ledger entries for an expired order", n)
			}
			if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusPaymentRequired {
				t.Fatalf("file of an expired order: %d", res.status)
			}
			if !strings.Contains(e.logs.String(), "operator must look") {
				t.Error("a paid notification for an expired order raised no alert")
			}
		})
	}
}

// A payment made at the channel just before the order's time ran out, whose
// notification never came, wins over expiry: the last query finds it paid.
func TestPromiseO2LatePaymentWinsOverExpiry(t *testing.T) {
	e := newPayEnv(t)
	cfg := httpapi.DefaultReconcileConfig()
	ctx := context.Background()
	payer := fakelogin.NewUserID()
	tok := e.loginSession("alipay", payer)
	o, job := e.orderFor(tok)
	e.startPay(tok, o.ID, "alipay")
	if err := e.alipay.Pay(o.ID); err != nil {
		t.Fatal(err)
	}
	res, err := e.api.Reconcile(ctx, time.Now().Add(testConfig().Orders.UnpaidTTL+time.Minute), cfg)
	if err != nil || res.Paid != 1 || res.Expired != 0 || res.Closed != 0 || res.Failed != 0 {
		t.Fatalf("reconcile: %+v %v", res, err)
	}
	if got := e.getOrder(tok, o.ID); got.Status != "paid" || got.Channel != "alipay" {
		t.Fatalf("order: %+v", got)
	}
	if st := e.alipay.State(o.ID); st != "TRADE_SUCCESS" {
		t.Fatalf("trade at the channel: %s", st)
	}
	if en := e.ledgerEntries("alipay"); len(en) != 1 || en[0].PayerID != payer {
		t.Fatalf("ledger: %+v", en)
	}
	if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusOK {
		t.Fatalf("file: %d", res.status)
	}
}

// Paying again after the order's time settles it as the reconciliation would: the
// trade left open at the channel is closed, then the order expires. A trade the
// channel won't close (the payer is at the PIN) leaves the order paying.
func TestPayAfterExpiryClosesTrade(t *testing.T) {
	e := newPayEnv(t)
	tok := e.loginSession("wechat", fakelogin.NewOpenID())
	atPIN, _ := e.orderFor(tok)
	gaveUp, _ := e.orderFor(tok)
	for _, o := range []orderJSON{atPIN, gaveUp} {
		e.startPay(tok, o.ID, "wechatpay")
	}
	if err := e.wechat.StartPaying(atPIN.ID); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(testConfig().Orders.UnpaidTTL + time.Minute)
	e.api.SetNow(func() time.Time { return later })

	if res := e.postJSON("/api/v1/orders/"+atPIN.ID+"/pay", tok, map[string]string{"channel": "wechatpay"}); res.code() != "channel_error" {
		t.Fatalf("pay past the time while the payer pays: %d %s", res.status, res.body)
	}
	if got := e.getOrder(tok, atPIN.ID); got.Status != "paying" || e.wechat.State(atPIN.ID) != "USERPAYING" {
		t.Fatalf("order %s, trade %s", got.Status, e.wechat.State(atPIN.ID))
	}

	if res := e.postJSON("/api/v1/orders/"+gaveUp.ID+"/pay", tok, map[string]string{"channel": "wechatpay"}); res.code() != "order_state" ||
		!strings.Contains(string(res.body), "expired") {
		t.Fatalf("pay past the time: %d %s", res.status, res.body)
	}
	if got := e.getOrder(tok, gaveUp.ID); got.Status != "expired" || e.wechat.State(gaveUp.ID) != "CLOSED" {
		t.Fatalf("order %s, trade %s", got.Status, e.wechat.State(gaveUp.ID))
	}
}

// A user gives up an unpaid order: a created one is cancelled at once; a paying one has
// its trade closed at the channel first, so the payer can't pay it afterwards; one paid
// at the channel meanwhile is paid, not cancelled; a paid order can't be cancelled.
func TestPromiseO1CancelUnpaidOrder(t *testing.T) {
	e := newPayEnv(t)
	payer := fakelogin.NewOpenID()
	tok := e.loginSession("wechat", payer)
	cancel := func(id string) response {
		return e.do("POST", "/api/v1/orders/"+id+"/cancel", tok, "", nil)
	}

	created, _ := e.orderFor(tok)
	if res := cancel(created.ID); res.status != http.StatusOK {
		t.Fatalf("cancel a created order: %d %s", res.status, res.body)
	}
	if got := e.getOrder(tok, created.ID); got.Status != "cancelled" {
		t.Fatalf("after cancel: %s", got.Status)
	}
	if res := e.postJSON("/api/v1/orders/"+created.ID+"/pay", tok, map[string]string{"channel": "wechatpay"}); res.code() != "order_state" {
		t.Fatalf("pay a cancelled order: %d %s", res.status, res.body)
	}
	if res := cancel(created.ID); res.code() != "order_state" {
		t.Fatalf("cancel twice: %d %s", res.status, res.body)
	}

	paying, _ := e.orderFor(tok)
	e.startPay(tok, paying.ID, "wechatpay")
	if res := cancel(paying.ID); res.status != http.StatusOK {
		t.Fatalf("cancel a paying order: %d %s", res.status, res.body)
	}
	if st := e.wechat.State(paying.ID); st != "CLOSED" {
		t.Fatalf("trade of a cancelled order: %s", st)
	}
	if err := e.wechat.Pay(paying.ID); !errors.Is(err, fakegw.ErrClosed) {
		t.Fatalf("the payer paid a cancelled order's trade: %v", err)
	}

	paidMeanwhile, _ := e.orderFor(tok)
	e.startPay(tok, paidMeanwhile.ID, "wechatpay")
	if err := e.wechat.Pay(paidMeanwhile.ID); err != nil {
		t.Fatal(err)
	}
	if res := cancel(paidMeanwhile.ID); res.code() != "order_state" {
		t.Fatalf("cancel an order paid at the channel: %d %s", res.status, res.body)
	}
	if got := e.getOrder(tok, paidMeanwhile.ID); got.Status != "paid" {
		t.Fatalf("order paid at the channel, then cancelled: %s", got.Status)
	}
	if en := e.ledgerEntries("wechatpay"); len(en) != 1 || en[0].OrderID != paidMeanwhile.ID || en[0].PayerID != payer {
		t.Fatalf("ledger: %+v", en)
	}
	if res := cancel(paidMeanwhile.ID); res.code() != "order_state" {
		t.Fatalf("cancel a paid order: %d %s", res.status, res.body)
	}
	if res := cancel(order404()); res.status != http.StatusNotFound {
		t.Fatalf("cancel an unknown order: %d", res.status)
	}
}

func order404() string { return "0123456789abcdef0123456789abcdef" }
