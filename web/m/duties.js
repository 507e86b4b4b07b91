// Field duties in the field app: an inspection of a business or place on
// its checklist (a result per item, a photo for a failed item) and a leave
// request. Writes go through the outbox like a report (queue kinds
// 'inspection' and 'leave', each with its Idempotency-Key made when the
// action is made). app.js calls dutyViews and dutyButtons; nothing else.
import { h, clear } from '../src/dom.js';
import { t, addStrings } from './i18n.js';

addStrings({
  inspect: '检查',
  inspect_title: '场所检查',
  inspect_place: '检查对象',
  inspect_none: '本网格没有登记的门店或场所',
  inspect_template: '检查表',
  inspect_no_template: '该类型没有检查表，请联系中心',
  inspect_ok: '合格',
  inspect_fail: '不合格',
  inspect_note: '问题说明',
  inspect_need_all: '请为每一项选择合格或不合格',
  inspect_need_photo: '不合格项需要拍照',
  inspect_version: '第{v}版',
  kind_inspection: '检查',
  kind_leave: '请假',
  leave: '请假',
  leave_title: '请假 / 休息日',
  leave_kind_leave: '请假',
  leave_kind_rest: '休息日',
  leave_from: '开始日期',
  leave_to: '结束日期',
  leave_reason: '事由',
  leave_need_dates: '请选择日期',
}, {
  inspect: 'Inspect',
  inspect_title: 'Inspection',
  inspect_place: 'Business or place',
  inspect_none: 'No business or place registered in your grids',
  inspect_template: 'Checklist',
  inspect_no_template: 'No checklist for this type; ask the center',
  inspect_ok: 'OK',
  inspect_fail: 'Fails',
  inspect_note: 'What is wrong',
  inspect_need_all: 'Mark every item OK or failed',
  inspect_need_photo: 'A failed item needs a photo',
  inspect_version: 'version {v}',
  kind_inspection: 'Inspection',
  kind_leave: 'Leave',
  leave: 'Leave',
  leave_title: 'Leave / rest day',
  leave_kind_leave: 'Leave',
  leave_kind_rest: 'Rest day',
  leave_from: 'From',
  leave_to: 'To',
  leave_reason: 'Reason',
  leave_need_dates: 'Choose the dates',
});

// today is the civil date in Asia/Shanghai (YYYY-MM-DD).
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

