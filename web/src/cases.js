// Cases, patrol and register audits, assessments and statistics: the parts
// of the console that follow the case, patrol and register APIs.
import { api, ApiError } from './api.js';
import { t, has, extend, fmtDateTime, fmtDate, fmtNum, shanghaiToday, getLang } from './i18n.js';
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
//
// The center's desk list: filters (free text q, state, category, grid
// subtree, unit, source, date presets or range, overdue) sent to
// GET /api/v1/cases as they are; the server sorts and pages (keyset cursor
// from the answer's next link); counts per state and overdue from
// GET /api/v1/cases/summary with the same filters; the export
// (GET /api/v1/cases/export) downloads exactly what is filtered, in the
// list's sort. The chosen columns and filters live in memory only and are
// reset on logout (resetCaseList), so a shared PC's next user starts clean.

extend({
  cl_q: '编号或关键词',
  cl_q_hint: '案件编号或描述中的词',
  cl_all_categories: '全部类别',
  cl_big_class: '{name}（整个大类）',
  cl_all_grids: '全部网格',
  cl_all_units: '全部单位',
  cl_all_sources: '全部来源',
  cl_period: '时间',
  cl_period_any: '不限',
  cl_period_today: '今日',
  cl_period_week: '本周',
  cl_period_month: '本月',
  cl_period_range: '自定义',
  cl_sort: '排序',
  'cl_sort_reported_at.desc': '上报时间（新到旧）',
  'cl_sort_reported_at.asc': '上报时间（旧到新）',
  'cl_sort_stage_due.asc': '环节时限（最急在前）',
  'cl_sort_stage_due.desc': '环节时限（最晚在前）',
  'cl_sort_number.asc': '案件编号（升序）',
  'cl_sort_number.desc': '案件编号（降序）',
  cl_columns: '显示列',
  cl_col_category: '类别',
  cl_col_status: '状态',
  cl_col_grid: '所属网格',
  cl_col_source: '来源',
  cl_col_reported_at: '上报时间',
  cl_col_lead_unit: '承办单位',
  cl_col_stage_due: '环节时限',
  cl_col_days_overdue: '超期天数',
  cl_reset: '清空条件',
  cl_export_csv: '导出 CSV',
  cl_export_xlsx: '导出 Excel',
  cl_exporting: '正在导出…',
  cl_export_failed: '导出失败：{msg}',
  cl_summary: '按状态统计',
  cl_sum_all: '全部',
  cl_sum_overdue: '超期',
  cl_page: '第 {p} 页 · 共 {n} 件',
  cl_prev: '上一页',
  cl_next: '下一页',
  cl_per_page: '每页件数',
  cl_n_per_page: '每页 {n} 件',
  cl_days: '{n} 天',
  cl_same_place: '同一地点的 {n} 件案件',
  grid_not_found: '没有名称或编码含“{q}”的网格',
}, {
  cl_q: 'Number or keyword',
  cl_q_hint: 'A case number or a word of the description',
  cl_all_categories: 'All categories',
  cl_big_class: '{name} (whole class)',
  cl_all_grids: 'All grids',
  cl_all_units: 'All units',
  cl_all_sources: 'All sources',
  cl_period: 'Period',
  cl_period_any: 'Any time',
  cl_period_today: 'Today',
  cl_period_week: 'This week',
  cl_period_month: 'This month',
  cl_period_range: 'Date range',
  cl_sort: 'Sort',
  'cl_sort_reported_at.desc': 'Reported (newest first)',
  'cl_sort_reported_at.asc': 'Reported (oldest first)',
  'cl_sort_stage_due.asc': 'Stage deadline (most urgent first)',
  'cl_sort_stage_due.desc': 'Stage deadline (latest first)',
  'cl_sort_number.asc': 'Case number (ascending)',
  'cl_sort_number.desc': 'Case number (descending)',
  cl_columns: 'Columns',
  cl_col_category: 'Category',
  cl_col_status: 'Status',
  cl_col_grid: 'Grid',
  cl_col_source: 'Source',
  cl_col_reported_at: 'Reported at',
  cl_col_lead_unit: 'Lead unit',
  cl_col_stage_due: 'Stage deadline',
  cl_col_days_overdue: 'Days overdue',
  cl_reset: 'Clear filters',
  cl_export_csv: 'Export CSV',
  cl_export_xlsx: 'Export Excel',
  cl_exporting: 'Exporting…',
  cl_export_failed: 'Export failed: {msg}',
  cl_summary: 'Counts by state',
  cl_sum_all: 'All',
  cl_sum_overdue: 'Overdue',
  cl_page: 'Page {p} · {n} cases',
  cl_prev: 'Previous',
  cl_next: 'Next',
  cl_per_page: 'Cases per page',
  cl_n_per_page: '{n} a page',
  cl_days: '{n} d',
  cl_same_place: '{n} cases at one place',
  grid_not_found: 'No grid whose name or code contains "{q}"',
});

