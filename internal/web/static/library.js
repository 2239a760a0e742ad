// idphoto's photo library (P8, P9): every photo the user uploaded, as a waterfall feed
// grouped by month, newest first, paged by the API's cursor (never an offset); select
// and delete; one photo's details; make an ID photo from any of them.
//
// Loaded after app.js, whose page-wide helpers it uses by name (classic scripts share
// one global scope): T, t, lang, $, el, call, API, TOKEN_KEY, state, say, show,
// showError, clearNotice, confirmDialog, updateMake, again. Everything here stays
// inside this function, so no name of it can clash with app.js's.
'use strict';

(() => {
  const WORDS = {
    en: {
      navLibrary: 'Library', libTitle: 'Library',
      libLead: 'Every photo you uploaded, newest first. Only you can see them.',
      libSelect: 'Select', libSelectCancel: 'Cancel', libSelected: '{n} selected', libDeleteSelected: 'Delete',
      libDelConfirmTitle: 'Delete {n} photos?', libDelConfirmTitle1: 'Delete this photo?',
      libDelConfirmText: 'The photos, and every ID photo made from them, are deleted now. This cannot be undone.',
      libDelConfirmText1: 'The photo, and every ID photo made from it, is deleted now. This cannot be undone.',
      libDelYes: 'Delete', libDeleted: '{n} photos deleted.', libDeleted1: 'Photo deleted.',
      libLoadMore: 'Load more photos', libLoading: 'Loading photos…', libRetry: 'Try again',
      libError: 'The photos could not be loaded.', libEnd: 'That is all: {n} photos.', libEnd1: 'That is all: 1 photo.',
      libEmpty: 'No photos yet. The photos you upload to make ID photos appear here.', libEmptyAction: 'Make an ID photo',
      libPhoto: 'Photo', libPeople: '{n} people', libPeople1: '1 person', libPeople0: 'No people',
      libDetails: 'Photo details', libTaken: 'Taken', libTakenUpload: 'Uploaded (no capture time in the photo)',
      libUploaded: 'Uploaded', libPlace: 'Place', libPlaceNote: 'rounded to about 10 km',
      libPeopleLabel: 'People', libCamera: 'Camera', libSize: 'Size', libFile: 'File',
      libMake: 'Make an ID photo from this', libDeleteOne: 'Delete this photo', libClose: 'Close',
      libFromLibrary: '✓ Photo from your library',
    },
    zh: {
      navLibrary: '相册', libTitle: '相册',
      libLead: '您上传过的所有照片，最新的在前，仅您本人可见。',
      libSelect: '选择', libSelectCancel: '取消', libSelected: '已选 {n} 张', libDeleteSelected: '删除',
      libDelConfirmTitle: '删除 {n} 张照片？', libDelConfirmTitle1: '删除这张照片？',
      libDelConfirmText: '这些照片及由其生成的证件照将立即删除，无法恢复。',
      libDelConfirmText1: '这张照片及由其生成的证件照将立即删除，无法恢复。',
      libDelYes: '删除', libDeleted: '已删除 {n} 张照片。', libDeleted1: '照片已删除。',
      libLoadMore: '加载更多照片', libLoading: '正在加载照片…', libRetry: '重试',
      libError: '照片加载失败。', libEnd: '没有更多了，共 {n} 张照片。', libEnd1: '没有更多了，共 1 张照片。',
      libEmpty: '还没有照片。您为制作证件照上传的照片会显示在这里。', libEmptyAction: '制作证件照',
      libPhoto: '照片', libPeople: '{n} 人', libPeople1: '1 人', libPeople0: '无人物',
      libDetails: '照片详情', libTaken: '拍摄时间', libTakenUpload: '上传时间（照片中没有拍摄时间）',
      libUploaded: '上传时间', libPlace: '地点', libPlaceNote: '精确到约 10 公里',
      libPeopleLabel: '人数', libCamera: '相机', libSize: '尺寸', libFile: '文件',
      libMake: '用这张照片做证件照', libDeleteOne: '删除这张照片', libClose: '关闭',
      libFromLibrary: '✓ 已选用相册中的照片',
    },
  };
  Object.assign(T.en, WORDS.en);
  Object.assign(T.zh, WORDS.zh);

  // Page size: the API's default, or ?limit=N (tests use small pages).
  const PAGE = (() => {
    const n = Number(new URLSearchParams(location.search).get('limit'));
    return Number.isInteger(n) && n >= 1 && n <= 100 ? n : 30;
  })();
  const GAP = 10; // px between columns and between tiles
  const META_PAD = 6; // px above a tile's caption
  const META_LINE = 18; // px per caption line; style.css uses the same
  const THUMBS_AT_ONCE = 4;

  const lib = {
    gen: 0, // bumped by every reset: answers for an older feed are dropped
    recs: new Map(), // id → {item, li, box, img, group, url, big}
    groups: new Map(), // month → {section, title, list, ids[]}
    next: null, done: false, loading: false, error: false,
    selecting: false, selected: new Set(),
    cols: 0, width: 0, current: null,
  };
  const queue = [];
  let active = 0;

  const fmt = (key, n) => t(key).replace('{n}', n);
  const locale = () => (lang === 'zh' ? 'zh-CN' : 'en-GB');

  // ---- Words for one photo ---------------------------------------------------------

  // when is the photo's time: a camera's wall clock is shown as written (in no zone);
  // an upload time in the viewer's zone.
  function when(it) {
    const m = it.time_source === 'exif' && /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(it.taken_at);
    if (m) return { date: new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5])), timeZone: 'UTC' };
    return { date: new Date(it.taken_at), timeZone: undefined };
  }

  function shortTime(it) {
    const w = when(it);
    return w.date.toLocaleString(locale(), { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: w.timeZone });
  }

  function longTime(it) {
    const w = when(it);
    return w.date.toLocaleString(locale(), { dateStyle: 'long', timeStyle: 'short', timeZone: w.timeZone });
  }

  function monthTitle(month) {
    const [y, m] = month.split('-').map(Number);
    if (lang === 'zh') return `${y}年${m}月`;
    return new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  }

  // The place as the API gives it: coordinates rounded to 0.1°, about a city.
  function placeText(p) {
    if (!p) return '';
    const deg = (v, pos, neg) => Math.abs(v).toFixed(1) + '°' + (v >= 0 ? pos : neg);
    return deg(p.lat, 'N', 'S') + ' ' + deg(p.lon, 'E', 'W');
  }

  function peopleText(n) {
    if (n == null) return '';
    return n === 0 ? t('libPeople0') : n === 1 ? t('libPeople1') : fmt('libPeople', n);
  }

  function label(it) {
    return [t('libPhoto') + ': ' + longTime(it), placeText(it.place), peopleText(it.people)].filter(Boolean).join(', ');
  }

  // ---- Tiles and the waterfall -------------------------------------------------------

  // Boxes keep the photo's aspect, within limits so that a panorama is not a sliver.
  const boxAspect = (it) => Math.min(2.5, Math.max(0.4, it.aspect || 1));
  const metaLines = (it) => (it.place ? 2 : 1);

  // personIcon is the people count's mark (drawn, so it needs no emoji font).
  function personIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('aria-hidden', 'true');
    const head = document.createElementNS(ns, 'circle');
    head.setAttribute('cx', '8');
    head.setAttribute('cy', '4.5');
    head.setAttribute('r', '3');
    const body = document.createElementNS(ns, 'path');
    body.setAttribute('d', 'M2 15c0-3.6 2.7-6 6-6s6 2.4 6 6z');
    svg.append(head, body);
    return svg;
  }

  function makeTile(it) {
    const img = el('img', { alt: '', decoding: 'async' });
    img.addEventListener('load', () => li.classList.add('loaded'));
    const box = el('span', { class: 'tile-img' }, img);
    box.style.backgroundColor = /^#[0-9a-f]{6}$/i.test(it.placeholder_colour) ? it.placeholder_colour : '#c8ccd2';
    const open = el('button', { type: 'button', class: 'tile-open' }, box);
    open.addEventListener('click', () => {
      if (lib.selecting) toggle(it.id, !check.checked);
      else openDetails(it.id);
    });
    const check = el('input', { type: 'checkbox', class: 'tile-check', tabindex: lib.selecting ? null : '-1' });
    check.addEventListener('change', () => toggle(it.id, check.checked));
    // The caption repeats what the button's label says, for the eye only.
    const meta = el('p', { class: 'tile-meta', 'aria-hidden': 'true' },
      el('span', { class: 'tile-line' }, el('span', { class: 'tile-time' }), el('span', { class: 'tile-people' }, personIcon(), el('span'))),
      el('span', { class: 'tile-place' }));
    const li = el('li', { class: 'tile', 'data-id': it.id, 'data-aspect': String(it.aspect) }, open, check, meta);
    if (lib.selecting) open.tabIndex = -1;
    return { item: it, li, box, img, open, check, meta, url: null, big: null,
      time: meta.querySelector('.tile-time'), people: meta.querySelector('.tile-people'), place: meta.querySelector('.tile-place') };
  }

  function tileWords(rec) {
    const it = rec.item;
    rec.open.setAttribute('aria-label', label(it));
    rec.check.setAttribute('aria-label', label(it));
    rec.time.textContent = shortTime(it);
    rec.people.hidden = it.people == null;
    rec.people.title = peopleText(it.people);
    rec.people.lastChild.textContent = it.people == null ? '' : String(it.people);
    rec.place.textContent = placeText(it.place);
    rec.place.hidden = !it.place;
  }

  function group(month) {
    let g = lib.groups.get(month);
    if (g) return g;
    const id = 'month-' + month;
    const title = el('h2', { class: 'month-title', id, text: monthTitle(month) });
    const list = el('ul', { class: 'grid', 'aria-labelledby': id });
    const section = el('section', { class: 'month', 'data-month': month }, title, list);
    $('lib-feed').append(section);
    g = { month, section, title, list, ids: [] };
    lib.groups.set(month, g);
    return g;
  }

  function columns(width) {
    const min = width < 600 ? 150 : 200;
    return Math.max(2, Math.min(6, Math.floor((width + GAP) / (min + GAP))));
  }

  // layout places each month's tiles, in feed order, into the shortest column. Every
  // height is known from the aspect before an image arrives, so nothing moves when
  // one does; and placing the same tiles again gives the same places, so a new page
  // only adds below.
  function layout() {
    const width = $('lib-feed').clientWidth;
    if (!width) return; // hidden: laid out when shown (the resize observer)
    lib.width = width;
    lib.cols = columns(width);
    const colW = (width - GAP * (lib.cols - 1)) / lib.cols;
    for (const g of lib.groups.values()) {
      const heights = new Array(lib.cols).fill(0);
      for (const id of g.ids) {
        const rec = lib.recs.get(id);
        let c = 0;
        for (let i = 1; i < heights.length; i++) if (heights[i] < heights[c] - 0.5) c = i;
        const imgH = Math.round(colW / boxAspect(rec.item));
        const metaH = META_PAD + META_LINE * metaLines(rec.item);
        rec.li.style.width = colW + 'px';
        rec.li.style.transform = `translate(${c * (colW + GAP)}px, ${heights[c]}px)`;
        rec.box.style.height = imgH + 'px';
        rec.meta.style.height = metaH + 'px';
        heights[c] += imgH + metaH + GAP;
      }
      g.list.style.height = Math.max(0, ...heights) - GAP + 'px';
    }
  }

  function addItems(items) {
    const touched = new Set();
    for (const it of items) {
      if (lib.recs.has(it.id)) continue; // a cursor never repeats one; be sure anyway
      const rec = makeTile(it);
      const g = group(it.month || 'unknown');
      rec.group = g;
      g.ids.push(it.id);
      g.list.append(rec.li);
      lib.recs.set(it.id, rec);
      tileWords(rec);
      touched.add(g);
    }
    layout();
    for (const g of touched) for (const id of g.ids) {
      const rec = lib.recs.get(id);
      if (!rec.url && !rec.watched) {
        rec.watched = true;
        thumbSeen.observe(rec.li);
      }
    }
  }

  // ---- Thumbnails --------------------------------------------------------------------

  // A thumbnail is fetched when its tile comes near the screen, a few at a time, with
  // the session token (an <img src> cannot send it), and shown as a blob: URL.
  const thumbSeen = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      thumbSeen.unobserve(e.target);
      queue.push(e.target.dataset.id);
    }
    pump();
  }, { rootMargin: '400px 0px' });

  function thumbPath(it, want) {
    const links = (it.thumbnails || []).map((l) => ({ w: Number(new URL(l.url, location.origin).searchParams.get('w')), url: l.url }))
      .sort((a, b) => a.w - b.w);
    const pick = links.find((l) => l.w >= want) || links[links.length - 1];
    if (!pick) return null;
    return pick.url.startsWith(API) ? pick.url.slice(API.length) : pick.url;
  }

  function pump() {
    while (active < THUMBS_AT_ONCE && queue.length) {
      const rec = lib.recs.get(queue.shift());
      if (!rec || rec.url) continue;
      const colW = lib.width ? (lib.width - GAP * (lib.cols - 1)) / lib.cols : 240;
      const path = thumbPath(rec.item, colW * (window.devicePixelRatio || 1));
      if (!path) continue;
      active++;
      const gen = lib.gen;
      call('GET', path, null, { raw: true })
        .then((res) => res.blob())
        .then((b) => {
          if (gen !== lib.gen || lib.recs.get(rec.item.id) !== rec) return;
          rec.url = URL.createObjectURL(b);
          rec.img.src = rec.url;
        })
        .catch(() => { rec.li.classList.add('thumb-failed'); }) // the placeholder colour stays
        .finally(() => { active--; pump(); });
    }
  }

  // ---- Paging ------------------------------------------------------------------------

  // The sentinel under the feed loads the next page as it nears the screen; the
  // "load more" button does the same for whoever gets there first, or has no observer.
  const nearEnd = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadPage();
  }, { rootMargin: '0px 0px 600px 0px' });

  function rearm() {
    nearEnd.unobserve($('lib-sentinel'));
    // Observing again reports at once whether it is in view: a short page loads the next.
    if (!lib.done && !lib.error && !$('view-library').hidden) nearEnd.observe($('lib-sentinel'));
  }

  async function loadPage() {
    if (lib.loading || lib.done || $('view-library').hidden) return;
    if (!localStorage.getItem(TOKEN_KEY)) { // no account: nothing to show, and none made
      lib.done = true;
      renderStatus();
      return;
    }
    const gen = lib.gen;
    lib.loading = true;
    lib.error = false;
    renderStatus();
    try {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (lib.next) q.set('cursor', lib.next);
      const page = await call('GET', '/photos?' + q);
      if (gen !== lib.gen) return;
      lib.next = page.next_cursor || null;
      lib.done = !lib.next;
      addItems(page.items || []);
    } catch (e) {
      if (gen !== lib.gen) return;
      lib.error = true;
      if (e && e.status !== 0) showError(e);
    } finally {
      if (gen === lib.gen) {
        lib.loading = false;
        renderStatus();
        rearm();
      }
    }
  }

  function renderStatus() {
    const n = lib.recs.size;
    const st = $('lib-status');
    st.textContent = lib.loading ? t('libLoading') : lib.error ? t('libError')
      : lib.done && n ? (n === 1 ? t('libEnd1') : fmt('libEnd', n)) : '';
    $('lib-feed').setAttribute('aria-busy', String(lib.loading));
    const more = $('lib-more');
    more.hidden = lib.loading || lib.done;
    more.textContent = t(lib.error ? 'libRetry' : 'libLoadMore');
    $('lib-empty').hidden = !(lib.done && !lib.loading && !lib.error && n === 0);
    $('lib-select').hidden = n === 0;
    if (n === 0 && lib.selecting) select(false);
  }

  function reset() {
    lib.gen++;
    for (const rec of lib.recs.values()) forget(rec);
    lib.recs.clear();
    lib.groups.clear();
    thumbSeen.disconnect();
    queue.length = 0;
    $('lib-feed').replaceChildren();
    Object.assign(lib, { next: null, done: false, loading: false, error: false });
    lib.selected.clear();
    select(false);
    say($('lib-note'), null);
  }

  function forget(rec) {
    if (rec.url) URL.revokeObjectURL(rec.url);
    thumbSeen.unobserve(rec.li);
  }

  // Opening the library always reads it afresh: photos come and go from the ID-photo
  // flow and the privacy centre.
  function openLibrary() {
    reset();
    renderStatus();
    loadPage();
  }

  // ---- Selecting and deleting --------------------------------------------------------

  function select(on) {
    lib.selecting = on;
    $('view-library').classList.toggle('selecting', on);
    const b = $('lib-select');
    b.setAttribute('aria-pressed', String(on));
    b.dataset.i18n = on ? 'libSelectCancel' : 'libSelect';
    b.textContent = t(b.dataset.i18n);
    $('lib-bar').hidden = !on;
    for (const rec of lib.recs.values()) {
      rec.open.tabIndex = on ? -1 : 0;
      rec.check.tabIndex = on ? 0 : -1;
      if (!on) rec.check.checked = false;
      rec.li.classList.toggle('picked', on && rec.check.checked);
    }
    if (!on) lib.selected.clear();
    renderCount();
  }

  function toggle(id, on) {
    const rec = lib.recs.get(id);
    if (!rec) return;
    rec.check.checked = on;
    rec.li.classList.toggle('picked', on);
    if (on) lib.selected.add(id);
    else lib.selected.delete(id);
    renderCount();
  }

  function renderCount() {
    $('lib-count').textContent = fmt('libSelected', lib.selected.size);
    $('lib-delete').disabled = lib.selected.size === 0;
  }

  function removeItems(ids) {
    for (const id of ids) {
      const rec = lib.recs.get(id);
      if (!rec) continue;
      forget(rec);
      rec.li.remove();
      lib.recs.delete(id);
      lib.selected.delete(id);
      const g = rec.group;
      g.ids = g.ids.filter((x) => x !== id);
      if (!g.ids.length) {
        g.section.remove();
        lib.groups.delete(g.month);
      }
      if (state.photoID === id) { // the ID-photo flow held this photo
        state.photoID = null;
        $('photo-figure').hidden = true;
        updateMake();
      }
    }
    layout();
    renderCount();
    renderStatus();
  }

  async function deleteSelected() {
    const ids = [...lib.selected];
    if (!ids.length) return;
    const one = ids.length === 1;
    const ok = await confirmDialog({
      title: one ? t('libDelConfirmTitle1') : fmt('libDelConfirmTitle', ids.length),
      text: t(one ? 'libDelConfirmText1' : 'libDelConfirmText'), yes: t('libDelYes'),
    });
    if (!ok) return;
    $('lib-delete').disabled = true;
    try {
      const gone = [];
      for (let i = 0; i < ids.length; i += 100) { // the API takes 100 at a time
        const r = await call('POST', '/photos:delete', { ids: ids.slice(i, i + 100) });
        gone.push(...r.deleted, ...r.not_found); // not found: already gone
      }
      removeItems(gone);
      select(false);
      $('lib-note').textContent = gone.length === 1 ? t('libDeleted1') : fmt('libDeleted', gone.length);
      $('lib-select').focus();
    } catch (e) {
      showError(e);
      renderCount();
    }
  }

  // ---- One photo ---------------------------------------------------------------------

  async function openDetails(id) {
    const rec = lib.recs.get(id);
    if (!rec) return;
    lib.current = id;
    const d = $('photo-dialog');
    const box = $('photo-big-box');
    const img = $('photo-big');
    box.classList.remove('loaded');
    img.removeAttribute('src');
    box.style.backgroundColor = rec.box.style.backgroundColor;
    box.style.setProperty('--aspect', String(boxAspect(rec.item)));
    renderDetails(rec.item);
    d.showModal();
    const gen = lib.gen;
    try {
      const [details, blob] = await Promise.all([
        call('GET', '/photos/' + encodeURIComponent(id)),
        rec.big ? Promise.resolve(rec.big) : call('GET', thumbPath(rec.item, 480), null, { raw: true }).then((r) => r.blob()),
      ]);
      if (gen !== lib.gen || lib.current !== id || !d.open) return;
      rec.big = blob;
      rec.details = details;
      renderDetails(details);
      img.src = URL.createObjectURL(blob);
    } catch (e) {
      if (lib.current === id) showError(e, $('photo-error'));
    }
  }

  function renderDetails(it) {
    const rows = [];
    const row = (k, v, note) => {
      if (!v) return;
      rows.push(el('dt', { text: t(k) }), el('dd', null, v, note ? el('span', { class: 'hint', text: ' (' + note + ')' }) : null));
    };
    row(it.time_source === 'exif' ? 'libTaken' : 'libTakenUpload', longTime(it));
    if (it.time_source === 'exif' && it.uploaded_at) row('libUploaded', longTime({ taken_at: it.uploaded_at }));
    row('libPlace', placeText(it.place), it.place ? t('libPlaceNote') : '');
    row('libPeopleLabel', peopleText(it.people));
    row('libCamera', it.camera);
    row('libSize', it.width && it.height ? `${it.width} × ${it.height} px` : '');
    if (it.format) row('libFile', it.format.toUpperCase() + (it.bytes ? ' · ' + size(it.bytes) : ''));
    $('photo-meta').replaceChildren(...rows);
    $('photo-error').hidden = true;
    $('photo-big').alt = label(it);
  }

  function size(b) {
    return b >= 1 << 20 ? (b / (1 << 20)).toFixed(1) + ' MB' : Math.max(1, Math.round(b / 1024)) + ' KB';
  }

  function closeDetails() {
    const d = $('photo-dialog');
    if (d.open) d.close();
  }

  function detailsClosed() {
    const img = $('photo-big');
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    img.removeAttribute('src');
    const rec = lib.recs.get(lib.current);
    lib.current = null;
    if (rec && !$('view-library').hidden) rec.open.focus();
  }

  async function deleteCurrent() {
    const id = lib.current;
    if (!id) return;
    const ok = await confirmDialog({ title: t('libDelConfirmTitle1'), text: t('libDelConfirmText1'), yes: t('libDelYes') });
    if (!ok) return;
    try {
      await call('DELETE', '/photos/' + encodeURIComponent(id));
    } catch (e) {
      if (!(e && e.status === 404)) { // 404: already gone, which is what was asked
        showError(e, $('photo-error'));
        return;
      }
    }
    lib.current = null;
    closeDetails();
    removeItems([id]);
    $('lib-note').textContent = t('libDeleted1');
    if ($('lib-select').hidden) $('main').focus();
    else $('lib-select').focus();
  }

  // makeFrom enters the ID-photo flow with this photo as the chosen one, at the
  // document step: the flow holds the photo as state.photoID, as after an upload.
  function makeFrom() {
    const rec = lib.recs.get(lib.current);
    if (!rec) return;
    const blob = rec.big;
    closeDetails();
    if (state.job) again(); // a finished (or abandoned) job's result gives way
    state.photoID = rec.item.id;
    const img = $('photo-thumb');
    if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
    if (blob) img.src = URL.createObjectURL(blob);
    else img.removeAttribute('src');
    $('photo-figure').hidden = false;
    say($('photo-status'), 'libFromLibrary');
    updateMake();
    location.hash = '#/';
    show('make');
    clearNotice();
    // The document step has the focus; the chosen photo stays in sight above it.
    const step = $('step-spec');
    step.tabIndex = -1;
    step.focus({ preventScroll: true });
    $('photo-figure').scrollIntoView({ block: 'start' });
  }

  // ---- Words, routes, start ----------------------------------------------------------

  function relabel() {
    for (const root of [$('nav-library'), $('view-library'), $('photo-dialog')]) {
      for (const e of [root, ...root.querySelectorAll('[data-i18n]')]) if (e.dataset.i18n) e.textContent = t(e.dataset.i18n);
    }
    for (const g of lib.groups.values()) g.title.textContent = monthTitle(g.month);
    for (const rec of lib.recs.values()) tileWords(rec);
    layout();
    renderStatus();
    renderCount();
    if (lib.current) {
      const rec = lib.recs.get(lib.current);
      if (rec) renderDetails(rec.details || rec.item);
    }
  }

  function routed() {
    if (location.hash === '#/library') {
      openLibrary();
    } else {
      closeDetails();
      if (lib.selecting) select(false);
      nearEnd.unobserve($('lib-sentinel'));
    }
  }

  $('lib-more').addEventListener('click', () => {
    lib.error = false;
    loadPage();
  });
  $('lib-select').addEventListener('click', () => select(!lib.selecting));
  $('lib-cancel-select').addEventListener('click', () => select(false));
  $('lib-delete').addEventListener('click', deleteSelected);
  $('photo-make').addEventListener('click', makeFrom);
  $('photo-delete').addEventListener('click', deleteCurrent);
  $('photo-close').addEventListener('click', closeDetails);
  $('photo-dialog').addEventListener('close', detailsClosed);
  $('photo-big').addEventListener('load', () => $('photo-big-box').classList.add('loaded'));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && lib.selecting && !document.querySelector('dialog[open]')) select(false);
  });
  // After app.js's own handlers: the language has changed, the view been shown.
  $('lang').addEventListener('click', relabel);
  window.addEventListener('hashchange', routed);
  new ResizeObserver(() => {
    const w = $('lib-feed').clientWidth;
    if (w && w !== lib.width) layout();
  }).observe($('lib-feed'));

  relabel();
  if (location.hash === '#/library') openLibrary();
})();
