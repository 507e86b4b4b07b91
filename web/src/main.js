// gridd console: login, the map with its layer switcher, grid and case cards,
// lists (cases, audits, assessments) and case statistics; on a province
// instance, the read-only province view instead (province.js).
import 'ol/ol.css';
import './style.css';
import { api, ApiError } from './api.js';
import { t, getLang, setLang, fmtDateTime, fmtDate, fmtNum, has, shanghaiToday } from './i18n.js';
import { h, clear, uid } from './dom.js';
import { GridMap } from './map.js';
import { barChart } from './charts.js';
import * as cases from './cases.js';
import * as inbox from './inbox.js';
import { startLive, stopLive } from './live.js';
import { GridEditor, editPanel } from './edit.js';
import { HistoryView, historyPanel } from './history.js';
import * as analytics from './analytics.js';
import * as duties from './duties.js';
import * as forces from './forces.js';
import * as province from './province.js';

const app = document.getElementById('app');

// S is the console's state; window.__gridd exposes it to the browser tests.
const S = {
  cfg: {},
  me: null,
  map: null,
  view: 'map',
  card: null, // {kind: 'grid'|'case', id}
  caps: {}, // which optional APIs the server offers
  tiles: {}, // layer → TileJSON
  layerOn: null, // set by forgetUser
  topology: null,
  status: '',
};

// forgetUser drops what the last user chose (layers, filters, months), so
// the next person at a shared PC starts from the defaults.
function forgetUser() {
  S.layerOn = { grid_l1: true, grid_l2: true, grid_l3: true, labels: true, zones: true, roads: true, topology: false, cases: true, coverage: false, cells: false, registers: false };
  S.view = 'map';
  S.card = null;
  cases.resetDesk();
  province.reset();
}
forgetUser();

window.__gridd = {
  state: S,
  get lang() { return getLang(); },
  drawnGrids: (level) => (S.map ? S.map.drawnGrids(level) : []),
  featureCount: () => (S.map ? [1, 2, 3].reduce((n, l) => n + S.map.drawnGrids(l).length, 0) : 0),
  screenPointOf: (code) => (S.map ? S.map.screenPointOf(code) : null),
  drawnCells: () => (S.map ? S.map.drawnCells() : null),
  drawnHotspots: () => analytics.drawnHotspots(S),
  province: province.debug(S),
  ready: false,
  rendered: false,
};

api.onUnauthorized(() => {
  stopLive();
  api.setToken('');
  S.me = null;
  forgetUser();
  renderLogin(t('session_expired'));
});

async function boot() {
  setLang(getLang());
  try {
    const r = await fetch('config.json');
    if (r.ok) S.cfg = await r.json();
  } catch (e) { /* defaults */ }
  if (api.token) {
    try {
      S.me = await api.get('/api/v1/auth/me');
      await startConsole();
      return;
    } catch (e) {
      api.setToken('');
    }
  }
  renderLogin();
}

// ---------- login ----------