extend({
  pa_rule_days: '每天巡查不少于 {h} 小时（不足的天数各扣分）',
  pa_rule_coverage: '月覆盖率不少于 {c}%',
  pa_rule_checkpoints: '巡查点按规定频次到访',
  pa_days_under: '不足时长天数',
  pa_time: '巡查时长',
  pa_hours: '{v} 小时',
  pa_missed: '漏巡点次',
  pa_missed_list: '漏巡的巡查点',
  pa_flag: '未达标',
}, {
  pa_rule_days: 'At least {h} h of patrol a day (each day short costs points)',
  pa_rule_coverage: 'Monthly coverage at least {c}%',
  pa_rule_checkpoints: 'Checkpoints visited as often as set',
  pa_days_under: 'Days short',
  pa_time: 'Patrol time',
  pa_hours: '{v} h',
  pa_missed: 'Missed visits',
  pa_missed_list: 'Missed checkpoints',
  pa_flag: 'not met',
});

const SORTS = ['reported_at.desc', 'reported_at.asc', 'stage_due.asc', 'stage_due.desc', 'number.desc', 'number.asc'];
const COLUMNS = ['category', 'status', 'grid', 'source', 'reported_at', 'lead_unit', 'stage_due', 'days_overdue'];
const DEFAULT_COLUMNS = ['category', 'status', 'grid', 'reported_at', 'lead_unit', 'stage_due', 'days_overdue'];
const SOURCES = ['worker_app', 'hotline_12345', 'wechat', 'online', 'public', 'video', 'inspector'];
// Which column header sorts by which key.
const SORT_COLUMN = { number: 'number', reported_at: 'reported_at', stage_due: 'stage_due' };
const PAGE_SIZES = [20, 50, 100, 200];

const blankFilters = () => ({ q: '', status: '', category: '', grid: '', unit: '', source: '', period: '', from: '', to: '', overdue: false, sort: SORTS[0], limit: 50 });
let filters = blankFilters();
let columns = new Set(DEFAULT_COLUMNS);
let cursors = ['']; // the cursor of each page seen; the last is the page shown

// resetDesk forgets what one user chose (the list's filters, columns and
// page, the patrol month, the statistics' range), for logout.
export function resetDesk() {
  filters = blankFilters();
  columns = new Set(DEFAULT_COLUMNS);
  cursors = [''];
  choices = null;
  patrolMonth = shanghaiToday().slice(0, 7);
  for (const k of Object.keys(statsState)) delete statsState[k];
  statsState.group = 'unit';
}

// caseQuery is the list's query string for the filters f (the summary leaves
// out the state and overdue it counts by).
export function caseQuery(f, { summary = false } = {}) {
  const q = new URLSearchParams();
  if (f.q.trim()) q.set('q', f.q.trim());
  if (!summary && f.status) q.set('status', f.status);
  for (const k of ['category', 'grid', 'unit', 'source']) if (f[k]) q.set(k, f[k]);
  if (f.period && f.period !== 'range') q.set('period', f.period);
  if (f.period === 'range') {
    if (f.from) q.set('from', f.from);
    if (f.to) q.set('to', f.to);
  }
  if (!summary && f.overdue) q.set('overdue', 'true');
  if (!summary && f.sort !== SORTS[0]) q.set('sort', f.sort);
  return q;
}

// refreshList reloads the cases list shown, if one is (live updates).
let reloadList = null;
export function refreshList() {
  if (reloadList && document.getElementById('case-list')) reloadList();
}

