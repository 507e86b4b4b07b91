// The map: OpenLayers on canvas, no WebGL, no basemap unless configured.
// Layers come from vector tiles (/tiles/{layer}/{z}/{x}/{y}.mvt, bearer token
// in the request headers) when the server offers them, else from GeoJSON.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorSource from 'ol/source/Vector.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import XYZ from 'ol/source/XYZ.js';
import Cluster from 'ol/source/Cluster.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import MVT from 'ol/format/MVT.js';
import { Style, Fill, Stroke, Text, Circle as CircleStyle } from 'ol/style.js';
import { fromLonLat, transformExtent } from 'ol/proj.js';
import { bbox as bboxStrategy } from 'ol/loadingstrategy.js';
import Point from 'ol/geom/Point.js';
import Feature from 'ol/Feature.js';
import { createEmpty, extend as extendExtent, isEmpty } from 'ol/extent.js';
import { defaults as defaultControls, ScaleLine, Attribution } from 'ol/control.js';
import { api } from './api.js';
import { t } from './i18n.js';

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

// Colours chosen for contrast on a white background (WCAG AA for text).
const C = {
  l1: '#1d3557',
  l2: '#2a6f97',
  l3: '#0b5cad',
  l3fill: 'rgba(11, 92, 173, 0.14)',
  sel: '#d97706',
  selfill: 'rgba(217, 119, 6, 0.25)',
  road: '#6b4f2a',
  zone: 'rgba(124, 58, 237, 0.14)',
  zoneStroke: '#6d28d9',
  gap: 'rgba(220, 38, 38, 0.55)',
  overlap: 'rgba(234, 88, 12, 0.55)',
  overdue: '#c81e1e',
  open: '#0b7a3e',
  closed: '#6b7280',
  covered: 'rgba(22, 163, 74, 0.45)',
  missed: 'rgba(220, 38, 38, 0.40)',
};

export class GridMap {
  constructor(target, cfg) {
    this.cfg = cfg || {};
    this.layers = {};
    this.selected = null;
    this.workers = {}; // grid code → worker names (labels)
    this.names = {}; // grid code → name
    this.showLabels = true;
    this.gridMode = 'geojson';
    this.listeners = { grid: [], case: [], cases: [], loaded: [] };
    const layers = [];
    if (this.cfg.basemap_url) {
      this.layers.basemap = new TileLayer({ source: basemapSource(this.cfg), properties: { name: 'basemap' } });
      layers.push(this.layers.basemap);
    }
    this.map = new Map({
      target,
      layers,
      controls: defaultControls({ attribution: false }).extend([new ScaleLine(), new Attribution({ collapsible: true })]),
      view: new View({ center: fromLonLat([117.53, 36.70]), zoom: 13, maxZoom: 20 }),
    });
    this.map.on('singleclick', (e) => this.onClick(e));
    this.map.on('pointermove', (e) => {
      if (e.dragging) return;
      const hit = this.map.hasFeatureAtPixel(e.pixel, { layerFilter: (l) => l.get('clickable') });
      this.map.getTargetElement().style.cursor = hit ? 'pointer' : '';
    });
  }

  on(ev, fn) { this.listeners[ev].push(fn); }
  emit(ev, arg) { for (const fn of this.listeners[ev]) fn(arg); }

  add(name, layer, z) {
    layer.set('name', name);
    layer.setZIndex(z);
    this.layers[name] = layer;
    this.map.addLayer(layer);
    return layer;
  }

  setVisible(name, v) {
    if (name === 'labels') {
      this.showLabels = v;
      for (const n of ['grid_l1', 'grid_l2', 'grid_l3', 'labels']) this.layers[n]?.changed();
      return;
    }
    this.layers[name]?.setVisible(v);
  }

  // ---- grids ----

