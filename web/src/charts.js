// Plain SVG charts: horizontal bars with values, no chart library.
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// barChart draws rows [{label, value}] with value labels; fmt formats values,
// max (optional) fixes the scale (e.g. 1 for rates). A null value is "no
// data": no bar and the noData text, never a bar of 0.
export function barChart({ title, rows, fmt = String, max, color = '#0b5cad', noData = '—' }) {
  const rowH = 26;
  const labelW = 120;
  const width = 460;
  const barW = width - labelW - 70;
  const height = rows.length * rowH + 30;
  const top = Math.max(max ?? 0, ...rows.map((r) => r.value || 0)) || 1;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': title, class: 'chart' });
  svg.append(s('title', {}, title));
  svg.append(s('text', { x: 0, y: 16, class: 'chart-title' }, title));
  rows.forEach((r, i) => {
    const y = 28 + i * rowH;
    const none = r.value === null || r.value === undefined;
    const w = none ? 0 : Math.max(0, (r.value / top) * barW);
    const label = r.label.length > 9 ? r.label.slice(0, 8) + '…' : r.label;
    const text = none ? noData : fmt(r.value);
    const g = s('g', none ? { class: 'nodata' } : {});
    g.append(s('title', {}, `${r.label}: ${text}`));
    g.append(s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, label));
    if (!none) g.append(s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, fill: color, rx: 2 }));
    g.append(s('text', { x: labelW + w + 6, y: y + 15, class: 'chart-value' + (none ? ' muted' : '') }, text));
    svg.append(g);
  });
  return svg;
}
