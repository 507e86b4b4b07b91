// Cases, patrol and register audits, assessments and statistics: the parts
// of the console that follow the case, patrol and register APIs.
import { api, ApiError } from './api.js';
import { t, has, fmtDateTime, fmtDate, fmtNum, shanghaiToday, getLang } from './i18n.js';
import { h, clear, uid } from './dom.js';

// Fields are read through these helpers so the console follows the API's
// JSON without guessing in many places.
const caseId = (c) => c.id ?? c.properties?.id;
const statusLabel = (s) => (has('status_' + s) ? t('status_' + s) : s);
const actionLabel = (a) => (has('action_' + a) ? t('action_' + a) : a);
const sourceLabel = (s) => (has('source_' + s) ? t('source_' + s) : s);

function props(c) {
  const p = c.properties ? { ...c.properties, id: c.properties.id ?? c.id } : { ...c };
  if (p.due_at === undefined) p.due_at = p.deadlines?.current ?? null;
  return p;
}

const OPEN = ['reported', 'escalated', 'accepted', 'dispatched', 'handling', 'extension_requested', 'postponement_requested', 'postponed', 'handled', 'verifying'];

// fetchCases pages through GET /api/v1/cases (500 a page) up to max cases.
export async function fetchCases(params, max = 5000) {
  const out = [];
  for (let offset = 0; offset < max; offset += 500) {
    const q = new URLSearchParams({ ...params, limit: '500', offset: String(offset) });
    const r = await api.get('/api/v1/cases?' + q);
    const page = list(r).map(props);
    out.push(...page);
    if (page.length < 500 || (r.total !== undefined && out.length >= r.total)) break;
  }
  return out;
}

function list(r) {
  if (Array.isArray(r)) return r;
  return r?.cases || r?.features || r?.items || [];
}

// casesGeoJSON returns the cases as a FeatureCollection for the map.
export async function casesGeoJSON() {
  const feats = [];
  for (const p of await fetchCases({})) {
    const c = p;
    let geom = c.geometry;
    if (!geom && p.lon !== undefined) geom = { type: 'Point', coordinates: [p.lon, p.lat] };
    if (!geom && p.location) geom = p.location.type ? p.location : { type: 'Point', coordinates: [p.location.lon, p.location.lat] };
    if (geom) feats.push({ type: 'Feature', id: p.id, geometry: geom, properties: p });
  }
  return { type: 'FeatureCollection', features: feats };
}

// gridOpenCases lists a grid's open cases for its card.
export async function gridOpenCases(code, { openCase }) {
  const cs = sortCases(await fetchCases({ grid: code, status: OPEN.join(',') }, 500));
  if (!cs.length) return h('p', { class: 'muted' }, t('no_open_cases'));
  return h('ul', { class: 'case-mini' }, cs.map((c) => h('li', {},
    h('button', { class: 'link', onclick: () => openCase(c.id) }, c.number || `#${c.id}`), ' ',
    h('span', { class: `badge st-${c.status}` }, statusLabel(c.status)),
    c.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : '')));
}

// ---------- the cases list ----------

const filters = { status: '', overdue: false, category: '', from: '', to: '' };

// refreshList reloads the cases list shown, if one is (live updates).
let reloadList = null;
export function refreshList() {
  if (reloadList && document.getElementById('case-list')) reloadList();
}

