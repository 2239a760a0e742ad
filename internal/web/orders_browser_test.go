package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/login/fakelogin"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/payment/sandbox"
	"github.com/idphoto/idphoto/internal/payment/wechatpay"
	"github.com/idphoto/idphoto/internal/store"
)

// flow drives one page through the browser, failing the test with the page's notice
// and a screenshot when a step does not complete.
type flow struct {
	t    *testing.T
	ctx  context.Context
	shot *shots
	perr *pageErrors
}

// newFlow drives the browser of ctx, with its screenshots and its page's errors
// listened to from now on.
func newFlow(t *testing.T, ctx context.Context) *flow {
	f := &flow{t: t, ctx: ctx, shot: newShots(t), perr: &pageErrors{}}
	f.perr.listen(ctx)
	return f
}

func (f *flow) run(step string, actions ...chromedp.Action) {
	f.t.Helper()
	if err := chromedp.Run(f.ctx, actions...); err != nil {
		var html string
		chromedp.Run(f.ctx, chromedp.OuterHTML("main", &html), f.shot.take("failed"))
		f.perr.check(f.t)
		f.t.Fatalf("%s: %v\nnotice: %s", step, err, noticeText(html))
	}
}

// allow drops the console errors Chromium logs for a request refused on purpose,
// whose answer the page shows: every other page error still fails the test.
func (p *pageErrors) allow(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.errs[:0]
	for _, e := range p.errs {
		if !strings.HasPrefix(e, "console: Failed to load resource") || !strings.Contains(e, text) {
			kept = append(kept, e)
		}
	}
	p.errs = kept
}

