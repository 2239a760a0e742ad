// idphoto's web page: the reference client of the JSON API under /api/v1.
// Plain JavaScript, no build step. Runs under a strict CSP: nothing inline.
'use strict';

const API = '/api/v1';
const TOKEN_KEY = 'idphoto.token';
const LANG_KEY = 'idphoto.lang';

// ---- Words -------------------------------------------------------------------------

const T = {
  en: {
    skip: 'Skip to content', brand: 'ID photo', nav: 'Main', navMake: 'Make a photo', navPrivacy: 'Privacy',
    makeTitle: 'Make an ID photo',
    makeLead: 'Your photo stays encrypted on this server and is deleted on your request.',
    stepPhoto: 'Your photo', photoHint: 'Face the camera in even light, against a plain wall, with nothing covering your face.',
    takePhoto: 'Take a photo', pickPhoto: 'Choose a photo', yourPhoto: 'The photo you chose',
    stepSpec: 'Document', searchSpec: 'Search documents', searchPlaceholder: 'e.g. passport, 一寸, US visa',
    loading: 'Loading…', noMatch: 'No document matches. Try another word.',
    stepBg: 'Background colour', chooseSpecFirst: 'Choose a document first.',
    makeButton: 'Make my photo', needPhoto: 'Add a photo first.', needSpec: 'Choose a document.',
    uploading: 'Uploading…', uploaded: '✓ Photo ready', noAccount: 'You have no account now: nothing about you is kept.', chosen: 'Chosen',
    progressTitle: 'Making your photo', queued: 'Waiting for a free worker…', running: 'Finding your face, cutting out the background, checking the rules…',
    resultTitle: 'Your photo', previewAlt: 'Preview of your ID photo, with a watermark',
    previewCaption: 'Preview with a watermark. The file you download has none.',
    passTitle: 'Your photo meets the rules', passText: 'Every check passed for this document.',
    failTitle: 'Your photo needs another try', failText: 'Fix what is listed below and take the photo again.',
    warnTitle: 'Worth a look', fixLabel: 'What to do',
    jobFailed: 'The photo could not be made', jobFailedText: 'Try another photo: one face, looking straight at the camera, in good light.',
    payTitle: 'Get the photo',
    payLead: 'You get the photo file and a 6-inch print sheet of it. You saw the preview above: paid photos are not refunded.',
    orderButton: 'Buy this photo', sandboxTitle: 'Sandbox payment', sandboxText: 'test mode, no real money is charged.',
    total: 'Total', payButton: 'Pay (sandbox, no real money)', paying: 'Paying…', paid: '✓ Paid. Thank you!',
    downloadTitle: 'Download',
    downloadLead: 'Save the photo for online applications, and the sheet to print at any photo shop (6-inch paper).',
    downloadFile: 'Download the photo', downloadSheet: 'Download the 6-inch print sheet', preparing: 'Preparing the files…',
    again: 'Make another photo',
    privacyTitle: 'Privacy centre', privacyLead: 'See and control what this service keeps about you.',
    exportTitle: 'Download my data', exportLead: 'A zip file of your photos, results, orders and consents. The link works for a short time.',
    exportButton: 'Prepare my data', exportReady: 'Your data is ready:', exportLink: 'Download my data (zip)', expires: 'until',
    deleteTitle: 'Delete my photos', deleteLead: 'Deletes every photo you uploaded and every photo made from them. Orders stay for the accounts.',
    deleteButton: 'Delete all my photos', deleteConfirmTitle: 'Delete all your photos?',
    deleteConfirmText: 'Every photo you uploaded and every ID photo made from them will be deleted now. This cannot be undone.',
    deleteYes: 'Delete my photos', deleted: 'Photos deleted:',
    everythingTitle: 'Delete all my data (keep my account)',
    everythingLead: 'Deletes your photos, ID photos, the names, addresses and phones of your orders, your profile and your data downloads. Your account stays, with your consents and requests; order records stay for the accounts.',
    everythingButton: 'Delete all my data…', everythingConfirmTitle: 'Delete all your data?',
    everythingConfirmText: 'Your photos, ID photos, the personal details of your orders, your profile and your data downloads are deleted now. You stay signed in. An order being printed and posted keeps its address and photo until it is shipped. This cannot be undone.',
    everythingCheck: 'I understand that my data is deleted and cannot be recovered.',
    everythingYes: 'Delete my data', everythingDone: 'Your data is deleted. Photos deleted: {n}.',
    everythingKept: 'Kept until shipped, then delete again: {n} order(s) being printed and posted.',
    cancelTitle: 'Cancel my account', cancelLead: 'Erases your account and everything in it. This cannot be undone.',
    cancelButton: 'Cancel my account…', cancelConfirmTitle: 'Cancel your account for good?',
    cancelConfirmText: 'Your photos, ID photos, orders, consents and sessions are erased now, and the key that encrypted them is destroyed. Only the accounting ledger keeps its entries, under a pseudonym, as the law requires. You cannot undo this.',
    cancelCheck: 'I understand that everything is erased and cannot be recovered.',
    cancelYes: 'Erase my account', cancelled: 'Your account is cancelled and your data erased. You are signed out; this page starts afresh if you make another photo.',
    keep: 'Keep it',
    consentsTitle: 'My consents', policiesTitle: 'The policies',
    policy: 'Policy', accepted: 'Accepted version', acceptedAt: 'Accepted on', current: 'Current version', notAccepted: 'not accepted',
    history: 'History', granted: 'granted', withdrawn: 'withdrawn', version: 'version', effective: 'in force since',
    consentTitle: 'Before you start: please read our policies',
    consentLead: 'Please read how we handle your photo. We need your agreement to process it.',
    accept: 'I agree', notNow: 'Not now', needConsent: 'To make a photo, please accept the privacy policy first.',
    footer: 'idphoto — photos are encrypted and never shared.',
    error: 'Something went wrong:', offline: 'The service cannot be reached. Check your connection and try again.',
    checksPassed: '{n} of {m} checks passed',
    groups: { common: 'Common sizes', id: 'ID documents', exam: 'Exams', visa: 'Visas', other: 'Other' },
    bg: { white: 'White', 'light-grey': 'Light grey', 'light-blue': 'Light blue', blue: 'Blue', red: 'Red', 'dark-blue': 'Dark blue' },
  },
  zh: {
    skip: '跳到正文', brand: '证件照', nav: '主菜单', navMake: '制作证件照', navPrivacy: '隐私',
    makeTitle: '制作证件照',
    makeLead: '照片在服务器上加密保存，您可以随时删除。',
    stepPhoto: '您的照片', photoHint: '正对镜头，光线均匀，背景为纯色墙面，面部无遮挡。',
    takePhoto: '拍照', pickPhoto: '从相册选择', yourPhoto: '您选择的照片',
    stepSpec: '证件规格', searchSpec: '搜索证件', searchPlaceholder: '例如：护照、一寸、美国签证',
    loading: '加载中…', noMatch: '没有匹配的证件，请换个关键词。',
    stepBg: '背景颜色', chooseSpecFirst: '请先选择证件规格。',
    makeButton: '生成证件照', needPhoto: '请先添加照片。', needSpec: '请选择证件规格。',
    uploading: '上传中…', uploaded: '✓ 照片已就绪', noAccount: '您目前没有账号，我们不保存您的任何信息。', chosen: '已选择',
    progressTitle: '正在制作', queued: '排队中…', running: '正在识别人脸、抠图换底、检查规格…',
    resultTitle: '您的证件照', previewAlt: '证件照预览（带水印）',
    previewCaption: '预览带水印，下载的文件没有水印。',
    passTitle: '照片符合要求', passText: '该证件的各项检查全部通过。',
    failTitle: '照片需要重拍', failText: '请按下面的提示调整后重新拍摄。',
    warnTitle: '值得注意', fixLabel: '怎么改',
    jobFailed: '无法生成照片', jobFailedText: '请换一张照片：只有一张脸，正视镜头，光线充足。',
    payTitle: '获取照片',
    payLead: '您将获得电子照片和一张 6 寸冲印排版。您已看过上面的预览：付费后不予退款。',
    orderButton: '购买这张照片', sandboxTitle: '沙箱支付', sandboxText: '测试模式，不会扣真钱。',
    total: '合计', payButton: '支付（沙箱，不扣真钱）', paying: '支付中…', paid: '✓ 支付成功，谢谢！',
    downloadTitle: '下载',
    downloadLead: '电子照可用于网上报名；排版图可在任意照相馆用 6 寸相纸冲印。',
    downloadFile: '下载电子照', downloadSheet: '下载 6 寸冲印排版', preparing: '正在准备文件…',
    again: '再做一张',
    privacyTitle: '隐私中心', privacyLead: '查看并管理本服务保存的您的信息。',
    exportTitle: '下载我的数据', exportLead: '包含您的照片、成品、订单和同意记录的 zip 文件，链接短时间内有效。',
    exportButton: '准备我的数据', exportReady: '数据已准备好：', exportLink: '下载我的数据（zip）', expires: '有效期至',
    deleteTitle: '删除我的照片', deleteLead: '删除您上传的所有照片及由其生成的证件照。订单记录按财务要求保留。',
    deleteButton: '删除我的全部照片', deleteConfirmTitle: '删除全部照片？',
    deleteConfirmText: '您上传的所有照片和生成的证件照将立即删除，且无法恢复。',
    deleteYes: '删除照片', deleted: '已删除照片：',
    everythingTitle: '删除我的全部数据（保留账号）',
    everythingLead: '删除您的照片、证件照、订单中的姓名地址电话、个人资料和数据下载。账号及其同意记录和申请记录保留；订单记录按财务要求保留。',
    everythingButton: '删除我的全部数据…', everythingConfirmTitle: '删除您的全部数据？',
    everythingConfirmText: '您的照片、证件照、订单中的个人信息、个人资料和数据下载将立即删除，您仍保持登录。正在打印和邮寄的订单会保留收件信息和照片，直到发货。此操作无法撤销。',
    everythingCheck: '我明白我的数据将被删除且无法恢复。',
    everythingYes: '删除我的数据', everythingDone: '您的数据已删除。已删除照片：{n}。',
    everythingKept: '以下订单正在打印和邮寄，发货后请再次删除：{n} 个。',
    cancelTitle: '注销账号', cancelLead: '清除您的账号及其中的全部数据，无法撤销。',
    cancelButton: '注销账号…', cancelConfirmTitle: '确定永久注销账号？',
    cancelConfirmText: '您的照片、证件照、订单、同意记录和登录状态将立即清除，加密它们的密钥也将销毁。仅会计账目按法律要求以化名保留。此操作无法撤销。',
    cancelCheck: '我明白所有数据将被清除且无法恢复。',
    cancelYes: '注销并清除', cancelled: '账号已注销，数据已清除，您已退出。再次制作照片时将重新开始。',
    keep: '暂不',
    consentsTitle: '我的同意记录', policiesTitle: '政策文本',
    policy: '政策', accepted: '已同意版本', acceptedAt: '同意时间', current: '当前版本', notAccepted: '未同意',
    history: '历史记录', granted: '同意', withdrawn: '撤回', version: '版本', effective: '生效于',
    consentTitle: '开始之前：请阅读隐私政策与用户协议',
    consentLead: '请阅读我们如何处理您的照片。需要您的同意才能处理照片。',
    accept: '同意', notNow: '暂不', needConsent: '制作照片前，请先同意隐私政策。',
    footer: 'idphoto — 照片加密保存，绝不外传。',
    error: '出错了：', offline: '无法连接服务，请检查网络后重试。',
    checksPassed: '通过 {n} / {m} 项检查',
    groups: { common: '常用尺寸', id: '证件', exam: '考试', visa: '签证', other: '其他' },
    bg: { white: '白色', 'light-grey': '浅灰', 'light-blue': '浅蓝', blue: '蓝色', red: '红色', 'dark-blue': '深蓝' },
  },
};

