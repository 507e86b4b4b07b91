// Grid editing for the center and admin: the basic grids of one parent in an
// edit layer where a shared boundary is one edge (OpenLayers Modify moves
// every grid's vertex at the same place together, Snap keeps new vertices on
// the neighbours'), a split along a drawn line, a merge of two neighbours,
// a new grid drawn as a polygon snapped to its neighbours and the parent's
// outline (it must fill area no sibling covers: a gap), a new grid carved
// out of one (the server clips it), a preview of the topology, households
// and carry-over through the server's guard (dry run) and one atomic save
// (POST /api/v1/grids/edits).
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Modify from 'ol/interaction/Modify.js';
import Snap from 'ol/interaction/Snap.js';
import Draw from 'ol/interaction/Draw.js';
import DoubleClickZoom from 'ol/interaction/DoubleClickZoom.js';
import Feature from 'ol/Feature.js';
import Polygon from 'ol/geom/Polygon.js';
import MultiPolygon from 'ol/geom/MultiPolygon.js';
import { Style, Fill, Stroke, Circle as CircleStyle } from 'ol/style.js';
import { fromLonLat } from 'ol/proj.js';
import { getLang } from './i18n.js';
import { h, clear } from './dom.js';

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

// The editor's strings (zh-CN default, English).
const T = {
  zh: {
    edit_title: '编辑网格', edit_start: '编辑所选网格的上级', edit_pick: '先在地图上选择一个网格。', edit_parent: '上级网格 {p}',
    edit_help: '拖动顶点：相邻网格的公共边一起移动。', edit_a: '网格', edit_b: '相邻网格', edit_split: '沿画线拆分', edit_merge: '合并到网格',
    edit_draw: '在地图上画一条穿过网格的直线（点两下）。', edit_preview: '预览拓扑', edit_save: '保存', edit_cancel: '退出编辑',
    edit_changed: '已改动：{n} 个网格', edit_clean: '拓扑检查通过：无重叠、无越界、无空白。', edit_saved: '已保存：{n} 个网格，{e} 个撤销。',
    edit_overlap: '与 {c} 重叠 {a} 平方米', edit_outside: '{c} 超出上级 {a} 平方米', edit_gap: '新增空白 {a} 平方米', edit_error: '出错：{m}',
    edit_new_grid: '画新网格', edit_draw_poly: '沿相邻网格画多边形（吸附顶点和边，点回第一点结束），只能画在没有网格覆盖的空白处。',
    edit_households: '{c} 户数 {b} → {a}', edit_new_name: '{p}新网格', edit_bad_split: '直线须恰好两次穿过网格边界。', edit_bad_merge: '两个网格没有公共边。',
    edit_carve: '在网格内画出新网格', edit_draw_carve: '在所选网格内画多边形（点回第一点结束）：它成为新网格，原网格减去这块面积。',
    edit_carry: '{n}（{r}）从 {f} 转到 {t}', edit_carry_n: '{k} {n} 个从 {f} 转到 {t}', carry_key_persons: '重点人员', carry_checkpoints: '巡查点',
  },
  en: {
    edit_title: 'Edit grids', edit_start: 'Edit the parent of the selected grid', edit_pick: 'Select a grid on the map first.', edit_parent: 'Parent grid {p}',
    edit_help: 'Drag a vertex: the shared boundary of neighbouring grids moves together.', edit_a: 'Grid', edit_b: 'Neighbour', edit_split: 'Split along a line', edit_merge: 'Merge into grid',
    edit_draw: 'Draw a straight line across the grid on the map (two clicks).', edit_preview: 'Preview topology', edit_save: 'Save', edit_cancel: 'Leave editing',
    edit_changed: 'Changed: {n} grids', edit_clean: 'Topology check passed: no overlap, nothing outside, no gap.', edit_saved: 'Saved: {n} grids, {e} ended.',
    edit_overlap: 'overlaps {c} by {a} m²', edit_outside: '{c} outside the parent by {a} m²', edit_gap: 'new gap of {a} m²', edit_error: 'Error: {m}',
    edit_new_grid: 'Draw a new grid', edit_draw_poly: 'Draw a polygon along the neighbours (it snaps to their vertices and edges; click the first point to finish), only where no grid covers the parent yet (a gap).',
    edit_households: '{c} households {b} → {a}', edit_new_name: 'New grid of {p}', edit_bad_split: 'The line must cross the grid boundary exactly twice.', edit_bad_merge: 'The two grids share no boundary.',
    edit_carve: 'Carve a new grid out of the grid', edit_draw_carve: 'Draw a polygon inside the chosen grid (click the first point to finish): it becomes a new grid and the grid loses that area.',
    edit_carry: '{n} ({r}) moves from {f} to {t}', edit_carry_n: '{n} {k} move from {f} to {t}', carry_key_persons: 'key persons', carry_checkpoints: 'checkpoints',
  },
};

