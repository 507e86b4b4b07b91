// The police rota (社区民警排班) of the center's duties tab: a community's
// shifts for a week (GET /api/v1/police-rota) with the norms' flags, an
// officer put on a shift (POST /api/v1/police-rota/shifts) or taken off
// (DELETE /api/v1/police-rota/shifts/{id}). forces.js calls view; nothing
// else.
import { api } from './api.js';
import { t, extend, shanghaiToday } from './i18n.js';
import { h, clear } from './dom.js';

extend({
  rota: '社区民警排班',
  rota_community: '社区（村）网格代码',
  rota_from: '开始日期',
  rota_show: '查看一周',
  rota_date: '日期',
  rota_shift: '第{n}班',
  rota_officer: '民警用户名',
  rota_add: '排班',
  rota_remove: '移除',
  rota_officers: '本周 {n} 名民警（标准 {want} 名）',
  rota_ok: '排班符合标准',
  flag_officers_below_norm: '民警不足：{count} 名，标准 {want} 名',
  flag_shift_understaffed: '{date} 第{shift}班 {count} 人，标准 {want} 人',
  flag_shift_overstaffed: '{date} 第{shift}班 {count} 人，超出标准 {want} 人',
}, {
  rota: 'Police rota',
  rota_community: 'Community (village) grid code',
  rota_from: 'From',
  rota_show: 'Show the week',
  rota_date: 'Date',
  rota_shift: 'Shift {n}',
  rota_officer: 'Officer username',
  rota_add: 'Put on the rota',
  rota_remove: 'Remove',
  rota_officers: '{n} officers this week (norm {want})',
  rota_ok: 'The rota meets the norms',
  flag_officers_below_norm: 'Too few officers: {count}, norm {want}',
  flag_shift_understaffed: '{date} shift {shift}: {count}, norm {want}',
  flag_shift_overstaffed: '{date} shift {shift}: {count}, more than the norm {want}',
});


function addDays(date, n) {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// view fills body with the rota's controls; community is the code shown
// first (the last one asked for, kept in localStorage).
export function view(body) {
  const community = h('input', { type: 'text', id: 'rota-community', value: localStorage.getItem('gridd.rota.community') || '', 'aria-label': t('rota_community'), placeholder: t('rota_community') });
  const from = h('input', { type: 'date', id: 'rota-from', value: shanghaiToday(), 'aria-label': t('rota_from') });
  const out = h('div', { id: 'rota-out' });
  const show = h('button', { type: 'button', class: 'primary', id: 'rota-show' }, t('rota_show'));
  const day = h('input', { type: 'date', id: 'rota-add-date', value: shanghaiToday(), 'aria-label': t('rota_date') });
  const shift = h('select', { id: 'rota-add-shift', 'aria-label': t('rota_shift', { n: '' }) }, ...[1, 2, 3].map((n) => h('option', { value: String(n) }, t('rota_shift', { n }))));
  const officer = h('input', { type: 'text', id: 'rota-add-user', 'aria-label': t('rota_officer'), placeholder: t('rota_officer') });
  const add = h('button', { type: 'button', id: 'rota-add' }, t('rota_add'));
  const msg = h('p', { id: 'rota-msg', role: 'status' });
  const fail = (e) => { msg.className = 'error'; msg.textContent = t('error', { msg: e.message }); };

  async function load() {
    const c = community.value.trim();
    if (!c) return;
    localStorage.setItem('gridd.rota.community', c);
    const to = addDays(from.value, 6);
    let r;
    try {
      r = await api.get(`/api/v1/police-rota?community=${encodeURIComponent(c)}&from=${from.value}&to=${to}`);
    } catch (e) { fail(e); return; }
    const SHIFTS = [...Array(r.norms.shifts_per_day).keys()].map((i) => i + 1);
    const cell = (date, n) => h('td', { dataset: { date, shift: String(n) } }, ...r.shifts.filter((s) => s.date === date && s.shift === n).map((s) => h('span', { class: 'officer', dataset: { id: String(s.id) } },
      s.name || s.username, ' ',
      h('button', { type: 'button', class: 'ghost', 'aria-label': t('rota_remove'), title: t('rota_remove'), onclick: async () => {
        try { await api.request('DELETE', `/api/v1/police-rota/shifts/${s.id}`); } catch (e) { fail(e); }
        load();
      } }, '×'))));
    const days = [...Array(7).keys()].map((i) => addDays(from.value, i));
    clear(out).append(
      h('p', { id: 'rota-officers' }, t('rota_officers', { n: r.officers, want: r.norms.officers_per_community })),
      h('div', { class: 'table-wrap' }, h('table', { id: 'rota-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('rota_date')), ...SHIFTS.map((n) => h('th', {}, t('rota_shift', { n }))))),
        h('tbody', {}, days.map((d) => h('tr', {}, h('th', {}, d), ...SHIFTS.map((n) => cell(d, n))))))),
      h('ul', { id: 'rota-flags', class: 'list' }, r.flags.length ? r.flags.map((f) => h('li', { class: 'warn', dataset: { reason: f.reason } }, t('flag_' + f.reason, f)))
        : h('li', { class: 'ok' }, t('rota_ok'))));
  }
  show.addEventListener('click', () => { msg.textContent = ''; load(); });
  add.addEventListener('click', async () => {
    msg.textContent = '';
    try {
      await api.post('/api/v1/police-rota/shifts', { community: community.value.trim(), date: day.value, shift: Number(shift.value), username: officer.value.trim() });
      officer.value = '';
    } catch (e) { fail(e); }
    load();
  });
  clear(body).append(h('p', { class: 'row' }, community, ' ', from, ' ', show),
    h('p', { class: 'row' }, day, ' ', shift, ' ', officer, ' ', add), msg, out);
  load();
}