  gridStyle(level) {
    return (f, res) => {
      const code = f.get('code');
      const sel = code === this.selected;
      const styles = [];
      if (level === 3) {
        styles.push(new Style({
          fill: new Fill({ color: sel ? C.selfill : C.l3fill }),
          stroke: new Stroke({ color: sel ? C.sel : C.l3, width: sel ? 3 : 1.2 }),
        }));
      } else if (level === 2) {
        styles.push(new Style({ stroke: new Stroke({ color: sel ? C.sel : C.l2, width: sel ? 3.5 : 2.2, lineDash: [8, 4] }) }));
      } else {
        styles.push(new Style({ stroke: new Stroke({ color: sel ? C.sel : C.l1, width: 3.5 }) }));
      }
      if (this.gridMode === 'geojson' && this.showLabels && level === 3 && res < 40) {
        const worker = f.get('worker') || (this.workers[code] || []).join('、');
        const lines = [f.get('name') || ''];
        if (res < 12) lines.push(code);
        if (worker && res < 25) lines.push(t('worker_label', { n: worker }));
        styles.push(new Style({
          text: new Text({
            text: lines.join('\n'),
            font: '12px "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif',
            fill: new Fill({ color: '#111827' }),
            stroke: new Stroke({ color: '#ffffff', width: 3 }),
            overflow: false,
          }),
        }));
      } else if (this.gridMode === 'geojson' && this.showLabels && level === 2 && res >= 40 && res < 120) {
        styles.push(new Style({
          text: new Text({
            text: f.get('name') || '',
            font: 'bold 12px "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif',
            fill: new Fill({ color: C.l2 }),
            stroke: new Stroke({ color: '#ffffff', width: 3 }),
          }),
        }));
      }
      return styles;
    };
  }

  // loadGrids draws the three grid levels, from tiles when offered.
  async loadGrids(tiles) {
    const zs = { 1: 12, 2: 11, 3: 10 };
    if (tiles?.grids) {
      this.gridMode = 'tiles';
      for (const level of [1, 2, 3]) {
        const layer = new VectorTileLayer({
          source: tileSource(tiles.grids),
          style: (f, res) => (Number(f.get('level')) === level ? this.gridStyle(level)(f, res) : null),
          declutter: false,
          properties: { clickable: true, kind: 'grid' },
        });
        this.add(`grid_l${level}`, layer, zs[level]);
      }
      this.layers.grid_l3.getSource().on('tileloadend', () => this.emit('loaded', 'grids'));
      this.addLabelLayer();
      await this.fitTo(tiles.grids.bounds);
      return;
    }
    this.gridMode = 'geojson';
    for (const level of [1, 2, 3]) {
      const src = new VectorSource();
      this.add(`grid_l${level}`, new VectorLayer({ source: src, style: this.gridStyle(level), properties: { clickable: true, kind: 'grid' } }), zs[level]);
    }
    const byLevel = { 1: [], 2: [], 3: [] };
    let path = '/api/v1/grids?limit=1000';
    while (path) {
      const fc = await api.get(path);
      for (const f of geojson.readFeatures(fc)) {
        const lv = Number(f.get('level'));
        (byLevel[lv] || byLevel[3]).push(f);
      }
      path = fc.next || '';
    }
    const all = createEmpty();
    for (const f of [...byLevel[1], ...byLevel[2], ...byLevel[3]]) this.names[f.get('code')] = f.get('name');
    for (const level of [1, 2, 3]) {
      this.layers[`grid_l${level}`].getSource().addFeatures(byLevel[level]);
      for (const f of byLevel[level]) extendExtent(all, f.getGeometry().getExtent());
    }
    if (!isEmpty(all)) this.map.getView().fit(all, { padding: [30, 30, 30, 30], maxZoom: 17 });
    this.emit('loaded', 'grids');
    this.loadWorkers(byLevel[3]).catch(() => {});
  }

  // addLabelLayer labels the basic grids when they come as tiles: one point
  // per grid in view (GET /api/v1/grids?bbox=), so a grid cut by tile edges
  // is labelled once.
  addLabelLayer() {
    const src = new VectorSource({
      strategy: bboxStrategy,
      loader: async (extent, resolution, projection, success, failure) => {
        try {
          const [w, s, e, n] = transformExtent(extent, projection, 'EPSG:4326');
          const fc = await api.get(`/api/v1/grids?level=3&limit=1000&bbox=${[w, s, e, n].map((v) => v.toFixed(6)).join(',')}`);
          const pts = [];
          for (const f of geojson.readFeatures(fc)) {
            const g = f.getGeometry();
            const p = g.getType() === 'MultiPolygon' ? g.getInteriorPoints().getFirstCoordinate() : g.getInteriorPoint().getCoordinates();
            const code = f.get('code');
            this.names[code] = f.get('name');
            if (src.getFeatureById(code)) continue;
            const pf = new Feature({ geometry: new Point([p[0], p[1]]), code, name: f.get('name'), level: 3 });
            pf.setId(code);
            pts.push(pf);
          }
          src.addFeatures(pts);
          success(pts);
          this.loadWorkers(pts).catch(() => {});
        } catch (ex) {
          failure();
        }
      },
    });
    this.add('labels', new VectorLayer({
      source: src,
      maxResolution: 40,
      declutter: true,
      style: (f, res) => {
        if (!this.showLabels) return null;
        const code = f.get('code');
        const worker = (this.workers[code] || []).join('、');
        const lines = [f.get('name') || ''];
        if (res < 12) lines.push(code);
        if (worker && res < 25) lines.push(t('worker_label', { n: worker }));
        return new Style({
          text: new Text({
            text: lines.join('\n'),
            font: '12px "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif',
            fill: new Fill({ color: '#111827' }),
            stroke: new Stroke({ color: '#ffffff', width: 3 }),
          }),
        });
      },
    }), 40);
  }