function et(key, params) {
  let s = (T[getLang()] || T.zh)[key] || T.zh[key] || key;
  for (const [k, v] of Object.entries(params || {})) s = s.replaceAll(`{${k}}`, v);
  return s;
}

const editStyle = new Style({
  fill: new Fill({ color: 'rgba(217, 119, 6, 0.12)' }),
  stroke: new Stroke({ color: '#b45309', width: 2 }),
  image: new CircleStyle({ radius: 4, fill: new Fill({ color: '#b45309' }) }),
});

// GridEditor holds one parent's children in an edit layer.
export class GridEditor {
  constructor(gmap, api) {
    this.gmap = gmap;
    this.api = api;
    this.source = new VectorSource();
    this.layer = new VectorLayer({ source: this.source, style: editStyle, zIndex: 60 });
    this.versions = {}; // code → version
    this.original = {}; // code → GeoJSON geometry text when loaded
    this.ended = new Set();
    this.parent = null;
    this.interactions = [];
    this.draw = null;
    this.lastResult = null;
    this.message = '';
  }

  async start(parent) {
    this.stop();
    this.parent = parent;
    const fc = await this.api.get(`/api/v1/grids/${parent}/children`);
    for (const f of geojson.readFeatures(fc)) {
      const code = f.get('code');
      f.setId(code);
      this.versions[code] = f.get('version');
      this.original[code] = this.geomText(f);
      this.source.addFeature(f);
    }
    this.gmap.map.addLayer(this.layer);
    const modify = new Modify({ source: this.source });
    const snap = new Snap({ source: this.source });
    this.interactions = [modify, snap];
    for (const i of this.interactions) this.gmap.map.addInteraction(i);
  }

  stop() {
    this.cancelDraw();
    for (const i of this.interactions) this.gmap.map.removeInteraction(i);
    this.interactions = [];
    this.gmap.map.removeLayer(this.layer);
    this.source.clear();
    this.versions = {};
    this.original = {};
    this.ended = new Set();
    this.outline = null;
  }

  codes() { return this.source.getFeatures().map((f) => f.getId()).filter((c) => typeof c === 'string').sort(); }

  geomText(f) { return JSON.stringify(geojson.writeGeometryObject(f.getGeometry(), { decimals: 9 })); }

  changed() {
    return this.source.getFeatures().filter((f) => f.getId() === undefined || typeof f.getId() !== 'string' || this.original[f.getId()] !== this.geomText(f));
  }

  // edits builds the request body: changed grids with their versions, new
  // grids under the parent, ended grids.
  edits() {
    const out = [];
    for (const f of this.changed()) {
      const g = geojson.writeGeometryObject(toMulti(f.getGeometry()), { decimals: 9 });
      if (typeof f.getId() === 'string') out.push({ code: f.getId(), version: this.versions[f.getId()], geometry: g });
      else out.push({ parent_code: this.parent, name: f.get('name'), geometry: g });
    }
    for (const c of this.ended) out.push({ code: c, version: this.versions[c], end: true });
    return out;
  }

  // preview asks the guard (dry run): the verdict and the households
  // each grid holds now and would hold.
  async preview() {
    const r = await this.api.post('/api/v1/grids/edits', { edits: this.edits(), dry_run: true });
    this.lastResult = r;
    return r;
  }