export function casesList(side, { openCase, gridName }) {
  side.append(h('h2', {}, t('cases')));
  const statusSel = h('select', { id: 'f-status' }, h('option', { value: '' }, t('all')),
    STATUSES.map((s) => h('option', { value: s, selected: filters.status === s }, statusLabel(s))));
  const overdue = h('input', { type: 'checkbox', id: 'f-overdue', checked: filters.overdue });
  const from = h('input', { type: 'date', id: 'f-from', value: filters.from });
  const to = h('input', { type: 'date', id: 'f-to', value: filters.to });
  const out = h('div', { id: 'case-list' }, t('loading'));
  const form = h('form', { class: 'filters', 'aria-label': t('filters') },
    h('div', {}, h('label', { for: 'f-status' }, t('status')), statusSel),
    h('div', {}, h('label', { for: 'f-from' }, t('from')), from),
    h('div', {}, h('label', { for: 'f-to' }, t('to')), to),
    h('div', { class: 'check' }, overdue, h('label', { for: 'f-overdue' }, t('only_overdue'))),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, t('search')),
      h('button', { type: 'button', class: 'secondary', id: 'export-csv', onclick: () => exportCSV() }, t('export_csv'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    Object.assign(filters, { status: statusSel.value, overdue: overdue.checked, from: from.value, to: to.value });
    load();
  });
  side.append(form, out);
  reloadList = () => load();
  let rows = [];
  async function load() {
    const q = {};
    if (filters.status) q.status = filters.status;
    if (filters.overdue) q.overdue = 'true';
    if (filters.from) q.from = filters.from;
    if (filters.to) q.to = filters.to;
    try {
      rows = sortCases(await fetchCases(q));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
      return;
    }
    render();
  }
  function render() {
    clear(out);
    out.append(h('p', { class: 'muted', id: 'case-count' }, t('n_cases', { n: rows.length })));
    if (!rows.length) { out.append(h('p', {}, t('no_cases'))); return; }
    const tb = h('tbody', {});
    for (const c of rows) {
      tb.append(h('tr', { class: c.overdue ? 'overdue' : '', dataset: { id: String(c.id), status: c.status } },
        h('td', {}, h('button', { class: 'link', onclick: () => openCase(c.id) }, c.number || `#${c.id}`)),
        h('td', {}, c.category_name || c.category),
        h('td', {}, h('span', { class: `badge st-${c.status}` }, statusLabel(c.status)), c.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : ''),
        h('td', {}, fmtDateTime(c.due_at)),
        h('td', {}, c.grid_code ? gridName(c.grid_code) : '')));
    }
    out.append(h('table', { class: 'list', id: 'cases-table' },
      h('thead', {}, h('tr', {}, [t('case_no'), t('category'), t('status'), t('deadline'), t('grid')].map((x) => h('th', { scope: 'col' }, x)))), tb));
  }
  function exportCSV() {
    const head = [t('case_no'), t('category'), t('status'), t('overdue'), t('reported_at'), t('deadline'), t('grid'), t('unit'), t('description')];
    const lines = [head, ...rows.map((c) => [c.number || c.id, c.category_name || c.category, statusLabel(c.status), c.overdue ? t('overdue') : '',
      fmtDateTime(c.reported_at), fmtDateTime(c.due_at), c.grid_code || '', c.lead_unit || '', c.description || ''])];
    const csv = '\ufeff' + lines.map((l) => l.map(csvCell).join(',')).join('\r\n');
    const a = h('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' })), download: `cases-${shanghaiToday()}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
  }
  load();
  casesList.reload = load;
}

function csvCell(v) {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// sortCases puts overdue first, then the nearest deadline, then the newest.
export function sortCases(cs) {
  return [...cs].sort((a, b) => (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0)
    || (a.due_at ? Date.parse(a.due_at) : Infinity) - (b.due_at ? Date.parse(b.due_at) : Infinity)
    || Date.parse(b.reported_at || 0) - Date.parse(a.reported_at || 0));
}

export const STATUSES = ['reported', 'escalated', 'accepted', 'rejected', 'dispatched', 'handling', 'extension_requested',
  'postponement_requested', 'postponed', 'handled', 'verifying', 'closed', 'merged'];

// ---------- the case card ----------

export async function caseCard(body, id, { me, onChanged, zoom, unitName, gridName }) {
  let c;
  let etag = '';
  try {
    const res = await api.request('GET', `/api/v1/cases/${id}`);
    c = props(res.body);
    etag = res.headers.get('ETag') || (c.version !== undefined ? `"${c.version}"` : '');
  } catch (e) {
    clear(body).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
    return;
  }
  clear(body);
  body.dataset.caseId = String(c.id);
  body.dataset.status = c.status;
  const lon = c.lon ?? c.location?.lon ?? c.geometry?.coordinates?.[0];
  const lat = c.lat ?? c.location?.lat ?? c.geometry?.coordinates?.[1];
  body.append(
    h('p', { class: 'card-title-line' }, h('strong', { id: 'case-number' }, c.number || `#${c.id}`), ' ',
      h('span', { class: `badge st-${c.status}`, id: 'case-status' }, statusLabel(c.status)),
      c.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : '',
      c.emergency ? h('span', { class: 'badge overdue' }, t('emergency')) : ''),
    h('dl', { class: 'facts' },
      h('dt', {}, t('category')), h('dd', {}, c.category_name || c.category),
      h('dt', {}, t('source')), h('dd', {}, sourceLabel(c.source)),
      h('dt', {}, t('reported_at')), h('dd', {}, fmtDateTime(c.reported_at)),
      h('dt', {}, t('deadline')), h('dd', {}, fmtDateTime(c.due_at)),
      h('dt', {}, t('grid')), h('dd', { id: 'case-grid' }, c.grid_code ? gridName(c.grid_code) : '—'),
      h('dt', {}, t('unit')), h('dd', { id: 'case-unit' }, c.lead_unit ? unitName(c.lead_unit) : '—'),
      h('dt', {}, t('description')), h('dd', {}, c.description || '')),
    lon !== undefined ? h('button', { class: 'secondary', onclick: () => zoom(lon, lat) }, t('zoom_to')) : '');
  const ids = [...(c.photos || []), ...(c.timeline || []).flatMap((ev) => ev.attachments || [])];
  const photos = [...new Set(ids)].map((p) => `/api/v1/uploads/${encodeURIComponent(p)}`);
  if (photos.length) {
    const strip = h('div', { class: 'photos' });
    body.append(h('h3', {}, t('photos')), strip);
    for (const url of photos) loadPhoto(url).then((img) => img && strip.append(img));
  }
  body.append(h('h3', {}, t('actions')));
  const actions = allowedActions(c);
  const actBox = h('div', { class: 'actions', id: 'case-actions' });
  body.append(actBox);
  if (!actions.length) actBox.append(h('p', { class: 'muted' }, t('no_actions')));
  for (const a of actions) actBox.append(actionForm(c, a, etag, async (msg) => {
    await onChanged();
    await caseCard(body, id, { me, onChanged, zoom, unitName, gridName });
    body.prepend(h('p', { class: 'notice', role: 'status' }, msg));
  }));
  body.append(h('h3', {}, t('timeline')));
  const tl = h('ol', { class: 'timeline', id: 'case-timeline' });
  for (const ev of c.timeline || c.events || []) {
    tl.append(h('li', {},
      h('time', { datetime: ev.at }, fmtDateTime(ev.at)), ' ',
      h('strong', {}, actionLabel(ev.action)), ' ',
      ev.to_status ? h('span', { class: `badge st-${ev.to_status}` }, statusLabel(ev.to_status)) : '',
      h('div', { class: 'muted' }, ev.actor_name || ev.actor || ''),
      ev.comment ? h('div', {}, ev.comment) : ''));
  }
  body.append(tl);
}