function renderLogin(message) {
  inbox.stop();
  S.map?.map.setTarget(null);
  S.map = null;
  window.__gridd.ready = false;
  window.__gridd.rendered = false;
  document.title = t('app_title');
  const err = h('p', { class: 'login-error', role: 'alert', id: 'login-error' }, message || '');
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  // The second factor's code: shown when the server answers
  // second_factor_required (a TOTP code or a recovery code).
  const code = h('input', { id: 'totp-code', name: 'code', autocomplete: 'one-time-code', inputmode: 'text' });
  const codeLabel = h('label', { for: 'totp-code' }, t('totp_code'));
  codeLabel.hidden = true;
  code.hidden = true;
  const btn = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login'));
  const form = h('form', { class: 'login-card', 'aria-labelledby': 'login-title' },
    h('div', { class: 'login-head' },
      h('img', { src: 'assets/favicon.svg', alt: '', width: 40, height: 40 }),
      h('h1', { id: 'login-title' }, t('login_title'))),
    h('label', { for: 'username' }, t('username')), user,
    h('label', { for: 'password' }, t('password')), pass,
    codeLabel, code,
    err, btn,
    h('button', { type: 'button', class: 'link', id: 'lang-switch', 'aria-label': t('lang_switch_label'), onclick: () => { setLang(getLang() === 'en' ? 'zh' : 'en'); renderLogin(); } }, t('lang_switch')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    btn.disabled = true;
    btn.textContent = t('logging_in');
    try {
      const body = { username: user.value.trim(), password: pass.value };
      if (!code.hidden) body.code = code.value.trim();
      const s = await api.post('/api/v1/auth/login', body);
      api.setToken(s.token);
      if (s.second_factor_enrolment_required) {
        renderEnrolment();
        return;
      }
      S.me = await api.get('/api/v1/auth/me');
      await startConsole();
    } catch (ex) {
      btn.disabled = false;
      btn.textContent = t('login');
      if (ex.problem && ex.problem.reason === 'second_factor_required') {
        codeLabel.hidden = false;
        code.hidden = false;
        code.required = true;
        err.textContent = t('totp_needed');
        code.focus();
        return;
      }
      err.textContent = t('login_failed', { msg: ex.message });
      if (code.hidden) pass.select(); else code.select();
    }
  });
  clear(app).append(h('main', { class: 'login-page' }, form));
  user.focus();
}

// renderEnrolment enrols a TOTP second factor with the enrol-only token a
// login answers when the role requires one: the secret (and its otpauth
// URI) for an authenticator app, a code to confirm, then the recovery
// codes, shown once; the token is then a full one.
async function renderEnrolment() {
  const err = h('p', { class: 'login-error', role: 'alert', id: 'totp-error' }, '');
  let e;
  try {
    e = await api.post('/api/v1/auth/totp', {});
  } catch (ex) {
    api.setToken('');
    renderLogin(t('login_failed', { msg: ex.message }));
    return;
  }
  const code = h('input', { id: 'totp-confirm-code', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', required: true });
  const btn = h('button', { type: 'submit', class: 'primary', id: 'totp-confirm' }, t('totp_confirm'));
  const form = h('form', { class: 'login-card', 'aria-labelledby': 'totp-title' },
    h('h1', { id: 'totp-title' }, t('totp_enrol_title')),
    h('p', {}, t('totp_enrol_help')),
    h('p', {}, h('code', { id: 'totp-secret' }, e.secret)),
    h('p', { class: 'small' }, h('a', { href: e.otpauth_uri, id: 'totp-uri' }, t('totp_uri'))),
    h('label', { for: 'totp-confirm-code' }, t('totp_code')), code,
    err, btn);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    try {
      const r = await api.post('/api/v1/auth/totp/confirm', { code: code.value.trim() });
      const next = h('button', { type: 'button', class: 'primary', id: 'totp-done' }, t('totp_done'));
      next.addEventListener('click', async () => {
        S.me = await api.get('/api/v1/auth/me');
        await startConsole();
      });
      clear(app).append(h('main', { class: 'login-page' }, h('div', { class: 'login-card' },
        h('h1', {}, t('totp_recovery_title')),
        h('p', {}, t('totp_recovery_help')),
        h('ul', { id: 'recovery-codes' }, ...r.recovery_codes.map((c) => h('li', {}, h('code', {}, c)))),
        next)));
    } catch (ex) {
      btn.disabled = false;
      err.textContent = ex.message;
      code.select();
    }
  });
  clear(app).append(h('main', { class: 'login-page' }, form));
  code.focus();
}

// ---------- console ----------

const isCenter = () => ['admin', 'center'].includes(S.me?.role);