let lang = localStorage.getItem(LANG_KEY) || ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
const t = (k) => T[lang][k] ?? T.en[k] ?? k;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids) if (kid != null) e.append(kid);
  return e;
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('brand') + ' · idphoto';
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of document.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const e of document.querySelectorAll('[data-i18n-alt]')) e.alt = t(e.dataset.i18nAlt);
  for (const e of document.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
  $('lang').textContent = lang === 'zh' ? 'English' : '中文';
  $('lang').setAttribute('lang', lang === 'zh' ? 'en' : 'zh-CN');
  if (state.specs) renderSpecs();
  if (state.report) renderReport(state.report);
  if (state.consentText) fillConsentText();
  if (!$('view-privacy').hidden) loadPrivacy();
  updateMake();
}

// ---- API ---------------------------------------------------------------------------

class APIError extends Error {
  constructor(status, body) {
    super((body && body.message) || 'HTTP ' + status);
    this.status = status;
    this.code = body && body.code;
  }
}

// Inside WeChat's or Alipay's own browser the page is opened through the channel's
// sign-in, which adds a one-time code to the address (WeChat ?code=, Alipay
// ?auth_code=). It logs in through that channel, so that the session is the account
// whose openid or user id WeChat Pay and Alipay bill; the code leaves the address at
// once. Elsewhere, or when the server has no such login, the session is anonymous.
const channelLogin = (async () => {
  const q = new URLSearchParams(location.search);
  const ua = navigator.userAgent;
  let channel = null;
  let body = null;
  if (q.get('code') && (/MicroMessenger/i.test(ua) || window.WeixinJSBridge)) {
    channel = 'wechat';
    body = { code: q.get('code') };
  } else if (q.get('auth_code') && (/AlipayClient/i.test(ua) || window.AlipayJSBridge)) {
    channel = 'alipay';
    body = { auth_code: q.get('auth_code') };
  }
  if (!channel) return null;
  for (const k of ['code', 'state', 'auth_code', 'app_id', 'scope', 'source']) q.delete(k);
  history.replaceState(null, '', location.pathname + (q.size ? '?' + q : '') + location.hash);
  try {
    const res = await fetch(API + '/login/' + channel, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const b = await res.json().catch(() => null);
    if (res.ok) localStorage.setItem(TOKEN_KEY, b.token);
    else if (!(b && b.code === 'unknown_channel')) return new APIError(res.status, b);
  } catch (e) {
    return new APIError(0, { message: t('offline') });
  }
  return null;
})();

async function session() {
  await channelLogin;
  let tok = localStorage.getItem(TOKEN_KEY);
  if (tok) return tok;
  const res = await fetch(API + '/sessions', { method: 'POST' });
  if (!res.ok) throw new APIError(res.status, await res.json().catch(() => null));
  tok = (await res.json()).token;
  localStorage.setItem(TOKEN_KEY, tok);
  return tok;
}

// call sends an authenticated request; a 401 (expired or erased session) starts a new
// session once, and a 428 opens the consent pop-up.
async function call(method, path, body, opts = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Authorization: 'Bearer ' + (await session()) };
    let payload = body;
    if (body && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, { method, headers, body: payload });
    } catch (e) {
      throw new APIError(0, { message: t('offline') });
    }
    if (res.status === 401 && attempt === 0 && !opts.noRetry) {
      localStorage.removeItem(TOKEN_KEY);
      continue;
    }
    if (!res.ok) {
      const b = await res.json().catch(() => null);
      if (res.status === 428) openConsent();
      throw new APIError(res.status, b);
    }
    if (opts.raw) return res;
    if (res.status === 204) return null;
    return res.json();
  }
}