async function loadPhoto(url) {
  try {
    const r = await fetch(url, { headers: api.headers() });
    if (!r.ok) return null;
    const blob = await r.blob();
    return h('img', { src: URL.createObjectURL(blob), alt: t('photos'), loading: 'lazy' });
  } catch (e) {
    return null;
  }
}

function allowedActions(c) {
  const a = c.allowed_actions || c.actions || c.allowed || [];
  return a.map((x) => (typeof x === 'string' ? x : x.action)).filter((x) => x && x !== 'report' && x !== 'merged_in');
}

// actionForm is one action with the inputs it needs; dispatch preselects the
// routing suggestion.
function actionForm(c, action, etag, done) {
  const fid = uid('act');
  const fields = [];
  const extra = {};
  const comment = h('textarea', { id: `${fid}-comment`, rows: 2 });
  if (action === 'dispatch') {
    const sel = h('select', { id: `${fid}-unit`, required: true });
    const suggested = c.suggestion?.lead_unit || '';
    api.get('/api/v1/departments').then((ds) => {
      for (const d of (Array.isArray(ds) ? ds : ds.departments || [])) {
        sel.append(h('option', { value: d.code, selected: d.code === suggested }, d.name + (d.code === suggested ? t('suggested') : '')));
      }
    }).catch(() => {});
    fields.push(h('label', { for: sel.id }, t('dispatch_to')), sel);
    const whyEl = h('p', { class: 'muted', id: `${fid}-why` });
    fields.push(whyEl);
    api.post('/api/v1/routing/explain', { category: c.category, lon: c.lon, lat: c.lat }).then((ex) => {
      const held = (ex.checks || []).find((k) => k.held);
      const why = [ex.matched?.name, held?.why].filter(Boolean).join('：');
      if (why) whyEl.textContent = t('routing_why', { why });
    }).catch(() => {});
    extra.unit = () => ({ unit: sel.value, co_units: sel.value === suggested ? (c.suggestion?.co_units || []) : [] });
  }
  if (action === 'request_extension' || action === 'grant_extension') {
    const days = h('input', { type: 'number', id: `${fid}-days`, min: 1, max: 30, value: c.pending_days || 3 });
    fields.push(h('label', { for: days.id }, t('days')), days);
    extra.days = () => ({ days: Number(days.value) });
  }
  if (action === 'merge') {
    const into = h('input', { type: 'number', id: `${fid}-into`, min: 1, required: true, value: (c.duplicates || [])[0] || '' });
    fields.push(h('label', { for: into.id }, t('merge_into')), into);
    extra.into = () => ({ into: Number(into.value) });
  }
    if (action === 'rate') {
    const sel = h('select', { id: `${fid}-rating` }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, '★'.repeat(n))));
    fields.push(h('label', { for: sel.id }, t('rating')), sel);
    extra.rating = () => ({ rating: Number(sel.value) });
  }
  if (['handle', 'verify_pass', 'verify_fail', 'close_on_site'].includes(action)) {
    const files = h('input', { type: 'file', id: `${fid}-photos`, accept: 'image/jpeg,image/png', multiple: true });
    fields.push(h('label', { for: files.id }, t('photos')), files);
    extra.photos = async () => {
      const ids = [];
      for (const f of files.files) ids.push(await api.upload(f));
      return ids.length ? { photos: ids } : {};
    };
  }
    const needsComment = ['reject', 'return', 'verify_fail', 'refuse_extension', 'refuse_postponement', 'request_postponement'].includes(action);
  if (needsComment) comment.required = true;
  const btn = h('button', { type: 'submit', class: action.startsWith('reject') || action.includes('fail') || action.startsWith('refuse') ? 'danger' : 'primary', id: `act-${action}` }, actionLabel(action));
  const msg = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'action' }, h('details', { open: action === 'dispatch' || undefined },
    h('summary', {}, actionLabel(action)),
    fields,
    h('label', { for: comment.id }, needsComment ? t('reason') : t('comment')), comment, msg, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    btn.disabled = true;
    const payload = { action, comment: comment.value };
    try {
      for (const f of Object.values(extra)) Object.assign(payload, await f());
      await api.post(`/api/v1/cases/${c.id}/transitions`, payload, etag ? { 'If-Match': etag } : {});
      await done(t('action_done', { a: actionLabel(action) }));
    } catch (ex) {
      btn.disabled = false;
      if (ex instanceof ApiError && (ex.status === 409 || ex.status === 412)) {
        await done(t('conflict_reload'));
        return;
      }
      msg.textContent = t('action_failed', { msg: ex.message });
    }
  });
  return form;
}