// detectCaps reads which optional parts the server offers from
// GET /api/v1/auth/me (features) and which map layers it serves.
async function detectCaps() {
  const f = new Set((S.me && S.me.features) || []);
  // A province instance serves none of the city's routes (no /tiles).
  if (f.has('province')) { S.caps = { province: true }; return; }
  S.caps = { cases: f.has('cases'), stats: f.has('stats'), coverage: f.has('patrol_audit'),
    registers: f.has('register_audit'), assessments: f.has('assessments'), duties: f.has('duties') };
  // Only the layers this user may read (GET /auth/me layers): a refused
  // request would be an error in the browser's console at every login.
  const readable = S.me?.layers ? new Set(S.me.layers) : null;
  await Promise.all(['grids', 'roads', 'zones', 'cases', 'coverage', 'hotspots'].filter((l) => !readable || readable.has(l)).map(async (layer) => {
    try {
      const tj = await api.get(`/tiles/${layer}.json`);
      if (tj && Array.isArray(tj.tiles) && tj.tiles.length) S.tiles[layer] = tj;
    } catch (e) { /* not offered */ }
  }));
}

async function startConsole() {
  await detectCaps();
  clear(app);
  const mapEl = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map_label'), tabindex: '0' });
  const layout = h('div', { class: 'layout' },
    h('header', { class: 'top', id: 'top' }),
    h('div', { class: 'body' },
      h('aside', { class: 'side', id: 'side' }),
      h('section', { class: 'mapwrap' }, mapEl,
        h('div', { class: 'status', id: 'status', role: 'status' }),
        h('aside', { class: 'card', id: 'card', hidden: true, tabindex: '-1' }))));
  app.append(layout);
  S.map = new GridMap(mapEl, S.cfg);
  if (S.caps.province) { await startProvince(); return; }
  S.editor = new GridEditor(S.map, api);
  window.__gridd.editor = S.editor;
  S.history = new HistoryView(S.map, api);
  window.__gridd.history = S.history;
  S.map.on('grid', (code) => openGrid(code));
  S.map.on('case', (id) => openCase(id));
  S.map.on('cases', (ids) => cases.chooseCase(ids, { openCase, showCard }));
  S.map.on('loaded', () => updateStatus());
  S.map.map.on('rendercomplete', () => {
    updateStatus();
    // "rendered": a frame completed with grids in it (tiles may still be on their way before).
    if (window.__gridd.ready && S.map?.drawnGrids(3).length) window.__gridd.rendered = true;
  });
  renderChrome();
  await S.map.loadGrids(S.tiles.grids ? S.tiles : null);
  if (S.tiles.zones) S.map.addTileLayer('zones', S.tiles.zones, S.map.zoneStyle(), 5);
  if (S.tiles.roads) S.map.addTileLayer('roads', S.tiles.roads, S.map.roadStyle(), 25);
  await Promise.all([loadTopology(), loadCasesLayer(), loadDepartments()].map((p) => p.catch((e) => console.warn(e))));
  applyLayerVisibility();
  renderSide();
  if (S.caps.cases) await inbox.start();
  window.__gridd.ready = true;
  S.map.map.render();
  startLive(onLiveEvent);
}

// startProvince shows the province view: its map, tabs and panels read
// only the /api/v1/province routes; no live events, no inbox.
async function startProvince() {
  S.map.on('loaded', () => updateStatus());
  S.map.map.on('rendercomplete', () => {
    updateStatus();
    if (window.__gridd.ready && Object.keys(province.drawnGrids(S)).length) window.__gridd.rendered = true;
  });
  renderChrome();
  try {
    await province.start(S);
  } catch (e) {
    document.getElementById('status').textContent = t('error', { msg: e.message });
  }
  renderSide();
  window.__gridd.ready = true;
  S.map.map.render();
}

// onLiveEvent: a case event refreshes the cases layer and list (debounced).
let caseRefresh = null;
function onLiveEvent(ev) {
  if (ev.object !== 'case' || !S.caps.cases) return;
  clearTimeout(caseRefresh);
  caseRefresh = setTimeout(() => {
    loadCasesLayer().catch((e) => console.warn(e));
    if (S.view === 'cases') cases.refreshList();
  }, 250);
}