// The lists behind the filter selects, read once per session.
let choices = null;
async function loadChoices() {
  if (choices) return choices;
  const [cats, deps, grids] = await Promise.all([
    api.get('/api/v1/categories').then((r) => r.categories || []).catch(() => []),
    api.get('/api/v1/departments').then((r) => r.departments || []).catch(() => []),
    (async () => {
      const out = [];
      for (const level of [1, 2]) {
        const fc = await api.get(`/api/v1/grids?level=${level}&limit=1000`).catch(() => ({ features: [] }));
        for (const f of fc.features || []) out.push({ code: f.properties.code, name: f.properties.name, level });
      }
      return out;
    })(),
  ]);
  choices = { cats, deps, grids };
  return choices;
}

export function casesList(side, { openCase, gridName }) {
  side.append(h('h2', {}, t('cases')));
  const f = filters;
  const opt = (value, label, sel) => h('option', { value, selected: sel === value }, label);
  const qIn = h('input', { type: 'search', id: 'f-q', value: f.q, placeholder: t('cl_q_hint'), maxlength: 100 });
  const statusSel = h('select', { id: 'f-status' }, opt('', t('all'), f.status), STATUSES.map((s) => opt(s, statusLabel(s), f.status)));
  const catSel = h('select', { id: 'f-category' }, opt('', t('cl_all_categories'), f.category));
  const gridSel = h('select', { id: 'f-grid' }, opt('', t('cl_all_grids'), f.grid));
  const unitSel = h('select', { id: 'f-unit' }, opt('', t('cl_all_units'), f.unit));
  const sourceSel = h('select', { id: 'f-source' }, opt('', t('cl_all_sources'), f.source), SOURCES.map((s) => opt(s, sourceLabel(s), f.source)));
  const periodSel = h('select', { id: 'f-period' }, ['', 'today', 'week', 'month', 'range'].map((p) => opt(p, t('cl_period_' + (p || 'any')), f.period)));
  const from = h('input', { type: 'date', id: 'f-from', value: f.from, 'aria-label': t('from') });
  const to = h('input', { type: 'date', id: 'f-to', value: f.to, 'aria-label': t('to') });
  const range = h('span', { class: 'range', hidden: f.period !== 'range' }, from, '–', to);
  const overdue = h('input', { type: 'checkbox', id: 'f-overdue', checked: f.overdue });
  const sortSel = h('select', { id: 'f-sort' }, SORTS.map((s) => opt(s, t('cl_sort_' + s), f.sort)));
  const limitSel = h('select', { id: 'f-limit', 'aria-label': t('cl_per_page') }, PAGE_SIZES.map((n) => opt(String(n), t('cl_n_per_page', { n }), String(f.limit))));
  limitSel.addEventListener('change', () => { filters.limit = Number(limitSel.value); cursors = ['']; load(); });
  const colBox = h('details', { class: 'columns', id: 'f-columns' }, h('summary', {}, t('cl_columns')),
    COLUMNS.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: c, checked: columns.has(c), onchange: (e) => {
      if (e.target.checked) columns.add(c); else columns.delete(c);
      render();
    } }), t('cl_col_' + c))));
  const field = (id, label, el) => h('div', {}, h('label', { for: id }, label), el);
  const exportMsg = h('span', { class: 'muted', id: 'export-msg', role: 'status' });
  const form = h('form', { class: 'filters case-filters', 'aria-label': t('filters'), role: 'search' },
    h('div', { class: 'q' }, h('label', { for: 'f-q' }, t('cl_q')), qIn),
    field('f-status', t('status'), statusSel),
    field('f-category', t('category'), catSel),
    field('f-grid', t('grid'), gridSel),
    field('f-unit', t('unit'), unitSel),
    field('f-source', t('source'), sourceSel),
    h('div', {}, h('label', { for: 'f-period' }, t('cl_period')), periodSel, range),
    field('f-sort', t('cl_sort'), sortSel),
    h('div', { class: 'check' }, overdue, h('label', { for: 'f-overdue' }, t('only_overdue'))),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'f-search' }, t('search')),
      h('button', { type: 'button', class: 'secondary', id: 'f-reset', onclick: () => {
        const { sort, limit } = filters;
        filters = blankFilters();
        Object.assign(filters, { sort, limit });
        cursors = [''];
        clear(side);
        casesList(side, { openCase, gridName });
      } }, t('cl_reset'))));
  periodSel.addEventListener('change', () => { range.hidden = periodSel.value !== 'range'; });
  sortSel.addEventListener('change', () => { filters.sort = sortSel.value; cursors = ['']; load(); });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    Object.assign(filters, { q: qIn.value, status: statusSel.value, category: catSel.value, grid: gridSel.value, unit: unitSel.value,
      source: sourceSel.value, period: periodSel.value, from: from.value, to: to.value, overdue: overdue.checked, sort: sortSel.value });
    cursors = [''];
    load();
  });
  const summary = h('div', { class: 'summary', id: 'case-summary', 'aria-label': t('cl_summary') });
  const tools = h('div', { class: 'list-tools' }, colBox, limitSel,
    h('button', { type: 'button', class: 'secondary', id: 'export-csv', onclick: () => exportList('csv') }, t('cl_export_csv')),
    h('button', { type: 'button', class: 'secondary', id: 'export-xlsx', onclick: () => exportList('xlsx') }, t('cl_export_xlsx')),
    exportMsg);
  const out = h('div', { id: 'case-list' }, t('loading'));
  side.append(form, summary, tools, out);

  loadChoices().then(({ cats, deps, grids }) => {
    const big = cats.filter((c) => !c.parent);
    for (const b of big) {
      const grp = h('optgroup', { label: nm(b) }, opt(b.code, t('cl_big_class', { name: nm(b) }), filters.category));
      for (const c of cats.filter((x) => x.parent === b.code)) grp.append(opt(c.code, nm(c), filters.category));
      catSel.append(grp);
    }
    for (const d of deps) unitSel.append(opt(d.code, d.name, filters.unit));
    for (const level of [1, 2]) {
      const gs = grids.filter((g) => g.level === level);
      if (gs.length) gridSel.append(h('optgroup', { label: t('level_' + level) }, gs.map((g) => opt(g.code, g.name, filters.grid))));
    }
  });

  reloadList = () => load();
  let page = null;
  let seq = 0;
  async function load() {
    const mine = ++seq;
    const q = caseQuery(filters);
    q.set('limit', String(filters.limit));
    const cur = cursors[cursors.length - 1];
    if (cur) q.set('cursor', cur);
    out.setAttribute('aria-busy', 'true');
    try {
      const [r, sum] = await Promise.all([api.get('/api/v1/cases?' + q), api.get('/api/v1/cases/summary?' + caseQuery(filters, { summary: true }))]);
      if (mine !== seq) return;
      page = r;
      drawSummary(sum);
    } catch (e) {
      if (mine !== seq) return;
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
      return;
    } finally {
      out.removeAttribute('aria-busy');
    }
    render();
  }
  function drawSummary(sum) {
    clear(summary);
    const chip = (label, n, active, onclick, key) => h('button', { type: 'button', class: 'chip' + (active ? ' active' : ''), dataset: { key }, 'aria-pressed': String(active), onclick },
      label, ' ', h('b', {}, fmtNum(n)));
    const pick = (status, od) => { Object.assign(filters, { status, overdue: od }); statusSel.value = status; overdue.checked = od; cursors = ['']; load(); };
    summary.append(chip(t('cl_sum_all'), sum.total, !filters.status && !filters.overdue, () => pick('', false), 'all'));
    for (const s of STATUSES) {
      const n = sum.by_status?.[s] || 0;
      if (n || filters.status === s) summary.append(chip(statusLabel(s), n, filters.status === s, () => pick(s, false), s));
    }
    summary.append(chip(t('cl_sum_overdue'), sum.overdue, filters.overdue, () => pick('', true), 'overdue'));
  }
  function render() {
    if (!page) return;
    clear(out);
    const rows = (page.cases || []).map(props);
    out.append(h('p', { class: 'muted', id: 'case-count' }, t('cl_page', { p: cursors.length, n: fmtNum(page.total) })));
    if (!rows.length) { out.append(h('p', {}, t('no_cases'))); return; }
    const cols = COLUMNS.filter((c) => columns.has(c));
    const [sortKey, sortDir] = filters.sort.split('.');
    const head = (c, label) => {
      const key = SORT_COLUMN[c];
      const sorted = key === sortKey;
      const th = h('th', { scope: 'col', 'aria-sort': sorted ? (sortDir === 'asc' ? 'ascending' : 'descending') : undefined, class: 'col-' + c });
      if (!key) { th.append(label); return th; }
      th.append(h('button', { type: 'button', class: 'link sort', onclick: () => {
        filters.sort = key + '.' + (sorted && sortDir === (key === 'stage_due' ? 'asc' : 'desc') ? (key === 'stage_due' ? 'desc' : 'asc') : (key === 'stage_due' ? 'asc' : 'desc'));
        sortSel.value = filters.sort;
        cursors = [''];
        load();
      } }, label, sorted ? (sortDir === 'asc' ? ' ▲' : ' ▼') : ''));
      return th;
    };
    const cell = (c, r) => {
      switch (c) {
        case 'category': return h('td', {}, r.category_name || r.category);
        case 'status': return h('td', {}, h('span', { class: `badge st-${r.status}` }, statusLabel(r.status)), r.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : '');
        case 'grid': return h('td', {}, r.grid_code ? gridName(r.grid_code) : '—');
        case 'source': return h('td', {}, sourceLabel(r.source));
        case 'reported_at': return h('td', { class: 'nowrap' }, fmtDateTime(r.reported_at));
        case 'lead_unit': return h('td', {}, r.lead_unit_name || r.lead_unit || '—');
        case 'stage_due': return h('td', { class: 'nowrap' }, OPEN.includes(r.status) ? fmtDateTime(r.stage_due ?? r.due_at) : '—');
        case 'days_overdue': return h('td', { class: 'num' }, r.days_overdue > 0 ? t('cl_days', { n: fmtNum(r.days_overdue) }) : '—');
        default: return h('td', {});
      }
    };
    const tb = h('tbody', {}, rows.map((r) => h('tr', { class: r.overdue ? 'overdue' : '', dataset: { id: String(r.id), status: r.status } },
      h('td', { class: 'nowrap' }, h('button', { class: 'link', onclick: () => openCase(r.id) }, r.number || `#${r.id}`)),
      cols.map((c) => cell(c, r)))));
    out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'cases-table' },
      h('thead', {}, h('tr', {}, head('number', t('case_no')), cols.map((c) => head(c, t('cl_col_' + c))))), tb)));
    const next = page.next ? new URL(page.next, location.origin).searchParams.get('cursor') : '';
    out.append(h('nav', { class: 'pager', 'aria-label': t('cl_page', { p: cursors.length, n: fmtNum(page.total) }) },
      h('button', { type: 'button', class: 'secondary', id: 'page-prev', disabled: cursors.length < 2, onclick: () => { cursors.pop(); load(); } }, t('cl_prev')),
      h('button', { type: 'button', class: 'secondary', id: 'page-next', disabled: !next, onclick: () => { cursors.push(next); load(); } }, t('cl_next'))));
  }
  async function exportList(format) {
    const q = caseQuery(filters);
    q.set('format', format);
    exportMsg.textContent = t('cl_exporting');
    try {
      const r = await fetch('/api/v1/cases/export?' + q, { headers: api.headers() });
      if (!r.ok) {
        const p = await r.json().catch(() => ({}));
        throw new Error(p.detail || p.title || String(r.status));
      }
      const name = (/filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '') || [])[1] || `cases.${format}`;
      const a = h('a', { href: URL.createObjectURL(await r.blob()), download: name });
      document.body.append(a);
      a.click();
      a.remove();
      exportMsg.textContent = '';
      exportMsg.dataset.done = format;
    } catch (e) {
      exportMsg.textContent = t('cl_export_failed', { msg: e.message });
    }
  }
  load();
  casesList.reload = load;
}

