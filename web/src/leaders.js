// The supervising leaders' and cadres' yearly result (蹲点领导、干部考评) in
// the scorecard view, for admin and center: each leader's rubric items
// (computed from their grids, or scored by the joint meeting here), the
// grid-work score and the points deducted from the town's 1,000-point
// year-end result. An item without data is drawn as no data.
import { api } from './api.js';
import { t, extend, fmtNum, getLang, shanghaiToday } from './i18n.js';
import { h, clear } from './dom.js';

extend({
  ld_title: '蹲点领导、干部年度考评',
  ld_note: '网格工作得分按百分制计，未满分部分按 {share} 分折算后从年终千分制绩效中扣除。',
  ld_year: '年度',
  ld_name: '姓名',
  ld_role: '身份',
  ld_score: '网格工作得分',
  ld_deduction: '年终扣分',
  ld_year_end: '年终得分',
  ld_save: '保存评分',
  ld_missing: '待评',
  ld_none: '本年度没有蹲点领导或干部。',
  ld_score_label: '{name}：{item}评分（0–100）',
}, {
  ld_title: 'Supervising leaders and cadres: yearly result',
  ld_note: 'Grid work is scored out of 100; the points short of 100, scaled to {share}, are deducted from the 1,000-point year-end result.',
  ld_year: 'Year',
  ld_name: 'Name',
  ld_role: 'Role',
  ld_score: 'Grid-work score',
  ld_deduction: 'Year-end deduction',
  ld_year_end: 'Year-end points',
  ld_save: 'Save scores',
  ld_missing: 'to score',
  ld_none: 'No supervising leader or cadre this year.',
  ld_score_label: '{name}: {item} score (0–100)',
});

const itemName = (it) => (getLang() === 'en' ? it.name_en : it.name);

// leadersSection appends the leaders' results of a year to side.
export function leadersSection(side) {
  const year = h('input', { type: 'number', id: 'ld-year', min: 2000, max: 2100, value: shanghaiToday().slice(0, 4) });
  const out = h('div', { id: 'leaders-out' });
  const form = h('form', { class: 'filters' },
    h('div', {}, h('label', { for: 'ld-year' }, t('ld_year')), year),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, t('search'))));
  const fail = (e) => out.append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: e.message })));
  const draw = (r) => {
    clear(out);
    out.append(h('p', { class: 'muted' }, t('ld_note', { share: fmtNum(r.rubric.grid_share) })));
    if (!r.leaders.length) {
      out.append(h('p', { class: 'muted' }, t('ld_none')));
      return;
    }
    const num = (v, d = 2) => (v === null || v === undefined ? h('td', { class: 'num nodata' }, t('no_data')) : h('td', { class: 'num' }, fmtNum(v, d)));
    const rows = r.leaders.map((l) => {
      const inputs = [];
      const cells = l.items.map((it) => {
        if (it.metric !== 'manual') return num(it.earned);
        const inp = h('input', { type: 'number', min: 0, max: 100, step: 1, value: it.value ?? '', class: 'ld-input', 'data-item': it.code,
          'aria-label': t('ld_score_label', { name: l.name, item: itemName(it) }) });
        inputs.push(inp);
        return h('td', { class: 'num' }, inp, ' ', it.earned == null ? h('span', { class: 'muted' }, t('ld_missing')) : fmtNum(it.earned, 2));
      });
      const save = h('button', { type: 'button', class: 'ld-save', onclick: async () => {
        try {
          let last;
          for (const inp of inputs) {
            if (inp.value === '') continue;
            last = await api.request('PUT', '/api/v1/results/leaders/scores', { year: r.year, user_id: l.user_id, item: inp.dataset.item, score: Number(inp.value) });
          }
          if (last) draw(last.body);
        } catch (e) { fail(e); }
      } }, t('ld_save'));
      return h('tr', { 'data-user': String(l.user_id) },
        h('td', { class: 'num' }, l.rank == null ? '—' : String(l.rank)), h('th', { scope: 'row' }, l.name),
        h('td', {}, t('role_' + l.role)), cells, num(l.score), num(l.deduction), num(l.year_end_points),
        h('td', {}, inputs.length ? save : ''));
    });
    out.append(h('table', { class: 'list', id: 'leaders-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('sc_rank')), h('th', { scope: 'col' }, t('ld_name')), h('th', { scope: 'col' }, t('ld_role')),
        r.rubric.items.map((it) => h('th', { scope: 'col' }, `${itemName(it)} (${fmtNum(it.points)})`)),
        h('th', { scope: 'col' }, t('ld_score')), h('th', { scope: 'col' }, t('ld_deduction')), h('th', { scope: 'col' }, t('ld_year_end')), h('th', { scope: 'col' }, ''))),
      h('tbody', {}, rows)));
  };
  const load = async () => {
    clear(out).append(t('loading'));
    try {
      draw(await api.get(`/api/v1/results/leaders?year=${encodeURIComponent(year.value)}`));
    } catch (e) { clear(out); fail(e); }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  side.append(h('h2', { id: 'leaders-title' }, t('ld_title')), form, out);
  load();
}