function applyLayerVisibility() {
  for (const [k, v] of Object.entries(S.layerOn)) S.map?.setVisible(k, v);
}

function updateStatus() {
  const el = document.getElementById('status');
  if (!el || !S.map) return;
  if (S.caps.province) { el.textContent = province.status(S); return; }
  el.textContent = t('grids_drawn', { n: S.map.drawnGrids(3).length });
}

function renderChrome() {
  renderTop();
  renderSide();
  if (S.card) reopenCard();
  updateStatus();
  S.map?.layers.grid_l3?.changed();
  S.map?.layers.labels?.changed();
  document.title = t('app_title');
}

function tabs() {
  if (S.caps.province) return province.tabs();
  const list = [['map', 'tab_map']];
  if (S.caps.cases) list.push(['cases', 'tab_cases']);
  if (isCenterOrViewer() && S.caps.coverage) list.push(['patrols', 'tab_patrols']);
  if (isCenterOrViewer()) list.push(['audits', 'tab_audits']);
  if (S.caps.assessments) list.push(['assessments', 'tab_assessments']);
  if (S.caps.stats) list.push(['stats', 'tab_stats']);
  if (S.caps.stats) list.push(['scorecard', 'tab_scorecard']);
  if (S.caps.duties && isCenterOrViewer()) list.push(['duties', 'tab_duties']);
  if (isCenter()) list.push(['forces', 'tab_forces']); // leave decisions, retraining, templates: the center's
  return list;
}

function renderTop() {
  const top = clear(document.getElementById('top'));
  const nav = h('nav', { 'aria-label': t('main_nav'), class: 'tabs', role: 'tablist' });
  for (const [v, key] of tabs()) {
    nav.append(h('button', {
      role: 'tab', id: `tab-${v}`, 'aria-selected': String(S.view === v), 'aria-controls': 'side', class: S.view === v ? 'tab active' : 'tab',
      onclick: () => { S.view = v; renderTop(); renderSide(); },
    }, t(key)));
  }
  top.append(
    h('a', { href: '#map', class: 'skip' }, t('skip_to_map')),
    h('h1', { class: 'brand' }, h('img', { src: 'assets/favicon.svg', alt: '', width: 24, height: 24 }), h('span', { class: 'brand-text' }, t(S.caps.province ? 'prov_title' : 'app_title'))),
    nav,
    h('div', { class: 'who' },
      h('span', { id: 'who' }, `${S.me.name || S.me.username} · ${t('user_role_' + S.me.role)}`),
      // A grid worker is offered the field app (/m/), made for its phone.
      S.me.role === 'worker' ? h('a', { id: 'open-field-app', class: 'button primary', href: '/m/' }, t('open_field_app')) : null,
      h('button', { id: 'lang-switch', class: 'ghost', 'aria-label': t('lang_switch_label'), lang: getLang() === 'en' ? 'zh-CN' : 'en', onclick: async () => { setLang(getLang() === 'en' ? 'zh' : 'en'); await loadTopology().catch((e) => console.warn(e)); renderChrome(); } }, t('lang_switch')),
      h('button', { id: 'logout', class: 'ghost', onclick: logout }, t('logout'))));
  inbox.decorate();
}

async function logout() {
  stopLive();
  try { await api.post('/api/v1/auth/logout'); } catch (e) { /* gone anyway */ }
  api.setToken('');
  S.me = null;
  forgetUser();
  renderLogin();
}

function renderSide() {
  const side = clear(document.getElementById('side'));
  side.className = 'side' + ([...province.wideViews, 'cases', 'stats', 'scorecard', 'assessments', 'audits', 'patrols', 'duties', 'forces'].includes(S.view) ? ' wide' : '') + ([...province.deskViews, 'cases', 'assessments', 'patrols'].includes(S.view) ? ' desk' : '');
  side.setAttribute('role', 'tabpanel');
  side.setAttribute('aria-labelledby', `tab-${S.view}`);
  const views = S.caps.province ? province.views(S) : { map: layersView, cases: casesView, audits: auditsView, patrols: patrolsView, stats: statsView, assessments: assessmentsView, scorecard: (el) => analytics.scorecardView(el, S.me?.role),
    duties: duties.dutiesView, forces: (el) => forces.view(el, S.me.role !== 'viewer') };
  (views[S.view] || views.map)(side);
  requestAnimationFrame(() => S.map?.map.updateSize());
}

