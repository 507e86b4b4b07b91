// gridd field app service worker (scope /m/): caches the app shell so the
// app opens with no network. The build writes the version and the shell's
// file list; a new binary brings a new sw.js, which installs a new cache
// and deletes the old ones. API requests are not cached: the app keeps its
// own data and outbox in localStorage and IndexedDB.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = 'gridd-m-' + VERSION;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gridd-m-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith('/m/')) return;
  const key = e.request.mode === 'navigate' ? './' : e.request;
  e.respondWith(caches.open(CACHE).then((c) => c.match(key, { ignoreSearch: e.request.mode === 'navigate' })
    .then((hit) => hit || fetch(e.request))));
});

// Background Sync: the page drains its outbox (IndexedDB) when told.
self.addEventListener('sync', (e) => {
  if (e.tag !== 'gridd-outbox') return;
  e.waitUntil(self.clients.matchAll({ type: 'window' }).then((cs) => cs.forEach((c) => c.postMessage({ type: 'drain' }))));
});
