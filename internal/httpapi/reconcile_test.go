package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/login/fakelogin"
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
			if res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": c.name}); res.status != http.StatusOK {
				t.Fatalf("pay: %d %s", res.status, res.body)
			}
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
// trade the channel reports unpaid. Neither can be paid afterwards.
func TestReconcileExpiresUnpaidOrders(t *testing.T) {
	e := newPayEnv(t)
	cfg := httpapi.DefaultReconcileConfig()
	ctx := context.Background()
	tok := e.loginSession("wechat", fakelogin.NewOpenID())
	created, _ := e.orderFor(tok)
	paying, job := e.orderFor(tok)
	if res := e.postJSON("/api/v1/orders/"+paying.ID+"/pay", tok, map[string]string{"channel": "wechatpay"}); res.status != http.StatusOK {
		t.Fatalf("pay: %d %s", res.status, res.body)
	}
	// The sandbox "pays" at prepay: an order whose sandbox notification the client
	// never posted was not confirmed, and expires like the others.
	sandboxed, _ := e.orderFor(tok)
	if res := e.postJSON("/api/v1/orders/"+sandboxed.ID+"/pay", tok, map[string]string{"channel": "sandbox"}); res.status != http.StatusOK {
		t.Fatalf("sandbox pay: %d %s", res.status, res.body)
	}
	if res, err := e.api.Reconcile(ctx, time.Now(), cfg); err != nil || res.Expired != 0 {
		t.Fatalf("orders expired before their time: %+v %v", res, err)
	}
	ttl := testConfig().Orders.UnpaidTTL
	res, err := e.api.Reconcile(ctx, time.Now().Add(ttl+time.Minute), cfg)
	if err != nil || res.Checked != 3 || res.Expired != 3 || res.Paid != 0 || res.Failed != 0 {
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
	if res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": "alipay"}); res.status != http.StatusOK {
		t.Fatalf("pay: %d %s", res.status, res.body)
	}
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
