package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/login/fakelogin"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/store"
)

// payingOrder is an e-photo order of a user logged in through WeChat, with its trade
// opened at WeChat Pay.
func (e *payEnv) payingOrder() (tok string, o orderJSON, job string) {
	e.t.Helper()
	tok = e.loginSession("wechat", fakelogin.NewOpenID())
	o, job = e.orderFor(tok)
	if res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": "wechatpay"}); res.status != http.StatusOK {
		e.t.Fatalf("pay: %d %s", res.status, res.body)
	}
	return tok, o, job
}

// O1, O2: a cancel shuts the pay step out as its first change to the order. A pay
// request that comes after that opens no trade at any channel; one already past its
// own update when the cancel came closes the trade it opened and gives the client
// nothing to pay with. Run one interleaving at a time through the API's hooks.
func TestPromiseO1CancelShutsOutPay(t *testing.T) {
	e := newPayEnv(t)

	t.Run("pay after the cancel", func(t *testing.T) {
		e.t = t
		tok, o, _ := e.payingOrder()
		var during []response
		e.api.SetRaceHooks(nil, func(id string) {
			for _, ch := range []string{"wechatpay", "sandbox"} {
				during = append(during, e.postJSON("/api/v1/orders/"+id+"/pay", tok, map[string]string{"channel": ch}))
			}
		})
		defer e.api.SetRaceHooks(nil, nil)
		if res := e.do("POST", "/api/v1/orders/"+o.ID+"/cancel", tok, "", nil); res.status != http.StatusOK {
			t.Fatalf("cancel: %d %s", res.status, res.body)
		}
		if len(during) != 2 {
			t.Fatalf("the hook ran %d pay requests", len(during))
		}
		for _, res := range during {
			if res.code() != "order_state" || !strings.Contains(string(res.body), "cancelled") {
				t.Errorf("pay during the cancel: %d %s", res.status, res.body)
			}
		}
		if st := e.wechat.State(o.ID); st != "CLOSED" {
			t.Errorf("wechat trade: %s", st)
		}
		if got := e.getOrder(tok, o.ID); got.Status != "cancelled" {
			t.Errorf("order: %s", got.Status)
		}
	})

	t.Run("cancel inside the pay step", func(t *testing.T) {
		e.t = t
		tok := e.loginSession("alipay", fakelogin.NewUserID())
		o, _ := e.orderFor(tok)
		var cancelled response
		e.api.SetRaceHooks(func(id string) {
			e.api.SetRaceHooks(nil, nil) // once
			cancelled = e.do("POST", "/api/v1/orders/"+id+"/cancel", tok, "", nil)
		}, nil)
		defer e.api.SetRaceHooks(nil, nil)
		res := e.postJSON("/api/v1/orders/"+o.ID+"/pay", tok, map[string]string{"channel": "alipay"})
		if cancelled.status != http.StatusOK {
			t.Fatalf("cancel inside the pay step: %d %s", cancelled.status, cancelled.body)
		}
		if res.code() != "order_state" || strings.Contains(string(res.body), "fields") {
			t.Fatalf("pay whose order was cancelled meanwhile: %d %s", res.status, res.body)
		}
		if st := e.alipay.State(o.ID); st != "TRADE_CLOSED" {
			t.Errorf("the Alipay trade opened meanwhile: %q, want TRADE_CLOSED", st)
		}
		if err := e.alipay.Pay(o.ID); !errors.Is(err, fakegw.ErrClosed) {
			t.Errorf("the payer paid the trade of a cancelled order: %v", err)
		}
		if got := e.getOrder(tok, o.ID); got.Status != "cancelled" {
			t.Errorf("order: %s", got.Status)
		}
	})
}