// setupDuties registers the queue handlers and returns the views and the
// home buttons; ctx carries the app's shell (call, get, enqueue, go,
// header, toast, shrink, upload, Q, hooks).
export function setupDuties(ctx) {
  const { call, get, enqueue, go, header, toast, shrink, upload, Q, hooks } = ctx;

  Q.handle('inspection', async (a, save) => {
    const results = [];
    for (const r of a.results) {
      const photos = [];
      for (const p of r.photos) photos.push(await upload(p, a, save));
      results.push({ item: r.item, ok: r.ok, note: r.note, photos });
    }
    const res = await call('POST', '/api/v1/inspections', { ...a.body, results }, { 'Idempotency-Key': a.key });
    hooks.sent.push({ kind: 'inspection', key: a.key, id: res.data.id, status: res.status, cases: res.data.cases });
  });
  Q.handle('leave', async (a) => {
    const res = await call('POST', '/api/v1/leave', a.body, { 'Idempotency-Key': a.key });
    hooks.sent.push({ kind: 'leave', key: a.key, id: res.data.id, status: res.status });
  });

  const page = (title, cls) => {
    const main = h('main', { class: 'page ' + cls });
    clear(document.getElementById('app')).append(header(title, true), main, h('div', { id: 'toast', class: 'toast', role: 'status', hidden: true }));
    return main;
  };

  async function renderInspect() {
    const main = page(t('inspect_title'), 'inspect');
    const st = { record: null, template: null, items: {} };
    hooks.inspect = st;
    const placeSel = h('select', { id: 'inspect-place', 'aria-label': t('inspect_place') });
    const list = h('div', { id: 'inspect-items' });
    const send = h('button', { class: 'primary huge', id: 'inspect-send', disabled: true }, t('send'));
    main.append(h('section', { class: 'card' }, h('h2', {}, t('inspect_place')), placeSel), list, send);
    let records = [];
    try {
      const [biz, places] = await Promise.all([get('/api/v1/registers/businesses?limit=200'), get('/api/v1/registers/places?limit=200')]);
      records = [...(places.features || []).map((f) => ({ ...f, kind: 'place' })), ...(biz.features || []).map((f) => ({ ...f, kind: 'business' }))];
    } catch (e) { toast(t('error', { msg: e.message })); }
    if (!records.length) { main.append(h('p', { class: 'muted', id: 'inspect-none' }, t('inspect_none'))); return; }
    clear(placeSel).append(h('option', { value: '' }, '—'),
      ...records.map((f, i) => h('option', { value: String(i) }, `${f.properties.name || f.properties.address} · ${f.properties.category}`)));
    placeSel.addEventListener('change', async () => {
      const f = records[Number(placeSel.value)];
      clear(list); send.disabled = true; st.items = {};
      if (!f) return;
      st.record = f.id;
      try {
        const r = await get(`/api/v1/inspection-templates?kind=${f.kind}&category=${encodeURIComponent(f.properties.category)}`);
        st.template = r.templates[0] || null;
      } catch (e) { toast(t('error', { msg: e.message })); return; }
      if (!st.template) { list.append(h('p', { class: 'muted', id: 'inspect-no-template' }, t('inspect_no_template'))); return; }
      const tp = st.template;
      list.append(h('h2', {}, `${tp.name} · ${t('inspect_version', { v: tp.version })}`));
      for (const it of tp.items) {
        const s = { ok: null, note: '', photos: [] };
        st.items[it.code] = s;
        const photo = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: `inspect-photo-${it.code}`, class: 'hidden-input' });
        const thumbs = h('div', { class: 'thumbs' });
        const note = h('input', { type: 'text', placeholder: t('inspect_note'), 'aria-label': t('inspect_note'), id: `inspect-note-${it.code}` });
        const failBox = h('div', { hidden: true }, note,
          h('label', { class: 'button secondary', for: `inspect-photo-${it.code}` }, t('photo_take')), photo, thumbs);
        photo.addEventListener('change', () => {
          s.photos = [...s.photos, ...photo.files];
          clear(thumbs).append(...s.photos.map((f2) => h('img', { src: URL.createObjectURL(f2), alt: t('photo') })));
          photo.value = '';
        });
        note.addEventListener('input', () => { s.note = note.value; });
        const okB = h('button', { type: 'button', class: 'chip', id: `inspect-ok-${it.code}` }, t('inspect_ok'));
        const failB = h('button', { type: 'button', class: 'chip', id: `inspect-fail-${it.code}` }, t('inspect_fail'));
        const mark = (v) => { s.ok = v; okB.className = v ? 'chip on' : 'chip'; failB.className = v === false ? 'chip on' : 'chip'; failBox.hidden = v !== false; };
        okB.addEventListener('click', () => mark(true));
        failB.addEventListener('click', () => mark(false));
        list.append(h('section', { class: 'card item', dataset: { item: it.code } }, h('p', {}, it.text), h('div', { class: 'chips' }, okB, failB), failBox));
      }
      send.disabled = false;
    });
    send.addEventListener('click', async () => {
      const entries = Object.entries(st.items);
      if (entries.some(([, s]) => s.ok === null)) return toast(t('inspect_need_all'));
      if (entries.some(([, s]) => s.ok === false && !s.photos.length)) return toast(t('inspect_need_photo'));
      send.disabled = true;
      const results = [];
      for (const [code, s] of entries) {
        const photos = [];
        for (const f of s.photos) photos.push({ key: Q.newKey(), blob: await shrink(f) });
        results.push({ item: code, ok: s.ok, note: s.note.trim(), photos });
      }
      await enqueue({ kind: 'inspection', key: Q.newKey(), results, photos: [],
        body: { record_id: st.record, template_id: st.template.id, date: today() } });
      toast(navigator.onLine ? t('sent') : t('queued'));
      go('home');
    });
  }

  function renderLeave() {
    const main = page(t('leave_title'), 'leave');
    const kind = h('select', { id: 'leave-kind', 'aria-label': t('leave_title') },
      h('option', { value: 'leave' }, t('leave_kind_leave')), h('option', { value: 'rest' }, t('leave_kind_rest')));
    const from = h('input', { type: 'date', id: 'leave-from', value: today() });
    const to = h('input', { type: 'date', id: 'leave-to', value: today() });
    const reason = h('textarea', { id: 'leave-reason', rows: 2, placeholder: t('leave_reason'), 'aria-label': t('leave_reason') });
    const send = h('button', { class: 'primary huge', id: 'leave-send' }, t('send'));
    send.addEventListener('click', async () => {
      if (!from.value || !to.value) return toast(t('leave_need_dates'));
      send.disabled = true;
      await enqueue({ kind: 'leave', key: Q.newKey(), photos: [], body: { kind: kind.value, from: from.value, to: to.value, reason: reason.value.trim() } });
      toast(navigator.onLine ? t('sent') : t('queued'));
      go('home');
    });
    main.append(h('section', { class: 'card' }, kind,
      h('label', {}, t('leave_from'), from), h('label', {}, t('leave_to'), to), reason), send);
  }

  return {
    views: { inspect: renderInspect, leave: renderLeave },
    buttons: () => h('div', { class: 'row2', id: 'duty-buttons' },
      h('button', { class: 'secondary', id: 'btn-inspect', onclick: () => go('inspect') }, t('inspect')),
      h('button', { class: 'secondary', id: 'btn-leave', onclick: () => go('leave') }, t('leave'))),
  };
}