// ---------- layers ----------

function layersView(side) {
  side.append(gridFinder());
  side.append(h('h2', {}, t('layers')));
  const avail = {
    grid_l1: true, grid_l2: true, grid_l3: true, labels: true,
    zones: !!S.tiles.zones, roads: !!S.tiles.roads,
    topology: !!S.map?.layers.topology,
    cases: !!S.map?.layers.cases,
    coverage: !!S.caps.coverage && isCenterOrViewer(),
    cells: !!S.tiles.coverage,
    registers: !!S.caps.registers && isCenterOrViewer(),
  };
  // The patrol and register audits are computed on demand: loaded when first shown.
  const lazy = { coverage: loadCoverage, registers: loadRegisters, cells: async () => S.map.addCells(S.tiles.coverage, cases.getPatrolMonth()) };
  const names = { grid_l1: 'layer_grid_l1', grid_l2: 'layer_grid_l2', grid_l3: 'layer_grid_l3', labels: 'layer_labels', zones: 'layer_zones', roads: 'layer_roads', topology: 'layer_topology', cases: 'layer_cases', coverage: 'layer_coverage', cells: 'layer_cells', registers: 'layer_registers' };
  const fs = h('fieldset', { class: 'layers' }, h('legend', { class: 'sr-only' }, t('layers')));
  for (const [k, key] of Object.entries(names)) {
    const id = `layer-${k}`;
    fs.append(h('div', { class: 'check' + (avail[k] ? '' : ' off') },
      h('input', { type: 'checkbox', id, checked: avail[k] && S.layerOn[k], disabled: !avail[k], onchange: async (e) => {
        S.layerOn[k] = e.target.checked;
        if (e.target.checked && lazy[k] && !S.map.layers[k]) {
          const st = document.getElementById('status');
          st.textContent = t('loading');
          try { await lazy[k](); } catch (ex) { st.textContent = t('error', { msg: ex.message }); return; }
        }
        S.map.setVisible(k, e.target.checked);
        updateStatus();
      } }),
      h('label', { for: id }, h('span', { class: `swatch sw-${k}`, 'aria-hidden': 'true' }), t(key), avail[k] ? '' : ' ' + t('unavailable'))));
  }
  if (S.map?.layers.basemap) {
    fs.append(h('div', { class: 'check' },
      h('input', { type: 'checkbox', id: 'layer-basemap', checked: true, onchange: (e) => S.map.setVisible('basemap', e.target.checked) }),
      h('label', { for: 'layer-basemap' }, t('layer_basemap'))));
  }
  side.append(fs);
  if (isCenter()) {
    // Grid editing (edit.js): the parent of the selected basic grid (DB11: its first 12 digits).
    editPanel(side, S.editor, () => S.map?.selected, (c) => c.slice(0, 12) + '000', (saved) => {
      if (saved) for (const n of ['grid_l1', 'grid_l2', 'grid_l3']) S.map?.layers[n]?.getSource()?.refresh?.();
      renderSide();
    });
    // History (history.js): under the parent being edited, else the selected grid's parent.
    historyPanel(side, S.history, () => S.editor.parent || (S.map?.selected ? S.map.selected.slice(0, 12) + '000' : ''));
  }
  analytics.hotspotControls(side, S);
  side.append(h('h3', {}, t('legend')), h('ul', { class: 'legend' },
    h('li', {}, h('span', { class: 'dot', style: 'background:#c81e1e' }), t('legend_overdue')),
    h('li', {}, h('span', { class: 'dot', style: 'background:#0b7a3e' }), t('legend_open')),
    h('li', {}, h('span', { class: 'dot', style: 'background:#6b7280' }), t('legend_closed')),
    h('li', {}, h('span', { class: 'box', style: 'background:rgba(220,38,38,0.55)' }), t('legend_gap')),
    h('li', {}, h('span', { class: 'box', style: 'background:rgba(234,88,12,0.55)' }), t('legend_overlap')),
    h('li', {}, h('span', { class: 'box', style: 'background:rgba(22,163,74,0.45)' }), t('legend_covered')),
    h('li', {}, h('span', { class: 'box', style: 'background:rgba(220,38,38,0.40)' }), t('legend_missed'))));
}

