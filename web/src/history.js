// The history view: the grids — or the routing layers' zones or road
// sections — as of two dates compared on the map (GET
// /api/v1/grids/history, /api/v1/layers/{zones|roads}/history). Grids as they were at the first date are
// outlined in dashed red where they were removed or changed; as they are
// at the second date, added grids are filled green and changed ones
// orange; a list names each change with its areas.
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { Style, Fill, Stroke } from 'ol/style.js';
import { getLang } from './i18n.js';
import { h } from './dom.js';

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

const T = {
  zh: {
    hist_title: '变更历史', hist_from: '起始日期', hist_to: '截止日期', hist_show: '对比两个日期', hist_clear: '清除对比',
    hist_scope: '范围：{p}', hist_all: '范围：全部可见网格', hist_counts: '新增 {a}，撤销 {r}，变更 {c}',
    hist_added: '新增 {c} {n}（{to} 平方米）', hist_removed: '撤销 {c} {n}（{from} 平方米）',
    hist_changed: '变更 {c} {n}：{from} → {to} 平方米（增 {g}，减 {l}）', hist_error: '出错：{m}',
    hist_what: '对比内容', hist_grids: '网格', hist_zones: '区域', hist_roads: '路段',
    hist_layer_added: '新增 {c} {n}', hist_layer_removed: '撤销 {c} {n}', hist_layer_changed: '变更 {c} {n}：版本 {vf} → {vt}',
  },
  en: {
    hist_title: 'History', hist_from: 'From', hist_to: 'To', hist_show: 'Compare the two dates', hist_clear: 'Clear',
    hist_scope: 'Scope: {p}', hist_all: 'Scope: every grid you may see', hist_counts: '{a} added, {r} removed, {c} changed',
    hist_added: 'added {c} {n} ({to} m²)', hist_removed: 'removed {c} {n} ({from} m²)',
    hist_changed: 'changed {c} {n}: {from} → {to} m² (+{g}, −{l})', hist_error: 'Error: {m}',
    hist_what: 'Compare', hist_grids: 'Grids', hist_zones: 'Zones', hist_roads: 'Road sections',
    hist_layer_added: 'added {c} {n}', hist_layer_removed: 'removed {c} {n}', hist_layer_changed: 'changed {c} {n}: version {vf} → {vt}',
  },
};

function ht(key, params) {
  let s = (T[getLang()] || T.zh)[key] || T.zh[key] || key;
  for (const [k, v] of Object.entries(params || {})) s = s.replaceAll(`{${k}}`, v);
  return s;
}

const styles = {
  before: new Style({ stroke: new Stroke({ color: '#b91c1c', width: 2, lineDash: [6, 4] }) }),
  added: new Style({ fill: new Fill({ color: 'rgba(22, 163, 74, 0.35)' }), stroke: new Stroke({ color: '#15803d', width: 3 }) }),
  changed: new Style({ fill: new Fill({ color: 'rgba(234, 88, 12, 0.30)' }), stroke: new Stroke({ color: '#c2410c', width: 3 }) }),
};

// HistoryView draws one comparison in its own layer.
export class HistoryView {
  constructor(gmap, api) {
    this.gmap = gmap;
    this.api = api;
    this.source = new VectorSource();
    this.layer = new VectorLayer({ source: this.source, zIndex: 55,
      style: (f) => (f.get('side') === 'before' ? styles.before : styles[f.get('change')] || styles.changed) });
    this.result = null;
  }

  // show compares what ('grids', 'zones' or 'roads') at from and to
  // (YYYY-MM-DD: the end of that day); grids under parent when given.
  async show(from, to, parent, what = 'grids') {
    const q = new URLSearchParams({ from, to });
    let path = '/api/v1/grids/history?';
    if (what === 'zones' || what === 'roads') path = `/api/v1/layers/${what}/history?`;
    else if (parent) q.set('parent', parent);
    const r = await this.api.get(path + q.toString());
    this.clear();
    for (const [side, fc] of [['before', r.before], ['after', r.after]]) {
      for (const f of geojson.readFeatures(fc)) {
        f.setId(undefined);
        f.set('side', side);
        this.source.addFeature(f);
      }
    }
    this.gmap.map.addLayer(this.layer);
    if (this.source.getFeatures().length) {
      this.gmap.map.getView().fit(this.source.getExtent(), { padding: [40, 40, 40, 40], duration: 0, maxZoom: 16 });
    }
    this.result = r;
    return r;
  }

  clear() {
    this.source.clear();
    this.gmap.map.removeLayer(this.layer);
    this.result = null;
  }
}

// isoDay is d's date in Asia/Shanghai (the server's calendar), YYYY-MM-DD.
function isoDay(d) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

// historyPanel renders the two dates and the comparison into side; scope()
// names the parent grid to compare under ('' for every grid).
export function historyPanel(side, view, scope) {
  const today = new Date();
  const from = h('input', { id: 'history-from', type: 'date', value: view.from || isoDay(new Date(today.getTime() - 30 * 86400e3)) });
  const to = h('input', { id: 'history-to', type: 'date', value: view.to || isoDay(today) });
  const list = h('ul', { id: 'history-list', class: 'history' });
  const status = h('p', { id: 'history-status', role: 'status' });
  const render = (r) => {
    list.replaceChildren();
    status.textContent = ht('hist_counts', { a: r.counts.added, r: r.counts.removed, c: r.counts.changed });
    for (const c of r.changes) {
      const key = (c.kind !== undefined ? 'hist_layer_' : 'hist_') + c.change;
      list.append(h('li', { class: 'history-' + c.change, 'data-code': c.code },
        ht(key, { c: c.code, n: c.name, from: c.area_from_m2 ?? '', to: c.area_to_m2 ?? '', g: c.gained_m2, l: c.lost_m2,
          vf: c.version_from ?? '–', vt: c.version_to ?? '–' })));
    }
  };
  const what = h('select', { id: 'history-what' }, ...['grids', 'zones', 'roads'].map((k) => h('option', { value: k }, ht('hist_' + k))));
  what.value = view.what || 'grids';
  side.append(h('h2', {}, ht('hist_title')),
    h('p', { class: 'hint' }, scope() ? ht('hist_scope', { p: scope() }) : ht('hist_all')),
    h('label', { for: 'history-what' }, ht('hist_what')), what,
    h('label', { for: 'history-from' }, ht('hist_from')), from,
    h('label', { for: 'history-to' }, ht('hist_to')), to,
    h('div', { class: 'row' },
      h('button', { id: 'history-show', class: 'secondary', onclick: async () => {
        view.from = from.value;
        view.to = to.value;
        view.what = what.value;
        try { render(await view.show(from.value, to.value, scope(), what.value)); } catch (e) { status.textContent = ht('hist_error', { m: e.message }); }
      } }, ht('hist_show')),
      h('button', { id: 'history-clear', class: 'ghost', onclick: () => { view.clear(); list.replaceChildren(); status.textContent = ''; } }, ht('hist_clear'))),
    status, list);
  if (view.result) render(view.result);
}