  async save() {
    const r = await this.api.post('/api/v1/grids/edits', { edits: this.edits() });
    this.lastResult = r;
    await this.start(this.parent);
    return r;
  }

  // split cuts grid code along the straight line a→b (map coordinates)
  // into itself and a new grid; false when the line does not cross its
  // boundary exactly twice.
  split(code, a, b) {
    const f = this.source.getFeatureById(code);
    if (!f) return false;
    const ring = outerRing(f.getGeometry());
    const hits = [];
    for (let i = 0; i < ring.length - 1; i++) {
      const p = segIntersect(a, b, ring[i], ring[i + 1]);
      if (p) hits.push({ i, p: p.pt, t: p.t });
    }
    if (hits.length !== 2) return false;
    const [h1, h2] = hits;
    const r1 = [h1.p, ...ring.slice(h1.i + 1, h2.i + 1), h2.p, h1.p];
    const r2 = [h2.p, ...ring.slice(h2.i + 1, ring.length - 1), ...ring.slice(0, h1.i + 1), h1.p, h2.p];
    f.setGeometry(new MultiPolygon([[r1]]));
    const nf = new Feature({ geometry: new MultiPolygon([[r2]]), name: et('edit_new_name', { p: f.get('name') || code }) });
    this.source.addFeature(nf);
    return true;
  }

  // merge gives grid b's area to grid a (the shared edges vanish) and ends b.
  merge(a, b) {
    const fa = this.source.getFeatureById(a);
    const fb = this.source.getFeatureById(b);
    if (!fa || !fb) return false;
    const ring = unionRings(outerRing(fa.getGeometry()), outerRing(fb.getGeometry()));
    if (!ring) return false;
    fa.setGeometry(new MultiPolygon([[ring]]));
    this.source.removeFeature(fb);
    this.ended.add(b);
    return true;
  }

  // drawSplit lets the user draw the split line; resolves true when split.
  drawSplit(code) {
    this.cancelDraw();
    return new Promise((resolve) => {
      this.draw = new Draw({ type: 'LineString', maxPoints: 2 });
      this.draw.on('drawend', (e) => {
        const c = e.feature.getGeometry().getCoordinates();
        const ok = this.split(code, c[0], c[c.length - 1]);
        setTimeout(() => this.cancelDraw(), 0);
        resolve(ok);
      });
      this.gmap.map.addInteraction(this.draw);
    });
  }

  // drawGrid lets the user draw a new grid as a polygon snapped to the
  // vertices and edges of the parent's grids and of the parent's outline;
  // it becomes a new grid under the parent (an edit without a code). The
  // guard refuses overlaps, so it must fill a gap (area no sibling covers).
  // Resolves true when drawn.
  async drawGrid() {
    this.cancelDraw();
    if (!this.outline) {
      this.outline = new VectorSource();
      this.outline.addFeature(geojson.readFeature(await this.api.get(`/api/v1/grids/${encodeURIComponent(this.parent)}`)));
    }
    // Show the whole parent: the gaps to fill may lie beyond its grids.
    this.gmap.map.getView().fit(this.outline.getExtent(), { padding: [40, 40, 40, 40], duration: 0 });
    const modify = this.interactions.find((i) => i instanceof Modify);
    if (modify) modify.setActive(false);
    this.gmap.drawing = true;
    // Two quick clicks on close vertices must not zoom the map.
    this.zoomers = this.gmap.map.getInteractions().getArray().filter((i) => i instanceof DoubleClickZoom && i.getActive());
    for (const z of this.zoomers) z.setActive(false);
    return new Promise((resolve) => {
      // Finish only on the first point: a boundary traced along the
      // neighbours has vertices close together, and Draw would otherwise
      // also finish on a click near the previous one.
      let first = null;
      this.draw = new Draw({ type: 'Polygon', finishCondition: (e) => {
        if (!first) return false;
        const p = this.gmap.map.getPixelFromCoordinate(first);
        return Math.hypot(p[0] - e.pixel[0], p[1] - e.pixel[1]) <= 12;
      } });
      this.draw.on('drawstart', (e) => { first = e.feature.getGeometry().getCoordinates()[0][0]; });
      // Snap after Draw: the last interaction added sees events first.
      this.drawSnaps = [new Snap({ source: this.source }), new Snap({ source: this.outline })];
      this.draw.on('drawend', (e) => {
        const nf = new Feature({ geometry: toMulti(e.feature.getGeometry()), name: et('edit_new_name', { p: this.parent }) });
        this.source.addFeature(nf);
        setTimeout(() => this.cancelDraw(), 0);
        resolve(true);
      });
      this.gmap.map.addInteraction(this.draw);
      for (const s of this.drawSnaps) this.gmap.map.addInteraction(s);
    });
  }