func (f *flow) text(sel string) string {
	f.t.Helper()
	var s string
	f.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

// toPreview accepts the policies, uploads a real portrait and makes a 1-inch photo on
// blue, up to its watermarked preview.
func (f *flow) toPreview(url string) {
	f.t.Helper()
	photo, err := filepath.Abs("../../testdata/portraits/hivision-test3.jpg")
	if err != nil {
		f.t.Fatal(err)
	}
	f.run("consent pop-up",
		chromedp.Navigate(url),
		until(`document.querySelector('#consent-dialog').open && document.querySelector('#consent-text').textContent.length > 100`),
		chromedp.Click("#consent-accept", chromedp.ByQuery),
		until(`!document.querySelector('#consent-dialog').open`),
	)
	f.run("upload, document, background",
		chromedp.SetUploadFiles("#photo-camera", []string{photo}, chromedp.ByQuery),
		until(`document.querySelector('#photo-status').textContent.includes('✓')`),
		chromedp.SendKeys("#spec-search", "1-inch", chromedp.ByQuery),
		until(visible(`label[for="spec-cn-1inch"]`)),
		chromedp.Click(`label[for="spec-cn-1inch"]`, chromedp.ByQuery),
		until(visible(`label[for="bg-blue"]`)),
		chromedp.Click(`label[for="bg-blue"]`, chromedp.ByQuery),
		until(`document.querySelector('#bg-blue').checked && !document.querySelector('#make').disabled`),
		chromedp.Click("#make", chromedp.ByQuery),
	)
	f.run("preview",
		until(`(() => { const i = document.querySelector('#preview'); return i.complete && i.naturalWidth > 0 && i.offsetParent !== null; })()`),
		until(visible("#order")),
	)
}

// api calls the service as the page's own session.
func (f *flow) api(base, method, path string, body any, out any) int {
	f.t.Helper()
	var token string
	f.run("token", chromedp.Evaluate(`localStorage.getItem('idphoto.token') || ''`, &token))
	return apiCall(f.t, base, token, method, path, body, out)
}

func apiCall(t *testing.T, base, token, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

// operatorToken makes an operator as 'idphoto staff add' does.
func operatorToken(t *testing.T, svc *service) string {
	t.Helper()
	ctx := context.Background()
	tok, hash := httpapi.NewStaffToken()
	now := time.Now()
	u := store.User{ID: store.NewID(), Role: store.RoleOperator, CreatedAt: now}
	if err := svc.store.CreateStaff(ctx, u, func(id string) ([]byte, error) { return svc.vault.Seal(ctx, id, []byte("王操作"), "user.name:"+id) },
		store.Session{ID: store.NewID(), TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return tok
}

type pageOrder struct {
	ID      string
	Status  string
	Channel string
	Total   string
	Mailing *struct{ Name, Address, Phone string }
}

// O4 on a phone: after the preview, prints by post with the address form (a bad phone
// number is caught before anything is sent), the sandbox payment, the order's status
// with the shipping data masked, shipped with its tracking number by an operator, my
// orders; then the privacy centre lists the requests made (an export, a deletion, a
// profile correction), with their due dates in both languages.
func TestPromiseO4PrintOrderInBrowser(t *testing.T) {
	ctx := startBrowser(t)
	svc := startService(t, serviceOptions{})
	f := newFlow(t, ctx)
	base := svc.srv.URL

	f.toPreview(base + "/")
	f.run("what to buy", until(visible("#order-prints")), f.shot.take("buy-choices"))
	if got := f.text("#order-prints"); got != "Order prints by post — from ¥25.00" {
		t.Errorf("the prints button says %q", got)
	}
	f.run("order prints",
		chromedp.Click("#order-prints", chromedp.ByQuery),
		until(visible("#print-form")),
		f.shot.take("print-form"),
	)
	var copies []string
	f.run("copies per sheet", chromedp.Evaluate(`[...document.querySelectorAll('#print-copies option')].map((o) => o.value)`, &copies))
	var offer struct {
		SheetCopies int `json:"sheet_copies"`
	}
	apiCall(t, base, "", "GET", "/api/v1/shop?spec=cn-1inch", nil, &offer)
	if offer.SheetCopies < 4 || len(copies) != offer.SheetCopies || copies[0] != fmt.Sprint(offer.SheetCopies) {
		t.Errorf("copies offered %v, the server's sheet holds %d", copies, offer.SheetCopies)
	}

	var modes map[string]string
	f.run("fill the address with a bad phone number",
		chromedp.SendKeys("#ship-name", "张三丰", chromedp.ByQuery),
		chromedp.SendKeys("#ship-phone", "1381234567", chromedp.ByQuery), // 10 digits
		chromedp.SendKeys("#ship-province", "广东省", chromedp.ByQuery),
		chromedp.SendKeys("#ship-city", "深圳市", chromedp.ByQuery),
		chromedp.SendKeys("#ship-district", "南山区", chromedp.ByQuery),
		chromedp.SendKeys("#ship-street", "科技园路1号2栋301", chromedp.ByQuery),
		chromedp.SendKeys("#ship-postcode", "518000", chromedp.ByQuery),
		chromedp.SetValue("#print-sheets", "2", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#print-sheets').dispatchEvent(new Event('input'))`, nil),
		chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll('#print-form input')].map((i) => [i.id, (i.labels[0] ? 'label ' : 'NO LABEL ') + (i.inputMode || i.type) + ' ' + i.autocomplete]))`, &modes),
		chromedp.Click("#print-submit", chromedp.ByQuery),
		until(visible("#ship-phone-error")),
		f.shot.take("bad-phone"),
	)
	for id, m := range modes {
		if !strings.HasPrefix(m, "label ") {
			t.Errorf("%s has no label", id)
		}
	}
	if !strings.Contains(modes["ship-phone"], "tel tel") || !strings.Contains(modes["ship-postcode"], "numeric postal-code") ||
		!strings.Contains(modes["ship-province"], "address-level1") {
		t.Errorf("input modes and autocomplete: %v", modes)
	}
	if msg := f.text("#ship-phone-error"); !strings.Contains(msg, "11-digit") {
		t.Errorf("the phone's error says %q", msg)
	}
	var invalid, focused string
	f.run("the field is marked", chromedp.Evaluate(`document.querySelector('#ship-phone').getAttribute('aria-invalid') || ''`, &invalid),
		chromedp.Evaluate(`document.activeElement.id`, &focused))
	if invalid != "true" || focused != "ship-phone" {
		t.Errorf("bad phone: aria-invalid %q, focus on %q", invalid, focused)
	}
	var none struct{ Orders []pageOrder }
	if f.api(base, "GET", "/api/v1/orders", nil, &none); len(none.Orders) != 0 {
		t.Fatalf("a refused form made orders: %+v", none.Orders)
	}

	f.run("a good phone number",
		chromedp.SetValue("#ship-phone", "", chromedp.ByQuery),
		chromedp.SendKeys("#ship-phone", "138 1234 5678", chromedp.ByQuery),
		until(`!document.querySelector('#ship-phone').hasAttribute('aria-invalid')`),
		chromedp.Click("#print-submit", chromedp.ByQuery),
		until(visible("#pay")),
		f.shot.take("checkout"),
	)
	if total := f.text("#order-total"); total != "¥40.00" { // 2 sheets at 15.00, posting 10.00
		t.Errorf("total %q", total)
	}
	if label := f.text("#checkout"); !strings.Contains(label, "no real money") {
		t.Errorf("checkout says %q, want the sandbox labelled", label)
	}
	f.run("pay in the sandbox",
		chromedp.Click("#pay", chromedp.ByQuery),
		until(`location.hash.startsWith('#/orders/') && document.querySelector('#order-phone') !== null`),
		f.shot.take("order-paid"),
	)
	if got := f.text("#order-phone"); got != "138****5678" {
		t.Errorf("the order shows the phone as %q", got)
	}
	if got := f.text("#order-name"); got != "张**" {
		t.Errorf("the order shows the name as %q", got)
	}
	if got := f.text("#order-address"); got != "广东省深圳市****" {
		t.Errorf("the order shows the address as %q", got)
	}
	if got := f.text("#order-status"); got != "Paid: being printed" {
		t.Errorf("status %q", got)
	}
	var body string
	f.run("page text", chromedp.Evaluate(`document.body.innerText`, &body))
	if strings.Contains(body, "12345678") || strings.Contains(body, "科技园") {
		t.Error("the order view shows the shipping data unmasked")
	}

	// R5: the address of an order not shipped yet is corrected in the order view, with
	// the print form's own fields and checks; the order then shows the new one masked.
	var typed string
	f.run("correct the address: a bad phone number",
		chromedp.Click("#order-fix", chromedp.ByQuery),
		until(visible("#order-fix-form #ship-name")),
		chromedp.SendKeys("#ship-name", "李四", chromedp.ByQuery),
		chromedp.SendKeys("#ship-phone", "139 0000", chromedp.ByQuery),
		chromedp.SendKeys("#ship-province", "浙江省", chromedp.ByQuery),
		chromedp.SendKeys("#ship-city", "杭州市", chromedp.ByQuery),
		chromedp.SendKeys("#ship-street", "文三路100号5楼", chromedp.ByQuery),
		chromedp.Click("#order-fix-save", chromedp.ByQuery),
		until(visible("#order-fix-form #ship-phone-error")),
		chromedp.Value("#ship-name", &typed, chromedp.ByQuery),
		chromedp.Evaluate(`scrollTo(0, 0)`, nil), // a full shot of a scrolled page leaves parts unpainted
		f.shot.take("order-fix-bad-phone"),
	)
	if typed != "李四" {
		t.Errorf("the correction form opened holding %q: it should start empty", strings.TrimSuffix(typed, "李四"))
	}
	f.run("correct the address",
		chromedp.SetValue("#ship-phone", "", chromedp.ByQuery),
		chromedp.SendKeys("#ship-phone", "139 0000 2222", chromedp.ByQuery),
		chromedp.Click("#order-fix-save", chromedp.ByQuery),
		until(`(document.querySelector('#order-address') || {}).textContent === '浙江省杭州市****'`),
		f.shot.take("order-address-corrected"),
	)
	if got := f.text("#order-name") + " " + f.text("#order-phone"); got != "李* 139****2222" {
		t.Errorf("the corrected order shows %q", got)
	}
	if got := f.text("#order-fix-status"); !strings.Contains(got, "Address corrected") {
		t.Errorf("after the correction the page says %q", got)
	}
	var back string
	f.run("the print form has its fields back", chromedp.Evaluate(
		`(document.querySelector('#print-form #ship-name') || {}).value + '|' + !!document.querySelector('#order-fix-form')`, &back))
	if back != "张三丰|false" {
		t.Errorf("after the correction the print form's name field holds %q", back)
	}

	var orders struct{ Orders []pageOrder }
	f.api(base, "GET", "/api/v1/orders", nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].Status != "paid" || orders.Orders[0].Channel != "sandbox" {
		t.Fatalf("orders after paying: %+v", orders.Orders)
	}
	id := orders.Orders[0].ID
	if m := orders.Orders[0].Mailing; m == nil || m.Address != "浙江省杭州市****" || m.Phone != "139****2222" {
		t.Errorf("the order's recipient after the correction: %+v", m)
	}
	// A correction started before the parcel leaves, sent after: the server refuses it
	// and the page says why in the server's words.
	f.run("start another correction",
		chromedp.Click("#order-fix", chromedp.ByQuery),
		until(visible("#order-fix-form #ship-name")),
		chromedp.SendKeys("#ship-name", "王五", chromedp.ByQuery),
		chromedp.SendKeys("#ship-phone", "13700003333", chromedp.ByQuery),
		chromedp.SendKeys("#ship-province", "江苏省", chromedp.ByQuery),
		chromedp.SendKeys("#ship-city", "南京市", chromedp.ByQuery),
		chromedp.SendKeys("#ship-street", "中山路1号", chromedp.ByQuery),
	)
	if code := apiCall(t, base, operatorToken(t, svc), "POST", "/api/v1/ops/orders/"+id+"/ship",
		map[string]string{"tracking_no": "SF1234567890"}, nil); code != http.StatusOK {
		t.Fatalf("ship: %d", code)
	}
	f.run("refused once shipped",
		chromedp.Click("#order-fix-save", chromedp.ByQuery),
		until(`!!document.querySelector('#order-fix-status.form-error')`),
		f.shot.take("order-fix-refused"),
	)
	f.perr.allow("status of 409") // the refusal the page reports itself
	if got := f.text("#order-fix-status"); !strings.Contains(got, "not changed") || !strings.Contains(got, "can no longer be changed") {
		t.Errorf("the refusal says %q", got)
	}
	var fixable bool
	f.run("no correction once shipped", chromedp.Evaluate(`!!document.querySelector('#order-fix, #order-fix-form')`, &fixable))
	if got := f.text("#order-address"); fixable || got != "浙江省杭州市****" || f.text("#order-status") != "Shipped" {
		t.Errorf("after the refusal: address %q, correction offered %v, status %q", got, fixable, f.text("#order-status"))
	}
	f.run("shipped",
		chromedp.Click("#order-refresh", chromedp.ByQuery),
		until(`(document.querySelector('#order-tracking') || {}).textContent === 'SF1234567890'`),
		f.shot.take("order-shipped"),
	)
	if got := f.text("#order-status"); got != "Shipped" {
		t.Errorf("status after shipping %q", got)
	}
	f.run("my orders",
		chromedp.Click("#nav-orders", chromedp.ByQuery),
		until(`location.hash === '#/orders' && document.querySelectorAll('#orders-list .orders li').length === 1`),
		f.shot.take("my-orders"),
	)
	if got := f.text("#orders-list"); !strings.Contains(got, "¥40.00") || !strings.Contains(got, "Shipped") {
		t.Errorf("my orders: %q", got)
	}

	// The privacy centre lists the requests made here, newest first, with due dates:
	// the address correction first.
	f.run("privacy requests",
		chromedp.Click("#nav-privacy", chromedp.ByQuery),
		until(`document.querySelectorAll('#requests li').length === 1`),
		chromedp.ScrollIntoView("#requests", chromedp.ByQuery),
		f.shot.view("requests-order-fix"),
	)
	if got := f.text("#requests li h3"); !strings.HasPrefix(got, "Correction · an order’s address") {
		t.Errorf("the address correction is listed as %q", got)
	}
	f.run("more privacy requests",
		chromedp.Click("#export", chromedp.ByQuery),
		until(`!!document.querySelector('#export-link')`),
		until(`document.querySelectorAll('#requests li').length === 2`),
		chromedp.Click("#delete-photos", chromedp.ByQuery),
		until(`document.querySelector('#confirm-dialog').open`),
		chromedp.Click("#confirm-yes", chromedp.ByQuery),
		until(`document.querySelectorAll('#requests li').length === 3`),
	)
	// R5: the profile is corrected in the same place, by the same rules, and the
	// correction is a request too.
	f.run("profile with a bad phone number",
		until(visible("#profile-form")),
		chromedp.SendKeys("#profile-display", "小张", chromedp.ByQuery),
		chromedp.SendKeys("#profile-name", "张三丰", chromedp.ByQuery),
		chromedp.SendKeys("#profile-phone", "2381234567", chromedp.ByQuery),
		chromedp.Click("#profile-save", chromedp.ByQuery),
		until(visible("#profile-phone-error")),
		chromedp.ScrollIntoView("#profile-box", chromedp.ByQuery),
		f.shot.view("profile-bad-phone"),
	)
	f.run("profile saved",
		chromedp.SetValue("#profile-phone", "", chromedp.ByQuery),
		chromedp.SendKeys("#profile-phone", "+86 139-0000-1111", chromedp.ByQuery),
		chromedp.Click("#profile-save", chromedp.ByQuery),
		until(`document.querySelector('#profile-status').textContent.includes('Saved')`),
		until(`document.querySelectorAll('#requests li').length === 4`),
		chromedp.ScrollIntoView("#requests", chromedp.ByQuery),
		f.shot.take("requests"),
	)
	var profile struct {
		DisplayName string `json:"display_name"`
		Shipping    struct{ Name, Phone string }
	}
	if f.api(base, "GET", "/api/v1/me/profile", nil, &profile); profile.DisplayName != "小张" || profile.Shipping.Name != "张三丰" ||
		profile.Shipping.Phone != "13900001111" {
		t.Errorf("profile saved as %+v", profile)
	}
	var phoneValue string
	f.run("profile shown", chromedp.Value("#profile-phone", &phoneValue, chromedp.ByQuery))
	if phoneValue != "13900001111" {
		t.Errorf("the profile form shows the phone as %q", phoneValue)
	}
	var unlabelled []string
	f.run("every label in words", chromedp.Evaluate(`[...document.querySelectorAll('[data-i18n]')].filter((e) => e.textContent === e.dataset.i18n).map((e) => e.dataset.i18n)`, &unlabelled))
	if len(unlabelled) > 0 {
		t.Errorf("labels shown as their keys: %v", unlabelled)
	}
	var reqs struct {
		Requests []struct {
			Kind    string
			DueDate string `json:"due_date"`
			Status  string
		}
	}
	f.api(base, "GET", "/api/v1/me/requests", nil, &reqs)
	if len(reqs.Requests) != 4 || reqs.Requests[0].Kind != "correction" || reqs.Requests[1].Kind != "deletion" || reqs.Requests[2].Kind != "access" ||
		reqs.Requests[3].Kind != "correction" {
		t.Fatalf("requests: %+v", reqs.Requests)
	}
	check := func(layout string) {
		t.Helper()
		var shown []string
		f.run("due dates", chromedp.Evaluate(`[...document.querySelectorAll('#requests li')].map((li) => li.dataset.kind + ' ' + li.querySelector('.due').textContent)`, &shown))
		for i, r := range reqs.Requests {
			due, err := time.Parse(time.DateOnly, r.DueDate)
			if err != nil {
				t.Fatal(err)
			}
			if want := r.Kind + " " + due.Format(layout); i >= len(shown) || shown[i] != want {
				t.Errorf("request %d shows %v, want %q", i, shown, want)
			}
		}
	}
	check("2 January 2006")
	f.run("Chinese",
		chromedp.Click("#lang", chromedp.ByQuery),
		until(`document.documentElement.lang === 'zh-CN' && document.querySelector('#requests .due').textContent.includes('年')`),
		chromedp.ScrollIntoView("#requests", chromedp.ByQuery),
		f.shot.take("requests-zh"),
	)
	check("2006年1月2日")
	f.run("English", chromedp.Click("#lang", chromedp.ByQuery), until(`document.documentElement.lang === 'en'`))
	f.perr.check(t)
}

// wechatBridge stands in for WeChat's in-app browser: it records what the page asks
// getBrandWCPayRequest to pay, hands it to the test (which has the fake gateway take
// the payment and send its notification) and answers ok, as WeChat does once paid.
const wechatBridge = `
window.WeixinJSBridge = {
  invoke(name, params, cb) {
    window.idphotoWechatCalls = (window.idphotoWechatCalls || 0) + 1;
    idphotoWechatPay(JSON.stringify({ name, params, token: localStorage.getItem('idphoto.token') }));
    setTimeout(() => cb({ err_msg: 'get_brand_wcpay_request:ok' }), 0);
  },
  call() {},
  on() {},
};`

// wechatUA is WeChat's in-app browser on Android.
const wechatUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 " +
	"Mobile Safari/537.36 MicroMessenger/8.0.50.2701(0x28003252) WeChat/arm64 NetType/WIFI Language/en"

// O2 in the page: inside WeChat the page signs in with WeChat's code, offers WeChat
// Pay first, passes the server's JSAPI parameters to WeixinJSBridge (their paySign
// verifies for the gateway's prepay_id), and reaches the paid download once the
// gateway's notification has marked the order paid.
func TestPromiseO2WechatPayInBrowser(t *testing.T) {
	ctx := startBrowser(t)
	gw, err := fakegw.NewWeChat(fakegw.WeChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	wl := fakelogin.NewWeChat()
	t.Cleanup(wl.Close)
	wx, err := login.NewWeChat(wl.Config())
	if err != nil {
		t.Fatal(err)
	}
	svc := startService(t, serviceOptions{logins: []login.Provider{wx}, payments: func(base string) []payment.Provider {
		wp, err := wechatpay.New(gw.Config(base + "/api/v1/pay/notify/wechatpay"))
		if err != nil {
			t.Fatal(err)
		}
		sb, err := sandbox.New(sandbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return []payment.Provider{wp, sb}
	}})
	base := svc.srv.URL
	f := newFlow(t, ctx)

	// What the bridge was given, and what the gateway made of it.
	var mu sync.Mutex
	var got struct {
		name, orderID string
		params        map[string]string
		verifyErr     error
		notified      bool
	}
	chromedp.ListenTarget(ctx, func(ev any) {
		b, ok := ev.(*runtime.EventBindingCalled)
		if !ok || b.Name != "idphotoWechatPay" {
			return
		}
		go func() {
			var call struct {
				Name   string
				Params map[string]string
				Token  string
			}
			var list struct{ Orders []pageOrder }
			err := json.Unmarshal([]byte(b.Payload), &call)
			if err == nil { // the order being paid: the user's newest
				req, _ := http.NewRequest("GET", base+"/api/v1/orders", nil)
				req.Header.Set("Authorization", "Bearer "+call.Token)
				var res *http.Response
				if res, err = http.DefaultClient.Do(req); err == nil {
					err = json.NewDecoder(res.Body).Decode(&list)
					res.Body.Close()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			got.name, got.params = call.Name, call.Params
			if err != nil || len(list.Orders) == 0 {
				got.verifyErr = fmt.Errorf("bridge payload %q: %v", b.Payload, err)
				return
			}
			got.orderID = list.Orders[0].ID
			if got.verifyErr = gw.VerifyClientParams(call.Params); got.verifyErr != nil {
				return
			}
			// The payer confirms in WeChat; WeChat Pay notifies the merchant.
			if err := gw.Pay(got.orderID); err != nil {
				got.verifyErr = err
				return
			}
			h, body, err := gw.Notification(got.orderID, fakegw.Notify{})
			if err != nil {
				got.verifyErr = err
				return
			}
			status, answer, err := gw.Send(context.Background(), gw.NotifyURL(got.orderID), h, body)
			got.notified = err == nil && gw.Accepted(status, answer)
		}()
	})
	openid := fakelogin.NewOpenID()
	f.run("open in WeChat",
		emulation.SetUserAgentOverride(wechatUA),
		runtime.AddBinding("idphotoWechatPay"),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(wechatBridge).Do(ctx)
			return err
		}),
	)
	f.toPreview(base + "/?code=" + wl.Code(openid) + "&state=idphoto")
	var search string
	f.run("the code leaves the address", chromedp.Evaluate(`location.search`, &search))
	if search != "" {
		t.Errorf("the login code stays in the address: %q", search)
	}

	f.run("checkout",
		chromedp.Click("#order", chromedp.ByQuery),
		until(visible("#pay")),
		f.shot.take("checkout-wechat"),
	)
	var offered []string
	f.run("channels", chromedp.Evaluate(`[...document.querySelectorAll('#channel-list input')].map((i) => i.value + (i.checked ? '*' : ''))`, &offered))
	if strings.Join(offered, ",") != "wechatpay*,sandbox" {
		t.Errorf("channels offered %v, want WeChat Pay first and chosen, then the sandbox", offered)
	}
	if label := f.text("#pay"); label != "Pay with WeChat Pay" {
		t.Errorf("pay button %q", label)
	}
	f.run("pay with WeChat Pay",
		chromedp.Click("#pay", chromedp.ByQuery),
		until(`document.querySelector('#download-file').href.startsWith('blob:') && document.querySelector('#download-sheet').href.startsWith('blob:')`),
		f.shot.take("paid-download"),
	)
	mu.Lock()
	defer mu.Unlock()
	if got.name != "getBrandWCPayRequest" || got.verifyErr != nil || !got.notified {
		t.Fatalf("bridge called with %q %v: verify %v, notified %v", got.name, got.params, got.verifyErr, got.notified)
	}
	for _, k := range []string{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"} {
		if got.params[k] == "" {
			t.Errorf("the page passed no %s: %v", k, got.params)
		}
	}
	var o pageOrder
	f.api(base, "GET", "/api/v1/orders/"+got.orderID, nil, &o)
	if o.Status != "fulfilled" && o.Status != "paid" || o.Channel != "wechatpay" {
		t.Errorf("order after WeChat Pay: %+v", o)
	}
	var calls int
	f.run("one payment", chromedp.Evaluate(`window.idphotoWechatCalls`, &calls))
	if calls != 1 {
		t.Errorf("the page called the bridge %d times", calls)
	}
	f.perr.check(t)
}
