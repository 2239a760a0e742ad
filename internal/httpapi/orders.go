package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/sandbox"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// setPayments enables the payment channels; any channel needs the ledger's vault.
func (a *API) setPayments(ps []payment.Provider, ledgerVault *vault.Vault) error {
	a.pay = map[payment.Channel]payment.Provider{}
	for _, p := range ps {
		if p == nil {
			return errors.New("httpapi: nil payment channel")
		}
		if _, dup := a.pay[p.Channel()]; dup {
			return fmt.Errorf("httpapi: payment channel %s given twice", p.Channel())
		}
		a.pay[p.Channel()] = p
	}
	if len(a.pay) > 0 && ledgerVault == nil {
		return errors.New("httpapi: payment channels need the ledger's vault")
	}
	a.ledger = ledgerVault
	return nil
}

type orderItemJSON struct {
	Kind      string `json:"kind"`
	JobID     string `json:"job_id,omitempty"`
	Copies    int    `json:"copies,omitempty"`
	Quantity  int    `json:"quantity,omitempty"`
	UnitFen   int64  `json:"unit_fen,omitempty"`
	AmountFen int64  `json:"amount_fen,omitempty"`
}

// mailingJSON is a print order's recipient. In answers it is always masked.
type mailingJSON struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
}

type orderRequest struct {
	JobID   string          `json:"job_id"`
	Items   []orderItemJSON `json:"items"`
	Mailing *mailingJSON    `json:"mailing,omitempty"`
}

