// Offline once loaded, and cross-origin isolated on any static host. The build (vite.config.ts) puts
// `const PRECACHE = [...]` above this: every file of the build, fetched and kept at install, so the first visit is
// enough. Then every same-origin GET goes to the network when it can (and is kept), else to the cache: a new build or
// checkpoint is picked up whenever the page is online.
// Every response served here carries COOP/COEP (as `vite preview` sends them), so a host that cannot set headers
// still gets a cross-origin isolated page: SharedArrayBuffer, hence TensorFlow.js's threaded wasm build. The page
// reloads itself once when this worker first takes control (src/ui/main.ts).
/* global PRECACHE */
const CACHE = 'asp-v1';
self.addEventListener('install', (event) => {
  self.skipWaiting();
  // One by one: a file missing from a deployment (say, no shipped checkpoint) must not cost the rest.
  event.waitUntil(caches.open(CACHE).then((c) => Promise.allSettled(PRECACHE.map((url) => c.add(url)))));
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** The response with the isolation headers added (opaque and error responses pass as they are). */
function isolated(res) {
  if (res.status === 0) return res;
  const headers = new Headers(res.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return isolated(res);
      })
      .catch(() =>
        caches.match(req, { ignoreSearch: true }).then((hit) => (hit ? isolated(hit) : Promise.reject(new Error(`offline and not cached: ${req.url}`)))),
      ),
  );
});
