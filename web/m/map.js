// A small canvas map for the phone: the worker's grid outline, the cells
// not yet covered today, the track, checkpoints, the current position and a
// draggable report pin. It draws GeoJSON from the API in a local
// equirectangular projection fitted to the grid (a few km: distortion is
// negligible), so the app needs no map library.
const M_PER_DEG = 111320;

export class MiniMap {
  constructor(canvas) {
    this.canvas = canvas;
    this.data = { outlines: [], uncovered: [], cellEdgeM: 10, track: [], checkpoints: [], me: null, pin: null };
    this.onPin = null;
    this.dragging = false;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', () => { this.dragging = false; });
    canvas.addEventListener('pointercancel', () => { this.dragging = false; });
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(canvas);
  }

  set(d) {
    Object.assign(this.data, d);
    this.fit();
    this.draw();
  }

  // fit computes the view from the outlines (or the pin / position).
  fit() {
    const pts = [];
    for (const mp of this.data.outlines) for (const poly of mp) for (const p of poly[0]) pts.push(p);
    if (!pts.length) for (const p of [this.data.pin, this.data.me]) if (p) pts.push(p);
    if (!pts.length) { this.view = null; return; }
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of pts) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
    const pad = 0.0015;
    this.view = { x0: x0 - pad, y0: y0 - pad, x1: x1 + pad, y1: y1 + pad, cos: Math.cos(((y0 + y1) / 2) * Math.PI / 180) };
  }

  scale() {
    const v = this.view;
    const w = this.canvas.clientWidth; const hgt = this.canvas.clientHeight;
    const k = Math.min(w / ((v.x1 - v.x0) * v.cos), hgt / (v.y1 - v.y0));
    const ox = (w - (v.x1 - v.x0) * v.cos * k) / 2; const oy = (hgt - (v.y1 - v.y0) * k) / 2;
    return { k, ox, oy };
  }

  px([lon, lat]) {
    const v = this.view; const { k, ox, oy } = this.scale();
    return [ox + (lon - v.x0) * v.cos * k, oy + (v.y1 - lat) * k];
  }

  lonlat(x, y) {
    const v = this.view; const { k, ox, oy } = this.scale();
    return [v.x0 + (x - ox) / (v.cos * k), v.y1 - (y - oy) / k];
  }

  down(e) {
    const p = this.data.pin;
    if (!p || !this.onPin || !this.view) return;
    const r = this.canvas.getBoundingClientRect();
    const [x, y] = this.px(p);
    if (Math.hypot(e.clientX - r.left - x, e.clientY - r.top - (y - 14)) < 40) {
      this.dragging = true;
      this.canvas.setPointerCapture(e.pointerId);
      e.preventDefault();
    }
  }

  move(e) {
    if (!this.dragging) return;
    const r = this.canvas.getBoundingClientRect();
    const ll = this.lonlat(e.clientX - r.left, e.clientY - r.top + 14);
    this.data.pin = ll;
    this.draw();
    this.onPin(ll);
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth; const hgt = c.clientHeight;
    if (!w || !hgt) return;
    if (c.width !== Math.round(w * dpr)) c.width = Math.round(w * dpr);
    if (c.height !== Math.round(hgt * dpr)) c.height = Math.round(hgt * dpr);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#eef2f7';
    g.fillRect(0, 0, w, hgt);
    if (!this.view) return;
    const d = this.data;
    const ring = (r) => { r.forEach((p, i) => { const [x, y] = this.px(p); if (i) g.lineTo(x, y); else g.moveTo(x, y); }); g.closePath(); };
    // Grid: covered share shown green; the uncovered cells over it.
    for (const mp of d.outlines) {
      g.beginPath();
      for (const poly of mp) for (const r of poly) ring(r);
      g.fillStyle = d.fill || 'rgba(46,160,67,0.45)';
      g.fill('evenodd');
    }
    const rad = Math.max(1, 0.95 * (d.cellEdgeM / M_PER_DEG) * this.scale().k);
    g.fillStyle = 'rgba(230,120,20,0.5)';
    g.beginPath();
    for (const p of d.uncovered) { const [x, y] = this.px(p); g.moveTo(x + rad, y); g.arc(x, y, rad, 0, 2 * Math.PI); }
    g.fill();
    for (const mp of d.outlines) {
      g.beginPath();
      for (const poly of mp) for (const r of poly) ring(r);
      g.strokeStyle = '#0b5cad'; g.lineWidth = 2.5; g.stroke();
    }
    g.strokeStyle = '#1f6feb'; g.lineWidth = 3; g.lineJoin = 'round'; g.lineCap = 'round';
    for (const ls of d.track) {
      g.beginPath();
      ls.forEach((p, i) => { const [x, y] = this.px(p); if (i) g.lineTo(x, y); else g.moveTo(x, y); });
      g.stroke();
    }
    for (const cp of d.checkpoints) {
      const [x, y] = this.px([cp.lon, cp.lat]);
      g.beginPath(); g.arc(x, y, 7, 0, 2 * Math.PI);
      g.fillStyle = cp.visited ? '#2ea043' : '#d29922'; g.fill();
      g.strokeStyle = '#fff'; g.lineWidth = 2; g.stroke();
    }
    if (d.me) {
      const [x, y] = this.px(d.me);
      g.beginPath(); g.arc(x, y, 8, 0, 2 * Math.PI);
      g.fillStyle = '#1f6feb'; g.fill(); g.strokeStyle = '#fff'; g.lineWidth = 3; g.stroke();
    }
    if (d.pin) {
      const [x, y] = this.px(d.pin);
      g.beginPath(); g.moveTo(x, y); g.arc(x, y - 22, 11, Math.PI * 0.75, Math.PI * 2.25); g.closePath();
      g.fillStyle = '#d1242f'; g.fill(); g.strokeStyle = '#fff'; g.lineWidth = 2; g.stroke();
      g.beginPath(); g.arc(x, y - 22, 4, 0, 2 * Math.PI); g.fillStyle = '#fff'; g.fill();
    }
  }
}

// metres between two lon/lat points (equirectangular; fine at these scales).
export function dist(a, b) {
  const cos = Math.cos(((a[1] + b[1]) / 2) * Math.PI / 180);
  return Math.hypot((a[0] - b[0]) * cos, a[1] - b[1]) * M_PER_DEG;
}

// segDist is the distance in metres from p to the segment ab.
export function segDist(p, a, b) {
  const cos = Math.cos(p[1] * Math.PI / 180);
  const ax = (a[0] - p[0]) * cos * M_PER_DEG; const ay = (a[1] - p[1]) * M_PER_DEG;
  const bx = (b[0] - p[0]) * cos * M_PER_DEG; const by = (b[1] - p[1]) * M_PER_DEG;
  const dx = bx - ax; const dy = by - ay; const l2 = dx * dx + dy * dy;
  const t = l2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / l2)) : 0;
  return Math.hypot(ax + t * dx, ay + t * dy);
}