// gridFinder opens a grid's card by name or code (the keyboard's way to the map).
function gridFinder() {
  const listId = uid('grids');
  const dl = h('datalist', { id: listId });
  const input = h('input', { id: 'grid-find', list: listId, autocomplete: 'off', placeholder: t('find_grid_hint') });
  let grids = null;
  const fill = async () => {
    if (grids) return;
    grids = [];
    let path = '/api/v1/grids?limit=1000';
    while (path && grids.length < 5000) {
      const fc = await api.get(path);
      for (const f of fc.features) grids.push({ code: f.properties.code, name: f.properties.name });
      path = fc.next || '';
    }
    for (const g of grids) dl.append(h('option', { value: `${g.name} ${g.code}` }));
  };
  input.addEventListener('focus', () => fill().catch(() => {}));
  const note = h('p', { class: 'muted', id: 'grid-find-note', role: 'status' });
  const form = h('form', { class: 'finder', role: 'search' },
    h('label', { for: 'grid-find' }, t('find_grid')),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'secondary' }, t('search'))), dl, note);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await fill().catch(() => {});
    const v = input.value.trim();
    // A full code, an exact name, or part of a name or code (双泉 finds 双泉村…).
    const code = (v.match(/\d{15}/) || [])[0] || grids?.find((g) => g.name === v)?.code
      || (v ? grids?.find((g) => g.name.includes(v) || g.code.startsWith(v))?.code : '');
    note.textContent = code || !v ? '' : t('grid_not_found', { q: v });
    if (code) { openGrid(code); S.map.selectGrid(code, true); }
  });
  return form;
}

// ---------- grid card ----------

function showCard(title, body) {
  const card = document.getElementById('card');
  clear(card);
  card.hidden = false;
  const headId = uid('card-title');
  card.setAttribute('aria-labelledby', headId);
  card.append(h('div', { class: 'card-head' },
    h('h2', { id: headId }, title),
    h('button', { class: 'ghost close', 'aria-label': t('close'), title: t('close'), id: 'card-close', onclick: closeCard }, '×')), body);
  card.focus();
  card.onkeydown = (e) => { if (e.key === 'Escape') closeCard(); };
  return card;
}

function closeCard() {
  const card = document.getElementById('card');
  card.hidden = true;
  S.card = null;
  S.map?.selectGrid(null);
}

function reopenCard() {
  if (S.card?.kind === 'grid') openGrid(S.card.id);
  else if (S.card?.kind === 'case') openCase(S.card.id);
}

function dl(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v, id]) => [h('dt', {}, k), h('dd', { id }, v)]));
}

