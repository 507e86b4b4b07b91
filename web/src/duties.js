// Field duties in the console (center, viewer, admin): the visits due in
// the caller's scope, overdue first (GET /api/v1/visits/due), and a grid
// worker's daily log for a day (GET /api/v1/worklog).
import { api } from './api.js';
import { t, extend, fmtDateTime, shanghaiToday } from './i18n.js';
import { h, clear } from './dom.js';

extend({
  tab_duties: '走访与日志',
  du_due: '待走访',
  du_grid: '网格代码',
  du_worker: '网格员用户名',
  du_target: '走访对象',
  du_kind: '类型',
  du_responsible: '包户人',
  du_state: '状态',
  du_last: '上次走访',
  du_schedule: '频次',
  du_overdue_n: '逾期 {n} 项，共 {m} 项',
  du_log: '网格日志',
  du_date: '日期',
  du_patrol: '巡查',
  du_reports: '上报',
  du_verifications: '核查',
  du_visits: '走访',
  du_inspections: '检查',
  du_notes: '日志内容',
  du_none: '无',
}, {
  tab_duties: 'Visits & logs',
  du_due: 'Visits due',
  du_grid: 'Grid code',
  du_worker: 'Worker username',
  du_target: 'Target',
  du_kind: 'Kind',
  du_responsible: 'Answered by',
  du_state: 'State',
  du_last: 'Last visit',
  du_schedule: 'Schedule',
  du_overdue_n: '{n} overdue of {m}',
  du_log: 'Daily log',
  du_date: 'Date',
  du_patrol: 'Patrol',
  du_reports: 'Reported',
  du_verifications: 'Verified',
  du_visits: 'Visits',
  du_inspections: 'Inspections',
  du_notes: 'Notes',
  du_none: 'none',
});

const state = { grid: '', worker: '', date: '' };

function errorBox(out, e) {
  clear(out).append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
}

// dutiesView: the due list with its filters, then a worker's daily log.
export function dutiesView(side) {
  side.append(h('h2', {}, t('du_due')));
  const grid = h('input', { id: 'du-grid', value: state.grid, inputmode: 'numeric', autocomplete: 'off' });
  const worker = h('input', { id: 'du-worker', value: state.worker, autocomplete: 'off' });
  const dueOut = h('div', { id: 'du-due-out' });
  const dueForm = h('form', { class: 'filters' },
    h('div', {}, h('label', { for: 'du-grid' }, t('du_grid')), grid),
    h('div', {}, h('label', { for: 'du-worker' }, t('du_worker')), worker),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'du-due-search' }, t('search'))));
  const loadDue = async () => {
    Object.assign(state, { grid: grid.value.trim(), worker: worker.value.trim() });
    clear(dueOut).append(t('loading'));
    const q = new URLSearchParams();
    if (state.grid) q.set('grid', state.grid);
    if (state.worker) q.set('worker', state.worker);
    try {
      const r = await api.get('/api/v1/visits/due?' + q);
      clear(dueOut).append(h('p', { id: 'du-due-count' }, t('du_overdue_n', { n: r.overdue, m: r.items.length })));
      const cols = ['du_target', 'du_kind', 'du_grid', 'du_responsible', 'du_state', 'du_last', 'du_schedule'];
      dueOut.append(h('table', { class: 'list', id: 'du-due-table' },
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, r.items.slice(0, 500).map((it) => h('tr', { dataset: { kind: it.target.kind, id: String(it.target.id), overdue: String(it.overdue) } },
          h('th', { scope: 'row' }, it.target.name || it.target.address), h('td', {}, it.kind_name), h('td', {}, it.grid_code),
          h('td', {}, it.responsible.name), h('td', { class: it.overdue ? 'warn' : '' }, it.state_text),
          h('td', {}, it.last_visit || '—'), h('td', {}, it.schedule.text))))));
    } catch (e) { errorBox(dueOut, e); }
  };
  dueForm.addEventListener('submit', (e) => { e.preventDefault(); loadDue(); });

  const who = h('input', { id: 'du-log-worker', value: state.worker, autocomplete: 'off', required: true });
  const date = h('input', { id: 'du-log-date', type: 'date', value: state.date || shanghaiToday() });
  const logOut = h('div', { id: 'du-log-out' });
  const logForm = h('form', { class: 'filters' },
    h('div', {}, h('label', { for: 'du-log-worker' }, t('du_worker')), who),
    h('div', {}, h('label', { for: 'du-log-date' }, t('du_date')), date),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary', id: 'du-log-search' }, t('search'))));
  logForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    state.worker = who.value.trim();
    state.date = date.value;
    clear(logOut).append(t('loading'));
    try {
      const d = await api.get(`/api/v1/worklog?worker=${encodeURIComponent(state.worker)}&date=${state.date}`);
      const list = (key, items, text) => h('div', {}, h('h4', {}, t(key), ` (${items.length})`),
        items.length ? h('ul', {}, items.map((x) => h('li', {}, text(x)))) : h('p', { class: 'muted' }, t('du_none')));
      clear(logOut).append(
        h('p', { id: 'du-log-status', class: d.entry && d.entry.late ? 'warn' : '' }, `${d.worker.name} · ${d.date} · ${d.status_text}`),
        h('p', {}, h('strong', {}, t('du_patrol')), ' ', d.patrol ? d.patrol.text : '—'),
        list('du_reports', d.reports, (c) => `${c.number} · ${fmtDateTime(c.at)}`),
        list('du_verifications', d.verifications, (c) => `${c.number} · ${c.action} · ${fmtDateTime(c.at)}`),
        list('du_visits', d.visits, (v) => `${v.kind_name} · ${v.target_name} · ${fmtDateTime(v.at)}`),
        list('du_inspections', d.inspections, (x) => `${x.title} · ${x.outcome}`),
        h('h4', {}, t('du_notes')), h('p', { id: 'du-log-notes', class: 'notes' }, d.entry ? d.entry.notes : '—'));
    } catch (err) { errorBox(logOut, err); }
  });
  side.append(dueForm, dueOut, h('h2', {}, t('du_log')), logForm, logOut);
  loadDue();
}
