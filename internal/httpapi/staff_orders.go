package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/printorder"
	"github.com/idphoto/idphoto/internal/store"
)

// The operator's side of money that came too late and of the sheets to print.

// refundEntry is the sealed ledger entry of a refund the channel accepted for the
// payment of the channel's trade tradeNo. The payment's own entry gives the order,
// payer and times; paid stands in for it when there is none.
func (a *API) refundEntry(ctx context.Context, ref payment.Refund, channel, tradeNo string, paid ledger.Entry) (store.LedgerEntry, error) {
	se, err := a.store.LedgerEntryOf(ctx, channel, tradeNo)
	switch {
	case err == nil:
		if paid, err = ledger.Open(ctx, a.ledger, se); err != nil {
			return store.LedgerEntry{}, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return store.LedgerEntry{}, err
	}
	if ref.Channel == "" {
		ref.Channel = payment.Channel(channel)
	}
	return ledger.Seal(ctx, a.ledger, ledger.FromRefund(ref, paid, a.now()))
}

type latePaymentJSON struct {
	Channel     string     `json:"channel"`
	TradeNo     string     `json:"trade_no"`
	OrderID     string     `json:"order_id"`
	AmountFen   int64      `json:"amount_fen"`
	Amount      string     `json:"amount"`
	OrderStatus string     `json:"order_status"`
	FoundAt     time.Time  `json:"found_at"`
	RefundedAt  *time.Time `json:"refunded_at,omitempty"`
	RefundNo    string     `json:"refund_no,omitempty"`
}

func latePaymentOf(p store.LatePayment) latePaymentJSON {
	return latePaymentJSON{Channel: p.Channel, TradeNo: p.TradeNo, OrderID: p.OrderID, AmountFen: p.AmountFen,
		Amount: order.FormatFen(p.AmountFen), OrderStatus: p.OrderStatus, FoundAt: p.FoundAt.UTC(),
		RefundedAt: optTime(p.RefundedAt), RefundNo: p.RefundNo}
}

// opsLatePayments lists the payments whose orders could not take them, to refund:
// those not refunded yet, or with ?all=true every one. They name orders and trades,
// no one's personal data.
func (a *API) opsLatePayments(w http.ResponseWriter, r *http.Request, _ string) {
	all := false
	switch r.URL.Query().Get("all") {
	case "", "false":
	case "true":
		all = true
	default:
		a.respondError(w, r, fail(CodeBadRequest, "all: true or false"))
		return
	}
	ps, err := a.store.LatePayments(r.Context(), all, 500)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	out := struct {
		LatePayments []latePaymentJSON `json:"late_payments"`
	}{LatePayments: []latePaymentJSON{}}
	for _, p := range ps {
		out.LatePayments = append(out.LatePayments, latePaymentOf(p))
	}
	writeJSON(w, http.StatusOK, out)
}

// validTradeNo: the channels' trade numbers are letters, digits, - and _, at most 64.
func validTradeNo(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	return strings.Trim(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == ""
}

// opsRefundLatePayment returns a late payment to its payer: the operator's decision
// is audited, the channel refunds the whole trade, and the refund enters the ledger as
// the payment is marked refunded. The order, if it is still there, stays as it is.
func (a *API) opsRefundLatePayment(w http.ResponseWriter, r *http.Request, staff string) {
	ch, tn := r.PathValue("channel"), r.PathValue("trade_no")
	if !validTradeNo(tn) || len(ch) > 32 {
		a.respondError(w, r, fail(CodeNotFound, "no such late payment"))
		return
	}
	ctx := r.Context()
	p, err := a.store.LatePaymentOf(ctx, ch, tn)
	if errors.Is(err, store.ErrNotFound) {
		a.respondError(w, r, fail(CodeNotFound, "no such late payment"))
		return
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	reason, err := refundReason(w, r, "why the payment is returned")
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if !p.RefundedAt.IsZero() {
		a.respondError(w, r, fail(CodeOrderState, "this payment was refunded already"))
		return
	}
	prov := a.pay[payment.Channel(p.Channel)]
	if prov == nil {
		a.respondError(w, r, fail(CodeUnknownChannel, "the payment's channel is not enabled here"))
		return
	}
	subject := ""
	if o, err := a.store.OrderByID(ctx, p.OrderID); err == nil {
		subject = audit.Subject(o.UserID)
	} else if !errors.Is(err, store.ErrNotFound) {
		a.respondError(w, r, err)
		return
	}
	if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: audit.ActionRefund, Subject: subject,
		Detail: fmt.Sprintf("late payment %s/%s order %s %d fen", p.Channel, p.TradeNo, p.OrderID, p.AmountFen)}); err != nil {
		a.respondError(w, r, err)
		return
	}
	// Our refund id: "L" keeps it apart from the order's own refund ("R"), which
	// another channel may make for the same order.
	ref, err := prov.Refund(ctx, payment.RefundRequest{OutTradeNo: p.OrderID, OutRefundNo: "L" + p.OrderID, TotalFen: p.AmountFen,
		RefundFen: p.AmountFen, Reason: reason})
	if err != nil {
		a.respondError(w, r, &apiError{Code: CodeChannel, Msg: "the payment channel did not refund: try again", Err: err})
		return
	}
	if ref.AmountFen <= 0 {
		ref.AmountFen = p.AmountFen
	}
	entry, err := a.refundEntry(ctx, ref, p.Channel, p.TradeNo, ledger.Entry{TradeNo: p.TradeNo, OrderID: p.OrderID})
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.store.RefundLatePayment(ctx, p.Channel, p.TradeNo, entry.TradeNo, a.now(), entry); err != nil {
		a.respondError(w, r, err)
		return
	}
	if p, err = a.store.LatePaymentOf(ctx, ch, tn); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		LatePayment latePaymentJSON `json:"late_payment"`
		RefundNo    string          `json:"refund_no"`
		AmountFen   int64           `json:"amount_fen"`
		Done        bool            `json:"done"`
	}{latePaymentOf(p), entry.TradeNo, ref.AmountFen, ref.Done})
}