// chooseCase lists cases at one point (a cluster that zooming cannot
// split) in the card; each opens its case.
export async function chooseCase(ids, { openCase, showCard }) {
  const body = h('div', { class: 'card-body', id: 'case-choice' }, t('loading'));
  showCard(t('cl_same_place', { n: ids.length }), body);
  const got = await Promise.all(ids.slice(0, 50).map((id) => api.get(`/api/v1/cases/${id}`).catch(() => null)));
  const byId = Object.fromEntries(got.filter(Boolean).map((c) => [c.id, c]));
  clear(body).append(h('ul', { class: 'case-mini' }, ids.map((id) => {
    const c = byId[id] || { id };
    return h('li', {}, h('button', { class: 'link', onclick: () => openCase(id) }, c.number || `#${id}`), ' ',
      c.status ? h('span', { class: `badge st-${c.status}` }, statusLabel(c.status)) : '', ' ', c.category_name || '');
  })));
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
      c.emergency ? h('span', { class: 'badge overdue' }, t('emergency')) : '',
      c.recurring ? h('span', { class: 'badge recurring', id: 'case-recurring', title: t('recurring_hint') }, t('recurring')) : ''),
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
  const rules = r.rules || {};
  const minH = (rules.min_daily_seconds || 0) / 3600;
  const minCov = rules.monthly_coverage || 0;
  sec.append(h('p', { class: 'muted' }, `${t('month')}: ${r.month}`),
    h('ul', { class: 'rules', id: 'patrol-rules' },
      h('li', {}, t('pa_rule_days', { h: fmtNum(minH, 1) })),
      h('li', {}, t('pa_rule_coverage', { c: fmtNum(minCov * 100, 0) })),
      h('li', {}, t('pa_rule_checkpoints'))));
  if (!rows.length) { sec.append(h('p', { class: 'muted' }, t('no_rows'))); sec.dataset.loaded = 'ok'; return; }
  // Missed checkpoint visits per grid (the third rule).
  const missed = {};
  for (const m of r.missed_checkpoints || []) missed[m.grid_code] = (missed[m.grid_code] || 0) + (m.missed || []).length;
  const flagCell = (bad, text, title) => h('td', { class: 'num' + (bad ? ' flag' : ''), title: bad ? title : undefined }, bad ? [h('span', { class: 'sr-only' }, t('pa_flag') + ' '), '✗ '] : '', text);
  // Flagged rows first, then by coverage (lowest first).
  const flags = (w) => ({ days: w.days_under_minimum > 0, cov: !w.monthly_coverage_met, cp: (missed[w.grid_code] || 0) > 0 });
  const nFlags = (w) => Object.values(flags(w)).filter(Boolean).length;
  const sorted = [...rows].sort((a, b) => nFlags(b) - nFlags(a) || (a.monthly_coverage || 0) - (b.monthly_coverage || 0));
  const tb = h('tbody', {});
  for (const w of sorted) {
    const f = flags(w);
    const who = w.worker && showDay ? h('button', { class: 'link', title: t('patrol_day'), onclick: () => showDay(w.worker, day.value) }, w.worker_name || w.worker) : (w.worker_name || w.worker || '—');
    tb.append(h('tr', { class: nFlags(w) ? 'overdue' : '', dataset: { grid: w.grid_code, flags: Object.keys(f).filter((k) => f[k]).join(' ') } },
      h('td', {}, who), h('td', {}, w.grid_name || w.grid_code),
      h('td', { class: 'num' }, `${w.days_patrolled}/${w.days}`),
      flagCell(f.days, fmtNum(w.days_under_minimum), t('pa_rule_days', { h: fmtNum(minH, 1) })),
      h('td', { class: 'num' }, t('pa_hours', { v: fmtNum((w.patrol_seconds || 0) / 3600, 1) })),
      h('td', { class: 'num' }, t('km', { v: fmtNum((w.distance_m || 0) / 1000, 1) })),
      flagCell(f.cov, fmtNum((w.monthly_coverage || 0) * 100, 1) + '%', t('pa_rule_coverage', { c: fmtNum(minCov * 100, 0) })),
      flagCell(f.cp, fmtNum(missed[w.grid_code] || 0), t('pa_rule_checkpoints'))));
  }
  sec.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'patrol-table' }, h('thead', {}, h('tr', {},
    [t('worker'), t('grid'), t('patrol_days'), t('pa_days_under'), t('pa_time'), t('distance'), t('patrol_coverage'), t('pa_missed')].map((x) => h('th', { scope: 'col' }, x)))), tb)));
  if ((r.missed_checkpoints || []).length) {
    sec.append(h('h4', {}, t('pa_missed_list')), h('ul', { class: 'missed', id: 'patrol-missed' }, r.missed_checkpoints.slice(0, 100).map((m) =>
      h('li', {}, `${m.name}（${m.grid_code}）：`, (m.missed || []).join('、')))));
  }
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
    tb.append(h('tr', {}, h('td', {}, f.name || f.code), h('td', {}, f.label || f.reason),
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
      // By rank in the street (ties by name); a worker without a rank last.
      const rows = [...(r.workers || [])].sort((a, b) => (a.rank || Infinity) - (b.rank || Infinity)
        || String(a.worker?.name || '').localeCompare(String(b.worker?.name || ''), 'zh-CN'));
      clear(out);
      if (!rows.length) { out.append(h('p', { class: 'muted' }, t('no_rows'))); return; }
      const tb = h('tbody', {});
      for (const w of rows) {
        const blocks = w.blocks || [];
        tb.append(h('tr', { class: w.vetoed || !w.qualified ? 'overdue' : '' },
          h('th', { scope: 'row' }, w.worker?.name || w.worker?.username, h('div', { class: 'muted' }, (w.worker?.grids || []).join('、'))),
          h('td', { class: 'num' }, fmtNum(w.total, 1)),
          h('td', { class: 'num nowrap' }, w.rank ? `${w.rank}/${w.street_size}` : '—'),
          h('td', { class: 'nowrap result' }, w.vetoed ? t('vetoed') : w.qualified ? t('qualified') : t('unqualified')),
          h('td', {}, h('details', {}, h('summary', {}, t('items')),
            blocks.map((b) => h('div', { class: 'block' },
              h('strong', {}, `${nm(b)} ${fmtNum(b.score, 1)}/${fmtNum(b.max, 0)}`),
              h('ul', {}, (b.items || []).map((it) => h('li', {},
                `${nm(it)}: ${it.points > 0 ? '+' : ''}${fmtNum(it.points, 1)}`, it.count ? ` (×${it.count})` : '',
                it.detail ? h('div', { class: 'muted' }, it.detail) : '',
                (it.evidence || []).length ? h('div', { class: 'muted' }, `${t('evidence')}: ` + it.evidence.map((e) => [e.kind && has('ev_' + e.kind) ? t('ev_' + e.kind) : e.kind, e.id, e.date, e.note].filter(Boolean).join(' ')).join('；')) : '')))))))));
      }
      out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'assessment-table' },
        h('thead', {}, h('tr', {}, [t('worker'), t('score'), t('rank'), t('result'), t('items')].map((x) => h('th', { scope: 'col' }, x)))), tb)));
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
  const group = h('select', { id: 's-group' }, ['unit', 'village', 'grid', 'category', 'month'].map((g) => h('option', { value: g, selected: statsState.group === g }, t('group_' + g))));
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
      const rows = orderStats(r.groups || [], group.value);
      clear(out);
      const names = await groupNames(group.value);
      const label = (g) => names[g.key] || (has('st_key_' + g.key) ? t('st_key_' + g.key) : g.name || g.key || '—');
      const gname = t('group_' + group.value);
      const pct = (v) => fmtNum(v * 100, 1) + '%';
      const noData = t('st_no_data');
      out.append(barChart({ title: t('chart_title', { m: t('reported'), g: gname }), rows: rows.map((g) => ({ label: label(g), value: g.reported })), fmt: (v) => fmtNum(v) }));
      out.append(barChart({ title: t('chart_title', { m: t('close_rate'), g: gname }), rows: rows.map((g) => ({ label: label(g), value: g.close_rate ?? null })), fmt: pct, max: 1, color: '#0b7a3e', noData }));
      out.append(barChart({ title: t('chart_title', { m: t('on_time_rate'), g: gname }), rows: rows.map((g) => ({ label: label(g), value: g.on_time_rate ?? null })), fmt: pct, max: 1, color: '#2a6f97', noData }));
      // Each column names its figure as the API defines it (casework.StatsRow).
      const cols = ['reported', 'accepted', 'due', 'closed', 'closed_on_time', 'close_rate', 'on_time_rate', 'rework_rate', 'mean_handling_days'];
      const ranked = group.value === 'unit' || group.value === 'grid' || group.value === 'village';
      const cellOf = (g, k) => {
        const v = g[k];
        if (v === undefined || v === null) return h('td', { class: 'num nodata muted' }, k.endsWith('rate') || k.startsWith('mean') ? noData : '—');
        return h('td', { class: 'num' }, k.endsWith('rate') ? pct(v) : fmtNum(v, k.startsWith('mean') ? 1 : 0));
      };
      const tb = h('tbody', {});
      for (const g of rows) {
        tb.append(h('tr', { dataset: { key: g.key } }, ranked ? h('td', { class: 'num' }, g.rank ?? (g.key === 'unassigned' || g.key === 'outside' ? t('st_not_ranked') : '—')) : '',
          h('th', { scope: 'row' }, label(g)), cols.map((k) => cellOf(g, k))));
      }
      const foot = r.total ? h('tfoot', {}, h('tr', { class: 'total' }, ranked ? h('td', {}) : '', h('th', { scope: 'row' }, t('st_total')), cols.map((k) => cellOf(r.total, k)))) : '';
      out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'stats-table' },
        h('thead', {}, h('tr', {}, ranked ? h('th', { scope: 'col' }, t('st_rank')) : '', h('th', { scope: 'col' }, gname),
          cols.map((k) => h('th', { scope: 'col', title: t('st_def_' + k) }, t('st_col_' + k))))), tb, foot)));
      out.append(h('p', { class: 'muted small' }, t('st_note')));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  side.append(form, out);
  load();
}