  gridName(code) { return this.names[code]; }

  // loadWorkers fetches who is on duty in each basic grid, for the labels
  // (the GeoJSON list does not carry it; vector tiles do).
  async loadWorkers(features) {
    if (features.length > 300) return;
    const queue = features.map((f) => f.get('code'));
    const work = async () => {
      while (queue.length) {
        const code = queue.shift();
        try {
          const as = await api.get(`/api/v1/grids/${code}/assignments`);
          const list = Array.isArray(as) ? as : as.assignments || as.items || [];
          this.workers[code] = list.filter((a) => a.grid_role === 'worker' && !a.valid_to).map((a) => a.name);
        } catch (e) { /* a label without the worker */ }
      }
    };
    await Promise.all([work(), work(), work(), work()]);
    this.layers.grid_l3?.changed();
    this.layers.labels?.changed();
  }

  async fitTo(bounds) {
    if (!bounds || bounds.length !== 4) return;
    const [w, s, e, n] = bounds;
    const ext = [...fromLonLat([w, s]), ...fromLonLat([e, n])];
    this.map.getView().fit(ext, { padding: [30, 30, 30, 30], maxZoom: 17 });
  }

  // drawnGrids lists the grid codes of a level drawn in the current view.
  drawnGrids(level) {
    const layer = this.layers[`grid_l${level}`];
    if (!layer || !layer.getVisible()) return [];
    const ext = this.map.getView().calculateExtent(this.map.getSize());
    let feats;
    if (this.gridMode === 'tiles') feats = layer.getFeaturesInExtent(ext).filter((f) => Number(f.get('level')) === level);
    else feats = layer.getSource().getFeaturesInExtent(ext);
    return [...new Set(feats.map((f) => f.get('code')))].sort();
  }

  // drawnCells counts the coverage cells drawn in view by grid and state:
  // { "<grid> covered": n, "<grid> missed": m }.
  drawnCells() {
    const layer = this.layers.cells;
    if (!layer || !layer.getVisible()) return {};
    const out = {};
    for (const f of layer.getFeaturesInExtent(this.map.getView().calculateExtent(this.map.getSize()))) {
      const k = `${f.get('grid_code')} ${f.get('covered') ? 'covered' : 'missed'}`;
      out[k] = (out[k] || 0) + 1;
    }
    return out;
  }