async function openGrid(code) {
  S.card = { kind: 'grid', id: code };
  S.map.selectGrid(code);
  const body = h('div', { class: 'card-body', 'aria-busy': 'true' }, t('loading'));
  showCard(t('grid_card'), body);
  let f;
  try {
    f = await api.get(`/api/v1/grids/${encodeURIComponent(code)}`);
  } catch (e) {
    clear(body).append(h('p', { class: 'error' }, t('error', { msg: e.message })));
    return;
  }
  if (S.card?.id !== code) return;
  const p = f.properties;
  const people = (p.people || []).filter((a) => !a.valid_to);
  clear(body).removeAttribute('aria-busy');
  body.dataset.code = p.code;
  body.append(
    h('p', { class: 'card-title-line' }, h('strong', { id: 'grid-name' }, p.name), ' ', h('span', { class: 'muted' }, t('level_' + p.level))),
    dl([
      [t('code'), p.code, 'grid-code'],
      p.parents?.length ? [t('parent'), p.parents.map((x) => x.name).join(' › ')] : null,
      [t('area'), t('area_km2', { v: fmtNum(p.area_m2 / 1e6, 3) }), 'grid-area'],
      [t('households'), fmtNum(p.households), 'grid-households'],
      [t('population'), fmtNum(p.population), 'grid-population'],
      p.counts ? [t('register_counts'), t('register_counts_v', { h: fmtNum(p.counts.households), p: fmtNum(p.counts.people),
        b: fmtNum(p.counts.businesses), s: fmtNum(p.counts.places) }), 'grid-register-counts'] : null,
    ]),
    h('h3', {}, t('people_on_duty')),
    people.length ? h('ul', { class: 'people', id: 'grid-people' }, people.map((a) => h('li', {},
      h('span', { class: 'role' }, has('role_' + a.grid_role) ? t('role_' + a.grid_role) : a.grid_role), ' ',
      h('strong', {}, a.name), a.grid_role === 'worker' ? ` · ${a.full_time ? t('full_time') : t('part_time')}` : ''))) : h('p', { class: 'muted' }, t('no_people')));
  h3Section(body, t('open_cases'), S.caps.cases ? () => cases.gridOpenCases(p.code, { openCase }) : null, 'grid-cases');
  h3Section(body, t('patrol_month'), S.caps.coverage && isCenterOrViewer() ? () => patrolFigures(p.code) : null, 'grid-patrols');
}

// h3Section adds a titled section filled by load(), or "not available yet".
function h3Section(parent, title, load, id) {
  const sec = h('section', { id }, h('h3', {}, title));
  parent.append(sec);
  if (!load) { sec.append(h('p', { class: 'muted' }, t('not_available'))); return; }
  const slot = h('div', {}, t('loading'));
  sec.append(slot);
  load().then((el) => { clear(slot).append(el); }).catch((e) => { clear(slot).append(h('p', { class: 'error' }, t('error', { msg: e.message }))); });
}

const isCenterOrViewer = () => ['admin', 'center', 'viewer'].includes(S.me?.role);

async function patrolFigures(code) {
  const r = await cases.patrolAudit(code, false);
  const rows = (r.rows || []).filter((x) => x.grid_code === code);
  if (!rows.length) return h('p', { class: 'muted' }, t('no_rows'));
  return h('div', {}, rows.map((x) => dl([
    [t('worker'), x.worker_name || x.worker || '—'],
    [t('patrol_days'), `${x.days_patrolled} / ${x.days}`, 'grid-patrol-days'],
    [t('patrol_coverage'), fmtNum((x.monthly_coverage || 0) * 100, 1) + '%'],
    [t('distance'), t('km', { v: fmtNum((x.distance_m || 0) / 1000, 1) })],
  ])));
}

// ---------- cases ----------

async function openCase(id) {
  S.card = { kind: 'case', id };
  const body = h('div', { class: 'card-body' }, t('loading'));
  showCard(t('case_card'), body);
  await cases.caseCard(body, id, {
    me: S.me,
    unitName: (code) => S.departments?.[code] || code,
    gridName: (code) => S.map.gridName(code) || code,
    onChanged: async () => { await loadCasesLayer(); if (S.view === 'cases') renderSide(); },
    zoom: (lon, lat) => S.map.zoomToLonLat(lon, lat),
  });
}

async function loadCasesLayer() {
  if (!S.caps.cases) return;
  const fc = await cases.casesGeoJSON();
  S.map.setCases(fc);
}

function casesView(side) {
  cases.casesList(side, { openCase, me: S.me, gridName: (code) => S.map.gridName(code) || code });
}

// ---------- audits ----------

