// The service worker of one card page: the page network-first (its last copy when offline,
// which shows "updated at"), its images from the cache, and Web Push notifications. Nothing
// from another origin.
"use strict";
const PAGE = {{ card_path|tojson }};
const ASSETS = {{ assets|tojson }};
const CACHE = "card:" + PAGE;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      // The page must be cached; an image the design lacks must not stop the install.
      .then((cache) => Promise.all([
        cache.add(PAGE),
        ...ASSETS.map((asset) => cache.add(asset).catch(() => undefined)),
      ]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {
    event.respondWith(pageFirst(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(
      caches.match(url.pathname).then((hit) => hit || fetch(request)),
    );
  }
});

async function pageFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(PAGE, response.clone());
    return response;
  } catch (offline) {
    const copy = await cache.match(PAGE);
    if (copy) return copy;
    throw offline;
  }
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (notJson) {
    message = { body: event.data.text() };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "", {
      body: message.body || "",
      icon: message.icon || undefined,
      data: { url: message.url || PAGE },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url || PAGE, self.location.origin);
  const url = target.origin === self.location.origin ? target.href : PAGE;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).pathname === PAGE && "focus" in client) {
          return client.navigate(url).then((c) => (c || client).focus());
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