  // drawCarve lets the user draw a polygon inside grid code; the server
  // (POST /api/v1/grids/{code}/carve, a dry run) clips it to the grid and
  // returns the grid's remaining area and the new grid, which become
  // pending changes saved with the rest. Carving starts from the grid's
  // saved geometry. Resolves to '' when carved, else the reason.
  drawCarve(code) {
    this.cancelDraw();
    const modify = this.interactions.find((i) => i instanceof Modify);
    if (modify) modify.setActive(false);
    this.gmap.drawing = true;
    this.zoomers = this.gmap.map.getInteractions().getArray().filter((i) => i instanceof DoubleClickZoom && i.getActive());
    for (const z of this.zoomers) z.setActive(false);
    return new Promise((resolve) => {
      let first = null;
      this.draw = new Draw({ type: 'Polygon', finishCondition: (e) => {
        if (!first) return false;
        const p = this.gmap.map.getPixelFromCoordinate(first);
        return Math.hypot(p[0] - e.pixel[0], p[1] - e.pixel[1]) <= 12;
      } });
      this.draw.on('drawstart', (e) => { first = e.feature.getGeometry().getCoordinates()[0][0]; });
      this.drawSnaps = [new Snap({ source: this.source })];
      this.draw.on('drawend', async (e) => {
        setTimeout(() => this.cancelDraw(), 0);
        const name = et('edit_new_name', { p: this.source.getFeatureById(code)?.get('name') || code });
        try {
          const r = await this.carve(code, geojson.writeGeometryObject(toMulti(e.feature.getGeometry()), { decimals: 9 }), name);
          resolve(r ? '' : et('edit_error', { m: code }));
        } catch (ex) { resolve(et('edit_error', { m: ex.message })); }
      });
      this.gmap.map.addInteraction(this.draw);
      for (const s of this.drawSnaps) this.gmap.map.addInteraction(s);
    });
  }

  // carve asks the server to cut geometry (GeoJSON, WGS84) out of grid
  // code and applies the answer to the edit layer; true when applied.
  async carve(code, geometry, name) {
    const f = this.source.getFeatureById(code);
    if (!f) return false;
    const r = await this.api.post(`/api/v1/grids/${encodeURIComponent(code)}/carve`, { version: this.versions[code], name, geometry, dry_run: true });
    const [rest, fresh] = r.grids.features;
    f.setGeometry(geojson.readGeometry(rest.geometry));
    this.source.addFeature(new Feature({ geometry: geojson.readGeometry(fresh.geometry), name }));
    return true;
  }

  cancelDraw() {
    if (this.draw) this.gmap.map.removeInteraction(this.draw);
    for (const s of this.drawSnaps || []) this.gmap.map.removeInteraction(s);
    this.drawSnaps = [];
    for (const i of this.interactions) i.setActive(true);
    for (const z of this.zoomers || []) z.setActive(true);
    this.zoomers = [];
    this.draw = null;
    // The map's singleclick (250 ms after the last click) must not select a grid.
    setTimeout(() => { if (!this.draw) this.gmap.drawing = false; }, 400);
  }