async function blobURL(path) {
  const res = await call('GET', path, null, { raw: true });
  return URL.createObjectURL(await res.blob());
}

function showError(e, where) {
  const box = where || $('notice');
  if (typeof e === 'string') box.textContent = e;
  else box.textContent = (e && e.status === 0) ? e.message : t('error') + ' ' + ((e && e.message) || e);
  box.hidden = false;
  box.classList.add('error');
}

// say shows a message by its key, so that it follows a change of language.
function say(box, key) {
  if (key) {
    box.dataset.i18n = key;
    box.textContent = t(key);
  } else {
    delete box.dataset.i18n;
    box.textContent = '';
  }
}

function clearNotice() {
  $('notice').hidden = true;
  $('notice').textContent = '';
}

// ---- State and views ---------------------------------------------------------------

const state = {
  specs: null, backgrounds: {}, photoID: null, spec: null, bg: null,
  job: null, report: null, orderID: null, consentText: null, policies: null,
};

function show(view) {
  for (const v of ['make', 'progress', 'result', 'privacy', 'library', 'orders']) $('view-' + v).hidden = v !== view;
  $('nav-make').toggleAttribute('aria-current', view !== 'privacy' && view !== 'library' && view !== 'orders');
  $('nav-library').toggleAttribute('aria-current', view === 'library'); // the library is library.js's
  $('nav-orders').toggleAttribute('aria-current', view === 'orders'); // the orders are orders.js's
  $('nav-privacy').toggleAttribute('aria-current', view === 'privacy');
  if (view === 'privacy') loadPrivacy();
}