// ---------- audits ----------

// The month the patrol audit and the patrol cells layer show (YYYY-MM).
let patrolMonth = shanghaiToday().slice(0, 7);
export const getPatrolMonth = () => patrolMonth;

// patrolAudit reads the month's patrol coverage audit (rows per grid and worker).
export async function patrolAudit(parent, cells) {
  const q = new URLSearchParams({ month: patrolMonth, cells: cells ? 'true' : 'false' });
  if (parent) q.set('parent', parent);
  return api.get('/api/v1/audits/patrol-coverage?' + q);
}

// coverageAudit fills sec with the month's audit; onMonth(month) is called
// when the user picks another month.
export async function coverageAudit(sec, showDay, onMonth) {
  const day = h('input', { type: 'date', id: 'p-day', value: shanghaiToday() });
  const month = h('input', { type: 'month', id: 'p-month', value: patrolMonth, max: shanghaiToday().slice(0, 7),
    onchange: (e) => { if (/^\d{4}-\d{2}$/.test(e.target.value)) { patrolMonth = e.target.value; onMonth?.(patrolMonth); } } });
  sec.append(h('div', { class: 'filters' },
    h('div', {}, h('label', { for: 'p-month' }, t('month')), month),
    h('div', {}, h('label', { for: 'p-day' }, t('patrol_day')), day)));
  const r = await patrolAudit('', false);
  const rows = r.rows || [];
  sec.append(h('p', { class: 'muted' }, `${t('month')}: ${r.month}`));
  if (!rows.length) { sec.append(h('p', { class: 'muted' }, t('no_rows'))); sec.dataset.loaded = 'ok'; return; }
  const tb = h('tbody', {});
  for (const w of rows) {
    tb.append(h('tr', { class: w.monthly_coverage_met ? '' : 'overdue' }, h('td', {}, w.worker && showDay ? h('button', { class: 'link', title: t('patrol_day'), onclick: () => showDay(w.worker, day.value) }, w.worker_name || w.worker) : (w.worker_name || w.worker || '—')), h('td', {}, w.grid_name || w.grid_code),
      h('td', { class: 'num' }, `${w.days_patrolled}/${w.days}`), h('td', { class: 'num' }, fmtNum((w.monthly_coverage || 0) * 100, 1) + '%')));
  }
  sec.append(h('table', { class: 'list', id: 'patrol-table' }, h('thead', {}, h('tr', {}, [t('worker'), t('grid'), t('patrol_days'), t('patrol_coverage')].map((x) => h('th', { scope: 'col' }, x)))), tb));
  if (r.grids_without_worker?.length) sec.append(h('p', { class: 'error' }, t('grids_without_worker', { list: r.grids_without_worker.map((g) => g.name).join('、') })));
  sec.dataset.loaded = 'ok';
}

