// The daily grid log (网格日志) in the field app: today's recorded work as
// the server assembles it (GET /api/v1/worklog) and the worker's notes,
// submitted once (POST) and amended after (PUT with If-Match).
import { h, clear } from '../src/dom.js';
import { t, extend, fmtTime } from './i18n.js';

extend({
  worklog: '网格日志',
  worklog_open: '今日日志',
  wl_patrol: '巡查',
  wl_reports: '上报 {n} 件',
  wl_verifications: '核查 {n} 件',
  wl_visits: '走访 {n} 户次',
  wl_inspections: '检查 {n} 次',
  wl_notes: '今日工作情况',
  wl_submit: '提交日志',
  wl_amend: '修改日志',
  wl_saved: '日志已提交',
  wl_need_notes: '请填写今日工作情况',
  wl_off_site: '（不在现场）',
}, {
  worklog: 'Daily log',
  worklog_open: "Today's log",
  wl_patrol: 'Patrol',
  wl_reports: '{n} reported',
  wl_verifications: '{n} verified',
  wl_visits: '{n} visits',
  wl_inspections: '{n} inspections',
  wl_notes: "What today's work held",
  wl_submit: 'Submit the log',
  wl_amend: 'Amend the log',
  wl_saved: 'Log submitted',
  wl_need_notes: "Write what today's work held",
  wl_off_site: ' (not on site)',
});

let ctx = null;

export function init(c) { ctx = c; }

export const views = { worklog: renderLog };

// homeCard fills the home page's #duty-worklog slot.
export function homeCard() {
  const el = document.getElementById('duty-worklog');
  if (!el) return;
  const d = ctx.S.worklog;
  clear(el).append(h('button', { class: 'card queue', id: 'btn-worklog', onclick: () => { ctx.go('worklog'); load(); } },
    h('span', {}, t('worklog_open')), h('span', { class: d && d.entry ? (d.entry.late ? 'warn' : 'ok') : 'muted' }, d ? d.status_text : '')));
}

export async function load() {
  const { S } = ctx;
  if (!S.token || !navigator.onLine) return;
  try {
    const r = await ctx.call('GET', '/api/v1/worklog');
    S.worklog = r.data;
    ctx.hooks.worklog = r.data;
    if (S.view === 'worklog') renderLog();
    homeCard();
  } catch (e) { if (!(e instanceof ctx.Q.Transient)) ctx.showError(e); }
}

function section(id, title, items, row) {
  return h('div', { id },
    h('h3', {}, title),
    items.length ? h('ul', { class: 'list' }, items.map((x) => h('li', {}, row(x)))) : null);
}

function renderLog() {
  const { S } = ctx;
  const main = h('main', { class: 'page', id: 'worklog-page' });
  clear(document.getElementById('app')).append(ctx.header(t('worklog'), true), main,
    h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const d = S.worklog;
  if (!d) { main.append(h('p', { class: 'muted' }, t('loading'))); return; }
  main.append(h('section', { class: 'card', id: 'worklog-day' },
    h('h2', {}, d.date),
    h('div', { id: 'wl-patrol' }, h('h3', {}, t('wl_patrol')), h('p', {}, d.patrol ? d.patrol.text : '')),
    section('wl-reports', t('wl_reports', { n: d.reports.length }), d.reports, (c) => `${c.number} · ${fmtTime(c.at)}`),
    section('wl-verifications', t('wl_verifications', { n: d.verifications.length }), d.verifications, (c) => `${c.number} · ${fmtTime(c.at)}`),
    section('wl-visits', t('wl_visits', { n: d.visits.length }), d.visits,
      (v) => `${v.kind_name} · ${v.target_name} · ${fmtTime(v.at)}${v.on_site ? '' : t('wl_off_site')}`),
    section('wl-inspections', t('wl_inspections', { n: d.inspections.length }), d.inspections, (x) => `${x.title} · ${x.outcome}`)));
  const notes = h('textarea', { id: 'worklog-notes', rows: 5, placeholder: t('wl_notes'), 'aria-label': t('wl_notes') });
  notes.value = d.entry ? d.entry.notes : '';
  const status = h('p', { id: 'worklog-status', class: d.entry ? (d.entry.late ? 'warn' : 'ok') : 'muted' }, d.status_text);
  const send = h('button', { class: 'primary huge', id: 'worklog-submit' }, d.entry ? t('wl_amend') : t('wl_submit'));
  send.addEventListener('click', async () => {
    const text = notes.value.trim();
    if (!text) return ctx.toast(t('wl_need_notes'));
    send.disabled = true;
    try {
      if (d.entry) await ctx.call('PUT', '/api/v1/worklog', { date: d.date, notes: text }, { 'If-Match': `"${d.entry.version}"` });
      else await ctx.call('POST', '/api/v1/worklog', { date: d.date, notes: text });
      ctx.toast(t('wl_saved'));
      await load();
    } catch (e) {
      send.disabled = false;
      ctx.showError(e);
    }
  });
  main.append(notes, status, send);
}
