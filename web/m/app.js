// gridd field app (/m/): the grid worker's phone. Home is today (patrol
// against the rules, uncovered cells, checkpoints, tasks, the outbox); a
// report is three taps away; every write goes through the offline queue
// (queue.js) with its Idempotency-Key made when the action is made.
import { h, clear } from '../src/dom.js';
import { t, getLang, setLang, fmtTime } from './i18n.js';
import * as Q from './queue.js';
import { MiniMap, segDist, dist } from './map.js';
import * as visits from './visits.js';
import * as worklog from './worklog.js';
import * as training from './training.js';
import { setupDuties } from './duties.js';
import './style.css';

const LS = {
  token: 'gridd.m.token', me: 'gridd.m.me', today: 'gridd.m.today', month: 'gridd.m.month', inbox: 'gridd.m.inbox', cats: 'gridd.m.categories',
};
const cfgNum = (k, d) => Number(localStorage.getItem(k)) || d;
// Test and tuning knobs: the batching interval of patrol fixes and the
// outbox's retry interval (ms).
const config = { batchMs: cfgNum('gridd.m.batchMs', 60_000), drainMs: cfgNum('gridd.m.drainMs', 15_000) };

const S = {
  token: localStorage.getItem(LS.token) || sessionStorage.getItem('gridd.token') || '',
  me: readJSON(LS.me), today: readJSON(LS.today), month: readJSON(LS.month), inbox: readJSON(LS.inbox), cats: readJSON(LS.cats),
  view: 'home', rec: null, counts: { pending: 0, failed: 0 }, toast: '', wakeLockMissing: false,
  localVisits: new Set(),
};
const hooks = { ready: false, config, S, Q, sent: [] };
window.__griddM = hooks;

function readJSON(k) { try { return JSON.parse(localStorage.getItem(k) || 'null'); } catch { return null; } }
function writeJSON(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* quota: keep going */ } }

const app = document.getElementById('app');

// ---------- API ----------