// opsOrderSheet is the print-ready sheets of a paid (or shipped) print order for the
// operator fulfilling it: a ZIP of one JPEG per print item, at the paper's DPI, with
// PRINT.txt saying how many of each to print. The photo is the user's personal data:
// the read is audited before the answer is written.
func (a *API) opsOrderSheet(w http.ResponseWriter, r *http.Request, staff string) {
	o, err := a.staffOrder(r)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	ctx := r.Context()
	sheets, err := printorder.Maker{Store: a.store, Blobs: a.blobs, Specs: a.specs, Limits: a.cfg.Limits}.Sheets(ctx, o)
	switch {
	case errors.Is(err, printorder.ErrNotPrintable):
		a.respondError(w, r, &apiError{Code: CodeNotPrintable, Err: err,
			Msg: "only a paid or shipped print order has print sheets; this order is " + string(o.Status) + printsNote(o.Order)})
		return
	case errors.Is(err, printorder.ErrPhotoGone):
		a.respondError(w, r, &apiError{Code: CodeNotPrintable, Msg: "the order's photo is no longer kept", Err: err})
		return
	case err != nil:
		a.respondError(w, r, err)
		return
	}
	if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: audit.ActionRead, Subject: audit.Subject(o.UserID),
		Detail: "order.sheet " + o.ID}); err != nil {
		a.respondError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := printorder.WriteZip(&buf, o.ID, sheets, a.now()); err != nil {
		a.respondError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="idphoto-order-`+o.ID+`-sheets.zip"`)
	w.Write(buf.Bytes())
}

// printsNote adds to a refusal that the order has no prints at all.
func printsNote(o order.Order) string {
	for _, it := range o.Items {
		if it.Kind == order.KindPrint {
			return ""
		}
	}
	return ", with no prints"
}