export async function registerAudit(sec, draw) {
  const r = await api.get('/api/v1/audits/registers');
  draw(r);
  const items = r.findings || [];
  if (r.clean || (!items.length && !(r.outside || []).length)) { sec.append(h('p', { class: 'muted' }, t('audit_clean'))); return; }
  const tb = h('tbody', {});
  for (const f of items.slice(0, 300)) {
    tb.append(h('tr', {}, h('td', {}, f.name || f.code), h('td', {}, has('reason_' + f.reason) ? t('reason_' + f.reason) : f.reason),
      h('td', { class: 'num' }, f.expected ? `${fmtNum(f.value)} / ${fmtNum(f.expected)}` : fmtNum(f.value))));
  }
  sec.append(h('table', { class: 'list', id: 'register-table' }, h('thead', {}, h('tr', {}, [t('grid'), t('findings'), t('value')].map((x) => h('th', { scope: 'col' }, x)))), tb));
  if ((r.outside || []).length) sec.append(h('p', {}, t('records_outside', { n: r.outside.length })));
}

// ---------- assessments ----------

const nm = (o) => (getLang() === 'en' && o.name_en ? o.name_en : o.name);

// assessmentsView is the month's table (one row per worker) with each
// worker's blocks and items and the evidence behind them, and the xlsx export.
export async function assessmentsView(side) {
  side.append(h('h2', {}, t('assessments')));
  const month = h('input', { type: 'month', id: 'a-month', value: shanghaiToday().slice(0, 7) });
  const out = h('div', { id: 'assessment-out' });
  const exportBtn = h('button', { type: 'button', class: 'secondary', onclick: () => download(`/api/v1/assessments/export.xlsx?month=${month.value}`, `assessment-${month.value}.xlsx`) }, t('export_xlsx'));
  const load = async () => {
    clear(out).append(t('loading'));
    try {
      const r = await api.get(`/api/v1/assessments?month=${month.value}`);
      const rows = r.workers || [];
      clear(out);
      if (!rows.length) { out.append(h('p', { class: 'muted' }, t('no_rows'))); return; }
      const tb = h('tbody', {});
      for (const w of rows) {
        const blocks = w.blocks || [];
        tb.append(h('tr', { class: w.vetoed || !w.qualified ? 'overdue' : '' },
          h('th', { scope: 'row' }, w.worker?.name || w.worker?.username, h('div', { class: 'muted' }, (w.worker?.grids || []).join(', '))),
          h('td', { class: 'num' }, fmtNum(w.total, 1)),
          h('td', { class: 'num' }, w.rank ? `${w.rank}/${w.street_size}` : '—'),
          h('td', {}, w.vetoed ? t('vetoed') : w.qualified ? t('qualified') : t('unqualified')),
          h('td', {}, h('details', {}, h('summary', {}, t('items')),
            blocks.map((b) => h('div', { class: 'block' },
              h('strong', {}, `${nm(b)} ${fmtNum(b.score, 1)}/${fmtNum(b.max, 0)}`),
              h('ul', {}, (b.items || []).map((it) => h('li', {},
                `${nm(it)}: ${it.points > 0 ? '+' : ''}${fmtNum(it.points, 1)}`, it.count ? ` (×${it.count})` : '',
                it.detail ? h('div', { class: 'muted' }, it.detail) : '',
                (it.evidence || []).length ? h('div', { class: 'muted' }, `${t('evidence')}: ` + it.evidence.map((e) => [e.kind && has('ev_' + e.kind) ? t('ev_' + e.kind) : e.kind, e.id, e.date, e.note].filter(Boolean).join(' ')).join('；')) : '')))))))));
      }
      out.append(h('table', { class: 'list', id: 'assessment-table' },
        h('thead', {}, h('tr', {}, [t('worker'), t('score'), t('rank'), t('result'), t('items')].map((x) => h('th', { scope: 'col' }, x)))), tb));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
    }
  };
  month.addEventListener('change', load);
  side.append(h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'a-month' }, t('month')), month), h('div', { class: 'buttons' }, exportBtn)), out);
  load();
}

