// Visits (走访) in the field app: the targets due, overdue first (GET
// /api/v1/visits/due), and recording a visit where it happens — the
// phone's position, photos, notes — through the outbox (kind 'visit', its
// Idempotency-Key made when the visit is recorded).
import { h, clear } from '../src/dom.js';
import { t, extend, fmtTime } from './i18n.js';

extend({
  visits: '走访',
  visits_due: '待走访',
  visits_overdue: '{n} 户已逾期',
  visits_none: '没有待走访的对象',
  visits_open: '走访 ({n})',
  visit_record: '记录走访',
  visit_last: '上次走访 {d}',
  visit_never: '尚未走访',
  visit_here: '距走访对象 {m} 米',
  visit_notes: '走访情况',
  visit_send: '提交走访',
  visit_need_location: '正在定位，请稍候',
  kind_visit: '走访',
}, {
  visits: 'Visits',
  visits_due: 'Visits due',
  visits_overdue: '{n} overdue',
  visits_none: 'Nothing due',
  visits_open: 'Visits ({n})',
  visit_record: 'Record a visit',
  visit_last: 'Last visit {d}',
  visit_never: 'Not visited yet',
  visit_here: '{m} m from the target',
  visit_notes: 'What you found',
  visit_send: 'Save the visit',
  visit_need_location: 'Locating, wait a moment',
  kind_visit: 'Visit',
});

// ctx is what the app shares: { S, Q, hooks, call, get, go, enqueue, header, toast, showError, icon, shrink, upload, dist }.
let ctx = null;

export function init(c) {
  ctx = c;
  c.Q.handle('visit', async (a, save) => {
    const ids = [];
    for (const p of a.photos) ids.push(await c.upload(p, a, save));
    const r = await c.call('POST', '/api/v1/visits', { ...a.body, photo_ids: ids }, { 'Idempotency-Key': a.key });
    c.hooks.sent.push({ kind: 'visit', key: a.key, id: r.data.id, status: r.status, on_site: r.data.on_site, check: r.data.check });
    // A visit recorded away from its target is kept but does not count: say so.
    if (!r.data.on_site) c.toast(r.data.check);
    refreshDue();
  });
}

export const views = { visits: renderDue, visit: renderVisit };

export async function refreshDue() {
  const { S } = ctx;
  if (!S.token || !navigator.onLine) return;
  try {
    S.due = await ctx.get('/api/v1/visits/due');
    ctx.hooks.due = S.due;
    if (S.view === 'visits') renderDue();
    homeCard();
  } catch (e) { /* the last list serves */ }
}

// homeCard fills the home page's #duty-visits slot.
export function homeCard() {
  const el = document.getElementById('duty-visits');
  if (!el) return;
  const d = ctx.S.due;
  const n = d ? d.items.length : 0;
  clear(el).append(h('button', { class: 'card queue', id: 'btn-visits', onclick: () => { ctx.go('visits'); refreshDue(); } },
    h('span', {}, t('visits_open', { n })),
    h('span', { class: d && d.overdue ? 'warn' : 'muted' }, d && d.overdue ? t('visits_overdue', { n: d.overdue }) : d ? '' : t('loading'))));
}

function renderDue() {
  const { S } = ctx;
  const main = h('main', { class: 'page', id: 'visits-page' });
  clear(document.getElementById('app')).append(ctx.header(t('visits_due'), true), main,
    h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const d = S.due;
  if (!d) { main.append(h('p', { class: 'muted' }, t('loading'))); return; }
  if (!d.items.length) { main.append(h('p', { class: 'muted', id: 'visits-none' }, t('visits_none'))); return; }
  main.append(h('ul', { class: 'list card', id: 'visits-list' }, d.items.map((it) => h('li', {},
    h('button', { class: 'row', dataset: { kind: it.target.kind, id: String(it.target.id), overdue: String(it.overdue) }, onclick: () => ctx.go('visit', it) },
      h('span', { class: 'title' }, it.kind_name, ' · ', it.target.name || it.target.address),
      h('span', { class: 'sub' }, it.target.address),
      h('span', { class: it.overdue ? 'warn' : 'muted' }, it.state_text, ' · ', it.schedule.text),
      h('span', { class: 'muted' }, it.last_visit ? t('visit_last', { d: it.last_visit }) : t('visit_never')))))));
}

function renderVisit() {
  const { S } = ctx;
  const it = S.arg;
  const st = { photos: [], pos: null, acc: null };
  ctx.hooks.visit = st;
  const main = h('main', { class: 'page', id: 'visit-page' });
  clear(document.getElementById('app')).append(ctx.header(t('visit_record'), true), main,
    h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const photo = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'visit-photo', class: 'hidden-input' });
  const thumbs = h('div', { class: 'thumbs', id: 'visit-preview' });
  photo.addEventListener('change', () => {
    st.photos = [...st.photos, ...photo.files];
    clear(thumbs).append(...st.photos.map((f) => h('img', { src: URL.createObjectURL(f), alt: t('photo') })));
    photo.value = '';
  });
  const where = h('p', { id: 'visit-where', class: 'muted' }, t('locating'));
  const notes = h('textarea', { id: 'visit-notes', rows: 3, placeholder: t('visit_notes'), 'aria-label': t('visit_notes') });
  const send = h('button', { class: 'primary huge', id: 'visit-send' }, t('visit_send'));
  main.append(
    h('section', { class: 'card' }, h('h2', {}, it.kind_name, ' · ', it.target.name || it.target.address), h('p', { class: 'sub' }, it.target.address),
      h('p', { class: it.overdue ? 'warn' : 'muted' }, it.state_text), where),
    h('label', { class: 'button secondary', for: 'visit-photo', id: 'visit-photo-label' }, ctx.icon('camera'), t('photo_take')), photo, thumbs,
    notes, send);
  const watch = navigator.geolocation.watchPosition((pos) => {
    st.pos = [pos.coords.longitude, pos.coords.latitude];
    st.acc = pos.coords.accuracy;
    where.textContent = t('accuracy', { m: Math.round(st.acc) }) + (it.location ? ' · ' + t('visit_here', { m: Math.round(ctx.dist(st.pos, [it.location.lon, it.location.lat])) }) : '');
  }, (err) => { where.textContent = err.message; }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  const leave = () => navigator.geolocation.clearWatch(watch);
  document.getElementById('back')?.addEventListener('click', leave);
  send.addEventListener('click', async () => {
    if (!st.pos) return ctx.toast(t('visit_need_location'));
    send.disabled = true;
    send.textContent = t('sending');
    leave();
    const photos = [];
    for (const f of st.photos) photos.push({ key: ctx.Q.newKey(), blob: await ctx.shrink(f) });
    const body = { target: { kind: it.target.kind, id: it.target.id }, visited_at: new Date().toISOString(),
      location: { lon: Math.round(st.pos[0] * 1e7) / 1e7, lat: Math.round(st.pos[1] * 1e7) / 1e7 }, notes: notes.value.trim() };
    await ctx.enqueue({ kind: 'visit', key: ctx.Q.newKey(), photos, body, label: `${it.target.name || it.target.address} · ${fmtTime(body.visited_at)}` });
    ctx.toast(navigator.onLine ? t('sent') : t('queued'));
    ctx.go('visits');
  });
}