class HttpError extends Error {
  constructor(status, problem) {
    super(problemText(problem) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function problemText(p) {
  if (!p || typeof p !== 'object') return '';
  let s = p.detail || p.title || '';
  if (Array.isArray(p.errors) && p.errors.length) s += ' (' + p.errors.map((f) => [f.field, f.detail || f.reason].filter(Boolean).join(': ')).join('; ') + ')';
  return s;
}

async function call(method, path, body, extra = {}) {
  const headers = { 'Accept-Language': getLang() === 'en' ? 'en' : 'zh-CN', ...extra };
  if (S.token) headers.Authorization = 'Bearer ' + S.token;
  let payload = body;
  if (body !== undefined && !(body instanceof Blob)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new Q.Transient(t('network_error'));
  }
  const ct = res.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await res.json().catch(() => null) : null;
  if (res.ok) return { status: res.status, data, headers: res.headers };
  if (res.status === 401 && !path.endsWith('/auth/login')) { S.token = ''; localStorage.removeItem(LS.token); setTimeout(render, 0); }
  // 5xx, timeouts, throttling and an expired login may pass on retry.
  if (res.status >= 500 || [401, 408, 425, 429].includes(res.status)) throw new Q.Transient(problemText(data) || `HTTP ${res.status}`);
  throw new Q.Permanent(res.status, data || { detail: `HTTP ${res.status}` });
}

const get = (path) => call('GET', path).then((r) => r.data);

// ---------- queue handlers ----------

async function upload(photo, a, save) {
  if (photo.uploadId) return photo.uploadId;
  const r = await call('POST', '/api/v1/uploads', photo.blob, { 'Content-Type': photo.blob.type || 'image/jpeg', 'Idempotency-Key': photo.key });
  photo.uploadId = r.data.id;
  await save(a);
  return photo.uploadId;
}

Q.handle('report', async (a, save) => {
  const ids = [];
  for (const p of a.photos) ids.push(await upload(p, a, save));
  const r = await call('POST', '/api/v1/cases', { ...a.body, photos: ids }, { 'Idempotency-Key': a.key });
  hooks.sent.push({ kind: 'report', key: a.key, id: r.data.id, status: r.status });
});

Q.handle('fixes', async (a) => {
  await call('POST', '/api/v1/patrols/points', { worker: a.worker, points: a.points }, { 'Idempotency-Key': a.key });
});

Q.handle('verify', async (a, save) => {
  const photos = [];
  for (const p of a.photos) photos.push(await upload(p, a, save));
  const r = await call('POST', `/api/v1/cases/${a.caseId}/transitions`, { action: a.action, comment: a.comment, photos },
    { 'If-Match': `"${a.version}"`, 'Idempotency-Key': a.key });
  hooks.sent.push({ kind: 'verify', key: a.key, id: a.caseId, status: r.status });
});

async function enqueue(action) {
  await Q.add(action);
  registerSync();
  drainSoon();
}

function registerSync() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready.then((reg) => (reg.sync ? reg.sync.register('gridd-outbox') : null)).catch(() => { /* no background sync */ });
}

let drainTimer = 0;
function drainSoon() {
  clearTimeout(drainTimer);
  drainTimer = setTimeout(async () => {
    if (!navigator.onLine || !S.token) return;
    const n = await Q.drain().catch(() => 0);
    if (n > 0) refreshToday();
  }, 50);
}

// outboxChanged reads what waits in the outbox: its counts, the cases with
// a verification on its way (not shown as tasks any more) and the fixes
// not yet sent (drawn as track), so a reopened app shows its own work.
async function outboxChanged() {
  const list = await Q.all();
  let pending = 0; let failed = 0;
  const verifying = new Set(); const track = [];
  for (const a of list) {
    if (a.state === 'failed') failed++; else pending++;
    if (a.kind === 'verify' && a.state !== 'failed') verifying.add(a.caseId);
    if (a.kind === 'fixes') track.push(a.points.map((p) => [p.lon, p.lat]));
  }
  const redraw = track.length !== (S.queuedTrack || []).length || verifying.size !== (S.queuedVerify || new Set()).size;
  S.counts = { pending, failed, total: list.length };
  S.queuedVerify = verifying;
  S.queuedTrack = track;
  hooks.counts = S.counts;
  updateQueueBadge();
  if (S.view === 'queue') renderQueue();
  if (S.view === 'home' && redraw) { renderTasks(S.today); drawHomeMap(); }
}
// A draining outbox changes many times a second: read it at most every
// 250 ms, so the page stays responsive.
let outboxTimer = 0;
Q.onChange(() => {
  if (outboxTimer) return;
  outboxTimer = setTimeout(() => { outboxTimer = 0; outboxChanged().catch(() => {}); }, 250);
});

// ---------- data ----------

let refreshing = null;
async function refreshToday() {
  if (!S.token || !navigator.onLine) return;
  refreshing ??= (async () => {
    try {
      refreshInbox();
      S.today = await get('/api/v1/me/today');
      writeJSON(LS.today, S.today);
      hooks.todayAt = Date.now();
      if (S.view === 'home') renderHome();
    } catch (e) {
      if (!(e instanceof Q.Transient)) showError(e);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// refreshInbox reads the to-do counts (GET /api/v1/inbox) for the badge.
async function refreshInbox() {
  if (!S.token || !navigator.onLine) return;
  try {
    const r = await get('/api/v1/inbox?limit=1');
    S.inbox = { counts: r.counts };
    writeJSON(LS.inbox, S.inbox);
    showTodoBadge();
  } catch (e) { /* the cached count serves */ }
}

// showTodoBadge shows the worker's to-do count (cases to verify, unread
// notices) next to the tasks, red when something is overdue.
function showTodoBadge() {
  const b = document.getElementById('todo-badge');
  const c = S.inbox && S.inbox.counts;
  if (!b || !c) return;
  const n = (c.to_verify || 0) + (c.unread || 0);
  b.textContent = String(n);
  b.hidden = n === 0;
  b.classList.toggle('warn', (c.overdue || 0) > 0);
}

async function refreshMonth() {
  if (!S.token || !navigator.onLine) return;
  try {
    S.month = await get('/api/v1/me/month');
    writeJSON(LS.month, S.month);
    if (S.view === 'home') renderMonth();
  } catch (e) { /* shown from the cache */ }
}

async function loadCategories() {
  if (!navigator.onLine) return;
  try {
    const r = await get('/api/v1/categories');
    S.cats = r.categories.filter((c) => c.code.length === 4 && c.active);
    writeJSON(LS.cats, S.cats);
  } catch (e) { /* the cached list serves */ }
}

// ---------- shell ----------

function render() {
  if (!S.token) return renderLogin();
  if (S.me && S.me.role !== 'worker') return renderNotWorker();
  if (duties.views[S.view]) return duties.views[S.view]();
  if (S.view === 'report') return renderReport();
  if (S.view === 'verify') return renderVerify();
  if (S.view === 'queue') return renderQueue();
  const duty = visits.views[S.view] || worklog.views[S.view] || training.views[S.view];
  if (duty) return duty();
  return renderHome();
}

function header(title, back) {
  return h('header', { class: 'top' },
    back ? h('button', { class: 'icon', id: 'back', 'aria-label': t('back'), onclick: () => go('home') }, '‹') : null,
    h('h1', {}, title),
    h('span', { class: navigator.onLine ? 'net on' : 'net off', id: 'net' }, navigator.onLine ? t('online') : t('offline')),
    h('button', { class: 'ghost', id: 'lang-switch', onclick: () => { setLang(getLang() === 'en' ? 'zh' : 'en'); render(); refreshToday(); } }, t('lang_switch')));
}

function go(view, arg) {
  if (S.view === 'report' && view !== 'report') stopReportWatch();
  S.view = view;
  S.arg = arg;
  render();
  window.scrollTo(0, 0);
}

function toast(msg) {
  S.toast = msg;
  const el = document.getElementById('toast');
  if (el) { el.textContent = msg; el.hidden = !msg; }
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { S.toast = ''; const e = document.getElementById('toast'); if (e) e.hidden = true; }, 4000);
}

function showError(e) {
  toast(t('error', { msg: e.message }));
}

// ---------- login ----------

function renderLogin(message) {
  const user = h('input', { id: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message || '');
  const form = h('form', { class: 'login' },
    h('h1', {}, t('login_title')),
    h('label', {}, t('username'), user),
    h('label', {}, t('password'), pass),
    err,
    h('button', { class: 'primary big', id: 'login-submit', type: 'submit' }, t('login')),
    h('p', { class: 'muted' }, t('install_hint')),
    h('button', { class: 'ghost', type: 'button', id: 'lang-switch', onclick: () => { setLang(getLang() === 'en' ? 'zh' : 'en'); renderLogin(); } }, t('lang_switch')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await call('POST', '/api/v1/auth/login', { username: user.value.trim(), password: pass.value });
      S.token = r.data.token;
      localStorage.setItem(LS.token, S.token);
      await start();
    } catch (ex) {
      err.textContent = ex.message;
    }
  });
  clear(app).append(form);
}

function renderNotWorker() {
  clear(app).append(header(t('app')), h('main', { class: 'page' },
    h('p', { id: 'not-worker' }, t('not_worker')), h('a', { class: 'button primary big', href: '/' }, t('open_console')),
    h('button', { class: 'ghost big', onclick: logout }, t('logout'))));
}

async function logout() {
  try { await call('POST', '/api/v1/auth/logout'); } catch (e) { /* gone anyway */ }
  S.token = ''; S.me = null; S.today = null; S.month = null; S.worklog = null; S.training = null;
  // The duty screens keep their last data too (worklog.js, training.js).
  for (const k of [...Object.values(LS), 'gridd.m.worklog', 'gridd.m.training']) localStorage.removeItem(k);
  sessionStorage.removeItem('gridd.token');
  render();
}

// ---------- home ----------

// icon is a small inline SVG (no emoji font on many phones).
const ICONS = {
  camera: '<path d="M4 7h3l2-2h6l2 2h3v12H4z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/><circle cx="12" cy="13" r="3.5" fill="none" stroke="currentColor" stroke-width="2"/>',
  play: '<path d="M7 5l12 7-12 7z" fill="currentColor"/>',
  stop: '<rect x="6" y="6" width="12" height="12" fill="currentColor"/>',
};
function icon(name) {
  const s = h('span', { class: 'ico', 'aria-hidden': 'true' });
  s.innerHTML = `<svg viewBox="0 0 24 24" width="24" height="24">${ICONS[name]}</svg>`;
  return s;
}

function fmtMin(sec) { return Math.floor((sec || 0) / 60); }

function renderHome() {
  const td = S.today;
  const main = h('main', { class: 'page home' });
  clear(app).append(header(S.me ? `${t('app')} · ${S.me.name || S.me.username}` : t('app')), main,
    h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  main.append(
    h('div', { class: 'actions' },
      h('button', { class: 'primary huge', id: 'btn-report', onclick: () => { go('report'); document.getElementById('report-photo')?.click(); } }, icon('camera'), t('report')),
      h('button', { class: S.rec ? 'danger huge' : 'secondary huge', id: 'btn-patrol', onclick: () => (S.rec ? stopPatrol() : startPatrol()) },
        icon(S.rec ? 'stop' : 'play'), S.rec ? t('patrol_stop') : t('patrol_start'))),
    duties.buttons(),
    h('section', { class: 'card', id: 'patrol' }),
    h('section', { class: 'card', id: 'tasks' }),
    h('div', { id: 'duty-visits' }), h('div', { id: 'duty-worklog' }), h('div', { id: 'duty-training' }),
    h('section', { class: 'card', id: 'checkpoints' }),
    h('section', { class: 'card', id: 'month' }),
    h('button', { class: 'card queue', id: 'queue-state', onclick: () => go('queue') }),
    h('p', { class: 'foot' }, h('button', { class: 'ghost', id: 'logout', onclick: logout }, t('logout'))));
  renderPatrolCard();
  renderTasks(td);
  renderCheckpoints();
  renderMonth();
  visits.homeCard();
  worklog.homeCard();
  training.homeCard();
  updateQueueBadge();
}

let homeMap = null;
function renderPatrolCard() {
  const el = document.getElementById('patrol');
  if (!el) return;
  const p = S.today?.patrol;
  clear(el);
  el.append(h('h2', {}, t('today_patrol')));
  if (!p) { el.append(h('p', { class: 'muted' }, t('loading'))); return; }
  const min = p.min_daily_seconds;
  const pct = Math.min(100, Math.round((100 * p.patrol_seconds) / (min || 1)));
  const g0 = p.grids[0];
  el.append(
    h('div', { class: 'figures' },
      h('div', { class: 'fig' }, h('strong', { id: 'patrol-minutes', dataset: { seconds: String(p.patrol_seconds) } }, t('minutes_of', { m: fmtMin(p.patrol_seconds), min: fmtMin(min) })),
        h('span', { class: p.patrolled ? 'ok' : 'warn' }, p.patrolled ? t('patrolled') : t('not_patrolled'))),
      h('div', { class: 'fig' }, h('strong', { id: 'patrol-coverage', dataset: { coverage: String(g0 ? g0.coverage : 0) } }, t('coverage', { p: g0 ? (g0.coverage * 100).toFixed(1) : '0' })),
        h('span', { id: 'patrol-distance' }, t('distance', { km: (p.distance_m / 1000).toFixed(2) })))),
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(pct), 'aria-valuemin': '0', 'aria-valuemax': '100' }, h('span', { style: `width:${pct}%` })),
    h('p', { class: 'rec', id: 'rec-state', hidden: !S.rec }),
    h('canvas', { id: 'map-home', class: 'map', 'aria-label': t('today_patrol') }),
    h('p', { class: 'legend' }, h('span', { class: 'sw covered' }), t('legend_covered'), h('span', { class: 'sw missed' }), t('legend_missed'),
      h('span', { class: 'sw track' }), t('legend_track')));
  homeMap = new MiniMap(document.getElementById('map-home'));
  drawHomeMap();
  updateRecState();
}

function drawHomeMap() {
  if (!homeMap || !S.today) return;
  const p = S.today.patrol;
  const uncovered = [];
  for (const g of p.grids) for (const c of g.uncovered.coordinates || []) uncovered.push(c);
  const track = (p.track.coordinates || []).slice();
  for (const l of S.queuedTrack || []) track.push(l);
  if (S.rec && S.rec.track.length) track.push(S.rec.track);
  if (S.rec) filterCovered(uncovered);
  homeMap.set({
    outlines: p.grids.map((g) => (g.outline.type === 'Polygon' ? [g.outline.coordinates] : g.outline.coordinates)),
    uncovered, cellEdgeM: p.cell_edge_m, track,
    checkpoints: (S.today.checkpoints || []).map((c) => ({ ...c, visited: !!c.visited_at || S.localVisits.has(c.id) })),
    me: S.rec?.last || null,
  });
  hooks.mapDrawn = { uncovered: uncovered.length, track: track.reduce((n, l) => n + l.length, 0) };
}

// filterCovered drops (in place) the cell centres within R of the track
// recorded in this session: the server's rule, applied live.
function filterCovered(cells) {
  const tr = S.rec.track; const r = S.today.patrol.radius_m;
  if (tr.length === 0) return;
  for (let i = cells.length - 1; i >= 0; i--) {
    const c = cells[i];
    for (let k = 0; k < tr.length; k++) {
      const d = k ? segDist(c, tr[k - 1], tr[k]) : dist(c, tr[0]);
      if (d <= r) { cells.splice(i, 1); break; }
    }
  }
}

function deadline(c) {
  const due = c.deadlines.current || c.deadlines.verify_due;
  if (!due) return '';
  return c.overdue ? t('overdue') : t('due', { t: fmtTime(due) });
}

function categoryLabel(code, fallback) {
  const c = (S.cats || []).find((x) => x.code === code);
  return c ? catName(c) : fallback || code;
}

function taskRow(c, onclick) {
  return h('li', {}, h('button', { class: 'row', dataset: { id: String(c.id), status: c.status }, onclick },
    h('span', { class: 'title' }, categoryLabel(c.category, c.category_name), ' · ', c.number),
    h('span', { class: 'sub' }, c.status_name, c.reject_reason ? ` · ${c.reject_reason}` : '', ' ', h('span', { class: c.overdue ? 'warn' : 'muted' }, deadline(c)))));
}

function renderTasks(td) {
  const el = document.getElementById('tasks');
  if (!el) return;
  clear(el);
  // #todo-badge: the slot the inbox (issue #14) fills with its to-do count.
  el.append(h('h2', {}, t('tasks'), ' ', h('span', { class: 'badge', id: 'todo-badge', hidden: true })));
  showTodoBadge();
  if (!td) { el.append(h('p', { class: 'muted' }, t('loading'))); return; }
  const list = (id, title, items, click) => h('div', { id },
    h('h3', {}, title, ` (${items.length})`),
    items.length ? h('ul', { class: 'list' }, items.slice(0, 20).map((c) => taskRow(c, click ? () => click(c) : undefined))) : h('p', { class: 'muted' }, t('none')));
  el.append(
    list('tasks-verify', t('verify_tasks'), td.tasks.verify.filter((c) => !S.queuedVerify?.has(c.id)), (c) => go('verify', c)),
    list('tasks-sentback', t('sent_back'), td.tasks.sent_back),
    list('tasks-mine', t('my_reports'), td.tasks.reported));
}

function renderCheckpoints() {
  const el = document.getElementById('checkpoints');
  if (!el) return;
  const cps = S.today?.checkpoints || [];
  clear(el).append(h('h2', {}, t('checkpoints')));
  if (!cps.length) { el.append(h('p', { class: 'muted' }, t('cp_none'))); return; }
  el.append(h('ul', { class: 'list' }, cps.map((c) => {
    const local = S.localVisits.has(c.id);
    const done = c.visited_at ? t('cp_done', { t: fmtTime(c.visited_at) }) : local ? t('cp_done_local') : t('cp_todo');
    return h('li', { class: 'cp', dataset: { id: String(c.id), visited: String(!!c.visited_at || local) } },
      h('span', { class: 'title' }, c.name), h('span', { class: c.visited_at || local ? 'ok' : 'warn' }, done));
  })));
}

function renderMonth() {
  const el = document.getElementById('month');
  if (!el) return;
  const m = S.month;
  clear(el);
  if (!m) { el.append(h('h2', {}, t('month')), h('p', { class: 'muted' }, t('loading'))); return; }
  el.append(h('h2', {}, t('month_title', { m: m.month })));
  for (const g of m.grids) {
    el.append(h('p', {}, t('month_cov', { p: (g.monthly_coverage * 100).toFixed(1), r: Math.round(m.monthly_coverage_required * 100) })),
      h('p', {}, t('days_under', { n: g.days_under_minimum, d: m.days })));
  }
  el.append(m.assessment ? h('p', { id: 'month-score' }, h('strong', {}, t('score', { s: m.assessment.total }))) : h('p', { class: 'muted' }, t('no_assessment')));
  if (m.provisional) el.append(h('p', { class: 'muted', id: 'month-provisional' }, t('provisional')));
}

function updateQueueBadge() {
  const el = document.getElementById('queue-state');
  if (!el) return;
  const { pending, failed } = S.counts;
  el.dataset.pending = String(pending);
  el.dataset.failed = String(failed);
  el.className = 'card queue' + (failed ? ' failed' : '');
  clear(el).append(h('span', {}, t('queue')), h('span', {}, pending || failed ? t('queue_state', { n: pending, f: failed }) : t('queue_empty')));
}

// ---------- patrol recording ----------

async function startPatrol() {
  if (!('geolocation' in navigator)) return;
  const rec = { track: [], buf: [], n: 0, last: null, acc: null, watch: 0, timer: 0, lock: null };
  S.rec = rec;
  rec.watch = navigator.geolocation.watchPosition((pos) => onFix(rec, pos), (err) => toast(err.message), { enableHighAccuracy: true, maximumAge: 0 });
  rec.timer = setInterval(() => flush(rec), config.batchMs);
  if ('wakeLock' in navigator) {
    try { rec.lock = await navigator.wakeLock.request('screen'); } catch (e) { S.wakeLockMissing = true; }
  } else {
    S.wakeLockMissing = true;
  }
  hooks.recording = true;
  renderHome();
}

function onFix(rec, pos) {
  const c = pos.coords;
  const fix = { t: new Date(pos.timestamp).toISOString(), lon: c.longitude, lat: c.latitude, accuracy_m: Math.round(c.accuracy * 10) / 10 };
  if (typeof c.speed === 'number' && Number.isFinite(c.speed)) fix.speed_mps = c.speed;
  rec.buf.push(fix);
  rec.n++;
  rec.last = [fix.lon, fix.lat];
  rec.acc = c.accuracy;
  rec.track.push(rec.last);
  hooks.fixes = rec.n;
  for (const cp of S.today?.checkpoints || []) {
    if (!S.localVisits.has(cp.id) && c.accuracy <= 50 && dist(rec.last, [cp.lon, cp.lat]) <= cp.radius_m) {
      S.localVisits.add(cp.id);
      renderCheckpoints();
    }
  }
  updateRecState();
  if (S.view === 'home') scheduleMapDraw();
}

let mapFrame = 0;
function scheduleMapDraw() {
  if (mapFrame) return;
  mapFrame = requestAnimationFrame(() => { mapFrame = 0; drawHomeMap(); });
}

function updateRecState() {
  const el = document.getElementById('rec-state');
  if (!el || !S.rec) return;
  el.hidden = false;
  el.textContent = (S.rec.n ? t('recording', { n: S.rec.n, acc: Math.round(S.rec.acc) }) : t('recording_wait')) + (S.wakeLockMissing ? ' · ' + t('no_wakelock') : '');
}

async function flush(rec) {
  if (!rec.buf.length || !S.me) return;
  const points = rec.buf.splice(0);
  for (let i = 0; i < points.length; i += 5000) {
    await enqueue({ kind: 'fixes', key: Q.newKey(), worker: S.me.username, points: points.slice(i, i + 5000) });
  }
}

async function stopPatrol() {
  const rec = S.rec;
  if (!rec) return;
  navigator.geolocation.clearWatch(rec.watch);
  clearInterval(rec.timer);
  try { await rec.lock?.release(); } catch (e) { /* released */ }
  await flush(rec);
  S.rec = null;
  hooks.recording = false;
  renderHome();
}

// ---------- report ----------

let reportWatch = null;
function stopReportWatch() {
  if (reportWatch !== null) navigator.geolocation.clearWatch(reportWatch);
  reportWatch = null;
}

async function shrink(file) {
  // Camera photos are several MB: send at most 1600 px (JPEG), which the
  // server re-encodes anyway. Any failure sends the original.
  try {
    const bmp = await createImageBitmap(file);
    const k = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
    if (k === 1 && file.size < 1_500_000) return file;
    const c = document.createElement('canvas');
    c.width = Math.round(bmp.width * k); c.height = Math.round(bmp.height * k);
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    return await new Promise((res) => c.toBlob((b) => res(b || file), 'image/jpeg', 0.82));
  } catch (e) {
    return file;
  }
}

function categoryShortList() {
  const all = S.cats || [];
  const byCode = new Map(all.map((c) => [c.code, c]));
  const out = [];
  for (const u of S.today?.categories || []) if (byCode.has(u.code)) out.push(byCode.get(u.code));
  for (const c of all) { if (out.length >= 8) break; if (!out.includes(c)) out.push(c); }
  return out;
}

const catName = (c) => (getLang() === 'en' && c.name_en ? c.name_en : c.name);

function renderReport() {
  const st = { before: S.arg?.before || [], after: [], cat: null, pos: null, acc: null, grid: null };
  S.report = st;
  hooks.report = st;
  const main = h('main', { class: 'page report' });
  clear(app).append(header(t('report'), true), main, h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const photo = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'report-photo', class: 'hidden-input' });
  const after = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'report-after', class: 'hidden-input' });
  const thumbs = h('div', { class: 'thumbs', id: 'photo-preview' });
  const afterThumbs = h('div', { class: 'thumbs', id: 'after-preview' });
  const showThumbs = (el, files) => {
    clear(el).append(...files.map((f) => h('img', { src: URL.createObjectURL(f), alt: t('photo') })));
  };
  photo.addEventListener('change', () => { st.before = [...st.before, ...photo.files]; showThumbs(thumbs, st.before); photo.value = ''; });
  after.addEventListener('change', () => { st.after = [...st.after, ...after.files]; showThumbs(afterThumbs, st.after); after.value = ''; });
  showThumbs(thumbs, st.before);
  const canvas = h('canvas', { id: 'report-map', class: 'map small' });
  const acc = h('span', { id: 'report-acc' }, t('locating'));
  const gridEl = h('p', { id: 'report-grid' }, '');
  const chips = h('div', { class: 'chips', id: 'cat-chips' });
  const search = h('input', { type: 'search', id: 'cat-search', placeholder: t('search_category'), 'aria-label': t('search_category') });
  const desc = h('textarea', { id: 'report-desc', rows: 2, placeholder: t('description'), 'aria-label': t('description') });
  const onsite = h('input', { type: 'checkbox', id: 'report-onsite' });
  const afterBox = h('div', { id: 'after-box', hidden: true },
    h('label', { class: 'button secondary', for: 'report-after' }, icon('camera'), t('photo_after')), after, afterThumbs);
  onsite.addEventListener('change', () => { afterBox.hidden = !onsite.checked; });
  const send = h('button', { class: 'primary huge', id: 'report-send' }, t('send'));
  main.append(
    h('div', { class: 'row2' }, h('label', { class: 'button secondary', for: 'report-photo', id: 'report-photo-label' }, icon('camera'), t('photo_take')), photo),
    thumbs,
    h('section', { class: 'card' }, h('h2', {}, t('location'), ' ', acc), canvas, h('p', { class: 'muted' }, t('drag_pin')), gridEl),
    h('section', { class: 'card' }, h('h2', {}, t('category')), chips, search),
    desc,
    h('label', { class: 'check' }, onsite, t('resolved_on_site')),
    afterBox,
    send);
  const map = new MiniMap(canvas);
  const outlines = (S.today?.patrol.grids || []).map((g) => (g.outline.type === 'Polygon' ? [g.outline.coordinates] : g.outline.coordinates));
  map.onPin = (ll) => { st.pos = ll; st.moved = true; locateSoon(); };
  const drawChips = () => {
    const q = search.value.trim().toLowerCase();
    const list = q ? (S.cats || []).filter((c) => c.code.includes(q) || c.name.toLowerCase().includes(q) || (c.name_en || '').toLowerCase().includes(q)).slice(0, 12) : categoryShortList();
    clear(chips).append(...list.map((c) => h('button', {
      class: st.cat === c.code ? 'chip on' : 'chip', dataset: { code: c.code }, type: 'button',
      onclick: () => { st.cat = c.code; drawChips(); },
    }, catName(c))));
  };
  search.addEventListener('input', drawChips);
  drawChips();
  let locT = 0;
  const locateSoon = () => { clearTimeout(locT); locT = setTimeout(locate, 300); };
  async function locate() {
    if (!st.pos) return;
    if (!navigator.onLine) { gridEl.textContent = t('grid_offline'); return; }
    try {
      const r = await get(`/api/v1/locate?lon=${st.pos[0]}&lat=${st.pos[1]}`);
      const leaf = r.chain[r.chain.length - 1];
      st.grid = leaf ? leaf.code : null;
      const mine = leaf && (S.today?.patrol.grids || []).some((g) => g.code === leaf.code);
      clear(gridEl).append(...(leaf
        ? [h('span', { id: 'report-grid-code', dataset: { code: leaf.code } }, t('grid_line', { name: leaf.name, code: leaf.code })), h('br'),
          h('span', { id: 'report-worker' }, t('worker_line', { name: mine ? t('me', { name: S.me.name }) : t('other_worker') }))]
        : [t('outside')]));
    } catch (e) { gridEl.textContent = t('grid_offline'); }
  }
  map.set({ outlines, pin: null, fill: 'rgba(11,92,173,0.10)' });
  reportWatch = navigator.geolocation.watchPosition((pos) => {
    st.acc = pos.coords.accuracy;
    acc.textContent = t('accuracy', { m: Math.round(st.acc) });
    if (!st.moved) {
      st.pos = [pos.coords.longitude, pos.coords.latitude];
      map.set({ pin: st.pos, me: st.pos });
      locateSoon();
    } else {
      map.set({ me: [pos.coords.longitude, pos.coords.latitude] });
    }
  }, (err) => { acc.textContent = err.message; }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  send.addEventListener('click', async () => {
    if (!st.before.length) return toast(t('need_photo'));
    if (!st.cat) return toast(t('need_category'));
    if (!st.pos) return toast(t('need_location'));
    if (onsite.checked && !st.after.length) return toast(t('need_after'));
    send.disabled = true;
    send.textContent = t('sending');
    const key = Q.newKey();
    const files = [...st.before, ...(onsite.checked ? st.after : [])];
    const photos = [];
    for (const f of files) photos.push({ key: Q.newKey(), blob: await shrink(f) });
    const body = { category: st.cat, description: desc.value.trim(), lon: Math.round(st.pos[0] * 1e7) / 1e7, lat: Math.round(st.pos[1] * 1e7) / 1e7,
      reported_at: new Date().toISOString() };
    if (onsite.checked) body.resolved_on_site = true;
    await enqueue({ kind: 'report', key, photos, body });
    toast(navigator.onLine ? t('sent') : t('queued'));
    go('home');
  });
}

// ---------- verification ----------

function renderVerify() {
  const c = S.arg;
  const st = { photos: [] };
  const main = h('main', { class: 'page verify' });
  clear(app).append(header(t('verify'), true), main, h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const photo = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id: 'verify-photo', class: 'hidden-input' });
  const thumbs = h('div', { class: 'thumbs', id: 'verify-preview' });
  photo.addEventListener('change', () => {
    st.photos = [...st.photos, ...photo.files];
    clear(thumbs).append(...st.photos.map((f) => h('img', { src: URL.createObjectURL(f), alt: t('photo') })));
    photo.value = '';
  });
  const reason = h('textarea', { id: 'verify-reason', rows: 2, placeholder: t('reason'), 'aria-label': t('reason') });
  const act = async (action) => {
    if (action === 'verify_fail' && !reason.value.trim()) return toast(t('need_reason'));
    const photos = [];
    for (const f of st.photos) photos.push({ key: Q.newKey(), blob: await shrink(f) });
    await enqueue({ kind: 'verify', key: Q.newKey(), caseId: c.id, version: c.version, action, comment: reason.value.trim(), photos });
    toast(navigator.onLine ? t('sent') : t('queued'));
    go('home');
  };
  main.append(
    h('section', { class: 'card' }, h('h2', {}, t('case_no', { n: c.number })),
      h('p', {}, categoryLabel(c.category, c.category_name)), h('p', { class: 'muted' }, c.description), h('p', { class: 'warn' }, deadline(c))),
    h('label', { class: 'button secondary', for: 'verify-photo' }, icon('camera'), t('photo_take')), photo, thumbs,
    reason,
    h('div', { class: 'actions' },
      h('button', { class: 'primary huge', id: 'verify-pass', onclick: () => act('verify_pass') }, t('verify_pass')),
      h('button', { class: 'danger huge', id: 'verify-fail', onclick: () => act('verify_fail') }, t('verify_fail'))));
}

// ---------- outbox ----------

async function renderQueue() {
  let main = document.getElementById('queue-page');
  if (!main || S.view !== 'queue') {
    main = h('main', { class: 'page', id: 'queue-page' });
    clear(app).append(header(t('queue'), true), main);
  }
  const list = await Q.all();
  const kind = (a) => (a.kind === 'fixes' ? t('kind_fixes', { n: a.points.length }) : a.kind === 'verify' ? `${t('kind_verify')} · ${a.caseId}`
    : a.kind === 'visit' ? `${t('kind_visit')} · ${a.label || ''}` : a.kind === 'report' ? t('kind_report') : t('kind_' + a.kind));
  clear(main).append(list.length ? h('ul', { class: 'list', id: 'queue-list' }, list.map((a) => h('li', { class: 'qitem ' + a.state, dataset: { state: a.state, kind: a.kind } },
    h('span', { class: 'title' }, kind(a), ' · ', fmtTime(a.created)),
    h('span', { class: a.state === 'failed' ? 'warn' : 'muted' }, t('st_' + a.state), a.attempts ? ` · ${t('attempts', { n: a.attempts })}` : ''),
    a.error ? h('span', { class: 'error qerror' }, a.error.status ? `${a.error.status} · ` : '', a.error.detail) : null,
    a.state === 'failed' ? h('span', { class: 'row2' },
      h('button', { class: 'secondary', onclick: async () => { await Q.retry(a.id); drainSoon(); } }, t('retry')),
      h('button', { class: 'ghost', onclick: () => Q.remove(a.id) }, t('delete'))) : null))) : h('p', { class: 'muted' }, t('queue_empty')));
}

// ---------- field duties (duties.js) ----------

const duties = setupDuties({ call, get, enqueue, go, header, toast, shrink, upload, Q, hooks });

// ---------- start ----------

async function start() {
  if (S.token && navigator.onLine) {
    try {
      S.me = await get('/api/v1/auth/me');
      writeJSON(LS.me, S.me);
    } catch (e) {
      if (!S.token) return render();
    }
  }
  render();
  if (S.me?.role === 'worker') {
    await Promise.all([refreshToday(), loadCategories()]);
    refreshMonth();
    visits.refreshDue();
    worklog.load();
    training.load();
    drainSoon();
  }
  hooks.ready = true;
}

window.addEventListener('online', () => { const n = document.getElementById('net'); if (n) { n.className = 'net on'; n.textContent = t('online'); } Q.kick().then(() => refreshToday()).catch(() => {}); });
window.addEventListener('offline', () => { const n = document.getElementById('net'); if (n) { n.className = 'net off'; n.textContent = t('offline'); } });
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') drainSoon(); });
window.addEventListener('focus', drainSoon);
setInterval(drainSoon, config.drainMs);

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => { /* no offline shell */ });
  navigator.serviceWorker.addEventListener('message', (e) => { if (e.data?.type === 'drain') drainSoon(); });
}

// The field duties' screens (visits.js, worklog.js, training.js) share the app's parts.
for (const m of [visits, worklog, training]) {
  m.init({ S, Q, hooks, call, get, go, enqueue, header, toast, showError, icon, shrink, upload, dist });
}

outboxChanged().catch(() => {});
start();
