// Training and meetings (培训与会议) in the field app: the worker's own
// sessions with attendance, hours, exam score and whether it must retrain,
// and its meetings (GET /api/v1/me/training, kept on the phone for offline
// use); a weekly grid or party-group meeting of its grid recorded with its
// attendees and minutes through the outbox (kind 'meeting', its
// Idempotency-Key made when the meeting is recorded).
import { h, clear } from '../src/dom.js';
import { t, extend } from './i18n.js';

extend({
  training: '培训与会议',
  tr_open: '培训与会议',
  tr_retrain: '需补训：{title}（{date}）{why}',
  tr_retrain_missed: '缺训',
  tr_retrain_failed: '考试未通过',
  tr_ok: '培训合格',
  tr_hours: '本季度 {q} 小时 · 本年 {y} 小时 · 本月参训 {m} 次',
  tr_sessions: '培训记录',
  tr_sessions_none: '还没有培训记录',
  tr_attended: '已参加',
  tr_missed: '缺席',
  tr_score: '成绩 {s}/{p}',
  tr_passed: '合格',
  tr_failed: '不合格',
  tr_h: '{h} 小时',
  tr_meetings: '会议',
  tr_meetings_none: '还没有会议记录',
  tr_was_there: '已参会',
  tr_not_there: '未参会',
  tr_record: '记录会议',
  mt_kind_party_group: '党小组会',
  mt_kind_grid: '网格例会',
  mt_kind_dispatch: '调度会',
  mt_grid: '网格',
  mt_date: '日期',
  mt_title: '会议主题',
  mt_minutes: '会议纪要',
  mt_attendees: '参会人员（用户名，逗号分隔）',
  mt_need: '请填写日期和参会人员',
  kind_meeting: '会议',
}, {
  training: 'Training & meetings',
  tr_open: 'Training & meetings',
  tr_retrain: 'Retrain: {title} ({date}) {why}',
  tr_retrain_missed: 'missed',
  tr_retrain_failed: 'failed the exam',
  tr_ok: 'Training up to date',
  tr_hours: 'This quarter {q} h · this year {y} h · {m} sessions this month',
  tr_sessions: 'Training record',
  tr_sessions_none: 'No training yet',
  tr_attended: 'attended',
  tr_missed: 'missed',
  tr_score: 'score {s}/{p}',
  tr_passed: 'passed',
  tr_failed: 'failed',
  tr_h: '{h} h',
  tr_meetings: 'Meetings',
  tr_meetings_none: 'No meeting yet',
  tr_was_there: 'attended',
  tr_not_there: 'not attended',
  tr_record: 'Record a meeting',
  mt_kind_party_group: 'Party group',
  mt_kind_grid: 'Grid meeting',
  mt_kind_dispatch: 'Dispatch',
  mt_grid: 'Grid',
  mt_date: 'Date',
  mt_title: 'Subject',
  mt_minutes: 'Minutes',
  mt_attendees: 'Attendees (usernames, comma-separated)',
  mt_need: 'Fill in the date and the attendees',
  kind_meeting: 'Meeting',
});

const LS = 'gridd.m.training';
let ctx = null;

export function init(c) {
  ctx = c;
  try { c.S.training = JSON.parse(localStorage.getItem(LS) || 'null'); } catch { c.S.training = null; }
  c.Q.handle('meeting', async (a) => {
    const r = await c.call('POST', '/api/v1/meetings', a.body, { 'Idempotency-Key': a.key });
    c.hooks.sent.push({ kind: 'meeting', key: a.key, id: r.data.id, status: r.status });
    load();
  });
}

export const views = { training: renderTraining, meeting: renderMeeting };

// today is the civil date in Asia/Shanghai (YYYY-MM-DD).
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

export async function load() {
  const { S } = ctx;
  if (!S.token || !navigator.onLine) return;
  try {
    S.training = await ctx.get('/api/v1/me/training');
    try { localStorage.setItem(LS, JSON.stringify(S.training)); } catch { /* quota: keep going */ }
    ctx.hooks.training = S.training;
    if (S.view === 'training') renderTraining();
    homeCard();
  } catch (e) { /* the last record serves */ }
}

function retrainText(r) {
  return t('tr_retrain', { title: r.title, date: r.date, why: t('tr_retrain_' + r.reason) });
}

// homeCard fills the home page's #duty-training slot.
export function homeCard() {
  const el = document.getElementById('duty-training');
  if (!el) return;
  const d = ctx.S.training;
  clear(el).append(h('button', { class: 'card queue', id: 'btn-training', onclick: () => { ctx.go('training'); load(); } },
    h('span', {}, t('tr_open')),
    h('span', { class: d ? (d.retrain ? 'warn' : 'ok') : 'muted' }, d ? (d.retrain ? t('tr_retrain_' + d.retrain.reason) : t('tr_ok')) : t('loading'))));
}

