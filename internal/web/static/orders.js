// idphoto's orders and payments (O1, O2, O4) and the privacy centre's request list (R6):
// buy the e-photo or order prints by post with an address form; pay with the channels
// the server has enabled and this browser can use (WeChat Pay inside WeChat, Alipay
// inside Alipay, the labelled sandbox); my orders and one order's status, with the
// shipping data masked as the API answers it; my privacy requests and their due dates;
// my profile, corrected in place (R5).
//
// Loaded after app.js, whose page-wide helpers it uses by name (classic scripts share
// one global scope): T, t, lang, $, el, call, API, APIError, TOKEN_KEY, state, say,
// showError, clearNotice, fmtDate, showDownloads. app.js tells it when a result
// is shown and when the privacy centre (re)loads with the events idphoto:result,
// idphoto:privacy and idphoto:request.
'use strict';

(() => {
  const WORDS = {
    en: {
      navOrders: 'Orders',
      orderPrints: 'Order prints by post', orderPhotoPrice: 'Buy the photo file — ¥{p}', orderPrintsPrice: 'Order prints by post — from ¥{p}',
      printTitle: 'Prints by post', printLead: 'A 6-inch sheet costs ¥{sheet}; posting the order ¥{post}. We print the photo you see above.',
      copiesLabel: 'Photos on each sheet', sheetsLabel: 'Number of sheets', shipTo: 'Send to',
      shipName: 'Recipient’s name', shipPhone: 'Mobile number', shipPhoneHint: '11 digits, for the courier.',
      shipProvince: 'Province', shipCity: 'City', shipDistrict: 'District (optional)', shipStreet: 'Street, building and room',
      shipPostcode: 'Postcode (optional)',
      badName: 'Enter the name of the person receiving the prints, up to 32 characters.',
      badPhone: 'Enter an 11-digit mobile number, such as 138 1234 5678.',
      badProvince: 'Enter the province.', badCity: 'Enter the city.', badStreet: 'Enter the street, building and room.',
      badAddress: 'The address must be 6 to 200 characters in all.', badPostcode: 'A postcode has 6 digits.',
      badSheets: 'Choose 1 to {n} sheets.', fixFields: 'Please correct the fields marked above.',
      printSubmit: 'Continue to payment', back: 'Back', refused: 'The order was not accepted:',
      payWith: 'Pay with', chWechatpay: 'WeChat Pay', chAlipay: 'Alipay', chSandbox: 'Sandbox (test, no real money)',
      payWechat: 'Pay with WeChat Pay', payAlipay: 'Pay with Alipay',
      noChannel: 'Payment works inside WeChat or Alipay: open this page there to pay.',
      waitConfirm: 'Waiting for the payment to be confirmed…', payCancelled: 'Payment cancelled. You can try again.',
      payFailed: 'The payment did not go through. You can try again.',
      payLate: 'The payment is not confirmed yet. Look at My orders in a minute.',
      ordersTitle: 'My orders', ordersEmpty: 'No orders yet.', ordersBack: '← All my orders', refresh: 'Refresh',
      orderNo: 'Order', ordered: 'Ordered', paidOn: 'Paid', shippedOn: 'Shipped', tracking: 'Tracking number',
      recipient: 'Recipient', phone: 'Phone', address: 'Address', items: 'Items', channel: 'Paid with',
      maskedNote: 'Your address and phone are stored encrypted and shown masked.',
      itemEphoto: 'Photo file', itemPrint: '6-inch sheet of {n} photos', itemMailing: 'Postage',
      stepOrdered: 'Ordered', stepPaid: 'Paid', stepShipped: 'Shipped',
      st: {
        created: 'Waiting for payment', paying: 'Waiting for payment', paid: 'Paid', paidPrint: 'Paid: being printed',
        fulfilled: 'Paid: ready to download', shipped: 'Shipped', closed: 'Completed', cancelled: 'Cancelled',
        expired: 'Expired unpaid', refunded: 'Refunded',
      },
      requestsTitle: 'My requests',
      requestsLead: 'Each deletion, download of your data or cancellation is a request we answer within 15 working days.',
      requestsEmpty: 'No requests yet.', received: 'Received', dueBy: 'Due by', doneOn: 'Done',
      rqOpen: 'Open', rqOverdue: 'Overdue', rqDone: 'Done',
      kind: { access: 'Access to my data', correction: 'Correction', deletion: 'Deletion', cancellation: 'Account cancellation' },
      scope: { photo: 'one photo', photos: 'all photos', account: 'the account', export: 'all my data', profile: 'my profile', 'order.shipping': 'an order’s address', order: 'an order’s personal data', everything: 'all my data' },
      profileTitle: 'My profile',
      profileLead: 'Your name here and the address your prints go to by default. Correct them at any time: each change is logged as a request.',
      profileDisplay: 'Display name (optional)', profileShipping: 'Default address for prints (optional)',
      profileSave: 'Save my profile', profileSaved: '✓ Saved. The correction is listed under My requests.',
      badDisplay: 'A display name has at most 32 characters, on one line.', badNameOpt: 'A name has at most 32 characters.',
      badAddressOpt: 'An address has 6 to 200 characters.',
      fixAddress: 'Correct the address', fixLead: 'Enter the whole new address: it replaces the one above until the order is shipped.',
      fixSave: 'Save the new address', fixCancel: 'Cancel',
      fixSaved: '✓ Address corrected. The correction is listed under My requests.', fixRefused: 'The address was not changed:',
      eraseOrder: 'Delete this order’s personal data…', eraseTitle: 'Delete this order’s personal data?',
      eraseText: 'The recipient’s name, address and phone, the tracking number and the photos of this order are deleted now. The order’s record (what was bought, the amount, the dates) stays for the accounts. This cannot be undone.',
      eraseYes: 'Delete its personal data', erased: '✓ This order’s personal data is deleted.', eraseRefused: 'Not deleted:',
    },
    zh: {
      navOrders: '订单',
      orderPrints: '冲印并邮寄', orderPhotoPrice: '购买电子版 — ¥{p}', orderPrintsPrice: '冲印并邮寄 — ¥{p} 起',
      printTitle: '冲印并邮寄', printLead: '每张 6 寸相纸 ¥{sheet}，邮费每单 ¥{post}。冲印的就是上面预览的照片。',
      copiesLabel: '每张相纸的照片数', sheetsLabel: '相纸张数', shipTo: '收件信息',
      shipName: '收件人姓名', shipPhone: '手机号码', shipPhoneHint: '11 位手机号，供快递联系。',
      shipProvince: '省份', shipCity: '城市', shipDistrict: '区县（选填）', shipStreet: '街道、门牌、房间号',
      shipPostcode: '邮政编码（选填）',
      badName: '请填写收件人姓名，最多 32 个字。',
      badPhone: '请填写 11 位手机号码，例如 138 1234 5678。',
      badProvince: '请填写省份。', badCity: '请填写城市。', badStreet: '请填写街道、门牌和房间号。',
      badAddress: '地址总长应为 6 到 200 个字。', badPostcode: '邮政编码为 6 位数字。',
      badSheets: '请选择 1 到 {n} 张。', fixFields: '请修改上面标出的内容。',
      printSubmit: '去支付', back: '返回', refused: '订单未被接受：',
      payWith: '支付方式', chWechatpay: '微信支付', chAlipay: '支付宝', chSandbox: '沙盒（测试，不扣款）',
      payWechat: '微信支付', payAlipay: '支付宝支付',
      noChannel: '请在微信或支付宝中打开本页面完成支付。',
      waitConfirm: '正在等待支付确认…', payCancelled: '已取消支付，可以重新支付。',
      payFailed: '支付未成功，可以重新支付。',
      payLate: '支付尚未确认，请稍后在“我的订单”中查看。',
      ordersTitle: '我的订单', ordersEmpty: '还没有订单。', ordersBack: '← 全部订单', refresh: '刷新',
      orderNo: '订单', ordered: '下单时间', paidOn: '支付时间', shippedOn: '发货时间', tracking: '快递单号',
      recipient: '收件人', phone: '电话', address: '地址', items: '商品', channel: '支付方式',
      maskedNote: '您的地址和电话加密保存，显示时已打码。',
      itemEphoto: '电子版证件照', itemPrint: '6 寸相纸（{n} 张照片）', itemMailing: '邮费',
      stepOrdered: '已下单', stepPaid: '已支付', stepShipped: '已发货',
      st: {
        created: '待支付', paying: '待支付', paid: '已支付', paidPrint: '已支付，正在冲印',
        fulfilled: '已支付，可下载', shipped: '已发货', closed: '已完成', cancelled: '已取消',
        expired: '已过期（未支付）', refunded: '已退款',
      },
      requestsTitle: '我的申请',
      requestsLead: '每次删除、导出数据或注销都是一项申请，我们在 15 个工作日内答复。',
      requestsEmpty: '还没有申请。', received: '提交时间', dueBy: '答复期限', doneOn: '完成时间',
      rqOpen: '处理中', rqOverdue: '已逾期', rqDone: '已完成',
      kind: { access: '查阅我的数据', correction: '更正', deletion: '删除', cancellation: '注销账号' },
      scope: { photo: '一张照片', photos: '全部照片', account: '账号', export: '全部数据', profile: '我的资料', 'order.shipping': '订单收件信息', order: '订单个人信息', everything: '全部数据' },
      profileTitle: '我的资料',
      profileLead: '您在本服务中的称呼，以及冲印照片默认寄往的地址。可随时更正，每次更正都会记录为一项申请。',
      profileDisplay: '称呼（选填）', profileShipping: '冲印默认收件地址（选填）',
      profileSave: '保存资料', profileSaved: '✓ 已保存。本次更正已列入“我的申请”。',
      badDisplay: '称呼最多 32 个字，且只能一行。', badNameOpt: '姓名最多 32 个字。',
      badAddressOpt: '地址应为 6 到 200 个字。',
      fixAddress: '更正收件信息', fixLead: '请填写完整的新收件信息，发货前它将替换上面的信息。',
      fixSave: '保存新的收件信息', fixCancel: '取消',
      fixSaved: '✓ 已更正。本次更正已列入“我的申请”。', fixRefused: '收件信息未更改：',
      eraseOrder: '删除此订单的个人信息…', eraseTitle: '删除此订单的个人信息？',
      eraseText: '此订单的收件人姓名、地址、电话、快递单号和照片将立即删除。订单记录（购买内容、金额、日期）按财务要求保留。此操作无法撤销。',
      eraseYes: '删除个人信息', erased: '✓ 此订单的个人信息已删除。', eraseRefused: '未删除：',
    },
  };
  Object.assign(T.en, WORDS.en);
  Object.assign(T.zh, WORDS.zh);

  const tw = (k, vars) => Object.entries(vars || {}).reduce((s, [n, v]) => s.replaceAll('{' + n + '}', v), t(k));
  const yuan = (fen) => (fen / 100).toFixed(2);
  const words = (group, key) => (T[lang][group] && T[lang][group][key]) || T.en[group][key] || key;
  const PAID = ['paid', 'fulfilled', 'shipped', 'closed', 'refunded'];

  // The page is inside WeChat's or Alipay's own browser when its bridge is there.
  const wechatBridge = () => typeof window.WeixinJSBridge === 'object' && typeof window.WeixinJSBridge.invoke === 'function';
  const alipayBridge = () => typeof window.AlipayJSBridge === 'object' && typeof window.AlipayJSBridge.call === 'function';

  const buy = { offer: null, order: null, kind: null, channel: null, busy: false };

  // shop is the server's offer (GET /shop): prices, print limits, the enabled payment
  // channels and, for a document, how many of its photos one print sheet holds.
  const offers = new Map();
  async function shop(spec) {
    if (!offers.has(spec)) {
      const res = await fetch(API + '/shop?spec=' + encodeURIComponent(spec));
      if (!res.ok) throw new APIError(res.status, await res.json().catch(() => null));
      offers.set(spec, await res.json());
    }
    return offers.get(spec);
  }

  // ---- Buying: the e-photo or prints -------------------------------------------------

  // reset shows the two choices under a new result, priced for its document.
  async function reset() {
    Object.assign(buy, { order: null, kind: null, busy: false });
    state.orderID = null;
    $('buy-choices').hidden = false;
    $('print-form').hidden = true;
    $('checkout').hidden = true;
    $('print-error').hidden = true;
    say($('pay-status'), null);
    $('order-prints').hidden = true;
    if (!state.job) return;
    try {
      buy.offer = await shop(state.job.spec);
    } catch (e) {
      buy.offer = null;
    }
    renderChoices();
  }

  function renderChoices() {
    const o = buy.offer;
    if (!o) return;
    $('order').textContent = tw('orderPhotoPrice', { p: yuan(o.prices.ephoto_fen) });
    $('order-prints').textContent = tw('orderPrintsPrice', { p: yuan(o.prices.print_sheet_fen + o.prices.mailing_fen) });
    $('order-prints').hidden = !(o.sheet_copies > 0);
  }

  async function orderPhoto() {
    clearNotice();
    try {
      const o = await call('POST', '/orders', { job_id: state.job.id, items: [{ kind: 'ephoto' }] });
      checkout(o, 'ephoto');
    } catch (e) {
      showError(e);
    }
  }

  // The address form. Its checks are the server's (checkMailing), so that a person
  // learns what to fix before anything is sent; the server still has the last word.
  const FIELDS = ['ship-name', 'ship-phone', 'ship-province', 'ship-city', 'ship-district', 'ship-street', 'ship-postcode'];

  function openPrintForm() {
    clearNotice();
    returnShipFields();
    const o = buy.offer;
    const sel = $('print-copies');
    const keep = Number(sel.value) || o.sheet_copies;
    sel.replaceChildren();
    for (let n = o.sheet_copies; n >= 1; n--) sel.append(el('option', { value: String(n), text: String(n), selected: n === Math.min(keep, o.sheet_copies) }));
    $('print-sheets').max = String(o.max_quantity);
    $('print-lead').textContent = tw('printLead', { sheet: yuan(o.prices.print_sheet_fen), post: yuan(o.prices.mailing_fen) });
    $('buy-choices').hidden = true;
    $('print-form').hidden = false;
    $('print-error').hidden = true;
    printTotal();
    $('print-copies').focus();
    prefill();
  }

  // prefill puts the profile's default recipient into an untouched form.
  async function prefill() {
    let p;
    try {
      p = await call('GET', '/me/profile');
    } catch (e) {
      return; // the form works without it
    }
    const s = (p && p.shipping) || {};
    if (!$('ship-name').value && s.name) $('ship-name').value = s.name;
    if (!$('ship-phone').value && s.phone) $('ship-phone').value = s.phone;
    if (!$('ship-street').value && !$('ship-province').value && s.address) $('ship-street').value = s.address;
  }

  function closePrintForm() {
    $('print-form').hidden = true;
    $('buy-choices').hidden = false;
    $('order-prints').focus();
  }

  const value = (id) => $(id).value.trim();
  const runes = (s) => [...s].length;

  // normPhone drops what the server drops: spaces, dashes, +86 or 0086.
  function normPhone(s) {
    let p = s.trim().replace(/[ -]/g, '');
    if (p.startsWith('+86')) p = p.slice(3);
    if (p.startsWith('0086')) p = p.slice(4);
    return p;
  }

  // address joins the parts as they are written: Chinese runs together, other
  // scripts with a space between.
  function address() {
    const cjk = /[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]/;
    let s = '';
    for (const part of ['ship-province', 'ship-city', 'ship-district', 'ship-street'].map(value).filter(Boolean)) {
      s += s && !(cjk.test(s.slice(-1)) && cjk.test(part[0])) ? ' ' + part : part;
    }
    const pc = value('ship-postcode');
    return pc ? s + ' ' + pc : s;
  }

  // mailing is the recipient as the API takes it.
  const mailing = () => ({ name: value('ship-name'), phone: normPhone($('ship-phone').value), address: address() });

  function sheets() {
    const n = Number($('print-sheets').value);
    return Number.isInteger(n) ? n : NaN;
  }

  // checkAddress checks the address fields, for a new print order and for the
  // correction of an order's address alike.
  function checkAddress() {
    const bad = {};
    const name = value('ship-name');
    if (runes(name) < 1 || runes(name) > 32) bad['ship-name'] = 'badName';
    if (!/^1[0-9]{10}$/.test(normPhone($('ship-phone').value))) bad['ship-phone'] = 'badPhone';
    if (!value('ship-province')) bad['ship-province'] = 'badProvince';
    if (!value('ship-city')) bad['ship-city'] = 'badCity';
    if (!value('ship-street')) bad['ship-street'] = 'badStreet';
    else if (runes(address()) < 6 || runes(address()) > 200) bad['ship-street'] = 'badAddress';
    if (value('ship-postcode') && !/^[0-9]{6}$/.test(value('ship-postcode'))) bad['ship-postcode'] = 'badPostcode';
    return bad;
  }

  function check() {
    const bad = checkAddress();
    const n = sheets();
    if (!(n >= 1 && n <= buy.offer.max_quantity)) bad['print-sheets'] = 'badSheets';
    return bad;
  }

  function markFields(bad, ids = [...FIELDS, 'print-sheets']) {
    for (const id of ids) {
      const input = $(id);
      const msg = $(id + '-error');
      if (bad[id]) {
        input.setAttribute('aria-invalid', 'true');
        msg.dataset.key = bad[id];
        msg.textContent = tw(bad[id], { n: buy.offer ? buy.offer.max_quantity : '' });
        msg.hidden = false;
      } else {
        input.removeAttribute('aria-invalid');
        delete msg.dataset.key;
        msg.textContent = '';
        msg.hidden = true;
      }
    }
  }

  function printTotal() {
    const o = buy.offer;
    const n = sheets();
    $('print-total').textContent = n >= 1 && n <= o.max_quantity ? t('total') + ': ¥' + yuan(o.prices.print_sheet_fen * n + o.prices.mailing_fen) : '';
  }

  async function submitPrints(ev) {
    ev.preventDefault();
    clearNotice();
    const err = $('print-error');
    err.hidden = true;
    const bad = check();
    markFields(bad);
    const first = [...FIELDS, 'print-sheets'].find((id) => bad[id]);
    if (first) {
      err.textContent = t('fixFields');
      err.hidden = false;
      $(first).focus();
      return;
    }
    $('print-submit').disabled = true;
    try {
      const o = await call('POST', '/orders', {
        job_id: state.job.id,
        items: [{ kind: 'print', copies: Number($('print-copies').value), quantity: sheets() }, { kind: 'mailing' }],
        mailing: mailing(),
      });
      $('print-form').hidden = true;
      checkout(o, 'print');
    } catch (e) {
      // The server's own words: it refused what the form let through.
      err.textContent = t('refused') + ' ' + e.message;
      err.hidden = false;
      err.focus();
    }
    $('print-submit').disabled = false;
  }

  // ---- Paying --------------------------------------------------------------------------

  // channels are those the server enabled and this browser can pay with, its own first.
  function channels() {
    const on = (buy.offer && buy.offer.payment_channels) || [];
    const out = [];
    if (on.includes('wechatpay') && wechatBridge()) out.push('wechatpay');
    if (on.includes('alipay') && alipayBridge()) out.push('alipay');
    if (on.includes('sandbox')) out.push('sandbox');
    return out;
  }

  function renderChannels() {
    const list = channels();
    if (!list.includes(buy.channel)) buy.channel = list[0] || null;
    const box = $('channel-list');
    box.replaceChildren();
    for (const c of list) {
      const id = 'channel-' + c;
      const input = el('input', { type: 'radio', name: 'channel', id, value: c, checked: c === buy.channel });
      input.addEventListener('change', () => { buy.channel = c; renderPayButton(); });
      box.append(el('div', { class: 'channel' }, input, el('label', { for: id, text: t('ch' + c[0].toUpperCase() + c.slice(1)) })));
    }
    $('channels').hidden = list.length < 2;
    $('no-channel').hidden = list.length > 0;
    renderPayButton();
  }

  function renderPayButton() {
    const c = buy.channel;
    $('pay').hidden = !c;
    $('pay').textContent = t(c === 'wechatpay' ? 'payWechat' : c === 'alipay' ? 'payAlipay' : 'payButton');
    $('sandbox-label').hidden = c !== 'sandbox';
  }

  function checkout(o, kind) {
    Object.assign(buy, { order: o, kind });
    state.orderID = o.id;
    $('order-total').textContent = '¥' + o.total;
    $('buy-choices').hidden = true;
    $('checkout').hidden = false;
    renderChannels();
    if (!$('pay').hidden) $('pay').focus();
  }

  // wechatPay hands the prepay to WeChat's payment sheet: ok, cancel or fail.
  function wechatPay(f) {
    return new Promise((resolve) => {
      window.WeixinJSBridge.invoke('getBrandWCPayRequest', {
        appId: f.appId, timeStamp: f.timeStamp, nonceStr: f.nonceStr, package: f.package, signType: f.signType, paySign: f.paySign,
      }, (res) => {
        const m = String((res && res.err_msg) || '');
        resolve(m.endsWith(':ok') ? 'ok' : m.endsWith(':cancel') ? 'cancel' : 'fail');
      });
    });
  }

  // alipayPay hands the trade to Alipay's cashier: 9000 paid, 8000 and 6004 still
  // processing (the notification will say), 6001 cancelled.
  function alipayPay(f) {
    return new Promise((resolve) => {
      window.AlipayJSBridge.call('tradePay', { tradeNO: f.tradeNO }, (res) => {
        const c = String((res && res.resultCode) || '');
        resolve(c === '9000' || c === '8000' || c === '6004' ? 'ok' : c === '6001' ? 'cancel' : 'fail');
      });
    });
  }

  // sandboxPay posts the sandbox's signed notification back, as a channel's server would.
  async function sandboxPay(f) {
    const res = await fetch(API + '/pay/notify/sandbox', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Sandbox-Signature': f.signature },
      body: f.notification,
    });
    if (!res.ok) throw new Error('notify ' + res.status);
    return 'ok';
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // paidOrder polls the order until the channel's notification has marked it paid.
  async function paidOrder(id, seconds) {
    for (let i = 0; i < seconds * 2; i++) {
      const o = await call('GET', '/orders/' + id);
      if (PAID.includes(o.status)) return o;
      if (o.status === 'expired' || o.status === 'cancelled') throw new Error(words('st', o.status));
      await sleep(500);
    }
    return null;
  }

  async function pay() {
    if (buy.busy || !buy.order || !buy.channel) return;
    clearNotice();
    buy.busy = true;
    $('pay').disabled = true;
    say($('pay-status'), 'paying');
    try {
      const p = await call('POST', '/orders/' + buy.order.id + '/pay', { channel: buy.channel });
      const how = p.channel === 'wechatpay' ? wechatPay : p.channel === 'alipay' ? alipayPay : sandboxPay;
      const outcome = await how(p.fields);
      if (outcome !== 'ok') {
        say($('pay-status'), outcome === 'cancel' ? 'payCancelled' : 'payFailed');
        return;
      }
      say($('pay-status'), 'waitConfirm');
      const o = await paidOrder(buy.order.id, p.channel === 'sandbox' ? 15 : 60);
      if (!o) {
        say($('pay-status'), 'payLate');
        return;
      }
      say($('pay-status'), 'paid');
      $('checkout').hidden = true;
      if (buy.kind === 'print') {
        location.hash = '#/orders/' + o.id;
        return;
      }
      for (let i = 0; i < 30; i++) { // the job unlocks with the payment
        const j = await call('GET', '/jobs/' + state.job.id);
        if (j.unlocked) break;
        await sleep(500);
      }
      await showDownloads();
    } catch (e) {
      say($('pay-status'), null);
      showError(e);
    } finally {
      buy.busy = false;
      $('pay').disabled = false;
    }
  }

  // ---- My orders -----------------------------------------------------------------------

  const isPrint = (o) => o.items.some((it) => it.kind === 'mailing');

  function statusText(o) {
    return o.status === 'paid' && isPrint(o) ? words('st', 'paidPrint') : words('st', o.status);
  }

  function itemName(it) {
    const name = it.kind === 'print' ? tw('itemPrint', { n: it.copies }) : t(it.kind === 'ephoto' ? 'itemEphoto' : 'itemMailing');
    return it.quantity > 1 ? name + ' × ' + it.quantity : name;
  }

  const itemText = (it) => itemName(it) + ' — ¥' + yuan(it.amount_fen);

  function badge(o) {
    const tone = PAID.includes(o.status) ? 'good' : o.status === 'expired' || o.status === 'cancelled' ? 'muted' : 'wait';
    return el('span', { class: 'badge ' + tone, text: statusText(o) });
  }

  async function loadOrders() {
    const box = $('orders-list');
    $('order-detail').hidden = true;
    box.hidden = false;
    if (!localStorage.getItem(TOKEN_KEY)) {
      box.replaceChildren(el('p', { class: 'hint', text: t('ordersEmpty') }));
      return;
    }
    try {
      const { orders } = await call('GET', '/orders');
      if (!orders.length) {
        box.replaceChildren(el('p', { class: 'hint', text: t('ordersEmpty') }));
        return;
      }
      box.replaceChildren(el('ul', { class: 'orders' }, ...orders.map((o) => el('li', null,
        el('a', { href: '#/orders/' + o.id, class: 'order-link' },
          el('span', { class: 'order-when', text: fmtDate(o.created_at) }),
          badge(o),
          el('span', { class: 'order-what', text: o.items.map(itemName).join(', ') }),
          el('strong', { class: 'order-total', text: '¥' + o.total }))))));
    } catch (e) {
      box.replaceChildren();
      showError(e);
    }
  }

  async function loadOrder(id) {
    const box = $('order-detail');
    $('orders-list').hidden = true;
    box.hidden = false;
    try {
      renderOrder(await call('GET', '/orders/' + encodeURIComponent(id)));
    } catch (e) {
      box.replaceChildren(el('p', null, el('a', { href: '#/orders', text: t('ordersBack') })));
      showError(e);
    }
  }

  // renderOrder shows one order; note is what became of a correction of its address:
  // { key } said in the page's words, or { error } in the server's.
  function renderOrder(o, note) {
    const box = $('order-detail');
    const keep = fixing === o.id && editable(o); // a re-render (a change of language) keeps the form open
    returnShipFields(keep);
    if (!keep) fixing = null;
    const print = isPrint(o);
    const rows = [];
    const row = (k, v, id) => { if (v) rows.push(el('dt', { text: t(k) }), el('dd', id ? { id, text: v } : { text: v })); };
    row('ordered', fmtDate(o.created_at));
    row('paidOn', o.paid_at && fmtDate(o.paid_at));
    row('channel', o.channel && t('ch' + o.channel[0].toUpperCase() + o.channel.slice(1)));
    row('shippedOn', o.shipped_at && fmtDate(o.shipped_at));
    row('tracking', o.tracking_no, 'order-tracking');
    let steps = null;
    if (print) {
      const at = o.status === 'shipped' || o.status === 'closed' ? 2 : PAID.includes(o.status) ? 1 : 0;
      steps = el('ol', { class: 'steps' }, ...['stepOrdered', 'stepPaid', 'stepShipped'].map((k, i) =>
        el('li', { class: i <= at ? 'done' : '', 'aria-current': i === at ? 'step' : false, text: t(k) })));
    }
    let ship = null;
    if (o.mailing) {
      ship = el('div', { class: 'ship' }, el('h3', { text: t('shipTo') }),
        el('dl', { class: 'facts' },
          el('dt', { text: t('recipient') }), el('dd', { id: 'order-name', text: o.mailing.name }),
          el('dt', { text: t('phone') }), el('dd', { id: 'order-phone', text: o.mailing.phone }),
          el('dt', { text: t('address') }), el('dd', { id: 'order-address', text: o.mailing.address })),
        el('p', { class: 'hint', text: t('maskedNote') }));
      if (note && !note.erased) {
        ship.append(note.error ? el('p', { id: 'order-fix-status', class: 'form-error', role: 'alert', text: t('fixRefused') + ' ' + note.error })
          : el('p', { id: 'order-fix-status', role: 'status', 'data-i18n': note.key, text: t(note.key) }));
      }
      if (editable(o)) ship.append(fixing === o.id ? fixForm(o) : el('p', null, fixButton(o)));
    }
    const refresh = el('button', { type: 'button', class: 'button', id: 'order-refresh', text: t('refresh') });
    refresh.addEventListener('click', () => loadOrder(o.id));
    let erase = null;
    if (note && note.erased) erase = el('p', { id: 'order-erase-status', role: 'status', tabindex: '-1', text: t('erased') });
    else if (erasable(o)) erase = el('p', null, eraseButton(o));
    box.replaceChildren(
      el('p', null, el('a', { href: '#/orders', text: t('ordersBack') })),
      el('div', { class: 'box order', 'data-status': o.status },
        el('h2', null, t('orderNo') + ' ', el('span', { class: 'order-id', text: o.id.slice(0, 8) })),
        el('p', { class: 'order-status', id: 'order-status', role: 'status' }, badge(o)),
        steps,
        el('h3', { text: t('items') }),
        el('ul', { class: 'order-items' }, ...o.items.map((it) => el('li', { text: itemText(it) }))),
        el('p', null, t('total') + ': ', el('strong', { text: '¥' + o.total })),
        el('dl', { class: 'facts' }, ...rows),
        ship,
        erase,
        refresh));
  }

  // ---- Deleting an order's personal data (R3) -------------------------------------------

  // erasable is the server's OrderErasable: not an unpaid order (cancelled instead),
  // nor a paid print order not shipped yet. erasedIDs hides the action once done.
  const erasedIDs = new Set();
  const erasable = (o) => !erasedIDs.has(o.id) && !['created', 'paying'].includes(o.status) && !(o.status === 'paid' && isPrint(o));

  function eraseButton(o) {
    const b = el('button', { type: 'button', class: 'button danger', id: 'order-erase', text: t('eraseOrder') });
    b.addEventListener('click', async () => {
      if (!(await confirmDialog({ title: t('eraseTitle'), text: t('eraseText'), yes: t('eraseYes') }))) return;
      clearNotice();
      try {
        await call('DELETE', '/orders/' + encodeURIComponent(o.id) + '/personal-data', null, { noRetry: true });
        erasedIDs.add(o.id);
        renderOrder(await call('GET', '/orders/' + encodeURIComponent(o.id)), { erased: true });
        $('order-erase-status').focus();
        document.dispatchEvent(new Event('idphoto:request')); // a deletion is a request
      } catch (e) {
        showError(t('eraseRefused') + ' ' + e.message);
      }
    });
    return b;
  }

  // ---- Correcting the address of an order not shipped yet (R5) -------------------------

  // The order's address is corrected with the print form's own address fields, labels
  // and checks: the fieldset is borrowed into the order view and given back (with what
  // was typed in the print form) when the correction ends or the print form opens.
  const shipFields = $('ship-name').closest('fieldset');
  let printValues = null; // the print form's values while its fieldset is borrowed
  let fixing = null; // the id of the order whose address is being corrected

  // editable is the server's shippingEditable: mailed, not shipped, not closed.
  const editable = (o) => !!o.mailing && !o.shipped_at && ['created', 'paying', 'paid'].includes(o.status);

  function borrowShipFields(into) {
    if (!printValues) {
      printValues = FIELDS.map((id) => $(id).value);
      for (const id of FIELDS) $(id).value = '';
      markFields({}, FIELDS);
    }
    into.prepend(shipFields);
  }

  // returnShipFields puts the fieldset back in the print form; with keep it stays
  // borrowed, only taken out of a view about to be replaced.
  function returnShipFields(keep) {
    if (!printValues) return;
    $('print-form').insertBefore(shipFields, $('print-error'));
    if (keep) return;
    FIELDS.forEach((id, i) => { $(id).value = printValues[i]; });
    printValues = null;
    markFields({}, FIELDS);
  }

  function fixButton(o) {
    const b = el('button', { type: 'button', class: 'button', id: 'order-fix', text: t('fixAddress') });
    b.addEventListener('click', () => {
      fixing = o.id;
      renderOrder(o);
      $('ship-name').focus();
    });
    return b;
  }

  function fixForm(o) {
    const save = el('button', { type: 'submit', class: 'button primary', id: 'order-fix-save', text: t('fixSave') });
    const cancel = el('button', { type: 'button', class: 'button', id: 'order-fix-cancel', text: t('fixCancel') });
    const err = el('p', { id: 'order-fix-error', class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    const fields = el('div');
    const form = el('form', { id: 'order-fix-form', class: 'print-form', novalidate: true, 'aria-label': t('fixAddress') },
      el('p', { class: 'hint', text: t('fixLead') }), fields, err, el('div', { class: 'actions' }, save, cancel));
    borrowShipFields(fields);
    cancel.addEventListener('click', () => {
      fixing = null;
      renderOrder(o);
      $('order-fix').focus();
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearNotice();
      err.hidden = true;
      const bad = checkAddress();
      markFields(bad, FIELDS);
      const first = FIELDS.find((id) => bad[id]);
      if (first) {
        $(first).focus();
        return;
      }
      save.disabled = true;
      try {
        const fixed = await call('PUT', '/orders/' + encodeURIComponent(o.id) + '/shipping', mailing());
        fixing = null;
        renderOrder(fixed, { key: 'fixSaved' });
        document.dispatchEvent(new Event('idphoto:request')); // a correction is a request
      } catch (e) {
        if (e.code === 'order_shipped') { // shipped meanwhile: show it so, with the server's reason
          fixing = null;
          try {
            renderOrder(await call('GET', '/orders/' + encodeURIComponent(o.id)), { error: e.message });
            return;
          } catch (_) { /* keep the form and say why below */ }
        }
        err.textContent = t('fixRefused') + ' ' + e.message;
        err.hidden = false;
        err.focus();
        save.disabled = false;
      }
    });
    return form;
  }

  function routed() {
    const m = location.hash.match(/^#\/orders(?:\/([0-9a-f]{32}))?$/);
    if (!m) return;
    if (m[1]) loadOrder(m[1]);
    else loadOrders();
  }

  // ---- My privacy requests -------------------------------------------------------------

  // fmtDay writes a YYYY-MM-DD date (China time, as the API gives due dates) in the
  // page's language, without moving it to another day in this browser's zone.
  function fmtDay(d) {
    return new Date(d + 'T00:00:00Z').toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'long', timeZone: 'UTC' });
  }

  async function loadRequests() {
    const box = $('requests');
    if (!localStorage.getItem(TOKEN_KEY)) {
      box.replaceChildren(el('p', { class: 'hint', text: t('noAccount') }));
      return;
    }
    try {
      const { requests } = await call('GET', '/me/requests');
      if (!requests.length) {
        box.replaceChildren(el('p', { class: 'hint', text: t('requestsEmpty') }));
        return;
      }
      box.replaceChildren(el('ul', { class: 'requests' }, ...requests.map((r) => {
        const st = r.status === 'done' ? 'rqDone' : r.status === 'overdue' ? 'rqOverdue' : 'rqOpen';
        return el('li', { 'data-kind': r.kind, 'data-status': r.status },
          el('h3', null, words('kind', r.kind) + ' · ' + words('scope', r.scope) + ' ',
            el('span', { class: 'badge ' + (r.status === 'done' ? 'good' : r.status === 'overdue' ? 'bad' : 'wait'), text: t(st) })),
          el('dl', { class: 'facts' },
            el('dt', { text: t('received') }), el('dd', { text: fmtDate(r.received_at) }),
            el('dt', { text: t('dueBy') }), el('dd', { class: 'due', text: fmtDay(r.due_date) }),
            r.done_at ? el('dt', { text: t('doneOn') }) : null, r.done_at ? el('dd', { text: fmtDate(r.done_at) }) : null));
      })));
    } catch (e) {
      box.replaceChildren();
      showError(e);
    }
  }

  // ---- My profile (R5: correction) -----------------------------------------------------

  const PROFILE = ['profile-display', 'profile-name', 'profile-phone', 'profile-address'];
  let profileEdited = false; // a reload (a change of language) keeps what is being typed

  function fillProfile(p) {
    $('profile-display').value = p.display_name || '';
    $('profile-name').value = (p.shipping && p.shipping.name) || '';
    $('profile-phone').value = (p.shipping && p.shipping.phone) || '';
    $('profile-address').value = (p.shipping && p.shipping.address) || '';
    profileEdited = false;
  }

  async function loadProfile() {
    const form = $('profile-form');
    const none = $('profile-none');
    if (!localStorage.getItem(TOKEN_KEY)) {
      form.hidden = true;
      none.textContent = t('noAccount');
      none.hidden = false;
      return;
    }
    try {
      const p = await call('GET', '/me/profile');
      if (!profileEdited) fillProfile(p);
      form.hidden = false;
      none.hidden = true;
    } catch (e) {
      showError(e);
    }
  }

  // checkProfile is the server's checkProfile: every field optional, the shipping
  // fields by the print orders' rules when given.
  function checkProfile() {
    const bad = {};
    const display = value('profile-display');
    if (runes(display) > 32 || /[\u0000-\u001f\u007f-\u009f]/.test(display)) bad['profile-display'] = 'badDisplay';
    if (runes(value('profile-name')) > 32) bad['profile-name'] = 'badNameOpt';
    const phone = normPhone($('profile-phone').value);
    if (phone && !/^1[0-9]{10}$/.test(phone)) bad['profile-phone'] = 'badPhone';
    const addr = runes(value('profile-address'));
    if (addr && (addr < 6 || addr > 200)) bad['profile-address'] = 'badAddressOpt';
    return bad;
  }

  async function saveProfile(ev) {
    ev.preventDefault();
    clearNotice();
    const err = $('profile-error');
    err.hidden = true;
    say($('profile-status'), null);
    const bad = checkProfile();
    markFields(bad, PROFILE);
    const first = PROFILE.find((id) => bad[id]);
    if (first) {
      $(first).focus();
      return;
    }
    $('profile-save').disabled = true;
    try {
      fillProfile(await call('PUT', '/me/profile', {
        display_name: value('profile-display'),
        shipping: { name: value('profile-name'), phone: normPhone($('profile-phone').value), address: value('profile-address') },
      }));
      say($('profile-status'), 'profileSaved');
      document.dispatchEvent(new Event('idphoto:request')); // a correction is a request
    } catch (e) {
      err.textContent = t('refused') + ' ' + e.message;
      err.hidden = false;
      err.focus();
    }
    $('profile-save').disabled = false;
  }

  // ---- Words and start -----------------------------------------------------------------

  function relabel() {
    // app.js labelled the page before these words were there.
    for (const e of document.querySelectorAll('[data-i18n]')) if (e.dataset.i18n in WORDS.en) e.textContent = t(e.dataset.i18n);
    for (const e of document.querySelectorAll('.field-error[data-key]')) e.textContent = tw(e.dataset.key, { n: buy.offer ? buy.offer.max_quantity : '' });
    renderChoices();
    if (buy.offer && !$('print-form').hidden) {
      $('print-lead').textContent = tw('printLead', { sheet: yuan(buy.offer.prices.print_sheet_fen), post: yuan(buy.offer.prices.mailing_fen) });
      printTotal();
    }
    if (!$('checkout').hidden) renderChannels();
    if (!$('view-orders').hidden) routed();
  }

  $('order').addEventListener('click', orderPhoto);
  $('order-prints').addEventListener('click', openPrintForm);
  $('print-back').addEventListener('click', closePrintForm);
  $('print-form').addEventListener('submit', submitPrints);
  $('print-sheets').addEventListener('input', printTotal);
  for (const id of [...FIELDS, 'print-sheets']) {
    // A field marked wrong is checked again as it is corrected.
    $(id).addEventListener('input', () => {
      if ($(id).getAttribute('aria-invalid') !== 'true') return;
      const bad = id === 'print-sheets' ? check() : checkAddress();
      const msg = $(id + '-error');
      if (!bad[id]) {
        $(id).removeAttribute('aria-invalid');
        msg.hidden = true;
      }
    });
  }
  $('pay').addEventListener('click', pay);
  $('profile-form').addEventListener('submit', saveProfile);
  for (const id of PROFILE) {
    $(id).addEventListener('input', () => {
      profileEdited = true;
      if ($(id).getAttribute('aria-invalid') === 'true' && !checkProfile()[id]) {
        $(id).removeAttribute('aria-invalid');
        $(id + '-error').hidden = true;
      }
    });
  }
  for (const ev of ['WeixinJSBridgeReady', 'AlipayJSBridgeReady']) {
    document.addEventListener(ev, () => { if (!$('checkout').hidden) renderChannels(); });
  }
  document.addEventListener('idphoto:result', reset);
  document.addEventListener('idphoto:privacy', () => {
    loadRequests();
    loadProfile();
  });
  document.addEventListener('idphoto:request', () => {
    loadRequests();
    loadProfile();
  });
  $('lang').addEventListener('click', relabel); // after app.js's own: the language has changed
  window.addEventListener('hashchange', routed);

  relabel();
  routed();
  if (!$('view-privacy').hidden) {
    loadRequests();
    loadProfile();
  }
})();