  // screenPointOf returns page coordinates of a point inside the grid where
  // a click reaches the grid (no case marker on top), or null.
  async screenPointOf(code) {
    const f = await this.gridFeature(code);
    if (!f) return null;
    const g = f.getGeometry();
    const first = g.getType() === 'MultiPolygon' ? g.getInteriorPoints().getFirstCoordinate() : g.getInteriorPoint().getCoordinates();
    const cands = [[first[0], first[1]]];
    const [x0, y0, x1, y1] = g.getExtent();
    for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++) {
      const c = [x0 + ((x1 - x0) * i) / 12, y0 + ((y1 - y0) * j) / 12];
      if (g.intersectsCoordinate(c)) cands.push(c);
    }
    const size = this.map.getSize();
    for (const c of cands) {
      const px = this.map.getPixelFromCoordinate(c);
      if (!px || px[0] < 10 || px[1] < 10 || px[0] > size[0] - 10 || px[1] > size[1] - 10) continue;
      let top = null;
      this.map.forEachFeatureAtPixel(px, (feat, layer) => {
        const kind = layer?.get('kind');
        if (kind === 'case') { top = 'case'; return true; }
        if (kind === 'grid' && Number(feat.get('level')) === 3) top = feat.get('code');
        return false;
      }, { hitTolerance: 4 });
      if (top === code) {
        const r = this.map.getTargetElement().getBoundingClientRect();
        return [r.left + px[0], r.top + px[1]];
      }
    }
    return null;
  }

  selectGrid(code, zoom) {
    this.selected = code;
    for (const n of ['grid_l1', 'grid_l2', 'grid_l3']) this.layers[n]?.changed();
    if (zoom && code) {
      this.gridFeature(code).then((f) => {
        if (f) this.map.getView().fit(f.getGeometry().getExtent(), { padding: [80, 420, 80, 80], maxZoom: 17, duration: 300 });
      });
    }
  }

  // ---- other layers ----

  // addTileLayer adds a vector-tile layer (roads, zones, cases, coverage...).
  addTileLayer(name, tj, style, z, props) {
    return this.add(name, new VectorTileLayer({ source: tileSource(tj), style, properties: props || {} }), z);
  }

  // addCells shows the coverage tile layer: a month's patrol cells of every
  // worker in view, covered in green and missed in red (from zoom 13,
  // where cells of ~25 m are a few pixels wide).
  addCells(tj, month) {
    // Coarse cells (below zoom 15) carry the covered share: shade by it,
    // green from half covered, red below, stronger towards all or none.
    const styles = new globalThis.Map(); // not ol's Map, imported as Map here
    const style = (f) => {
      const covered = !!f.get('covered');
      const share = f.get('share') ?? (covered ? 1 : 0);
      const key = `${covered}:${Math.round(share * 10)}`;
      if (!styles.has(key)) {
        const alpha = (0.2 + 0.4 * Math.min(1, Math.abs(share - 0.5) * 2)).toFixed(2);
        const color = covered ? `rgba(22, 163, 74, ${alpha})` : `rgba(220, 38, 38, ${alpha})`;
        styles.set(key, new Style({ fill: new Fill({ color }) }));
      }
      return styles.get(key);
    };
    const layer = new VectorTileLayer({ source: tileSource(monthTiles(tj, month)), minZoom: tj.minzoom ?? 13, style });
    return this.add('cells', layer, 8);
  }

  // setCellsMonth switches the cells layer, if shown, to another month.
  setCellsMonth(tj, month) {
    this.layers.cells?.setSource(tileSource(monthTiles(tj, month)));
  }

  // drop removes a layer (it is rebuilt when next shown).
  drop(name) {
    const l = this.layers[name];
    if (!l) return;
    this.map.removeLayer(l);
    delete this.layers[name];
  }

  roadStyle() {
    return (f, res) => [
      new Style({ stroke: new Stroke({ color: '#ffffff', width: 6 }) }),
      new Style({
        stroke: new Stroke({ color: C.road, width: 3 }),
        text: res < 30 ? new Text({ text: f.get('name') || '', placement: 'line', font: '12px sans-serif', fill: new Fill({ color: C.road }), stroke: new Stroke({ color: '#fff', width: 3 }) }) : undefined,
      }),
    ];
  }

  zoneStyle() {
    return new Style({ fill: new Fill({ color: C.zone }), stroke: new Stroke({ color: C.zoneStroke, width: 2, lineDash: [2, 6] }) });
  }

  setFindings(fc) {
    let layer = this.layers.topology;
    if (!layer) {
      layer = this.add('topology', new VectorLayer({
        source: new VectorSource(),
        style: (f) => new Style({
          fill: new Fill({ color: f.get('kind') === 'gap' ? C.gap : C.overlap }),
          stroke: new Stroke({ color: f.get('kind') === 'gap' ? '#991b1b' : '#9a3412', width: 2 }),
        }),
      }), 20);
    }
    layer.getSource().clear();
    layer.getSource().addFeatures(geojson.readFeatures(fc || { type: 'FeatureCollection', features: [] }));
  }

  // gridFeature returns a copy of a grid's feature, from the GeoJSON layers
  // or (when the grids come as tiles) from GET /api/v1/grids/{code}, or null.
  async gridFeature(code) {
    for (const n of ['grid_l3', 'grid_l2', 'grid_l1']) {
      const src = this.layers[n]?.getSource();
      const f = src && src.getFeatures ? src.getFeatures().find((x) => x.get('code') === code) : null;
      if (f) return f.clone();
    }
    this.gridCache = this.gridCache || {};
    if (!(code in this.gridCache)) {
      this.gridCache[code] = api.get(`/api/v1/grids/${encodeURIComponent(code)}`).then((gj) => geojson.readFeature(gj)).catch(() => null);
    }
    const f = await this.gridCache[code];
    return f ? f.clone() : null;
  }

  // setCoverageAudit draws the month's patrol coverage: each audited grid in
  // green, its never-visited cells in red on top.
  async setCoverageAudit(r) {
    const feats = [];
    for (const row of r?.rows || []) {
      const g = await this.gridFeature(row.grid_code);
      if (g) { g.set('covered', true); g.set('worker', row.worker_name); feats.push(g); }
      if (row.never_visited) {
        const f = geojson.readFeature({ type: 'Feature', geometry: row.never_visited, properties: { covered: false, grid_code: row.grid_code } });
        feats.push(f);
      }
    }
    this.setCoverage({ type: 'FeatureCollection', features: [] });
    this.layers.coverage.getSource().addFeatures(feats);
  }

  // setPatrolDay draws one worker's day: the grids patrolled (green), their
  // cells not covered that day (red) and the cleaned track.
  async setPatrolDay(d) {
    const feats = [];
    let ext = createEmpty();
    for (const g of d?.grids || []) {
      const gf = await this.gridFeature(g.code);
      if (gf) { gf.set('covered', true); feats.push(gf); extendExtent(ext, gf.getGeometry().getExtent()); }
      if (g.uncovered) feats.push(geojson.readFeature({ type: 'Feature', geometry: g.uncovered, properties: { covered: false, grid_code: g.code } }));
    }
    if (d?.track) feats.push(geojson.readFeature({ type: 'Feature', geometry: d.track, properties: { track: true } }));
    this.setCoverage({ type: 'FeatureCollection', features: [] });
    this.layers.coverage.getSource().addFeatures(feats);
    if (!isEmpty(ext)) this.map.getView().fit(ext, { padding: [60, 60, 60, 60], maxZoom: 17, duration: 300 });
  }

  // setRegisterAudit marks grids with register findings and records outside every grid.
  async setRegisterAudit(r) {
    const feats = [];
    for (const f of r?.findings || []) {
      const g = await this.gridFeature(f.code);
      if (g) { g.set('reason', f.reason); feats.push(g); }
    }
    for (const o of r?.outside || []) {
      if (Array.isArray(o.point)) feats.push(geojson.readFeature({ type: 'Feature', geometry: { type: 'Point', coordinates: o.point }, properties: { name: o.name, kind: o.kind } }));
    }
    this.setRegisterFindings({ type: 'FeatureCollection', features: [] });
    this.layers.registers.getSource().addFeatures(feats);
  }

  setRegisterFindings(fc) {
    let layer = this.layers.registers;
    if (!layer) {
      layer = this.add('registers', new VectorLayer({
        source: new VectorSource(),
        style: new Style({
          image: new CircleStyle({ radius: 6, fill: new Fill({ color: '#7c3aed' }), stroke: new Stroke({ color: '#fff', width: 2 }) }),
          fill: new Fill({ color: 'rgba(124,58,237,0.06)' }),
          stroke: new Stroke({ color: '#6d28d9', width: 2.5, lineDash: [4, 4] }),
        }),
      }), 21);
    }
    layer.getSource().clear();
    layer.getSource().addFeatures(geojson.readFeatures(fc || { type: 'FeatureCollection', features: [] }));
  }

  // setCases draws cases from GeoJSON, clustered at low zoom, overdue in red.
  setCases(fc) {
    let layer = this.layers.cases;
    if (!layer) {
      const src = new VectorSource();
      const cluster = new Cluster({ distance: 36, minDistance: 12, source: src });
      layer = this.add('cases', new VectorLayer({
        source: cluster,
        style: (f, res) => caseStyle(f, res),
        properties: { clickable: true, kind: 'case' },
      }), 30);
      this.casesSource = src;
      this.map.getView().on('change:resolution', () => {
        cluster.setDistance(this.map.getView().getResolution() < 4 ? 0 : 36);
      });
    }
    this.casesSource.clear();
    this.casesSource.addFeatures(geojson.readFeatures(fc));
  }

  setCoverage(fc) {
    let layer = this.layers.coverage;
    if (!layer) {
      layer = this.add('coverage', new VectorLayer({
        source: new VectorSource(),
        style: (f) => {
          if (f.get('track')) return new Style({ stroke: new Stroke({ color: '#111827', width: 2.5, lineDash: [6, 3] }) });
          const covered = f.get('covered') !== false && f.get('status') !== 'missed';
          return new Style({ fill: new Fill({ color: covered ? C.covered : C.missed }), stroke: new Stroke({ color: covered ? '#166534' : '#991b1b', width: 1 }) });
        },
      }), 15);
    }
    layer.getSource().clear();
    layer.getSource().addFeatures(geojson.readFeatures(fc));
  }

  zoomToLonLat(lon, lat) {
    this.map.getView().animate({ center: fromLonLat([lon, lat]), zoom: Math.max(this.map.getView().getZoom(), 16), duration: 300 });
  }

  onClick(e) {
    if (this.drawing) return; // the grid editor is drawing (edit.js)
    let hit = null;
    this.map.forEachFeatureAtPixel(e.pixel, (f, layer) => {
      if (!layer || !layer.get('clickable')) return false;
      const kind = layer.get('kind');
      if (kind === 'case') {
        const members = f.get('features');
        if (members && members.length > 1) {
          const ext = createEmpty();
          for (const m of members) extendExtent(ext, m.getGeometry().getExtent());
          // Cases at (nearly) one point never split by zooming: list them.
          const view = this.map.getView();
          if (ext[2] - ext[0] < 2 && ext[3] - ext[1] < 2) {
            hit = { kind: 'cases', ids: members.map((m) => m.get('id') ?? m.getId()) };
            return true;
          }
          view.fit(ext, { padding: [80, 80, 80, 80], maxZoom: 18, duration: 300 });
          hit = { kind: 'cluster' };
          return true;
        }
        const c = members ? members[0] : f;
        hit = { kind: 'case', id: c.get('id') ?? c.getId() };
        return true;
      }
      // Prefer the most detailed grid under the pointer.
      const lv = Number(f.get('level'));
      if (!hit || (hit.kind === 'grid' && lv > hit.level)) hit = { kind: 'grid', code: f.get('code'), level: lv };
      return false;
    }, { hitTolerance: 3 });
    if (hit?.kind === 'grid') this.emit('grid', hit.code);
    if (hit?.kind === 'case') this.emit('case', hit.id);
    if (hit?.kind === 'cases') this.emit('cases', hit.ids);
  }
}