  // sharedVertexPixel returns the page position of a vertex inside the
  // boundary grids a and b share (its neighbours on the ring are shared
  // too, so it is on neither the parent's boundary nor a third grid's),
  // away from the map's edges (for the browser test and for help).
  sharedVertexPixel(a, b) {
    const ra = outerRing(this.source.getFeatureById(a).getGeometry());
    const rb = new Set(outerRing(this.source.getFeatureById(b).getGeometry()).map((p) => p.join(',')));
    const size = this.gmap.map.getSize();
    const rect = this.gmap.map.getTargetElement().getBoundingClientRect();
    const n = ra.length - 1;
    for (let i = 0; i < n; i++) {
      const p = ra[i];
      if (![p, ra[(i + n - 1) % n], ra[(i + 1) % n]].every((q) => rb.has(q.join(',')))) continue;
      const px = this.gmap.map.getPixelFromCoordinate(p);
      if (px && px[0] > 40 && px[1] > 40 && px[0] < size[0] - 40 && px[1] < size[1] - 40) return { coord: p, xy: [rect.left + px[0], rect.top + px[1]] };
    }
    return null;
  }

  pixelOf(coord) {
    const px = this.gmap.map.getPixelFromCoordinate(coord);
    const rect = this.gmap.map.getTargetElement().getBoundingClientRect();
    return [rect.left + px[0], rect.top + px[1]];
  }

  pixelOfLonLat(ll) { return this.pixelOf(fromLonLat(ll)); }

  fit() {
    const ext = this.source.getExtent();
    this.gmap.map.getView().fit(ext, { padding: [40, 40, 40, 40], duration: 0 });
  }
}

function toMulti(g) { return g.getType() === 'Polygon' ? new MultiPolygon([g.getCoordinates()]) : g; }

function outerRing(g) {
  const c = g.getType() === 'MultiPolygon' ? g.getCoordinates()[0] : g.getCoordinates();
  return c[0];
}

// segIntersect intersects the line through a, b (as a segment) with the
// segment p→q; returns the point and its parameter along p→q.
function segIntersect(a, b, p, q) {
  const d1x = b[0] - a[0], d1y = b[1] - a[1], d2x = q[0] - p[0], d2y = q[1] - p[1];
  const den = d1x * d2y - d1y * d2x;
  if (den === 0) return null;
  const s = ((p[0] - a[0]) * d2y - (p[1] - a[1]) * d2x) / den;
  const t = ((p[0] - a[0]) * d1y - (p[1] - a[1]) * d1x) / den;
  if (s < 0 || s > 1 || t < 0 || t >= 1) return null;
  return { pt: [a[0] + s * d1x, a[1] + s * d1y], t };
}

function area2(r) {
  let s = 0;
  for (let i = 0; i < r.length - 1; i++) s += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return s;
}

// unionRings merges two rings that share edges with identical vertices:
// the shared edges cancel and the rest chain into one ring; null when
// they share none or the rest is not one ring.
function unionRings(ra, rb) {
  const ccw = (r) => (area2(r) < 0 ? [...r].reverse() : r);
  const key = (p) => p.join(',');
  const edges = [];
  for (const r of [ccw(ra), ccw(rb)]) for (let i = 0; i < r.length - 1; i++) edges.push([r[i], r[i + 1]]);
  const set = new Map();
  for (const e of edges) set.set(key(e[0]) + '|' + key(e[1]), e);
  let shared = 0;
  const keep = edges.filter((e) => {
    if (set.has(key(e[1]) + '|' + key(e[0]))) { shared++; return false; }
    return true;
  });
  if (shared === 0) return null;
  const next = new Map();
  for (const e of keep) {
    if (next.has(key(e[0]))) return null;
    next.set(key(e[0]), e);
  }
  const ring = [keep[0][0]];
  let cur = keep[0];
  for (let n = 0; n < keep.length; n++) {
    ring.push(cur[1]);
    if (key(cur[1]) === key(ring[0])) break;
    cur = next.get(key(cur[1]));
    if (!cur) return null;
  }
  return ring.length === keep.length + 1 && key(ring[0]) === key(ring[ring.length - 1]) ? ring : null;
}

