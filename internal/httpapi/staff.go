package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// The staff side (S2): operators fulfil print orders, override the refund rule and
// watch the privacy requests; auditors export the ledger and ask whose data a staff
// member read. Every staff read of a user's personal data is entered in the audit
// log before the answer is written; a failed entry answers 500 and shows nothing.

// Audit actions of the staff routes beyond the audit package's.
const (
	actionShip         = audit.ActionShip
	actionLedgerExport = audit.ActionLedgerExport
)

// staffOnly lets through only sessions of a user with the role; others get 403.
func (a *API) staffOnly(role string, h func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, user string) {
		u, err := a.store.GetUser(r.Context(), user)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.respondError(w, r, err)
			return
		}
		if err != nil || u.Role != role {
			a.respondError(w, r, fail(CodeForbidden, "this needs the "+role+" role"))
			return
		}
		h(w, r, user)
	}
}

type printOrderJSON struct {
	orderResponse
	Mailing *mailingJSON `json:"mailing"` // in clear: the operator fulfilling it
}

// opsPrintOrders lists the print orders to fulfil with their mailing details in clear:
// the only place they are (O4). Each order's read is audited first.
func (a *API) opsPrintOrders(w http.ResponseWriter, r *http.Request, staff string) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = string(order.StatusPaid)
	}
	if status != string(order.StatusPaid) && status != string(order.StatusShipped) {
		a.respondError(w, r, fail(CodeBadRequest, "status: paid or shipped"))
		return
	}
	ctx := r.Context()
	os, err := a.store.OrdersByStatus(ctx, status, 200)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	out := struct {
		Orders []printOrderJSON `json:"orders"`
	}{Orders: []printOrderJSON{}}
	for _, o := range os {
		if !o.HasMailing() || len(o.MailingSealed) == 0 {
			continue
		}
		if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: audit.ActionRead, Subject: audit.Subject(o.UserID),
			Detail: "order.mailing " + o.ID}); err != nil {
			a.respondError(w, r, err)
			return
		}
		p := printOrderJSON{orderResponse: a.orderJSON(r, o)}
		plain, err := a.vault.Open(ctx, o.UserID, o.MailingSealed, mailingContext(o.ID))
		var m mailingJSON
		if err != nil || json.Unmarshal(plain, &m) != nil {
			a.respondError(w, r, fmt.Errorf("httpapi: mailing of order %s: %w", o.ID, err))
			return
		}
		p.Mailing = &m
		out.Orders = append(out.Orders, p)
	}
	writeJSON(w, http.StatusOK, out)
}

func trackingContext(orderID string) string { return privacy.TrackingContext(orderID) }

func (a *API) tracking(r *http.Request, o store.Order) (string, error) {
	sealed, err := a.store.Tracking(r.Context(), o.ID)
	if err != nil || len(sealed) == 0 {
		return "", err
	}
	b, err := a.vault.Open(r.Context(), o.UserID, sealed, trackingContext(o.ID))
	return string(b), err
}

// staffOrder returns the order named in the path, whoever's it is.
func (a *API) staffOrder(r *http.Request) (store.Order, error) {
	id := r.PathValue("id")
	if !validOrderID(id) {
		return store.Order{}, fail(CodeNotFound, "no such order")
	}
	o, err := a.store.OrderByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return o, fail(CodeNotFound, "no such order")
	}
	return o, err
}

type shipRequest struct {
	TrackingNo string `json:"tracking_no"`
}

// opsShip marks a paid print order shipped with its tracking number, audited.
func (a *API) opsShip(w http.ResponseWriter, r *http.Request, staff string) {
	o, err := a.staffOrder(r)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	var req shipRequest
	if err := decodeJSON(w, r, &req, 1<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	tn, err := order.CheckTrackingNo(req.TrackingNo)
	if err != nil {
		a.respondError(w, r, fail(CodeBadRequest, "tracking_no: 4 to 40 letters, digits or dashes"))
		return
	}
	ctx := r.Context()
	now := a.now()
	if err := a.store.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
		if err := so.Apply(order.EventShip, now); err != nil {
			return &apiError{Code: CodeOrderState, Msg: "only a paid print order can be shipped; this one is " + string(so.Status), Err: err}
		}
		return nil
	}); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: actionShip, Subject: audit.Subject(o.UserID), Detail: "order " + o.ID}); err != nil {
		a.respondError(w, r, err)
		return
	}
	sealed, err := a.vault.Seal(ctx, o.UserID, []byte(tn), trackingContext(o.ID))
	if err == nil {
		err = a.store.SetTracking(ctx, o.ID, sealed)
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if o, err = a.store.OrderByID(ctx, o.ID); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, printOrderJSON{orderResponse: a.orderJSON(r, o)})
}

type refundOverrideRequest struct {
	Reason string `json:"reason"`
}

// refundReason reads an operator's refund request: the reason is required, at most
// 256 bytes; why names what the refund overrides, for the error message.
func refundReason(w http.ResponseWriter, r *http.Request, why string) (string, error) {
	var req refundOverrideRequest
	if err := decodeJSON(w, r, &req, 2<<10); err != nil {
		return "", err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" || len(reason) > 256 {
		return "", fail(CodeBadRequest, "reason: "+why+", at most 256 bytes")
	}
	return reason, nil
}

type refundOverrideResponse struct {
	Order     orderResponse `json:"order"`
	RefundNo  string        `json:"refund_no"`
	AmountFen int64         `json:"amount_fen"`
	Done      bool          `json:"done"` // false while the channel is still processing
}