function caseStyle(f, res) {
  const members = f.get('features') || [f];
  const n = members.length;
  const overdue = members.some((m) => m.get('overdue'));
  const closed = members.every((m) => m.get('status') === 'closed');
  const color = overdue ? C.overdue : closed ? C.closed : C.open;
  return new Style({
    image: new CircleStyle({
      radius: n > 1 ? Math.min(22, 10 + Math.sqrt(n) * 3) : 7,
      fill: new Fill({ color }),
      stroke: new Stroke({ color: '#ffffff', width: 2 }),
    }),
    text: n > 1 ? new Text({ text: String(n), font: 'bold 12px sans-serif', fill: new Fill({ color: '#fff' }) }) : undefined,
  });
}

// tileSource reads MVT tiles with the bearer token in the request headers.
// monthTiles is tj with month=YYYY-MM on its tiles URL.
function monthTiles(tj, month) {
  if (!month) return tj;
  const u = tj.tiles[0];
  return { ...tj, tiles: [u + (u.includes('?') ? '&' : '?') + 'month=' + encodeURIComponent(month)] };
}

export function tileSource(tj) {
  return new VectorTileSource({
    format: new MVT(),
    url: tj.tiles[0],
    minZoom: tj.minzoom ?? 0,
    maxZoom: tj.maxzoom ?? 16,
    tileLoadFunction: (tile, url) => {
      tile.setLoader(async (extent, resolution, projection) => {
        try {
          const res = await fetch(url, { headers: api.headers() });
          if (res.status === 204 || !res.ok) { tile.setFeatures([]); return; }
          const buf = await res.arrayBuffer();
          tile.setFeatures(tile.getFormat().readFeatures(buf, { extent, featureProjection: projection }));
        } catch (e) {
          tile.setFeatures([]);
        }
      });
    },
  });
}

// basemapSource is an XYZ source; WMTS KVP templates ({TileMatrix},
// {TileCol}, {TileRow}, as 天地图 publishes) are mapped onto {z}/{x}/{y}.
function basemapSource(cfg) {
  const url = cfg.basemap_url.replace('{TileMatrix}', '{z}').replace('{TileCol}', '{x}').replace('{TileRow}', '{y}');
  return new XYZ({ url, crossOrigin: 'anonymous', attributions: cfg.basemap_attribution || undefined, maxZoom: 18 });
}