// download fetches a file with the token and saves it.
async function download(path, name) {
  const r = await fetch(path, { headers: api.headers() });
  if (!r.ok) return;
  const a = h('a', { href: URL.createObjectURL(await r.blob()), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---------- statistics ----------

const statsState = { group: 'unit' };

export function statsView(side, { barChart }) {
  side.append(h('h2', {}, t('stats')));
  const today = shanghaiToday();
  const from = h('input', { type: 'date', id: 's-from', value: statsState.from || today.slice(0, 5) + '01-01' });
  const to = h('input', { type: 'date', id: 's-to', value: statsState.to || today });
  const group = h('select', { id: 's-group' }, ['unit', 'grid', 'category', 'month'].map((g) => h('option', { value: g, selected: statsState.group === g }, t('group_' + g))));
  const out = h('div', { id: 'stats-out' });
  const form = h('form', { class: 'filters' },
    h('div', {}, h('label', { for: 's-from' }, t('from')), from),
    h('div', {}, h('label', { for: 's-to' }, t('to')), to),
    h('div', {}, h('label', { for: 's-group' }, t('group_by')), group),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('search'))));
  const load = async () => {
    Object.assign(statsState, { from: from.value, to: to.value, group: group.value });
    clear(out).append(t('loading'));
    try {
      const r = await api.get(`/api/v1/stats/cases?from=${from.value}&to=${to.value}&group_by=${group.value}`);
      const rows = r.groups || r.rows || r.items || (Array.isArray(r) ? r : []);
      clear(out);
      const names = await groupNames(group.value);
      const label = (g) => names[g.key] || (has('key_' + g.key) ? t('key_' + g.key) : g.name || g.key || '—');
      const num = (g, ...ks) => { for (const k of ks) if (g[k] !== undefined) return g[k]; return 0; };
      const gname = t('group_' + group.value);
      out.append(barChart({ title: t('chart_title', { m: t('reported'), g: gname }), rows: rows.map((g) => ({ label: label(g), value: num(g, 'reported') })), fmt: (v) => fmtNum(v) }));
      out.append(barChart({ title: t('chart_title', { m: t('close_rate'), g: gname }), rows: rows.map((g) => ({ label: label(g), value: num(g, 'close_rate', 'closing_rate') })), fmt: (v) => fmtNum(v * 100, 1) + '%', max: 1, color: '#0b7a3e' }));
      out.append(barChart({ title: t('chart_title', { m: t('on_time_rate'), g: gname }), rows: rows.map((g) => ({ label: label(g), value: num(g, 'on_time_rate', 'on_time_close_rate') })), fmt: (v) => fmtNum(v * 100, 1) + '%', max: 1, color: '#2a6f97' }));
      const cols = [['reported', 'reported'], ['accepted', 'accepted'], ['closed', 'closed'], ['closed_on_time', 'closed_on_time'], ['close_rate', 'close_rate'], ['on_time_rate', 'on_time_rate'], ['rework_rate', 'rework_rate'], ['mean_days', 'mean_handling_days']];
      const tb = h('tbody', {});
      for (const g of rows) {
        tb.append(h('tr', {}, h('th', { scope: 'row' }, label(g)), cols.map(([, k]) => {
          const v = g[k];
          return h('td', { class: 'num' }, v === undefined || v === null ? '—' : k.endsWith('rate') ? fmtNum(v * 100, 1) + '%' : fmtNum(v, k.startsWith('mean') ? 1 : 0));
        })));
      }
      out.append(h('table', { class: 'list', id: 'stats-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, gname), cols.map(([k]) => h('th', { scope: 'col' }, t(k))))), tb));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  side.append(form, out);
  load();
}

// groupNames maps statistics group keys (unit, category or grid codes) to names.
async function groupNames(group) {
  const names = {};
  try {
    if (group === 'unit') {
      const r = await api.get('/api/v1/departments');
      for (const d of r.departments || r) names[d.code] = d.name;
    } else if (group === 'category') {
      const r = await api.get('/api/v1/categories');
      for (const c of r.categories || r) names[c.code] = getLang() === 'en' && c.name_en ? c.name_en : c.name;
    } else if (group === 'grid') {
      const r = await api.get('/api/v1/grids?limit=1000');
      for (const f of r.features) names[f.properties.code] = f.properties.name;
    }
  } catch (e) { /* keys as they are */ }
  return names;
}
