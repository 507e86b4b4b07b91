// The province view: what a province instance (GET /api/v1/auth/me
// features ["province"]) shows instead of the city console. Read-only and
// only from the /api/v1/province routes: every city's grids as vector
// tiles coloured by county, the province's hot spots over a period and
// category, the figures per county and for the province by month, and
// each city's replication state.
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { Style, Fill, Stroke, Text } from 'ol/style.js';
import { fromLonLat } from 'ol/proj.js';
import { createEmpty, extend as extendExtent, isEmpty } from 'ol/extent.js';
import { api } from './api.js';
import { tileSource } from './map.js';
import { TRENDS, hotspotStyle, monthRange } from './analytics.js';
import { t, extend, fmtNum, fmtDateTime, shanghaiToday } from './i18n.js';
import { h, clear } from './dom.js';

extend({
  prov_title: '全省网格化管理',
  prov_tab_stats: '全省统计',
  prov_tab_cities: '城市同步',
  prov_readonly: '省级只读视图：数据由各城市通过逻辑复制同步，修改请在各城市系统中进行。',
  prov_not_reader: '省级数据仅向管理员及无辖区限制的指挥中心、查看人员开放。',
  prov_counties: '各县（市、区）',
  prov_layer_grids: '各城市网格',
  prov_layer_hotspots: '案件热点',
  prov_hotspots: '案件热点',
  prov_from: '起始日期',
  prov_to: '截止日期',
  prov_category: '类别代码',
  prov_category_hint: '如 01 或 0104，留空为全部',
  prov_hs_summary: '{from} 至 {to}：{cells} 个热点单元（共 {cases} 件案件）',
  prov_grids_drawn: '当前视图：{counties} 个县（市、区）的 {n} 个网格',
  prov_stats: '全省统计',
  prov_from_month: '起始月份',
  prov_to_month: '截止月份',
  prov_county: '县（市、区）',
  prov_province: '全省合计',
  prov_by_month: '按月',
  prov_months_of: '对象',
  prov_month: '月份',
  prov_total: '合计',
  prov_col_grids: '末级网格数',
  prov_col_all_grids: '网格数（各层级）',
  prov_col_area_km2: '面积（km²）',
  prov_col_households: '户数',
  prov_col_population: '人口',
  prov_col_reported: '上报数',
  prov_col_problems: '问题数',
  prov_col_closed: '结案数',
  prov_col_closed_on_time: '按期结案数',
  prov_col_open: '在办数',
  prov_col_emergency: '紧急案件',
  prov_col_workers: '考核人数',
  prov_col_qualified: '合格人数',
  prov_col_vetoed: '一票否决',
  prov_col_mean_total: '平均分',
  prov_col_min_total: '最低分',
  prov_col_max_total: '最高分',
  prov_stats_note: '案件按上报月份统计，定义同各城市的案件统计；网格数为末级网格；考核为各城市当月已计算的考核汇总。',
  prov_as_of: '截至 {t}',
  prov_cities: '城市同步状态',
  prov_col_county: '县（市、区）代码',
  prov_col_subscription: '订阅',
  prov_col_state: '状态',
  prov_col_last_message: '最后消息',
  prov_col_lag: '延迟',
  prov_col_cases: '案件数',
  prov_connected: '已连接',
  prov_disconnected: '未连接',
  prov_disabled: '已停用',
  prov_zoom: '定位',
  prov_refresh: '刷新',
  prov_no_cities: '尚未订阅任何城市（gridd province subscribe）。',
  prov_lag_s: '{n} 秒',
  prov_lag_m: '{n} 分钟',
  prov_lag_h: '{n} 小时',
  prov_cities_note: '未连接的城市不影响全省：省级继续提供其最后同步的数据，城市恢复后自动追平。',
}, {
  prov_title: 'Province grid management',
  prov_tab_stats: 'Province figures',
  prov_tab_cities: 'Cities',
  prov_readonly: 'Read-only province view: the cities replicate their data here; change it in the city\'s own gridd.',
  prov_not_reader: 'Province figures are for admins and for centers and viewers without a scope.',
  prov_counties: 'Counties',
  prov_layer_grids: 'Grids of every city',
  prov_layer_hotspots: 'Case hot spots',
  prov_hotspots: 'Case hot spots',
  prov_from: 'From',
  prov_to: 'To',
  prov_category: 'Category code',
  prov_category_hint: 'e.g. 01 or 0104; empty for all',
  prov_hs_summary: '{from} to {to}: {cells} hot-spot cells ({cases} cases in all)',
  prov_grids_drawn: 'In view: {n} grids of {counties} counties',
  prov_stats: 'Province figures',
  prov_from_month: 'From month',
  prov_to_month: 'To month',
  prov_county: 'County',
  prov_province: 'Province',
  prov_by_month: 'By month',
  prov_months_of: 'Of',
  prov_month: 'Month',
  prov_total: 'Total',
  prov_col_grids: 'Basic grids',
  prov_col_all_grids: 'Grids (all levels)',
  prov_col_area_km2: 'Area (km²)',
  prov_col_households: 'Households',
  prov_col_population: 'Population',
  prov_col_reported: 'Reported',
  prov_col_problems: 'Problems',
  prov_col_closed: 'Closed',
  prov_col_closed_on_time: 'Closed on time',
  prov_col_open: 'Open',
  prov_col_emergency: 'Emergencies',
  prov_col_workers: 'Workers assessed',
  prov_col_qualified: 'Qualified',
  prov_col_vetoed: 'Vetoed',
  prov_col_mean_total: 'Mean score',
  prov_col_min_total: 'Lowest',
  prov_col_max_total: 'Highest',
  prov_stats_note: 'Cases by the month they were reported, as each city\'s case statistics define them; grids are basic grids; assessments are the month\'s stored results of each city.',
  prov_as_of: 'as of {t}',
  prov_cities: 'Replication of the cities',
  prov_col_county: 'County code',
  prov_col_subscription: 'Subscription',
  prov_col_state: 'State',
  prov_col_last_message: 'Last message',
  prov_col_lag: 'Lag',
  prov_col_cases: 'Cases',
  prov_connected: 'connected',
  prov_disconnected: 'not connected',
  prov_disabled: 'disabled',
  prov_zoom: 'Show',
  prov_refresh: 'Refresh',
  prov_no_cities: 'No city subscribed yet (gridd province subscribe).',
  prov_lag_s: '{n} s',
  prov_lag_m: '{n} min',
  prov_lag_h: '{n} h',
  prov_cities_note: 'A city that is not connected does not hold the province up: its last replicated data stays, and it catches up when it returns.',
});

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