async function loadTopology() {
  if (S.caps.province || !['admin', 'center', 'viewer'].includes(S.me.role)) return;
  S.topology = await api.get('/api/v1/audits/topology');
  S.map.setFindings(S.topology.findings);
}

async function loadDepartments() {
  const r = await api.get('/api/v1/departments');
  S.departments = Object.fromEntries((r.departments || []).map((d) => [d.code, d.name]));
}

async function loadCoverage() {
  if (!S.caps.coverage || !isCenterOrViewer()) return;
  await S.map.setCoverageAudit(await cases.patrolAudit('', true));
}

async function loadRegisters() {
  if (!S.caps.registers || !isCenterOrViewer()) return;
  await S.map.setRegisterAudit(await api.get('/api/v1/audits/registers'));
}

function auditsView(side) {
  side.append(h('h2', {}, t('audits')));
  const sec = h('section', { class: 'audit', id: 'audit-topology' }, h('h3', {}, t('topology_audit')));
  side.append(sec);
  const body = h('div', {});
  sec.append(body, h('button', { class: 'secondary', onclick: async () => { clear(body).append(t('loading')); await loadTopology().catch((e) => alertIn(body, e)); drawTopo(body); } }, t('run_audit')));
  drawTopo(body);
  if (S.caps.registers) {
    const rs = h('section', { class: 'audit', id: 'audit-registers' }, h('h3', {}, t('register_audit')));
    side.append(rs);
    cases.registerAudit(rs, (r) => S.map.setRegisterAudit(r).then(() => showLayer('registers'))).catch((e) => alertIn(rs, e));
  }
}

// patrolsView is the month's patrol audit: every rule the month is judged on.
function patrolsView(side) {
  side.append(h('h2', {}, t('patrol_audit')));
  if (S.caps.coverage) {
    const cs = h('section', { class: 'audit', id: 'audit-coverage' });
    side.append(cs);
    cases.coverageAudit(cs, async (worker, date) => {
      const st = document.getElementById('status');
      try {
        const d = await api.get(`/api/v1/patrols/daily?worker=${encodeURIComponent(worker)}&date=${date}`);
        await S.map.setPatrolDay(d);
        showLayer('coverage');
        st.textContent = t('patrol_day_shown', { w: worker, d: date, km: fmtNum((d.distance_m || 0) / 1000, 1) });
      } catch (e) {
        st.textContent = t('error', { msg: e.message });
      }
    }, (month) => {
      // Another month: the audit, the month's coverage layer and the cells follow.
      S.map.setCellsMonth(S.tiles.coverage, month);
      S.map.drop('coverage');
      S.layerOn.coverage = false;
      renderSide();
    }).catch((e) => alertIn(cs, e));
  }
}

function showLayer(name) {
  S.layerOn[name] = true;
  S.map.setVisible(name, true);
}

function alertIn(el, e) {
  el.append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
  el.dataset.loaded = 'error: ' + e.message;
}

function drawTopo(body) {
  clear(body);
  const r = S.topology;
  if (!r) { body.append(h('p', { class: 'muted' }, t('not_available'))); return; }
  body.append(h('p', {}, r.clean ? t('audit_clean') : t('audit_counts', r.counts)));
  const feats = r.findings?.features || [];
  if (feats.length) {
    const tbl = h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('findings')), h('th', { scope: 'col' }, t('grid')), h('th', { scope: 'col' }, t('area')))));
    const tb = h('tbody', {});
    feats.slice(0, 200).forEach((f) => tb.append(h('tr', {},
      h('td', {}, f.properties.label || f.properties.kind),
      h('td', {}, (f.properties.codes || []).join(', ') || f.properties.parent_code),
      h('td', {}, fmtNum(f.properties.area_m2, 1) + ' m²'))));
    tbl.append(tb);
    body.append(tbl);
  }
  showLayer('topology');
}

// ---------- statistics and assessments ----------

function statsView(side) {
  cases.statsView(side, { barChart });
}

function assessmentsView(side) {
  cases.assessmentsView(side);
}

boot();