function route() {
  clearNotice();
  if (location.hash === '#/privacy') show('privacy');
  else if (location.hash === '#/library') show('library');
  else if (location.hash.startsWith('#/orders')) show('orders');
  else if (state.job) show(state.jobDone ? 'result' : 'progress');
  else show('make');
}

// ---- Consent -----------------------------------------------------------------------

async function loadPolicies() {
  if (!state.policies) {
    const res = await fetch(API + '/policies');
    state.policies = (await res.json()).policies;
  }
  return state.policies;
}

function fillConsentText() {
  const box = $('consent-text');
  box.replaceChildren();
  for (const p of state.consentText) box.append(el('h3', { text: p.title + ' ' + p.version }), ...paragraphs(p.text));
}

// paragraphs renders a policy text: blank lines part paragraphs, **x** is bold.
function paragraphs(text) {
  return text.split(/\n\s*\n/).filter((s) => s.trim()).map((s) =>
    el('p', null, ...s.trim().split('**').map((part, i) => (i % 2 ? el('strong', { text: part }) : part))));
}

async function openConsent() {
  const d = $('consent-dialog');
  if (d.open) return;
  try {
    const ps = await loadPolicies();
    const c = await call('GET', '/me/consents');
    const required = new Set(c.policies.filter((p) => p.required).map((p) => p.policy));
    state.consentText = ps.filter((p) => required.has(p.id) || (!required.size && p.gates_processing));
    fillConsentText();
  } catch (e) {
    showError(e);
    return;
  }
  d.showModal();
  $('consent-text').scrollTop = 0;
}