// orderStats puts ranked groups first by rank, then unranked ones by
// reports; "not dispatched" and "outside every grid" last; months in order.
function orderStats(rows, group) {
  if (group === 'month') return [...rows].sort((a, b) => (a.key < b.key ? -1 : 1));
  const pseudo = (g) => (g.key === 'unassigned' || g.key === 'outside' ? 1 : 0);
  return [...rows].sort((a, b) => pseudo(a) - pseudo(b) || (a.rank ?? Infinity) - (b.rank ?? Infinity) || b.reported - a.reported);
}

extend({
  group_village: '按村（社区）',
  st_no_data: '无数据',
  st_not_ranked: '不排名',
  st_total: '合计',
  st_rank: '排名',
  st_key_unassigned: '未派遣（尚无承办单位）',
  st_key_outside: '不在任何网格内',
  st_col_reported: '上报数',
  st_col_accepted: '立案数',
  st_col_due: '应结案数',
  st_col_closed: '结案数',
  st_col_closed_on_time: '按期结案数',
  st_col_close_rate: '结案率',
  st_col_on_time_rate: '按期结案率',
  st_col_rework_rate: '返工率',
  st_col_mean_handling_days: '平均办理工作日',
  st_def_reported: '期间内上报的案件数',
  st_def_accepted: '已立案或现场解决的案件数',
  st_def_due: '已结案、缓办或处置时限已过的立案案件数',
  st_def_closed: '已结案的案件数',
  st_def_closed_on_time: '处置时限内反馈并结案的案件数',
  st_def_close_rate: '结案数 ÷（应结案数 − 缓办数）',
  st_def_on_time_rate: '按期结案数 ÷（应结案数 − 缓办数）',
  st_def_rework_rate: '返工过的案件 ÷ 反馈过处置结果的案件',
  st_def_mean_handling_days: '立案到结案的平均工作日（不含缓办）',
  st_note: '“无数据”表示该项没有可计算的案件（分母为零），不是 0%；排名按按期结案率、再按结案率，未派遣的案件不参与排名。',
}, {
  group_village: 'Village',
  st_no_data: 'no data',
  st_not_ranked: 'not ranked',
  st_total: 'Total',
  st_rank: 'Rank',
  st_key_unassigned: 'Not dispatched (no unit yet)',
  st_key_outside: 'Outside every grid',
  st_col_reported: 'Reported',
  st_col_accepted: 'Accepted',
  st_col_due: 'Due to close',
  st_col_closed: 'Closed',
  st_col_closed_on_time: 'Closed on time',
  st_col_close_rate: 'Closing rate',
  st_col_on_time_rate: 'On-time rate',
  st_col_rework_rate: 'Rework rate',
  st_col_mean_handling_days: 'Mean working days',
  st_def_reported: 'Cases reported in the period',
  st_def_accepted: 'Cases accepted or resolved on site',
  st_def_due: 'Accepted cases closed, postponed or past their handling deadline',
  st_def_closed: 'Cases closed',
  st_def_closed_on_time: 'Cases handled within the deadline and closed',
  st_def_close_rate: 'Closed ÷ (due − postponed)',
  st_def_on_time_rate: 'Closed on time ÷ (due − postponed)',
  st_def_rework_rate: 'Cases reworked ÷ cases whose handling was fed back',
  st_def_mean_handling_days: 'Mean working days from acceptance to closing (postponements excluded)',
  st_note: '"No data" means no case to compute the figure from (a zero denominator), not 0%; ranks follow the on-time rate, then the closing rate; cases not dispatched are not ranked.',
});

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
    } else if (group === 'grid' || group === 'village') {
      let path = `/api/v1/grids?limit=1000&level=${group === 'village' ? 2 : 3}`;
      for (let i = 0; path && i < 20; i++) {
        const r = await api.get(path);
        for (const f of r.features) names[f.properties.code] = f.properties.name;
        path = r.next || '';
      }
    }
  } catch (e) { /* keys as they are */ }
  return names;
}