// PALETTE tells the counties apart (dark enough for text on white).
const PALETTE = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#4d7c0f'];

// P is the province view's state (the console's S holds the map).
const P = {
  cities: [],
  colours: {},
  hq: { from: '', to: '', category: '' },
  hotspots: null,
  period: null,
  of: 'province',
  stats: null,
};

// reset forgets what the last user chose (periods, category, county).
export function reset() {
  Object.assign(P, { hq: { from: '', to: '', category: '' }, hotspots: null, period: null, of: 'province', stats: null });
}

// canRead: province figures are for admins and unscoped centers and
// viewers (province.Service); others get a notice and no request.
const canRead = (me) => ['admin', 'center', 'viewer'].includes(me?.role) && !(me.scope && me.scope.length);

function colourOf(code) {
  if (!P.colours[code]) {
    let n = 0;
    for (const ch of String(code)) n = (n * 31 + ch.charCodeAt(0)) >>> 0;
    P.colours[code] = PALETTE[n % PALETTE.length];
  }
  return P.colours[code];
}

function alpha(hex, a) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${v >> 16}, ${(v >> 8) & 255}, ${v & 255}, ${a})`;
}

const FONT = '12px "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif';
const shapes = {};

// gridStyle draws a grid by its county's colour and its level (street or
// town bold, village dashed, basic grid thin and filled from zoom ~11),
// labelled by name and county code.
function gridStyle(f, res) {
  const level = Number(f.get('level'));
  const county = f.get('county_code');
  const c = colourOf(county);
  if (level >= 3 && res > 80) return null;
  const k = `${c}|${level}`;
  if (!shapes[k]) {
    shapes[k] = level <= 1 ? new Style({ stroke: new Stroke({ color: c, width: 3 }) })
      : level === 2 ? new Style({ stroke: new Stroke({ color: c, width: 1.8, lineDash: [8, 4] }) })
        : new Style({ stroke: new Stroke({ color: c, width: 0.8 }), fill: new Fill({ color: alpha(c, 0.10) }) });
  }
  let text = '';
  if (level <= 1 && res >= 30 && res < 600) text = `${f.get('name') || ''}\n${county}`;
  else if (level === 2 && res >= 6 && res < 30) text = f.get('name') || '';
  else if (level >= 3 && res < 6) text = f.get('name') || '';
  if (!text) return shapes[k];
  return [shapes[k], new Style({ text: new Text({ text, font: FONT, fill: new Fill({ color: c }), stroke: new Stroke({ color: '#ffffff', width: 3 }) }) })];
}

// start draws the province's map: the cities (for their colours and to
// fit the view), the grid tiles and the hot spots.
export async function start(S) {
  if (!canRead(S.me)) return;
  await loadCities();
  const grids = S.map.add('prov_grids', new VectorTileLayer({
    source: tileSource({ tiles: ['/api/v1/province/tiles/{z}/{x}/{y}.mvt'], minzoom: 0, maxzoom: 16 }),
    style: gridStyle,
    declutter: true,
  }), 10);
  grids.getSource().on('tileloadend', () => S.map.emit('loaded', 'grids'));
  S.map.add('prov_hotspots', new VectorLayer({ source: new VectorSource(), style: hotspotStyle }), 20);
  fitCities(S);
  await loadHotspots(S);
}

// fitCities fits the view to the cities' grids (all, or the given codes).
function fitCities(S, codes) {
  const ext = createEmpty();
  for (const c of P.cities) {
    if (!c.bounds || (codes && !codes.includes(c.county_code))) continue;
    const [w, s, e, n] = c.bounds;
    extendExtent(ext, [...fromLonLat([w, s]), ...fromLonLat([e, n])]);
  }
  if (!isEmpty(ext)) S.map.map.getView().fit(ext, { padding: [30, 30, 30, 30], maxZoom: 15 });
}

async function loadCities() {
  const r = await api.get('/api/v1/province/cities');
  P.cities = r.cities || [];
  P.cities.forEach((c, i) => { P.colours[c.county_code] = PALETTE[i % PALETTE.length]; });
}

async function loadHotspots(S) {
  const q = new URLSearchParams();
  for (const k of ['from', 'to', 'category']) if (P.hq[k]) q.set(k, P.hq[k]);
  const qs = q.toString();
  const fc = await api.get('/api/v1/province/hotspots' + (qs ? '?' + qs : ''));
  P.hotspots = fc;
  P.hq.from = fc.from;
  P.hq.to = fc.to;
  const src = S.map.layers.prov_hotspots.getSource();
  src.clear();
  src.addFeatures(geojson.readFeatures({ type: 'FeatureCollection', features: fc.features.filter((f) => f.properties.significant) }));
}

// hotspotFigures sums the loaded analysis: significant cells and cases.
function hotspotFigures() {
  const fs = P.hotspots?.features || [];
  return { cells: fs.filter((f) => f.properties.significant).length, cases: fs.reduce((n, f) => n + (f.properties.count || 0), 0) };
}

// drawnGrids counts the distinct grids drawn in view per county code.
export function drawnGrids(S) {
  const layer = S.map?.layers.prov_grids;
  if (!layer || !layer.getVisible()) return {};
  const seen = {};
  for (const f of layer.getFeaturesInExtent(S.map.map.getView().calculateExtent(S.map.map.getSize()))) {
    (seen[f.get('county_code')] ||= new Set()).add(f.get('code'));
  }
  return Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v.size]));
}

// debug is what the browser tests read (window.__gridd.province).
export function debug(S) {
  return {
    drawnGrids: () => drawnGrids(S),
    drawnHotspots: () => (S.map?.layers.prov_hotspots?.getVisible() ? S.map.layers.prov_hotspots.getSource().getFeatures().map((f) => f.get('cell')).sort() : []),
    hotspots: () => ({ ...hotspotFigures(), from: P.hotspots?.from, to: P.hotspots?.to, category: P.hq.category }),
  };
}

export function status(S) {
  const d = drawnGrids(S);
  return t('prov_grids_drawn', { n: fmtNum(Object.values(d).reduce((a, b) => a + b, 0)), counties: Object.keys(d).length });
}

export function tabs() {
  return [['map', 'tab_map'], ['pstats', 'prov_tab_stats'], ['cities', 'prov_tab_cities']];
}

// views are the side panel's tabs.
export function views(S) {
  const guard = (fn) => (side) => {
    if (!canRead(S.me)) { side.append(h('p', { class: 'error', role: 'alert', id: 'prov-not-reader' }, t('prov_not_reader'))); return; }
    fn(side, S);
  };
  return { map: guard(mapView), pstats: guard(statsView), cities: guard(citiesView) };
}

// wideViews and deskViews widen the side panel for the tables.
export const wideViews = ['pstats', 'cities'];
export const deskViews = ['pstats'];

// ---------- the map's panel: layers, counties, hot spots ----------

function mapView(side, S) {
  side.append(h('h2', {}, t('prov_title')), h('p', { class: 'muted small', id: 'prov-readonly' }, t('prov_readonly')));
  const check = (id, layer, key) => h('div', { class: 'check' },
    h('input', { type: 'checkbox', id, checked: S.map.layers[layer]?.getVisible() ?? true, onchange: (e) => S.map.setVisible(layer, e.target.checked) }),
    h('label', { for: id }, t(key)));
  side.append(h('fieldset', { class: 'layers' }, h('legend', { class: 'sr-only' }, t('layers')),
    check('prov-layer-grids', 'prov_grids', 'prov_layer_grids'), check('prov-layer-hotspots', 'prov_hotspots', 'prov_layer_hotspots')));
  side.append(h('h3', {}, t('prov_counties')), h('ul', { class: 'legend', id: 'prov-counties' }, P.cities.map((c) =>
    h('li', { 'data-code': c.county_code }, h('span', { class: 'box', style: `background:${colourOf(c.county_code)}` }),
      `${c.county_code} · ${t('prov_col_all_grids')} ${fmtNum(c.grids)}`))));

  const from = h('input', { type: 'date', id: 'ph-from', value: P.hq.from });
  const to = h('input', { type: 'date', id: 'ph-to', value: P.hq.to });
  const cat = h('input', { id: 'ph-category', value: P.hq.category, pattern: '[0-9]{2}([0-9]{2})?', inputmode: 'numeric', placeholder: t('prov_category_hint'), size: 10 });
  const summary = h('p', { id: 'ph-summary', role: 'status' });
  const showSummary = () => {
    const f = hotspotFigures();
    summary.textContent = P.hotspots ? t('prov_hs_summary', { from: P.hotspots.from, to: P.hotspots.to, cells: fmtNum(f.cells), cases: fmtNum(f.cases) }) : '';
  };
  const form = h('form', { class: 'filters', id: 'ph-form' },
    h('div', {}, h('label', { for: 'ph-from' }, t('prov_from')), from),
    h('div', {}, h('label', { for: 'ph-to' }, t('prov_to')), to),
    h('div', {}, h('label', { for: 'ph-category' }, t('prov_category')), cat),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'ph-submit' }, t('search'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    P.hq = { from: from.value, to: to.value, category: cat.value.trim() };
    summary.textContent = t('loading');
    try {
      await loadHotspots(S);
      from.value = P.hq.from;
      to.value = P.hq.to;
      showSummary();
    } catch (ex) {
      summary.textContent = t('error', { msg: ex.message });
    }
  });
  side.append(h('h3', {}, t('prov_hotspots')), form, summary,
    h('ul', { class: 'legend', id: 'ph-legend' }, Object.entries(TRENDS).map(([k, c]) =>
      h('li', {}, h('span', { class: 'box', style: `background:${c}` }), t('trend_' + k)))));
  showSummary();
}

// ---------- figures per county and for the province ----------

const CASE_COLS = ['reported', 'problems', 'closed', 'closed_on_time', 'open', 'emergency'];
const GRID_COLS = ['grids', 'area_km2', 'households', 'population'];

function num(field, v, digits = 0) {
  return h('td', { class: 'num', 'data-f': field, 'data-v': v ?? '' }, fmtNum(v, digits));
}

// figureCells are a county's (or a month's) case and assessment columns.
function figureCells(m) {
  const a = m?.assessment;
  return [
    CASE_COLS.map((k) => num(k, m?.[k] ?? 0)),
    num('workers', a?.workers ?? null), num('qualified', a?.qualified ?? null), num('mean_total', a?.mean_total ?? null, 1),
  ];
}

const headRow = (first, cols) => h('tr', {}, h('th', { scope: 'col' }, first), cols.map((k) => h('th', { scope: 'col' }, t('prov_col_' + k))));

function statsView(side) {
  side.append(h('h2', {}, t('prov_stats')));
  const now = shanghaiToday().slice(0, 7);
  const [y, m] = now.split('-').map(Number);
  const back = new Date(Date.UTC(y, m - 12, 1)).toISOString().slice(0, 7);
  P.period ||= { from: back, to: now };
  const from = h('input', { type: 'month', id: 'ps-from', value: P.period.from });
  const to = h('input', { type: 'month', id: 'ps-to', value: P.period.to });
  const out = h('div', { id: 'ps-out' });
  const form = h('form', { class: 'filters', id: 'ps-form' },
    h('div', {}, h('label', { for: 'ps-from' }, t('prov_from_month')), from),
    h('div', {}, h('label', { for: 'ps-to' }, t('prov_to_month')), to),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'ps-submit' }, t('search'))));
  const load = async () => {
    P.period = { from: from.value, to: to.value };
    clear(out).append(t('loading'));
    try {
      const st = await api.get(`/api/v1/province/stats?from=${monthRange(from.value)[0]}&to=${monthRange(to.value)[1]}`);
      P.stats = st;
      drawStats(out, st);
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  side.append(form, out);
  if (P.stats) drawStats(out, P.stats); else load();
}

function drawStats(out, st) {
  clear(out);
  const cols = [...GRID_COLS, ...CASE_COLS, 'workers', 'qualified', 'mean_total'];
  const row = (c, label, key) => h('tr', { 'data-key': key },
    h('th', { scope: 'row' }, label),
    GRID_COLS.map((k) => num(k, c[k], k === 'area_km2' ? 2 : 0)), figureCells(c.total));
  out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'prov-counties-table' },
    h('thead', {}, headRow(t('prov_county'), cols)),
    h('tbody', {}, st.counties.map((c) => row(c, c.county_code, c.county_code))),
    h('tfoot', {}, row(st.province, t('prov_province'), 'province')))));
  out.append(h('p', { class: 'muted small' }, t('prov_as_of', { t: fmtDateTime(st.as_of) }), ' · ', t('prov_stats_note')));

  // By month: the province's or one county's months.
  if (!['province', ...st.counties.map((c) => c.county_code)].includes(P.of)) P.of = 'province';
  const of = h('select', { id: 'ps-of' }, h('option', { value: 'province', selected: P.of === 'province' }, t('prov_province')),
    st.counties.map((c) => h('option', { value: c.county_code, selected: P.of === c.county_code }, c.county_code)));
  const months = h('div', {});
  const drawMonths = () => {
    P.of = of.value;
    const c = P.of === 'province' ? st.province : st.counties.find((x) => x.county_code === P.of);
    const mcols = [...CASE_COLS, 'workers', 'qualified', 'mean_total'];
    clear(months).append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'prov-months-table' },
      h('thead', {}, headRow(t('prov_month'), mcols)),
      h('tbody', {}, c.months.map((m) => h('tr', { 'data-key': m.month }, h('th', { scope: 'row' }, m.month), figureCells(m)))),
      h('tfoot', {}, h('tr', { 'data-key': 'total' }, h('th', { scope: 'row' }, t('prov_total')), figureCells(c.total))))));
  };
  of.addEventListener('change', drawMonths);
  out.append(h('h3', {}, t('prov_by_month')), h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'ps-of' }, t('prov_months_of')), of)), months);
  drawMonths();
}

// ---------- the cities' replication ----------

function fmtLag(s) {
  if (s === null || s === undefined) return '—';
  if (s < 60) return t('prov_lag_s', { n: fmtNum(s, 0) });
  if (s < 3600) return t('prov_lag_m', { n: fmtNum(s / 60, 0) });
  return t('prov_lag_h', { n: fmtNum(s / 3600, 1) });
}

function citiesView(side, S) {
  const out = h('div', { id: 'pc-out' });
  const draw = () => {
    clear(out);
    if (!P.cities.length) { out.append(h('p', { class: 'muted' }, t('prov_no_cities'))); return; }
    const cols = ['county', 'state', 'last_message', 'lag', 'all_grids', 'cases'];
    out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'prov-cities-table' },
      h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t('prov_col_' + k))), h('th', {}))),
      h('tbody', {}, P.cities.map((c) => h('tr', { 'data-key': c.county_code, 'data-connected': String(c.connected) },
        h('th', { scope: 'row', title: `${t('prov_col_subscription')}: ${c.subscription}` },
          h('span', { style: `display:inline-block;width:10px;height:10px;margin-right:6px;background:${colourOf(c.county_code)}` }), c.county_code),
        h('td', { class: c.connected ? '' : 'error', 'data-f': 'state', style: 'white-space:nowrap' }, !c.enabled ? t('prov_disabled') : c.connected ? t('prov_connected') : t('prov_disconnected')),
        h('td', {}, fmtDateTime(c.last_message)),
        h('td', { class: 'num' }, fmtLag(c.lag_seconds)),
        num('grids', c.grids), num('cases', c.cases),
        h('td', {}, c.bounds ? h('button', { type: 'button', class: 'secondary', onclick: () => fitCities(S, [c.county_code]) }, t('prov_zoom')) : '')))))));
    out.append(h('p', { class: 'muted small' }, t('prov_cities_note')));
  };
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'pc-refresh', onclick: async () => {
    try { await loadCities(); draw(); } catch (e) { clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message }))); }
  } }, t('prov_refresh'));
  side.append(h('h2', {}, t('prov_cities')), h('div', { class: 'filters' }, h('div', { class: 'buttons' }, refresh)), out);
  draw();
  refresh.click();
}