async function checkConsent() {
  // A new major version of any policy asks again; a minor one does not.
  const c = await call('GET', '/me/consents');
  if (c.policies.some((p) => p.required)) openConsent();
}

async function acceptConsent() {
  try {
    for (const p of state.consentText) await call('POST', '/me/consents', { policy: p.id, version: p.version });
    $('consent-dialog').close();
    clearNotice();
    if (!$('view-privacy').hidden) loadPrivacy();
  } catch (e) {
    showError(e);
  }
}

// ---- Step 1: the photo ---------------------------------------------------------------

async function pickPhoto(ev) {
  const file = ev.target.files && ev.target.files[0];
  ev.target.value = '';
  if (!file) return;
  clearNotice();
  state.photoID = null;
  const fig = $('photo-figure');
  const img = $('photo-thumb');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(file);
  fig.hidden = false;
  say($('photo-status'), 'uploading');
  updateMake();
  try {
    const fd = new FormData();
    fd.append('photo', file, 'photo');
    const p = await call('POST', '/photos', fd);
    state.photoID = p.id;
    say($('photo-status'), 'uploaded');
  } catch (e) {
    say($('photo-status'), null);
    showError(e);
  }
  updateMake();
}

// ---- Step 2: the document ------------------------------------------------------------

async function loadSpecs() {
  const res = await fetch(API + '/specs');
  if (!res.ok) throw new APIError(res.status, null);
  const body = await res.json();
  state.specs = body.groups;
  for (const b of body.backgrounds) state.backgrounds[b.name] = b.hex;
  renderSpecs();
}

function specName(s) {
  return lang === 'zh' ? (s.name_zh || s.name) : s.name;
}

function specSize(s) {
  return `${s.width_mm}×${s.height_mm} mm · ${s.width_px}×${s.height_px} px`;
}

function renderSpecs() {
  const q = $('spec-search').value.trim().toLowerCase();
  const list = $('spec-list');
  list.replaceChildren(el('span', { id: 'spec-legend', class: 'visually-hidden', text: t('stepSpec') }));
  let shown = 0;
  for (const g of state.specs) {
    const specs = g.specs.filter((s) => !q || [s.id, s.name, s.name_zh, s.country || '', specSize(s)].some((f) => f.toLowerCase().includes(q)));
    if (!specs.length) continue;
    const fs = el('fieldset', { class: 'group' }, el('legend', { text: (T[lang].groups[g.group] || g.group) }));
    for (const s of specs) {
      const id = 'spec-' + s.id;
      const input = el('input', { type: 'radio', name: 'spec', id, value: s.id, checked: state.spec && state.spec.id === s.id });
      input.addEventListener('change', () => chooseSpec(s));
      const other = lang === 'zh' ? s.name : s.name_zh;
      fs.append(el('div', { class: 'spec' }, input,
        el('label', { for: id }, el('span', { class: 'spec-name', text: specName(s) }),
          other && other !== specName(s) ? el('span', { class: 'spec-other', lang: lang === 'zh' ? 'en' : 'zh-CN', text: ' ' + other }) : null,
          el('span', { class: 'spec-size', text: specSize(s) }))));
      shown++;
    }
    list.append(fs);
  }
  $('spec-none').hidden = shown > 0;
  $('spec-chosen').textContent = state.spec ? t('chosen') + ': ' + specName(state.spec) + ' (' + specSize(state.spec) + ')' : '';
  renderBackgrounds();
}

function chooseSpec(s) {
  state.spec = s;
  if (!s.backgrounds.includes(state.bg)) state.bg = s.backgrounds[0];
  $('spec-chosen').textContent = t('chosen') + ': ' + specName(s) + ' (' + specSize(s) + ')';
  renderBackgrounds();
  updateMake();
}

