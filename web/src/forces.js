// The center's field-duty views: leave requests to decide, who must
// retrain, the checklist templates (edited in checklists.js), the police
// rota (rota.js) and the licences due. main.js adds the tab and calls view;
// nothing else.
import { api } from './api.js';
import { t, extend } from './i18n.js';
import { h, clear } from './dom.js';
import { editor } from './checklists.js';
import * as rota from './rota.js';

extend({
  tab_forces: '队伍与检查',
  duty_leave: '待审批的请假',
  duty_leave_none: '没有待审批的请假',
  duty_leave_kind_leave: '请假',
  duty_leave_kind_rest: '休息日',
  duty_approve: '批准',
  duty_reject: '驳回',
  duty_retrain: '需补训人员',
  duty_retrain_none: '没有需补训的人员',
  duty_retrain_missed: '缺训',
  duty_retrain_failed: '考试未通过',
  duty_templates: '检查表',
  duty_templates_none: '还没有检查表',
  duty_template_items: '{n} 项 · 第{v}版',
  duty_licences: '30天内到期的证照',
  duty_licences_none: '没有即将到期的证照',
  duty_expired: '已过期',
}, {
  tab_forces: 'Team & inspections',
  duty_leave: 'Leave to decide',
  duty_leave_none: 'No leave waiting',
  duty_leave_kind_leave: 'Leave',
  duty_leave_kind_rest: 'Rest day',
  duty_approve: 'Approve',
  duty_reject: 'Reject',
  duty_retrain: 'Must retrain',
  duty_retrain_none: 'Nobody must retrain',
  duty_retrain_missed: 'missed',
  duty_retrain_failed: 'failed the exam',
  duty_templates: 'Checklists',
  duty_templates_none: 'No checklist yet',
  duty_template_items: '{n} items · version {v}',
  duty_licences: 'Licences due within 30 days',
  duty_licences_none: 'No licence due',
  duty_expired: 'expired',
});

function section(id, title) {
  const body = h('div', { class: 'duty-body' }, t('loading'));
  return [h('section', { id, class: 'duty' }, h('h2', {}, title), body), body];
}

async function fill(body, load, row, none) {
  try {
    const list = await load();
    clear(body).append(list.length ? h('ul', { class: 'list' }, list.map(row)) : h('p', { class: 'muted' }, t(none)));
  } catch (e) {
    clear(body).append(h('p', { class: 'error' }, t('error', { msg: e.message })));
  }
}

// view renders the duties panel into side; canDecide: the caller may
// approve leave (admin, center).
export function view(side, canDecide) {
  const [leaveSec, leaveBody] = section('duty-leave', t('duty_leave'));
  const [retrainSec, retrainBody] = section('duty-retrain', t('duty_retrain'));
  const [tplSec, tplBody] = section('duty-templates', t('duty_templates'));
  const [licSec, licBody] = section('duty-licences', t('duty_licences'));
  const [rotaSec, rotaBody] = section('duty-rota', t('rota'));
  side.append(...(canDecide ? [leaveSec] : []), retrainSec, tplSec, ...(canDecide ? [rotaSec] : []), licSec);
  const loadLeave = () => fill(leaveBody, async () => (await api.get('/api/v1/leave?status=pending')).leave, (l) => h('li', { dataset: { id: l.id } },
    h('span', {}, `${l.name || l.username} · ${t('duty_leave_kind_' + l.kind)} · ${l.from}–${l.to}${l.reason ? ' · ' + l.reason : ''}`), ' ',
    ...[[true, 'duty_approve', 'primary'], [false, 'duty_reject', 'ghost']].map(([approve, key, cls]) => h('button', {
      class: cls, dataset: { action: approve ? 'approve' : 'reject' },
      onclick: async () => {
        try {
          await api.post(`/api/v1/leave/${l.id}/decision`, { approve }, { 'If-Match': `"${l.version}"` });
        } catch (e) { leaveBody.prepend(h('p', { class: 'error' }, t('error', { msg: e.message }))); }
        loadLeave();
      },
    }, t(key)))), 'duty_leave_none');
  if (canDecide) loadLeave();
  fill(retrainBody, async () => (await api.get('/api/v1/training/retrain')).retrain, (r) => h('li', {},
    `${r.name || r.username} · ${t('duty_retrain_' + r.reason)} · ${r.title} ${r.date}${r.score != null ? ` · ${r.score}/${r.pass_mark}` : ''}`), 'duty_retrain_none');
  // Checklists: the center edits one (or starts one) in the box below the
  // list; a save stores the next version and the list shows it.
  const tplEdit = h('div', { id: 'duty-template-editor' });
  const loadTemplates = () => fill(tplBody, async () => (await api.get('/api/v1/inspection-templates')).templates, (tp) => h('li', { dataset: { code: tp.code } },
    `${tp.name} (${tp.kind}/${tp.category}) · ${t('duty_template_items', { n: tp.items.length, v: tp.version })}`,
    canDecide ? [' ', h('button', { type: 'button', class: 'ghost', dataset: { action: 'edit' }, onclick: () => editor(tplEdit, tp, loadTemplates) }, t('ck_edit'))] : null),
  'duty_templates_none');
  loadTemplates();
  if (canDecide) {
    tplSec.append(h('button', { type: 'button', class: 'ghost', id: 'duty-template-new', onclick: () => editor(tplEdit, null, loadTemplates) }, t('ck_new')), tplEdit);
    rota.view(rotaBody);
  }
  fill(licBody, async () => (await api.get('/api/v1/licences/due?days=30')).licences, (l) => h('li', { class: l.expired ? 'warn' : '' },
    `${l.name} · ${l.type} ${l.number} · ${l.expires}${l.expired ? ' · ' + t('duty_expired') : ''}`), 'duty_licences_none');
}