type orderResponse struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Items     []orderItemJSON `json:"items"`
	TotalFen  int64           `json:"total_fen"`
	Total     string          `json:"total"` // yuan, "5.00"
	Channel   string          `json:"channel,omitempty"`
	TradeNo   string          `json:"trade_no,omitempty"`
	Mailing   *mailingJSON    `json:"mailing,omitempty"` // masked
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
	PaidAt    *time.Time      `json:"paid_at,omitempty"`
	ShippedAt *time.Time      `json:"shipped_at,omitempty"`
	// FulfilledAt: an e-photo order's files were all delivered (downloaded) once.
	FulfilledAt *time.Time `json:"fulfilled_at,omitempty"`
	// TrackingNo is the parcel's tracking number once a print order is shipped.
	TrackingNo string `json:"tracking_no,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func mailingContext(orderID string) string { return privacy.MailingContext(orderID) }
func payIPContext(orderID string) string   { return "order.pay_ip:" + orderID }

// orderJSON answers an order with its mailing details masked (O4): only the operator
// fulfilling it sees them whole.
func (a *API) orderJSON(r *http.Request, o store.Order) orderResponse {
	res := orderResponse{ID: o.ID, Status: string(o.Status), TotalFen: o.TotalFen, Total: order.FormatFen(o.TotalFen),
		Channel: o.Channel, TradeNo: o.TradeNo, CreatedAt: o.CreatedAt.UTC(), ExpiresAt: o.ExpiresAt.UTC(),
		PaidAt: optTime(o.PaidAt), ShippedAt: optTime(o.ShippedAt), FulfilledAt: optTime(o.FulfilledAt), Items: []orderItemJSON{}}
	for _, it := range o.Items {
		res.Items = append(res.Items, orderItemJSON{Kind: string(it.Kind), JobID: it.JobID, Copies: it.Copies,
			Quantity: it.Quantity, UnitFen: it.UnitFen, AmountFen: it.AmountFen})
	}
	if len(o.MailingSealed) > 0 {
		plain, err := a.vault.Open(r.Context(), o.UserID, o.MailingSealed, mailingContext(o.ID))
		var m mailingJSON
		if err == nil && json.Unmarshal(plain, &m) == nil {
			res.Mailing = &mailingJSON{Name: maskName(m.Name), Address: maskAddress(m.Address), Phone: maskPhone(m.Phone)}
		}
	}
	if !o.ShippedAt.IsZero() {
		// The user's own parcel: like the mailing above, a number that cannot be opened
		// is left out rather than failing the whole answer.
		res.TrackingNo, _ = a.tracking(r, o)
	}
	return res
}

// maskPhone keeps the first three and last four digits: 138****1234.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// maskName keeps the first character: 张**.
func maskName(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	return string(r[:1]) + strings.Repeat("*", max(1, len(r)-1))
}

// maskAddress keeps the first six characters, about the province and city.
func maskAddress(s string) string {
	r := []rune(s)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:6]) + "****"
}

// checkMailing validates and normalises a print order's recipient.
func checkMailing(m *mailingJSON) error {
	if msg := normaliseMailing(m, false); msg != "" {
		return fail(CodeBadOrder, msg)
	}
	return nil
}

// normaliseMailing trims a recipient and normalises its phone, and returns what is
// wrong with it ("" when nothing). These are the one set of rules for a shipping
// contact: a print order's, its correction's, and the profile's default, where
// partial lets each field be empty.
func normaliseMailing(m *mailingJSON, partial bool) string {
	m.Name, m.Address = strings.TrimSpace(m.Name), strings.TrimSpace(m.Address)
	phone := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(m.Phone))
	phone = strings.TrimPrefix(strings.TrimPrefix(phone, "+86"), "0086")
	n, addr := utf8.RuneCountInString(m.Name), utf8.RuneCountInString(m.Address)
	switch {
	case (n < 1 && !partial) || n > 32 || !oneLineText(m.Name):
		return "mailing name: 1 to 32 characters, one line"
	case (addr < 6 && !(partial && addr == 0)) || addr > 200 || !oneLineText(m.Address):
		return "mailing address: 6 to 200 characters, one line"
	case phone == "" && partial:
	case len(phone) != 11 || phone[0] != '1' || strings.Trim(phone, "0123456789") != "":
		return "mailing phone: an 11-digit mobile number"
	}
	m.Phone = phone
	return ""
}

// oneLineText: valid UTF-8 without control characters. A recipient is printed on the
// operator's terminal (idphoto orders list) and on parcel labels: an escape sequence
// or a line break in it would rewrite what the operator sees.
func oneLineText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// createOrder makes an order for a job whose preview the user has seen (O5).
func (a *API) createOrder(w http.ResponseWriter, r *http.Request, user string) {
	var req orderRequest
	if err := decodeJSON(w, r, &req, 8<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	if !store.ValidID(req.JobID) {
		a.respondError(w, r, fail(CodeNotFound, "no such job"))
		return
	}
	if len(req.Items) > 8 {
		a.respondError(w, r, fail(CodeBadOrder, "at most 8 items"))
		return
	}
	lines := make([]order.Line, 0, len(req.Items))
	for _, it := range req.Items {
		l := order.Line{Kind: order.Kind(it.Kind), Copies: it.Copies, Quantity: it.Quantity}
		if l.Kind != order.KindMailing {
			l.JobID = req.JobID
		}
		lines = append(lines, l)
	}
	ctx := r.Context()
	now := a.now()
	o, err := order.New(a.cfg.Orders, order.NewID(), user, lines, now)
	if err != nil {
		if errors.Is(err, order.ErrBadLines) {
			msg, _ := strings.CutPrefix(err.Error(), order.ErrBadLines.Error()+": ")
			a.respondError(w, r, &apiError{Code: CodeBadOrder, Msg: msg, Err: err})
			return
		}
		a.respondError(w, r, err)
		return
	}
	so := store.Order{Order: *o}
	switch {
	case o.HasMailing() && req.Mailing == nil:
		a.respondError(w, r, fail(CodeBadOrder, "a print order needs mailing details: name, address and phone"))
		return
	case !o.HasMailing() && req.Mailing != nil:
		a.respondError(w, r, fail(CodeBadOrder, "mailing details are only for orders with a mailing item"))
		return
	case req.Mailing != nil:
		if err := checkMailing(req.Mailing); err != nil {
			a.respondError(w, r, err)
			return
		}
		plain, _ := json.Marshal(req.Mailing)
		if so.MailingSealed, err = a.vault.Seal(ctx, user, plain, mailingContext(o.ID)); err != nil {
			a.respondError(w, r, err)
			return
		}
	}
	switch err := a.store.CreateOrder(ctx, so); {
	case errors.Is(err, store.ErrNotFound):
		a.respondError(w, r, fail(CodeNotFound, "no such job"))
		return
	case errors.Is(err, store.ErrPreviewRequired):
		a.respondError(w, r, fail(CodePreviewRequired, "look at the photo's preview before ordering it: GET /api/v1/jobs/{id}/preview"))
		return
	case err != nil:
		a.respondError(w, r, err)
		return
	}
	w.Header().Set("Location", Prefix+"/orders/"+o.ID)
	writeJSON(w, http.StatusCreated, a.orderJSON(r, so))
}

// validOrderID: order ids are 32 lower-case hex (order.NewID).
func validOrderID(s string) bool {
	if len(s) != 32 {
		return false
	}
	return strings.Trim(s, "0123456789abcdef") == ""
}

// userOrder returns the user's order named in the path, or a 404 error.
func (a *API) userOrder(r *http.Request, user string) (store.Order, error) {
	id := r.PathValue("id")
	if !validOrderID(id) {
		return store.Order{}, fail(CodeNotFound, "no such order")
	}
	o, err := a.store.GetOrder(r.Context(), user, id)
	if errors.Is(err, store.ErrNotFound) {
		return o, fail(CodeNotFound, "no such order")
	}
	return o, err
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request, user string) {
	o, err := a.userOrder(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.orderJSON(r, o))
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request, user string) {
	os, err := a.store.ListOrders(r.Context(), user, 100)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	out := struct {
		Orders []orderResponse `json:"orders"`
	}{Orders: []orderResponse{}}
	for _, o := range os {
		out.Orders = append(out.Orders, a.orderJSON(r, o))
	}
	writeJSON(w, http.StatusOK, out)
}

type payRequest struct {
	Channel string `json:"channel"`
	// PayerID is read for the sandbox only (a label, no money moves). WeChat Pay and
	// Alipay take the payer from the user's own login through that channel: a client's
	// word on whose openid pays is never trusted.
	PayerID string `json:"payer_id,omitempty"`
}

// loginOfChannel is the login channel whose id a payment channel bills.
var loginOfChannel = map[payment.Channel]login.Channel{
	payment.WeChatPay: login.WeChat,
	payment.Alipay:    login.Alipay,
}

// payerID is who pays: for WeChat Pay and Alipay the user's openid or user id from
// their login through that channel (opened from its seal), for the sandbox what the
// client said.
func (a *API) payerID(ctx context.Context, user string, ch payment.Channel, fromClient string) (string, error) {
	lc, real := loginOfChannel[ch]
	if !real {
		if len(fromClient) > 128 {
			return "", fail(CodeBadRequest, "payer_id: at most 128 characters")
		}
		return fromClient, nil
	}
	ls, err := a.store.UserLogins(ctx, user)
	if err != nil {
		return "", err
	}
	for i := len(ls) - 1; i >= 0; i-- { // the latest login of the channel
		if ls[i].Channel != string(lc) {
			continue
		}
		b, err := a.vault.Open(ctx, user, ls[i].SubjectSealed, loginSubjectContext(lc))
		if err != nil {
			return "", fmt.Errorf("httpapi: payer of %s: %w", ch, err)
		}
		return string(b), nil
	}
	return "", fail(CodeLoginRequired, "paying with "+string(ch)+" needs a login through "+string(lc)+" first: POST "+Prefix+"/login/"+string(lc))
}

type payResponse struct {
	OrderID string `json:"order_id"`
	payment.ClientParams
	// Notice labels a sandbox payment: no money moves.
	Notice string `json:"notice,omitempty"`
}

// payOrder opens a trade at the channel and returns what the client passes to it.
func (a *API) payOrder(w http.ResponseWriter, r *http.Request, user string) {
	o, err := a.userOrder(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	var req payRequest
	if err := decodeJSON(w, r, &req, 4<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	prov := a.pay[payment.Channel(req.Channel)]
	if prov == nil {
		a.respondError(w, r, fail(CodeUnknownChannel, "payment channel not available here; enabled: "+a.channelList()))
		return
	}
	ctx := r.Context()
	payer, err := a.payerID(ctx, user, prov.Channel(), req.PayerID)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	ip := clientIP(r)
	ipSealed, err := a.ledger.Seal(ctx, ledger.KeyName, []byte(ip), payIPContext(o.ID))
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	now := a.now()
	expired := false
	err = a.store.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
		if so.UserID != user {
			return store.ErrNotFound
		}
		if so.Status == order.StatusPaying && !now.Before(so.ExpiresAt) {
			o = *so
			return errTradeOpen
		}
		if so.ExpireIfDue(now) {
			expired = true
			return nil
		}
		if err := so.Apply(order.EventPay, now); err != nil {
			return &apiError{Code: CodeOrderState, Msg: "the order is " + string(so.Status) + " and cannot be paid", Err: err}
		}
		so.PayIPSealed = ipSealed
		o = *so
		return nil
	})
	if errors.Is(err, errTradeOpen) {
		// Its trade may be open at a channel: settle it as the reconciliation does.
		if _, err := a.settleUnpaid(ctx, o, now, order.EventExpire); err != nil {
			a.respondError(w, r, &apiError{Code: CodeChannel, Msg: "the payment channel did not answer about this order: try again", Err: err})
			return
		}
		if o, err = a.store.OrderByID(ctx, o.ID); err != nil {
			a.respondError(w, r, err)
			return
		}
		if o.Status != order.StatusExpired { // a late payment won
			a.respondError(w, r, fail(CodeOrderState, "the order is "+string(o.Status)+" and cannot be paid"))
			return
		}
		expired = true
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if expired {
		a.respondError(w, r, fail(CodeOrderState, "the order expired unpaid: make a new one"))
		return
	}
	a.hooks.run(a.hooks.payUpdated, o.ID)
	params, err := prov.Prepay(ctx, payment.PrepayRequest{OutTradeNo: o.ID, Description: "idphoto 证件照 ID photo",
		AmountFen: o.TotalFen, PayerID: payer, ClientIP: ip, ExpiresAt: o.ExpiresAt})
	if err != nil {
		a.respondError(w, r, &apiError{Code: CodeChannel, Msg: "the payment channel did not take the order: try again", Err: err})
		return
	}
	// A cancel may have ended the order while the trade was being opened, after it
	// closed the trades it found: the client gets nothing to pay with, and the trade
	// just opened is closed.
	if cur, err := a.store.OrderByID(ctx, o.ID); err != nil {
		a.respondError(w, r, err)
		return
	} else if !cur.Status.Open() {
		if !cur.Status.Paid() {
			if err := prov.Close(ctx, o.ID); err != nil {
				a.log.WarnContext(ctx, "trade opened for an ended order not closed", slog.String("channel", string(prov.Channel())),
					slog.String("order", o.ID), slog.String("error", err.Error()))
			}
		}
		a.respondError(w, r, fail(CodeOrderState, "the order is "+string(cur.Status)+" and cannot be paid"))
		return
	}
	res := payResponse{OrderID: o.ID, ClientParams: params}
	if params.Sandbox {
		res.Notice = sandbox.Notice
	}
	writeJSON(w, http.StatusOK, res)
}

// errTradeOpen: a paying order past its time, whose trade is settled at the channel
// before it expires.
var errTradeOpen = errors.New("httpapi: paying order past its time")

func (a *API) channelList() string {
	var cs []string
	for _, c := range []payment.Channel{payment.WeChatPay, payment.Alipay, payment.Sandbox} {
		if a.pay[c] != nil {
			cs = append(cs, string(c))
		}
	}
	if len(cs) == 0 {
		return "none"
	}
	return strings.Join(cs, ", ")
}

// cancelOrder gives up an unpaid order (created or paying). A paying order's trades
// are asked about first, and a payment already made wins: the order is paid and stays
// so. Then the order is cancelled, in the same guarded update of the order that the pay
// step makes, so from that moment no pay request opens a trade for it (and one opened
// meanwhile is closed by its own pay request). Only then are its trades closed at the
// channels; a payment made in between is entered in the ledger and flagged for an
// operator to refund (flagLatePayment), never lost.
func (a *API) cancelOrder(w http.ResponseWriter, r *http.Request, user string) {
	o, err := a.userOrder(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	notCancelled := func(st order.Status) error {
		return fail(CodeOrderState, "the order is "+string(st)+" and was not cancelled")
	}
	if !o.Status.Open() {
		a.respondError(w, r, notCancelled(o.Status))
		return
	}
	ctx := r.Context()
	if o.Status == order.StatusPaying {
		if _, paid, err := a.queryChannels(ctx, o.Order); err != nil {
			a.respondError(w, r, &apiError{Code: CodeChannel, Msg: "the payment channel did not answer about this order: try again", Err: err})
			return
		} else if paid != 0 {
			if o, err = a.store.GetOrder(ctx, user, o.ID); err != nil {
				a.respondError(w, r, err)
				return
			}
			a.respondError(w, r, notCancelled(o.Status))
			return
		}
	}
	now := a.now()
	var was order.Status
	err = a.store.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
		if so.UserID != user {
			return store.ErrNotFound
		}
		was = so.Status
		if !so.Status.Open() {
			return notCancelled(so.Status)
		}
		if err := so.Apply(order.EventCancel, now); err != nil {
			return &apiError{Code: CodeOrderState, Msg: "the order cannot be cancelled now", Err: err}
		}
		return nil
	})
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	a.hooks.run(a.hooks.cancelled, o.ID)
	if was == order.StatusPaying {
		if err := a.closeTrades(ctx, o.ID); err != nil {
			// The order is cancelled all the same: the channel stops taking payment at
			// the order's expiry, and a payment made before is flagged for refund.
			a.log.WarnContext(ctx, "trades of a cancelled order not all closed", slog.String("order", o.ID),
				slog.String("error", err.Error()))
		}
	}
	if o, err = a.store.GetOrder(ctx, user, o.ID); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.orderJSON(r, o))
}

// closeTrades closes the trades of an ended order still open at the real channels. A
// trade found paid is applied as its notification would be, which for an order that
// can't take it enters it in the ledger and flags it for refund.
func (a *API) closeTrades(ctx context.Context, orderID string) error {
	var errs []error
	for _, ch := range []payment.Channel{payment.WeChatPay, payment.Alipay} {
		prov := a.pay[ch]
		if prov == nil {
			continue
		}
		t, err := prov.Query(ctx, orderID)
		switch {
		case errors.Is(err, payment.ErrTradeNotFound):
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		case t.OutTradeNo != orderID:
			continue
		case t.State == payment.StatePaid:
			out, err := a.applyTrade(ctx, t)
			if err != nil {
				a.log.ErrorContext(ctx, "payment not applied: an operator must look", "trade", t, "error", err.Error())
				errs = append(errs, err)
			} else {
				a.log.InfoContext(ctx, "payment found on closing", "trade", t, "outcome", out.String())
			}
			continue
		case t.State != payment.StatePending:
			continue // closed, failed or refunded: nothing left to pay
		}
		if err := prov.Close(ctx, orderID); err != nil {
			errs = append(errs, err)
			continue
		}
		a.log.InfoContext(ctx, "trade closed at the channel", slog.String("channel", string(ch)), slog.String("order", orderID))
	}
	return errors.Join(errs...)
}

// raceHooks are called at the points where another request on the same order may
// come between two steps, so that tests run those interleavings one by one.
type raceHooks struct {
	payUpdated func(orderID string) // the pay step moved the order to paying, no trade opened yet
	cancelled  func(orderID string) // the order is cancelled, its trades not closed yet
}

func (raceHooks) run(h func(string), orderID string) {
	if h != nil {
		h(orderID)
	}
}

// refundOrder applies the no-refund rule (O5): the user saw and confirmed the preview
// before paying. Only an operator's audited override refunds.
func (a *API) refundOrder(w http.ResponseWriter, r *http.Request, user string) {
	o, err := a.userOrder(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	switch err := order.CheckRefund(&o.Order, nil); {
	case errors.Is(err, order.ErrRefundRefused):
		a.respondError(w, r, &apiError{Code: CodeRefundRefused, Msg: err.Error(), Err: err})
	case errors.Is(err, order.ErrNothingToRefund):
		a.respondError(w, r, &apiError{Code: CodeOrderState, Msg: err.Error(), Err: err})
	default:
		a.respondError(w, r, &apiError{Code: CodeOrderState, Msg: "this order cannot be refunded", Err: err})
	}
}

// maxNotification bounds a channel's notification body; real ones are about 1 KB.
const maxNotification = 64 << 10

// payNotify takes a channel's payment notification: verified by the channel's
// provider, applied to its order once however often it comes, entered in the ledger in
// the same transaction, and answered in the channel's own form.
func (a *API) payNotify(w http.ResponseWriter, r *http.Request, _ string) {
	prov := a.pay[payment.Channel(r.PathValue("channel"))]
	if prov == nil {
		a.respondError(w, r, fail(CodeNotFound, "no such payment channel"))
		return
	}
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	if err != nil {
		a.log.WarnContext(ctx, "payment notification unread", "channel", string(prov.Channel()))
		prov.Reply(w, err)
		return
	}
	t, err := prov.ParseNotification(ctx, r.Header, body)
	if err != nil {
		// The providers' errors hold no payer data.
		a.log.WarnContext(ctx, "payment notification refused", "channel", string(prov.Channel()), "error", err.Error())
		prov.Reply(w, err)
		return
	}
	out, err := a.applyTrade(ctx, t)
	if err != nil {
		// A verified trade that does not fit its order: money may have moved, so the
		// channel is asked to retry and an operator must look.
		a.log.ErrorContext(ctx, "payment not applied: an operator must look", "trade", t, "error", err.Error())
		prov.Reply(w, err)
		return
	}
	a.log.InfoContext(ctx, "payment notification", "trade", t, "outcome", out.String())
	prov.Reply(w, nil)
}

// applyTrade records a verified trade on its order and, when that pays the order, its
// ledger entry in the same transaction.
func (a *API) applyTrade(ctx context.Context, t payment.Trade) (payment.Outcome, error) {
	if t.State != payment.StatePaid {
		return payment.Apply(ctx, nil, t)
	}
	o, err := a.store.OrderByID(ctx, t.OutTradeNo)
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("httpapi: trade %s: %w", t.OutTradeNo, payment.ErrOrderNotFound)
	}
	if err != nil {
		return 0, err
	}
	ip := ""
	if len(o.PayIPSealed) > 0 {
		if b, err := a.ledger.Open(ctx, ledger.KeyName, o.PayIPSealed, payIPContext(o.ID)); err == nil {
			ip = string(b)
		}
	}
	entry, err := ledger.Seal(ctx, a.ledger, ledger.FromTrade(t, o.Order, ip, a.now()))
	if err != nil {
		return 0, err
	}
	out, err := payment.Apply(ctx, paymentRecorder{st: a.store, entry: entry}, t)
	if errors.Is(err, payment.ErrNotPayable) {
		return a.flagLatePayment(ctx, t, entry, err)
	}
	return out, err
}

// flagLatePayment keeps a payment its order could not take (cancelled or expired
// before the money came, or paid through another trade): once the channel confirms
// the trade is paid, it is entered in the ledger and flagged for an operator to refund
// (GET /ops/late-payments), and the notification is acknowledged. A trade the channel
// does not confirm, or a sandbox one (no money moved), stays refused with notPayable.
func (a *API) flagLatePayment(ctx context.Context, t payment.Trade, entry store.LedgerEntry, notPayable error) (payment.Outcome, error) {
	prov := a.pay[t.Channel]
	if prov == nil || t.Sandbox {
		return 0, notPayable
	}
	q, err := prov.Query(ctx, t.OutTradeNo)
	if err != nil {
		return 0, errors.Join(notPayable, err)
	}
	if q.State != payment.StatePaid || q.TradeNo != t.TradeNo || q.AmountFen != t.AmountFen || q.OutTradeNo != t.OutTradeNo {
		return 0, fmt.Errorf("%w (the channel reports the trade %s)", notPayable, q.State)
	}
	cur, err := a.store.OrderByID(ctx, t.OutTradeNo)
	if err != nil {
		return 0, err
	}
	added, err := a.store.RecordLatePayment(ctx, store.LatePayment{Channel: string(t.Channel), TradeNo: t.TradeNo, OrderID: t.OutTradeNo,
		AmountFen: t.AmountFen, OrderStatus: string(cur.Status), Sandbox: t.Sandbox, FoundAt: a.now()}, entry)
	if err != nil {
		return 0, err
	}
	if added {
		a.log.ErrorContext(ctx, "payment for an order that cannot take it: entered in the ledger and flagged for an operator to refund",
			"trade", t, "order_status", string(cur.Status))
	}
	return payment.Flagged, nil
}

// paymentRecorder is the payment.Store of one trade: store.RecordPayment with the
// trade's ledger entry.
type paymentRecorder struct {
	st    *store.Store
	entry store.LedgerEntry
}

func (p paymentRecorder) Update(ctx context.Context, id string, fn func(o *order.Order) error) error {
	err := p.st.RecordPayment(ctx, id, func(o *store.Order) error { return fn(&o.Order) }, p.entry)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("httpapi: order %s: %w", id, payment.ErrOrderNotFound)
	}
	return err
}

// clientIP is the request's peer address, without the port. Personal data: it goes
// sealed to the ledger and nowhere else.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
