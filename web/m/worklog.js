// The daily grid log (网格日志) in the field app: today's recorded work as
// the server assembles it (GET /api/v1/worklog, kept on the phone) and the
// worker's notes, submitted once (POST) and amended after (PUT with
// If-Match) through the outbox like a report (kind 'worklog', its
// Idempotency-Key made when the notes are submitted): offline, the entry
// waits in IndexedDB and is sent, once, when the network returns.
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
  wl_queued: '日志待发送，联网后自动提交',
  kind_worklog: '日志',
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
  wl_queued: 'The log waits in the outbox and is sent when online',
  kind_worklog: 'Daily log',
});

const LS = 'gridd.m.worklog';
let ctx = null;

export function init(c) {
  ctx = c;
  try { c.S.worklog = JSON.parse(localStorage.getItem(LS) || 'null'); } catch { c.S.worklog = null; }
  c.Q.handle('worklog', async (a) => {
    const headers = { 'Idempotency-Key': a.key };
    if (a.method === 'PUT') headers['If-Match'] = `"${a.version}"`;
    const r = await c.call(a.method, '/api/v1/worklog', a.body, headers);
    c.hooks.sent.push({ kind: 'worklog', key: a.key, status: r.status, version: r.data.version, replayed: r.headers.get('Idempotent-Replayed') === 'true' });
    c.toast(t('wl_saved'));
    await load();
  });
}

// pending reads whether a log entry waits in the outbox.
async function pending() {
  return (await ctx.Q.all()).some((a) => a.kind === 'worklog' && a.state !== 'failed');
}

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
    try { localStorage.setItem(LS, JSON.stringify(r.data)); } catch { /* quota: keep going */ }
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
  pending().then((p) => {
    if (p && S.view === 'worklog') { status.className = 'warn'; status.textContent = t('wl_queued'); }
  }).catch(() => {});
  send.addEventListener('click', async () => {
    const text = notes.value.trim();
    if (!text) return ctx.toast(t('wl_need_notes'));
    send.disabled = true;
    const a = d.entry ? { method: 'PUT', version: d.entry.version } : { method: 'POST' };
    await ctx.enqueue({ kind: 'worklog', key: ctx.Q.newKey(), photos: [], label: d.date, body: { date: d.date, notes: text }, ...a });
    status.className = 'warn';
    status.textContent = t('wl_queued');
    ctx.toast(navigator.onLine ? t('sent') : t('queued'));
  });
  main.append(notes, status, send);
}