function renderTraining() {
  const { S } = ctx;
  const main = h('main', { class: 'page', id: 'training-page' });
  clear(document.getElementById('app')).append(ctx.header(t('training'), true), main,
    h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const d = S.training;
  if (!d) { main.append(h('p', { class: 'muted' }, t('loading'))); return; }
  main.append(
    h('section', { class: 'card', id: 'tr-status' },
      h('p', { id: 'tr-retrain', class: d.retrain ? 'warn' : 'ok' }, d.retrain ? retrainText(d.retrain) : t('tr_ok')),
      h('p', { id: 'tr-hours', class: 'muted' }, t('tr_hours', { q: d.hours_quarter, y: d.hours_year, m: d.sessions_month }))),
    h('section', { class: 'card', id: 'tr-sessions' }, h('h2', {}, t('tr_sessions')),
      d.sessions.length ? h('ul', { class: 'list' }, d.sessions.map((s) => h('li', { dataset: { id: String(s.id), passed: String(s.passed) } },
        h('span', { class: 'title' }, `${s.date} · ${s.title}`),
        h('span', { class: 'sub' }, [t('tr_h', { h: s.hours }), s.attended ? t('tr_attended') : t('tr_missed'),
          s.score != null ? t('tr_score', { s: s.score, p: s.pass_mark }) : null].filter(Boolean).join(' · ')),
        h('span', { class: s.passed ? 'ok' : 'warn' }, s.passed ? t('tr_passed') : t('tr_failed')))))
        : h('p', { class: 'muted' }, t('tr_sessions_none'))),
    h('section', { class: 'card', id: 'tr-meetings' }, h('h2', {}, t('tr_meetings')),
      d.meetings.length ? h('ul', { class: 'list' }, d.meetings.map((m) => h('li', { dataset: { id: String(m.id), attended: String(m.attended) } },
        h('span', { class: 'title' }, `${m.date} · ${t('mt_kind_' + m.kind)}${m.title ? ' · ' + m.title : ''}`),
        h('span', { class: m.attended ? 'ok' : 'muted' }, `${m.attended ? t('tr_was_there') : t('tr_not_there')} · ${m.attendees.length}`),
        m.minutes ? h('span', { class: 'sub' }, m.minutes) : null)))
        : h('p', { class: 'muted' }, t('tr_meetings_none'))),
    h('button', { class: 'primary huge', id: 'btn-meeting', onclick: () => ctx.go('meeting') }, t('tr_record')));
}

// renderMeeting records a meeting of one of the worker's grids; the worker
// is among the attendees unless removed.
function renderMeeting() {
  const { S } = ctx;
  const main = h('main', { class: 'page', id: 'meeting-page' });
  clear(document.getElementById('app')).append(ctx.header(t('tr_record'), true), main,
    h('div', { id: 'toast', class: 'toast', role: 'status', hidden: !S.toast }, S.toast));
  const kind = h('select', { id: 'meeting-kind', 'aria-label': t('tr_record') },
    ...['grid', 'party_group'].map((k) => h('option', { value: k }, t('mt_kind_' + k))));
  const grids = S.today?.patrol?.grids || [];
  const grid = h('select', { id: 'meeting-grid', 'aria-label': t('mt_grid') }, ...grids.map((g) => h('option', { value: g.code }, `${g.name} ${g.code}`)));
  const date = h('input', { type: 'date', id: 'meeting-date', value: today(), 'aria-label': t('mt_date') });
  const title = h('input', { type: 'text', id: 'meeting-title', placeholder: t('mt_title'), 'aria-label': t('mt_title') });
  const minutes = h('textarea', { id: 'meeting-minutes', rows: 4, placeholder: t('mt_minutes'), 'aria-label': t('mt_minutes') });
  const people = h('input', { type: 'text', id: 'meeting-attendees', value: S.me?.username || '', 'aria-label': t('mt_attendees') });
  const send = h('button', { class: 'primary huge', id: 'meeting-send' }, t('send'));
  send.addEventListener('click', async () => {
    const attendees = [...new Set(people.value.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean))];
    if (!date.value || !attendees.length) return ctx.toast(t('mt_need'));
    send.disabled = true;
    await ctx.enqueue({ kind: 'meeting', key: ctx.Q.newKey(), photos: [], label: `${t('mt_kind_' + kind.value)} · ${date.value}`,
      body: { kind: kind.value, date: date.value, grid: grid.value, title: title.value.trim(), minutes: minutes.value.trim(), attendees } });
    ctx.toast(navigator.onLine ? t('sent') : t('queued'));
    ctx.go('training');
  });
  main.append(h('section', { class: 'card' }, kind, h('label', {}, t('mt_grid'), grid), h('label', {}, t('mt_date'), date), title, minutes,
    h('label', {}, t('mt_attendees'), people)), send);
}
