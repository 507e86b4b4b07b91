// The console's live event stream: GET /api/v1/events read with fetch (so
// that the bearer token travels in the Authorization header, never in a
// URL), reconnected with Last-Event-ID after a drop, with backoff. Each
// event is dispatched as window 'gridd:event' (detail: the event, e.g.
// {id, kind, object, object_id, grid_code, data, at}) for whoever shows
// live state (inbox badges, the case list, the map), then handed to onEvent.
import { api } from './api.js';

let current = null; // {abort: AbortController}
let lastId = '';

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

// parse feeds text/event-stream chunks and calls emit(id, data) per event.
function parser(emit) {
  let buf = '';
  let id = '';
  let data = [];
  return (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.search(/\r?\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf[nl] === '\r' ? 2 : 1));
      if (line === '') {
        if (data.length) emit(id, data.join('\n'));
        data = [];
      } else if (line.startsWith('id:')) {
        id = line.slice(3).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      } // comments (heartbeats) and retry: lines are ignored
    }
  };
}

// startLive opens the stream (closing one already open).
export function startLive(onEvent) {
  stopLive();
  const ctl = new AbortController();
  current = ctl;
  const { signal } = ctl;
  (async () => {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        const headers = api.headers({ Accept: 'text/event-stream' });
        if (lastId) headers['Last-Event-ID'] = lastId;
        const res = await fetch('/api/v1/events', { headers, signal, cache: 'no-store' });
        if (res.status === 401 || res.status === 403 || res.status === 404) return; // logged out, or not offered
        if (res.ok && res.body) {
          delay = 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          const feed = parser((id, text) => {
            let ev;
            try { ev = JSON.parse(text); } catch (e) { return; }
            if (id) lastId = id;
            window.dispatchEvent(new CustomEvent('gridd:event', { detail: ev }));
            onEvent?.(ev);
          });
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            feed(value);
          }
        }
      } catch (e) {
        if (signal.aborted) return;
      }
      await sleep(delay + Math.random() * 500, signal);
      delay = Math.min(delay * 2, 30000);
    }
  })();
}

// stopLive closes the stream and forgets where it was (the next login
// starts from now).
export function stopLive() {
  if (current) current.abort();
  current = null;
  lastId = '';
}