function renderBackgrounds() {
  const list = $('bg-list');
  list.replaceChildren();
  if (!state.spec) {
    list.append(el('p', { class: 'hint', text: t('chooseSpecFirst') }));
    return;
  }
  for (const name of state.spec.backgrounds) {
    const hex = name.startsWith('#') ? name : state.backgrounds[name] || '#ffffff';
    const id = 'bg-' + name.replace('#', 'x');
    const input = el('input', { type: 'radio', name: 'bg', id, value: name, checked: state.bg === name });
    input.addEventListener('change', () => { state.bg = name; updateMake(); });
    const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
    dot.style.background = hex; // CSSOM, allowed by the CSP (no inline style attribute)
    list.append(el('div', { class: 'swatch' }, input, el('label', { for: id }, dot, el('span', { text: (T[lang].bg[name] || name) }))));
  }
}

function updateMake() {
  const why = !state.photoID ? t('needPhoto') : !state.spec ? t('needSpec') : '';
  $('make').disabled = !!why;
  $('make-why').textContent = why;
}

// ---- The job -----------------------------------------------------------------------

async function makePhoto() {
  clearNotice();
  $('make').disabled = true;
  try {
    const j = await call('POST', '/jobs', { photo_id: state.photoID, spec: state.spec.id, background: state.bg });
    state.job = j;
    state.jobDone = false;
    state.report = null;
    state.orderID = null;
    progress(j);
    show('progress');
    $('main').focus();
    const done = await follow(j.id);
    await finish(done);
  } catch (e) {
    show('make');
    showError(e);
  }
  updateMake();
}

function progress(j) {
  $('progress-text').textContent = j.state === 'queued' ? t('queued') : t('running');
  $('progress-bar').setAttribute('aria-valuetext', $('progress-text').textContent);
}

const finished = (j) => j.state === 'done' || j.state === 'failed';