// editPanel renders the editor's controls into side; select is the
// selected grid's code (its parent is edited).
export function editPanel(side, editor, selected, parentOf, onDone) {
  // The status line survives a re-render of the panel (after a save).
  const status = h('p', { id: 'edit-status', role: 'status' }, editor.message || '');
  const say = (s) => { editor.message = s; status.textContent = s; };
  side.append(h('h2', {}, et('edit_title')));
  if (!editor.parent) {
    side.append(h('button', { id: 'edit-start', class: 'primary', onclick: async () => {
      if (!selected()) { say(et('edit_pick')); return; }
      try { await editor.start(parentOf(selected())); editor.fit(); onDone(); } catch (e) { say(et('edit_error', { m: e.message })); }
    } }, et('edit_start')), status);
    return;
  }
  const opts = () => editor.codes().map((c) => h('option', { value: c }, c));
  const selA = h('select', { id: 'edit-a' }, ...opts());
  const selB = h('select', { id: 'edit-b' }, ...opts());
  if (selected() && editor.codes().includes(selected())) selA.value = selected();
  side.append(
    h('p', {}, et('edit_parent', { p: editor.parent })),
    h('p', { class: 'hint' }, et('edit_help')),
    h('label', { for: 'edit-a' }, et('edit_a')), selA,
    h('button', { id: 'edit-split', class: 'secondary', onclick: async () => {
      say(et('edit_draw'));
      const ok = await editor.drawSplit(selA.value);
      say(ok ? et('edit_changed', { n: editor.edits().length }) : et('edit_bad_split'));
    } }, et('edit_split')),
    h('button', { id: 'edit-draw-grid', class: 'secondary', onclick: async () => {
      say(et('edit_draw_poly'));
      try {
        const ok = await editor.drawGrid();
        say(ok ? et('edit_changed', { n: editor.edits().length }) : '');
      } catch (e) { say(et('edit_error', { m: e.message })); }
    } }, et('edit_new_grid')),
    h('button', { id: 'edit-carve', class: 'secondary', onclick: async () => {
      say(et('edit_draw_carve'));
      const why = await editor.drawCarve(selA.value);
      say(why || et('edit_changed', { n: editor.edits().length }));
    } }, et('edit_carve')),
    h('label', { for: 'edit-b' }, et('edit_b')), selB,
    h('button', { id: 'edit-merge', class: 'secondary', onclick: () => {
      const ok = editor.merge(selA.value, selB.value);
      say(ok ? et('edit_changed', { n: editor.edits().length }) : et('edit_bad_merge'));
    } }, et('edit_merge')),
    h('div', { class: 'row' },
      h('button', { id: 'edit-preview', class: 'secondary', onclick: async () => {
        try {
          const r = await editor.preview();
          say([verdictText(r.topology), ...(r.households || []).filter((x) => x.before !== x.after)
            .map((x) => et('edit_households', { c: x.code, b: x.before, a: x.after })),
          ...(r.carry_over || []).map(carryText)].join('；'));
        } catch (e) { say(et('edit_error', { m: e.message })); }
      } }, et('edit_preview')),
      h('button', { id: 'edit-save', class: 'primary', onclick: async () => {
        try {
          const r = await editor.save();
          say(et('edit_saved', { n: r.grids.features.length, e: r.ended.length }));
          onDone(true);
        } catch (e) { say(et('edit_error', { m: e.message })); }
      } }, et('edit_save')),
      h('button', { id: 'edit-cancel', class: 'ghost', onclick: () => { editor.stop(); editor.parent = null; onDone(); } }, et('edit_cancel'))),
    status);
}

// carryText says what one carry-over moves (registry/carry.go).
function carryText(c) {
  if (c.kind === 'assignment') return et('edit_carry', { n: c.name || c.username, r: c.grid_role, f: c.from, t: c.to });
  return et('edit_carry_n', { k: et('carry_' + c.kind), n: c.count, f: c.from, t: c.to });
}

function verdictText(v) {
  const parts = [];
  for (const o of v.overlaps) parts.push(et('edit_overlap', { c: o.codes.join(' / '), a: o.area_m2 }));
  for (const o of v.outside_parent) parts.push(et('edit_outside', { c: o.codes.join(','), a: o.area_m2 }));
  for (const o of v.gaps) parts.push(et('edit_gap', { a: o.area_m2 }));
  return parts.length ? parts.join('；') : et('edit_clean');
}

export { clear };
