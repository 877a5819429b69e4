/* Service worker of the field report page (scope /report).
 *
 * Keeps the page, its script, styles, icons and the offline map library, so the page
 * opens with no network; keeps the last answers of /api/report/* for the same reason.
 * Sends the report queue (report-queue.js) when Background Sync says the network is
 * back, or when the page asks; then tells the open pages to show the new states.
 */
/* global GeoplotsQueue, importScripts */
"use strict";
importScripts("/static/report-queue.js");

var CACHE = "geoplots-report-v1";
var ASSETS = [
  "/report", "/report.webmanifest", "/static/report.css", "/static/report.js", "/static/report-queue.js",
  "/static/report-icon-192.png", "/static/report-icon-512.png",
  "/vendor/leaflet/dist/leaflet.js", "/vendor/leaflet/dist/leaflet.css",
  "/vendor/leaflet/dist/images/marker-icon.png", "/vendor/leaflet/dist/images/marker-icon-2x.png",
  "/vendor/leaflet/dist/images/marker-shadow.png"
];
var KEPT_API = ["/api/report/me", "/api/report/units"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(ASSETS); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("geoplots-report-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

/* The network first (a fresh page, fresh answers), the kept copy when there is none. */
function networkFirst(request, key) {
  return fetch(request).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { return c.put(key || request, copy); });
    }
    return res;
  }, function () {
    return caches.match(key || request).then(function (hit) {
      return hit || new Response(JSON.stringify({ error: "offline", message: "No network." }),
        { status: 503, headers: { "Content-Type": "application/json" } });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/report") { event.respondWith(networkFirst(req, "/report")); return; }
  if (KEPT_API.indexOf(url.pathname) >= 0) { event.respondWith(networkFirst(req, url.pathname)); return; }
  if (ASSETS.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || networkFirst(req); }));
  }
});

function sendQueue() {
  return GeoplotsQueue.sendAll().then(function (changed) {
    return self.clients.matchAll({ type: "window" }).then(function (pages) {
      pages.forEach(function (p) { p.postMessage({ type: "queue", changed: changed }); });
    });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "geoplots-report") event.waitUntil(sendQueue());
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "send") event.waitUntil(sendQueue());
});
