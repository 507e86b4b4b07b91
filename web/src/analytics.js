// Analytics in the console: the hot-spot map layer (significant H3 cells
// of GET /tiles/hotspots, coloured by trend) and the scorecard view (rates
// by unit, village or grid for a month, ranked; "no data" is drawn as no
// data: a grey label and no bar, never 0%).
import VectorTileLayer from 'ol/layer/VectorTile.js';
import { Style, Fill, Stroke } from 'ol/style.js';
import { api } from './api.js';
import { tileSource } from './map.js';
import { t, extend, fmtNum, getLang, shanghaiToday } from './i18n.js';
import { h, clear } from './dom.js';
import { leadersSection } from './leaders.js';

extend({
  tab_scorecard: '考评',
  layer_hotspots: '案件热点（近十二个月）',
  trend_new: '新增热点',
  trend_intensifying: '加剧热点',
  trend_persistent: '持续热点',
  trend_fading: '消退热点',
  trend_sporadic: '零散热点',
  scorecard: '考评排名',
  sc_month: '月份',
  sc_by: '对象',
  sc_unit: '单位',
  sc_village: '村（社区）',
  sc_grid: '网格',
  sc_rank: '排名',
  sc_reported: '上报数',
  sc_discovery: '发现率',
  sc_report: '上报率',
  sc_disposal: '处置率',
  sc_on_time: '按期结案率',
  sc_rework: '返工率',
  sc_mean_days: '平均处置工作日',
  sc_chart: '按期结案率',
  no_data: '无数据',
  key_outside: '网格外',
  sc_pack: '例会材料',
  sc_pack_xlsx: '下载本月例会材料（Excel）',
  sc_ledger_xlsx: '下载本月案件台账（Excel）',
}, {
  tab_scorecard: 'Scorecards',
  layer_hotspots: 'Case hot spots (last twelve months)',
  trend_new: 'New hot spot',
  trend_intensifying: 'Intensifying hot spot',
  trend_persistent: 'Persistent hot spot',
  trend_fading: 'Fading hot spot',
  trend_sporadic: 'Sporadic hot spot',
  scorecard: 'Scorecard',
  sc_month: 'Month',
  sc_by: 'By',
  sc_unit: 'Unit',
  sc_village: 'Village',
  sc_grid: 'Grid',
  sc_rank: 'Rank',
  sc_reported: 'Reported',
  sc_discovery: 'Discovery rate',
  sc_report: 'Report rate',
  sc_disposal: 'Disposal rate',
  sc_on_time: 'On-time closure',
  sc_rework: 'Rework rate',
  sc_mean_days: 'Mean working days',
  sc_chart: 'On-time closure rate',
  no_data: 'no data',
  key_outside: 'Outside the grids',
  sc_pack: 'Meeting pack',
  sc_pack_xlsx: 'Download this month\'s meeting pack (xlsx)',
  sc_ledger_xlsx: 'Download this month\'s case ledger (xlsx)',
});

// TRENDS and their colours (as the server's report map draws them).
export const TRENDS = {
  new: 'rgba(255, 152, 0, 0.65)',
  intensifying: 'rgba(183, 28, 28, 0.65)',
  persistent: 'rgba(229, 57, 53, 0.65)',
  fading: 'rgba(255, 204, 128, 0.65)',
  sporadic: 'rgba(255, 224, 130, 0.65)',
};

const styles = {};
// hotspotStyle colours a cell by its trend (the province view's too).
export function hotspotStyle(f) {
  const tr = f.get('trend') || 'sporadic';
  if (!styles[tr]) styles[tr] = new Style({ fill: new Fill({ color: TRENDS[tr] || TRENDS.sporadic }), stroke: new Stroke({ color: '#7f0000', width: 1 }) });
  return styles[tr];
}

// hotspotSource is the map's authenticated tile source, from zoom 10 unless
// the TileJSON says otherwise.
const hotspotSource = (tj) => tileSource({ ...tj, minzoom: tj.minzoom ?? 10 });