// follow reads the job's server-sent events over fetch (EventSource cannot send the
// token) and falls back to polling when the stream breaks.
async function follow(id) {
  try {
    const res = await call('GET', '/jobs/' + id + '/events', null, { raw: true });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = ev.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
        if (!data) continue;
        const j = JSON.parse(data);
        state.job = j;
        progress(j);
        if (finished(j)) {
          reader.cancel();
          return j;
        }
      }
    }
  } catch (e) {
    if (e instanceof APIError && e.status !== 0) throw e;
  }
  for (;;) { // polling
    const j = await call('GET', '/jobs/' + id);
    state.job = j;
    progress(j);
    if (finished(j)) return j;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function finish(j) {
  state.jobDone = true;
  state.job = j;
  const rep = await call('GET', '/jobs/' + j.id + '/report');
  state.report = rep;
  renderReport(rep);
  $('preview-figure').hidden = true;
  $('pay-box').hidden = true;
  $('download-box').hidden = true;
  document.dispatchEvent(new Event('idphoto:result')); // orders.js: what to buy, priced
  show('result');
  $('main').focus();
  if (j.state !== 'done') return;
  const img = $('preview');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.src = await blobURL('/jobs/' + j.id + '/preview');
  $('preview-figure').hidden = false;
  if (j.unlocked) await showDownloads();
  else $('pay-box').hidden = false;
}

function renderReport(rep) {
  const box = $('report');
  box.replaceChildren();
  if (rep.state === 'failed') {
    box.append(el('div', { class: 'verdict bad' }, el('h2', { text: t('jobFailed') }),
      el('p', { text: rep.error || '' }), el('p', { text: t('jobFailedText') })));
    return;
  }
  const rules = (rep.checks && rep.checks.rules) || [];
  const failing = rules.filter((r) => !r.pass && !r.skipped && r.severity !== 'warn');
  const warns = rules.filter((r) => !r.pass && !r.skipped && r.severity === 'warn');
  const pass = rep.checks ? rep.checks.pass : rep.misses.length === 0;
  box.append(el('div', { class: 'verdict ' + (pass ? 'good' : 'bad') },
    el('h2', { text: (pass ? '✓ ' : '! ') + t(pass ? 'passTitle' : 'failTitle') }),
    el('p', { text: t(pass ? 'passText' : 'failText') })));
  const item = (r) => {
    const msg = lang === 'zh' ? (r.message_zh || r.message) : (r.message || r.message_zh);
    const fix = lang === 'zh' ? (r.fix_zh || r.fix) : (r.fix || r.fix_zh);
    return el('li', null, el('strong', { text: lang === 'zh' ? (r.name_zh || r.name) : r.name }),
      msg ? el('span', { text: ' — ' + msg }) : null,
      fix ? el('p', { class: 'fix' }, el('span', { class: 'fix-label', text: t('fixLabel') + ': ' }), fix) : null);
  };
  if (failing.length) box.append(el('ul', { class: 'rules bad' }, ...failing.map(item)));
  if (!rules.length && rep.misses.length) box.append(el('ul', { class: 'rules bad' }, ...rep.misses.map((m) => el('li', { text: m }))));
  const otherWarns = rules.length ? [] : rep.warnings;
  if (warns.length || otherWarns.length) {
    box.append(el('h3', { text: t('warnTitle') }),
      el('ul', { class: 'rules warn' }, ...warns.map(item), ...otherWarns.map((m) => el('li', { text: m }))));
  }
  const passed = rules.filter((r) => r.pass && !r.skipped);
  if (passed.length) {
    box.append(el('details', { class: 'passed' }, el('summary', { text: '✓ ' + t('checksPassed').replace('{n}', passed.length).replace('{m}', rules.length) }),
      el('ul', null, ...passed.map((r) => el('li', { text: lang === 'zh' ? (r.name_zh || r.name) : r.name })))));
  }
}

// ---- Paying and downloading ----------------------------------------------------------

// Ordering and paying are orders.js's; it shows the downloads once the job is paid.

async function showDownloads() {
  const id = state.job.id;
  const a = $('download-file');
  const s = $('download-sheet');
  for (const link of [a, s]) {
    if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
    link.removeAttribute('href');
    link.setAttribute('aria-disabled', 'true');
  }
  $('download-box').hidden = false;
  const ext = state.spec && state.spec.format === 'png' ? 'png' : 'jpg';
  a.href = await blobURL('/jobs/' + id + '/file');
  a.download = `idphoto-${state.job.spec}.${ext}`;
  a.removeAttribute('aria-disabled');
  s.href = await blobURL('/jobs/' + id + '/sheet?paper=6in');
  s.download = `idphoto-${state.job.spec}-6in.jpg`;
  s.removeAttribute('aria-disabled');
}

function again() {
  state.job = null;
  state.jobDone = false;
  state.report = null;
  $('report').replaceChildren();
  location.hash = '#/';
  show('make');
}

// ---- Privacy centre ----------------------------------------------------------------

function fmtDate(s) {
  if (!s) return '';
  return new Date(s).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

async function loadPrivacy() {
  document.dispatchEvent(new Event('idphoto:privacy')); // orders.js: my requests
  try {
    const ps = await loadPolicies();
    const pol = $('policies');
    pol.replaceChildren(...ps.map((p) => el('details', { class: 'policy' },
      el('summary', { text: `${p.title} · ${t('version')} ${p.version} · ${t('effective')} ${fmtDate(p.effective).split(',')[0]}` }),
      el('div', { class: 'policy-text', tabindex: '0' }, ...paragraphs(p.text)))));
    if (!localStorage.getItem(TOKEN_KEY)) {
      $('consents').replaceChildren(el('p', { class: 'hint', text: t('noAccount') }));
      return;
    }
    const c = await call('GET', '/me/consents');
    const title = (id) => (ps.find((p) => p.id === id) || { title: id }).title;
    const cards = el('ul', { class: 'consents' }, ...c.policies.map((p) => el('li', null,
      el('h3', { text: title(p.policy) }),
      el('dl', null,
        el('dt', { text: t('accepted') }), el('dd', { text: p.accepted_version ? p.accepted_version + ' · ' + fmtDate(p.accepted_at) : t('notAccepted') }),
        el('dt', { text: t('current') }), el('dd', { text: p.current_version })))));
    const hist = c.history.length ? el('details', null, el('summary', { text: t('history') + ' (' + c.history.length + ')' }),
      el('ul', null, ...c.history.map((h) => el('li', { text: `${fmtDate(h.at)} · ${h.kind === 'policy' ? title(h.name) : h.name}${h.version ? ' ' + h.version : ''} · ${t(h.granted ? 'granted' : 'withdrawn')}` })))) : null;
    $('consents').replaceChildren(cards, hist || '');
  } catch (e) {
    showError(e);
  }
}

async function exportData() {
  const st = $('export-status');
  st.textContent = t('loading');
  try {
    const x = await call('POST', '/me/export');
    st.replaceChildren(t('exportReady') + ' ', el('a', { href: x.url, id: 'export-link', download: 'idphoto-export.zip', text: t('exportLink') }),
      ' (' + t('expires') + ' ' + fmtDate(x.expires_at) + ')');
    document.dispatchEvent(new Event('idphoto:request'));
  } catch (e) {
    st.textContent = '';
    showError(e);
  }
}

// confirm opens the confirmation dialog; with check, the yes button waits for the box.
function confirmDialog({ title, text, yes, check }) {
  const d = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-yes').textContent = yes;
  $('confirm-check').checked = false;
  $('confirm-check-label').hidden = !check;
  $('confirm-check-text').textContent = check || '';
  $('confirm-yes').disabled = !!check;
  return new Promise((resolve) => {
    const done = (v) => {
      d.removeEventListener('close', onClose);
      $('confirm-yes').onclick = null;
      $('confirm-no').onclick = null;
      if (d.open) d.close();
      resolve(v);
    };
    const onClose = () => done(false);
    d.addEventListener('close', onClose);
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    d.showModal();
    $('confirm-no').focus();
  });
}

async function deletePhotos() {
  if (!(await confirmDialog({ title: t('deleteConfirmTitle'), text: t('deleteConfirmText'), yes: t('deleteYes') }))) return;
  try {
    const r = await call('DELETE', '/me/photos');
    $('delete-status').textContent = t('deleted') + ' ' + r.deleted_photos;
    document.dispatchEvent(new Event('idphoto:request'));
    state.photoID = null;
    $('photo-figure').hidden = true;
    updateMake();
  } catch (e) {
    showError(e);
  }
}

// deleteEverything deletes all the user's data but the account (R3); orders being
// printed and posted keep theirs until shipped, and the answer says how many.
async function deleteEverything() {
  const check = t('everythingCheck');
  if (!(await confirmDialog({ title: t('everythingConfirmTitle'), text: t('everythingConfirmText'), yes: t('everythingYes'), check }))) return;
  try {
    const r = await call('DELETE', '/me/data', null, { noRetry: true });
    const done = t('everythingDone').replace('{n}', r.deleted_photos);
    const kept = r.kept_orders.length ? ' ' + t('everythingKept').replace('{n}', r.kept_orders.length) : '';
    $('everything-status').textContent = done + kept;
    $('delete-status').replaceChildren();
    $('export-status').replaceChildren();
    Object.assign(state, { photoID: null, job: null, jobDone: false, report: null, orderID: null });
    $('photo-figure').hidden = true;
    document.dispatchEvent(new Event('idphoto:request'));
    $('everything-status').focus();
    updateMake();
  } catch (e) {
    showError(e);
  }
}

async function cancelAccount() {
  if (!(await confirmDialog({ title: t('cancelConfirmTitle'), text: t('cancelConfirmText'), yes: t('cancelYes'), check: t('cancelCheck') }))) return;
  try {
    await call('POST', '/me/cancel', null, { noRetry: true });
    localStorage.removeItem(TOKEN_KEY);
    Object.assign(state, { photoID: null, job: null, jobDone: false, report: null, orderID: null });
    $('photo-figure').hidden = true;
    say($('cancel-status'), 'cancelled');
    $('export-status').replaceChildren();
    $('delete-status').replaceChildren();
    $('consents').replaceChildren(el('p', { class: 'hint', text: t('noAccount') }));
    document.dispatchEvent(new Event('idphoto:request'));
    $('cancel-status').focus();
    updateMake();
  } catch (e) {
    showError(e);
  }
}

// ---- Start -------------------------------------------------------------------------

async function start() {
  $('lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem(LANG_KEY, lang);
    applyLang();
  });
  $('photo-camera').addEventListener('change', pickPhoto);
  $('photo-file').addEventListener('change', pickPhoto);
  $('spec-search').addEventListener('input', renderSpecs);
  $('make').addEventListener('click', makePhoto);
  $('again').addEventListener('click', again);
  $('export').addEventListener('click', exportData);
  $('delete-photos').addEventListener('click', deletePhotos);
  $('delete-everything').addEventListener('click', deleteEverything);
  $('cancel').addEventListener('click', cancelAccount);
  $('consent-accept').addEventListener('click', acceptConsent);
  $('consent-later').addEventListener('click', () => {
    $('consent-dialog').close();
    showError(t('needConsent'));
  });
  $('confirm-check').addEventListener('change', (e) => { $('confirm-yes').disabled = !e.target.checked; });
  window.addEventListener('hashchange', route);
  applyLang();
  route();
  try {
    const loginError = await channelLogin;
    if (loginError) showError(loginError);
    await Promise.all([loadSpecs(), loadPolicies()]);
    await checkConsent();
  } catch (e) {
    showError(e);
  }
  document.body.dataset.ready = 'true';
}

start();
