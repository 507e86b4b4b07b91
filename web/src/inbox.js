// The to-do badge: the caller's inbox counts (GET /api/v1/inbox) next to
// the cases tab, refreshed on start, after the user's own writes (the
// 'gridd:write' event from api.js), on every streamed event (the
// 'gridd:event' CustomEvent on window) and every two minutes as a fallback.
import { api } from './api.js';
import { t } from './i18n.js';
import { h } from './dom.js';

const KINDS = ['to_review', 'to_accept', 'to_handle', 'to_verify', 'escalated', 'overdue'];
const FALLBACK_MS = 120000;

let counts = null;
let timer = null;
let pending = null;
let running = false;

// total is what the badge shows: the items waiting for the caller.
export function total(c) {
  return c ? c.to_review + c.to_accept + c.to_handle + c.to_verify : 0;
}

function paint() {
  const tab = document.getElementById('tab-cases');
  if (!tab) return;
  let badge = document.getElementById('inbox-badge');
  if (!badge) {
    badge = h('span', { id: 'inbox-badge', class: 'badge', hidden: true });
    tab.append(' ', badge);
  }
  const n = total(counts);
  badge.hidden = !counts || (n === 0 && !counts.escalated);
  badge.textContent = String(n);
  badge.classList.toggle('late', !!counts && counts.overdue > 0);
  const parts = counts ? KINDS.filter((k) => counts[k]).map((k) => `${t('inbox_' + k)} ${counts[k]}`) : [];
  badge.title = parts.join(' · ') || t('inbox_none');
  badge.setAttribute('aria-label', t('inbox_label', { n }) + (parts.length ? ': ' + parts.join(', ') : ''));
}

async function refresh() {
  if (!running) return;
  try {
    const r = await api.get('/api/v1/inbox?limit=1');
    if (!running) return;
    counts = r.counts;
    window.__gridd && (window.__gridd.inbox = counts);
    paint();
  } catch (e) {
    console.warn('inbox', e.message);
  }
}

// soon coalesces bursts of events into one refresh.
function soon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh(); }, 300);
}

export function start() {
  stop();
  running = true;
  window.addEventListener('gridd:event', soon);
  window.addEventListener('gridd:write', soon);
  timer = setInterval(refresh, FALLBACK_MS);
  return refresh();
}

export function stop() {
  running = false;
  counts = null;
  window.removeEventListener('gridd:event', soon);
  window.removeEventListener('gridd:write', soon);
  clearInterval(timer);
  clearTimeout(pending);
  timer = pending = null;
}

// decorate puts the badge back on a freshly rendered cases tab.
export function decorate() { paint(); }