// hotspotControls adds the hot-spot layer's switch and legend to the layer
// panel (when the server offers the layer).
export function hotspotControls(side, S) {
  if (!S.tiles.hotspots || !S.map) return;
  const box = h('input', { type: 'checkbox', id: 'layer-hotspots', checked: !!S.layerOn.hotspots, onchange: (e) => {
    S.layerOn.hotspots = e.target.checked;
    if (e.target.checked && !S.map.layers.hotspots) {
      S.map.add('hotspots', new VectorTileLayer({ source: hotspotSource(S.tiles.hotspots), minZoom: S.tiles.hotspots.minzoom ?? 10, style: hotspotStyle }), 7);
    }
    S.map.setVisible('hotspots', e.target.checked);
  } });
  side.append(h('fieldset', { class: 'layers', id: 'hotspot-layer' },
    h('legend', { class: 'sr-only' }, t('layer_hotspots')),
    h('div', { class: 'check' }, box, h('label', { for: 'layer-hotspots' }, t('layer_hotspots')))),
  h('ul', { class: 'legend', id: 'hotspot-legend' }, Object.entries(TRENDS).map(([k, c]) =>
    h('li', {}, h('span', { class: 'box', style: `background:${c}` }), t('trend_' + k)))));
}

// drawnHotspots lists the hot-spot cells drawn in view: [{cell, trend}].
export function drawnHotspots(S) {
  const layer = S.map?.layers.hotspots;
  if (!layer || !layer.getVisible()) return [];
  const seen = new Map();
  for (const f of layer.getFeaturesInExtent(S.map.map.getView().calculateExtent(S.map.map.getSize()))) {
    seen.set(f.get('cell'), f.get('trend'));
  }
  return [...seen].map(([cell, trend]) => ({ cell, trend })).sort((a, b) => (a.cell < b.cell ? -1 : 1));
}

const NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// rateChart draws one bar per row; a row without a value gets a grey
// "no data" label and no bar.
function rateChart(title, rows) {
  const rowH = 24, labelW = 130, width = 460, barW = width - labelW - 70;
  const el = svg('svg', { viewBox: `0 0 ${width} ${rows.length * rowH + 30}`, width: '100%', role: 'img', 'aria-label': title, class: 'chart', id: 'scorecard-chart' });
  el.append(svg('text', { x: 0, y: 16, class: 'chart-title' }, title));
  rows.forEach((r, i) => {
    const y = 28 + i * rowH;
    const g = svg('g', { class: r.value == null ? 'nodata' : 'bar' });
    g.append(svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, r.label.length > 10 ? r.label.slice(0, 9) + '…' : r.label));
    if (r.value == null) {
      g.append(svg('text', { x: labelW, y: y + 15, class: 'chart-value', fill: '#888' }, t('no_data')));
    } else {
      const w = Math.max(0, r.value * barW);
      g.append(svg('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, fill: '#2a6f97', rx: 2 }));
      g.append(svg('text', { x: labelW + w + 6, y: y + 15, class: 'chart-value' }, fmtNum(r.value * 100, 1) + '%'));
    }
    el.append(g);
  });
  return el;
}

async function names(by) {
  const out = {};
  try {
    if (by === 'unit') {
      const r = await api.get('/api/v1/departments');
      for (const d of r.departments || r) out[d.code] = d.name;
    } else {
      const r = await api.get(`/api/v1/grids?level=${by === 'village' ? 2 : 3}&limit=1000`);
      for (const f of r.features) out[f.properties.code] = f.properties.name;
    }
  } catch (e) { /* codes as they are */ }
  return out;
}

const state = { month: '', by: 'unit' };

// monthRange gives the first and last day (YYYY-MM-DD) of month m (YYYY-MM).
export function monthRange(m) {
  const [y, mo] = m.split('-').map(Number);
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return [`${m}-01`, `${m}-${String(last).padStart(2, '0')}`];
}

// scorecardView: a month's figures by unit, village or grid, ranked by the
// on-time closure rate; links to the month's meeting pack and ledger; for
// admin and center, the leaders' yearly results below.
export function scorecardView(side, role) {
  side.append(h('h2', {}, t('scorecard')));
  const month = h('input', { type: 'month', id: 'sc-month', value: state.month || shanghaiToday().slice(0, 7) });
  const by = h('select', { id: 'sc-by' }, ['unit', 'village', 'grid'].map((g) => h('option', { value: g, selected: state.by === g }, t('sc_' + g))));
  const out = h('div', { id: 'scorecard-out' });
  const form = h('form', { class: 'filters' },
    h('div', {}, h('label', { for: 'sc-month' }, t('sc_month')), month),
    h('div', {}, h('label', { for: 'sc-by' }, t('sc_by')), by),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, t('search'))));
  const download = async (path, name) => {
    const res = await fetch(path + (path.includes('?') ? '&' : '?') + 'lang=' + getLang(), { headers: api.headers() });
    if (!res.ok) throw new Error(res.statusText);
    const a = h('a', { href: URL.createObjectURL(await res.blob()), download: name });
    a.click();
  };
  const load = async () => {
    Object.assign(state, { month: month.value, by: by.value });
    clear(out).append(t('loading'));
    const [from, to] = monthRange(month.value);
    try {
      const [r, nm] = await Promise.all([api.get(`/api/v1/stats/cases?from=${from}&to=${to}&group_by=${by.value}`), names(by.value)]);
      clear(out);
      const rows = [...r.groups].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9));
      const label = (g) => nm[g.key] || (g.key === 'unassigned' || g.key === 'outside' ? t('key_' + g.key) : g.key);
      out.append(rateChart(t('sc_chart'), rows.map((g) => ({ label: label(g), value: g.on_time_rate }))));
      const cols = [['sc_reported', 'reported', 'n'], ['sc_discovery', 'discovery_rate', '%'], ['sc_report', 'report_rate', '%'],
        ['sc_disposal', 'disposal_rate', '%'], ['sc_on_time', 'on_time_rate', '%'], ['sc_rework', 'rework_rate', '%'], ['sc_mean_days', 'mean_handling_days', 'd']];
      const cell = (v, kind) => {
        if (v === null || v === undefined) return h('td', { class: 'num nodata' }, t('no_data'));
        return h('td', { class: 'num' }, kind === '%' ? fmtNum(v * 100, 1) + '%' : fmtNum(v, kind === 'd' ? 1 : 0));
      };
      const tb = h('tbody', {}, rows.map((g) => h('tr', { 'data-key': g.key },
        h('td', { class: 'num' }, g.rank == null ? '—' : String(g.rank)), h('th', { scope: 'row' }, label(g)),
        cols.map(([, k, kind]) => cell(g[k], kind)))));
      out.append(h('table', { class: 'list', id: 'scorecard-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('sc_rank')), h('th', { scope: 'col' }, t('sc_' + by.value)), cols.map(([k]) => h('th', { scope: 'col' }, t(k))))), tb));
      out.append(h('h3', {}, t('sc_pack')), h('p', {},
        h('button', { type: 'button', id: 'sc-pack', onclick: () => download(`/api/v1/reports/monthly?month=${month.value}&format=xlsx`, `pack-${month.value}.xlsx`).catch((e) => { out.append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message }))); }) }, t('sc_pack_xlsx')), ' ',
        h('button', { type: 'button', id: 'sc-ledger', onclick: () => download(`/api/v1/reports/ledger.xlsx?from=${from}&to=${to}`, `ledger-${month.value}.xlsx`).catch((e) => { out.append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message }))); }) }, t('sc_ledger_xlsx'))));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  side.append(form, out);
  load();
  if (role === 'admin' || role === 'center') leadersSection(side);
}