// opsRefund is the operator's override of the no-refund rule (O5): the decision is
// audited, then the channel refunds the whole order, then the order is marked refunded.
func (a *API) opsRefund(w http.ResponseWriter, r *http.Request, staff string) {
	o, err := a.staffOrder(r)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	reason, err := refundReason(w, r, "why the rule is overridden")
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	ov := &order.Override{Operator: staff, Reason: reason}
	if err := order.CheckRefund(&o.Order, ov); err != nil {
		a.respondError(w, r, &apiError{Code: CodeOrderState, Msg: "this order cannot be refunded: it is " + string(o.Status), Err: err})
		return
	}
	prov := a.pay[payment.Channel(o.Channel)]
	if prov == nil {
		a.respondError(w, r, fail(CodeUnknownChannel, "the order's payment channel is not enabled here"))
		return
	}
	ctx := r.Context()
	// The reason is the operator's words and may name the user: not in the audit log.
	if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: audit.ActionRefund, Subject: audit.Subject(o.UserID),
		Detail: fmt.Sprintf("order %s %d fen %s", o.ID, o.TotalFen, o.Channel)}); err != nil {
		a.respondError(w, r, err)
		return
	}
	ref, err := prov.Refund(ctx, payment.RefundRequest{OutTradeNo: o.ID, OutRefundNo: "R" + o.ID, TotalFen: o.TotalFen,
		RefundFen: o.TotalFen, Reason: reason})
	if err != nil {
		a.respondError(w, r, &apiError{Code: CodeChannel, Msg: "the payment channel did not refund: try again", Err: err})
		return
	}
	if ref.AmountFen <= 0 {
		ref.AmountFen = o.TotalFen
	}
	entry, err := a.refundEntry(ctx, ref, o.Channel, o.TradeNo, ledger.Entry{TradeNo: o.TradeNo, OrderID: o.ID,
		OrderedAt: o.CreatedAt.UTC(), PaidAt: o.PaidAt.UTC()})
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	now := a.now()
	// The order moves to refunded and the refund enters the ledger together.
	if err := a.store.RecordRefund(ctx, o.ID, func(so *store.Order) error {
		if so.Status == order.StatusRefunded {
			return nil // a repeated override: the channel repeated nothing
		}
		return so.Refund(ov, now)
	}, entry); err != nil {
		a.respondError(w, r, err)
		return
	}
	if o, err = a.store.OrderByID(ctx, o.ID); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, refundOverrideResponse{Order: a.orderJSON(r, o), RefundNo: ref.RefundNo, AmountFen: ref.AmountFen, Done: ref.Done})
}

type requestJSON struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"` // a pseudonym
	Kind       string    `json:"kind"`
	Scope      string    `json:"scope"`
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at"`
	Overdue    bool      `json:"overdue"`
}

// opsRequests lists the privacy requests not answered yet, soonest due first (R6).
func (a *API) opsRequests(w http.ResponseWriter, r *http.Request, _ string) {
	rs, err := a.store.OpenPrivacyRequests(r.Context())
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	now := a.now()
	out := struct {
		Requests []requestJSON `json:"requests"`
		Overdue  int           `json:"overdue"`
	}{Requests: []requestJSON{}}
	for _, q := range rs {
		j := requestJSON{ID: q.ID, Subject: q.Subject, Kind: q.Kind, Scope: q.Scope, ReceivedAt: q.ReceivedAt.UTC(),
			DueAt: q.DueAt.UTC(), Overdue: q.DueAt.Before(now)}
		if j.Overdue {
			out.Overdue++
		}
		out.Requests = append(out.Requests, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// dateRange reads ?from and ?to as dates (2006-01-02, UTC; to is exclusive) or
// RFC 3339 times.
func dateRange(r *http.Request) (time.Time, time.Time, error) {
	parse := func(name string) (time.Time, error) {
		v := r.URL.Query().Get(name)
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		return time.Time{}, fail(CodeBadRequest, name+": a date (2006-01-02) or an RFC 3339 time")
	}
	from, err := parse("from")
	if err != nil {
		return from, from, err
	}
	to, err := parse("to")
	if err != nil {
		return from, to, err
	}
	if !to.After(from) {
		return from, to, fail(CodeBadRequest, "to must be after from")
	}
	return from, to, nil
}

// auditLedger exports the ledger's entries recorded in [from, to) as CSV (O3),
// audited before any entry is opened.
func (a *API) auditLedger(w http.ResponseWriter, r *http.Request, staff string) {
	from, to, err := dateRange(r)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if a.ledger == nil {
		a.respondError(w, r, fail(CodeNotFound, "no ledger: no payment channel is enabled"))
		return
	}
	ctx := r.Context()
	ses, err := a.store.LedgerEntries(ctx, from, to)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: actionLedgerExport,
		Detail: fmt.Sprintf("%s..%s %d entries", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), len(ses))}); err != nil {
		a.respondError(w, r, err)
		return
	}
	entries := make([]ledger.Entry, 0, len(ses))
	for _, se := range ses {
		e, err := ledger.Open(ctx, a.ledger, se)
		if err != nil {
			a.respondError(w, r, err)
			return
		}
		entries = append(entries, e)
	}
	var buf bytes.Buffer
	if err := ledger.WriteCSV(&buf, entries); err != nil {
		a.respondError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="idphoto-ledger.csv"`)
	w.Write(buf.Bytes())
}

// auditReads answers whose data a staff member read in [from, to): pseudonyms (S3).
func (a *API) auditReads(w http.ResponseWriter, r *http.Request, _ string) {
	actor := r.URL.Query().Get("actor")
	if !store.ValidID(actor) {
		a.respondError(w, r, fail(CodeBadRequest, "actor: a staff member's user id"))
		return
	}
	from, to, err := dateRange(r)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	subs, err := a.audit.ReadsBy(r.Context(), actor, from, to)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if subs == nil {
		subs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"actor": actor, "from": from.UTC(), "to": to.UTC(), "subjects": subs})
}