// O1, O3, O5: a payment that lands after the cancel (the payer confirmed at the
// channel between the cancel and the trade's closing) is not lost: it is entered in
// the ledger and flagged, its notification is acknowledged once, the order stays
// cancelled and unlocks nothing, and an operator refunds it, audited, with the refund
// in the ledger as a negative amount, once.
func TestPromiseO5LatePaymentFlaggedAndRefunded(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	tok, o, job := e.payingOrder()
	e.api.SetRaceHooks(nil, func(id string) {
		if err := e.wechat.Pay(id); err != nil {
			t.Error(err)
		}
	})
	res := e.do("POST", "/api/v1/orders/"+o.ID+"/cancel", tok, "", nil)
	e.api.SetRaceHooks(nil, nil)
	if res.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	if got := e.getOrder(tok, o.ID); got.Status != "cancelled" || got.TradeNo != "" {
		t.Fatalf("order: %+v", got)
	}
	paid := e.ledgerEntries("wechatpay")
	if len(paid) != 1 || paid[0].OrderID != o.ID || paid[0].AmountFen != o.TotalFen || paid[0].IsRefund() {
		t.Fatalf("ledger after the late payment: %+v", paid)
	}
	// Its notification, late and repeated: acknowledged, nothing twice.
	for range 2 {
		h, body, err := e.wechat.Notification(o.ID, fakegw.Notify{})
		if err != nil {
			t.Fatal(err)
		}
		if st, ans, err := e.wechat.Send(ctx, e.wechat.NotifyURL(o.ID), h, body); err != nil || !e.wechat.Accepted(st, ans) {
			t.Fatalf("late notification: %d %s %v", st, ans, err)
		}
	}
	if n := len(e.ledgerEntries("wechatpay")); n != 1 {
		t.Fatalf("%d ledger entries after the notifications", n)
	}
	if res := e.do("GET", "/api/v1/jobs/"+job+"/file", tok, "", nil); res.status != http.StatusPaymentRequired {
		t.Fatalf("file of a cancelled order: %d", res.status)
	}
	if got := e.getOrder(tok, o.ID); got.Status != "cancelled" {
		t.Fatalf("order after the notifications: %s", got.Status)
	}

	se := &staffEnv{payEnv: e}
	opID, op := se.staff(store.RoleOperator)
	_, aud := se.staff(store.RoleAuditor)
	if res := e.do("GET", "/api/v1/ops/late-payments", tok, "", nil); res.code() != "forbidden" {
		t.Fatalf("a user's list of late payments: %d %s", res.status, res.body)
	}
	var list struct {
		LatePayments []struct {
			Channel     string
			TradeNo     string `json:"trade_no"`
			OrderID     string `json:"order_id"`
			AmountFen   int64  `json:"amount_fen"`
			OrderStatus string `json:"order_status"`
			RefundNo    string `json:"refund_no"`
		} `json:"late_payments"`
	}
	e.do("GET", "/api/v1/ops/late-payments", op, "", nil).json(t, &list)
	if len(list.LatePayments) != 1 {
		t.Fatalf("late payments: %+v", list)
	}
	lp := list.LatePayments[0]
	if lp.Channel != "wechatpay" || lp.TradeNo != paid[0].TradeNo || lp.OrderID != o.ID || lp.AmountFen != o.TotalFen || lp.OrderStatus != "cancelled" {
		t.Fatalf("late payment: %+v", lp)
	}

	refund := "/api/v1/ops/late-payments/wechatpay/" + lp.TradeNo + "/refund"
	if res := e.postJSON(refund, op, map[string]string{"reason": ""}); res.code() != "bad_request" {
		t.Fatalf("refund without a reason: %d %s", res.status, res.body)
	}
	if res := e.postJSON("/api/v1/ops/late-payments/wechatpay/4299999999/refund", op, map[string]string{"reason": "x"}); res.status != http.StatusNotFound {
		t.Fatalf("refund of no late payment: %d %s", res.status, res.body)
	}
	res = e.postJSON(refund, op, map[string]string{"reason": "paid after cancelling"})
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"done":true`) {
		t.Fatalf("refund: %d %s", res.status, res.body)
	}
	if st := e.wechat.State(o.ID); st != "REFUND" {
		t.Fatalf("trade at the channel after the refund: %s", st)
	}
	if res := e.postJSON(refund, op, map[string]string{"reason": "again"}); res.code() != "order_state" {
		t.Fatalf("refund twice: %d %s", res.status, res.body)
	}
	entries := e.ledgerEntries("wechatpay")
	if len(entries) != 2 {
		t.Fatalf("ledger after the refund: %+v", entries)
	}
	r := entries[1]
	if !r.IsRefund() || r.AmountFen != -o.TotalFen || r.TradeNo != lp.TradeNo || r.RefundNo == "" || r.OrderID != o.ID ||
		r.PayerID != paid[0].PayerID || r.RefundedAt.IsZero() {
		t.Fatalf("refund entry: %+v", r)
	}
	e.do("GET", "/api/v1/ops/late-payments", op, "", nil).json(t, &list)
	if len(list.LatePayments) != 0 {
		t.Fatalf("refunded, still listed: %+v", list)
	}
	e.do("GET", "/api/v1/ops/late-payments?all=true", op, "", nil).json(t, &list)
	if len(list.LatePayments) != 1 || list.LatePayments[0].RefundNo != r.RefundNo {
		t.Fatalf("all late payments: %+v", list)
	}

	day := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	csv := e.do("GET", "/api/v1/audit/ledger.csv?from="+day+"&to="+tomorrow, aud, "", nil)
	if csv.status != http.StatusOK || !strings.Contains(string(csv.body), ",refund,"+r.RefundNo+",") ||
		!strings.Contains(string(csv.body), ",-5.00,") || !strings.Contains(string(csv.body), ",payment,,") {
		t.Fatalf("ledger csv: %d %s", csv.status, csv.body)
	}
	refunds := 0
	e.store.AuditEntries(ctx, func(en store.AuditEntry) error {
		if en.Actor == opID && en.Action == audit.ActionRefund && strings.Contains(en.Detail, lp.TradeNo) {
			refunds++
			if strings.Contains(en.Detail, "cancelling") {
				t.Errorf("the operator's reason in the audit log: %q", en.Detail)
			}
		}
		return nil
	})
	if refunds != 1 {
		t.Fatalf("%d audited refunds of the late payment", refunds)
	}
}

// O3, O5: the operator's override of a paid order enters the refund in the ledger
// with the order's move to refunded: a negative amount under the channel's refund
// number, next to the payment, once however often the override is repeated.
func TestPromiseO3OverrideRefundInLedger(t *testing.T) {
	e := newPayEnv(t)
	tok := e.session()
	o, _ := e.orderFor(tok)
	e.paySandbox(tok, o.ID)
	_, op := (&staffEnv{payEnv: e}).staff(store.RoleOperator)
	res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/refund", op, map[string]string{"reason": "wrong background"})
	if res.status != http.StatusOK {
		t.Fatalf("override: %d %s", res.status, res.body)
	}
	var ans struct {
		RefundNo string `json:"refund_no"`
	}
	res.json(t, &ans)
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/refund", op, map[string]string{"reason": "again"}); res.code() != "order_state" {
		t.Fatalf("override twice: %d %s", res.status, res.body)
	}
	entries := e.ledgerEntries("sandbox")
	if len(entries) != 2 || entries[0].IsRefund() || !entries[1].IsRefund() {
		t.Fatalf("ledger: %+v", entries)
	}
	pay, ref := entries[0], entries[1]
	if ref.AmountFen != -pay.AmountFen || ref.TradeNo != pay.TradeNo || ref.RefundNo != ans.RefundNo || ref.OrderID != o.ID ||
		!ref.Sandbox || ref.RefundedAt.IsZero() {
		t.Fatalf("refund entry %+v for payment %+v", ref, pay)
	}
	if got := e.getOrder(tok, o.ID); got.Status != "refunded" {
		t.Fatalf("order: %s", got.Status)
	}
}

// S2: another user's order id answers 404 to cancel, exactly like an id that does not
// exist, and the order goes on unchanged; its owner can still cancel it.
func TestPromiseS2CancelOtherUsersOrder(t *testing.T) {
	e := newPayEnv(t)
	alice, bob := e.session(), e.session()
	e.accept(alice)
	e.accept(bob)
	o, _ := e.orderFor(alice)
	for _, id := range []string{o.ID, strings.Repeat("0", 32), "not-an-order"} {
		res := e.do("POST", "/api/v1/orders/"+id+"/cancel", bob, "", nil)
		if res.status != http.StatusNotFound || res.code() != "not_found" {
			t.Errorf("bob cancels %s: %d %s", id, res.status, res.body)
		}
	}
	if got := e.getOrder(alice, o.ID); got.Status != "created" {
		t.Fatalf("alice's order after bob's cancel: %s", got.Status)
	}
	if res := e.do("POST", "/api/v1/orders/"+o.ID+"/cancel", alice, "", nil); res.status != http.StatusOK {
		t.Fatalf("alice cancels: %d %s", res.status, res.body)
	}
}
