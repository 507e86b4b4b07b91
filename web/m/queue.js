// The offline queue: every action (a report with its photos, a batch of
// patrol fixes, a verification) is stored in IndexedDB with the
// Idempotency-Key made when the action was made, and sent in order when
// the network is there. Photos (Blobs) stay in the record until the server
// has acknowledged the action. A 4xx that cannot succeed on retry marks the
// action failed with the server's problem detail (shown, not retried); a
// network error or 5xx is retried with backoff.
import { openDB } from 'idb';

const DB = 'gridd-m';
let dbp;
function db() {
  dbp ??= openDB(DB, 1, {
    upgrade(d) { d.createObjectStore('actions', { keyPath: 'id', autoIncrement: true }); },
  });
  return dbp;
}

export function newKey() {
  return crypto.randomUUID();
}

const listeners = new Set();
export function onChange(fn) { listeners.add(fn); }
function changed() { for (const fn of listeners) fn(); }

// add stores an action {kind, key, ...} and returns its id.
export async function add(action) {
  const rec = { created: Date.now(), state: 'pending', attempts: 0, nextAt: 0, error: null, ...action };
  const id = await (await db()).add('actions', rec);
  changed();
  return id;
}

export async function all() {
  return (await db()).getAll('actions');
}

export async function counts() {
  const list = await all();
  let pending = 0; let failed = 0;
  for (const a of list) { if (a.state === 'failed') failed++; else pending++; }
  return { pending, failed, total: list.length };
}

export async function remove(id) {
  await (await db()).delete('actions', id);
  changed();
}

export async function retry(id) {
  const d = await db();
  const a = await d.get('actions', id);
  if (!a) return;
  a.state = 'pending'; a.nextAt = 0; a.error = null;
  await d.put('actions', a);
  changed();
}

async function put(a) { await (await db()).put('actions', a); }

// Outcome of one try.
export class Permanent extends Error {
  constructor(status, problem) {
    // The title is in the app's language; the detail names the cause.
    super([problem?.title, problem?.detail].filter(Boolean).join(' · ') || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}
export class Transient extends Error {}

let draining = null;
const handlers = {};
export function handle(kind, fn) { handlers[kind] = fn; }

// drain sends the due actions in order (oldest first). It stops at the
// first transient failure (the network is probably gone) and returns how
// many actions were acknowledged.
export function drain() {
  draining ??= (async () => {
    let done = 0;
    try {
      for (;;) {
        const list = (await all()).filter((a) => a.state === 'pending' && a.nextAt <= Date.now());
        if (!list.length) return done;
        for (const a of list) {
          try {
            await handlers[a.kind](a, put);
            await remove(a.id);
            done++;
          } catch (e) {
            a.attempts++;
            if (e instanceof Permanent) {
              a.state = 'failed';
              a.error = { status: e.status, detail: e.message, problem: e.problem || null };
            } else {
              a.nextAt = Date.now() + Math.min(300_000, 1000 * 2 ** Math.min(a.attempts, 8));
              a.error = { status: 0, detail: String(e.message || e) };
            }
            await put(a);
            changed();
            if (!(e instanceof Permanent)) return done;
          }
        }
      }
    } finally {
      draining = null;
    }
  })();
  return draining;
}

// kick makes every pending action due now (the network came back).
export async function kick() {
  const d = await db();
  for (const a of await d.getAll('actions')) {
    if (a.state === 'pending' && a.nextAt > 0) { a.nextAt = 0; await d.put('actions', a); }
  }
  return drain();
}
