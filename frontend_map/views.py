"""The shell of the web app: PWA manifest and service worker, offline page (the home page is
the information centre's). Anyone may call these; they show no personal data."""
from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

SHELL = ["/", "/offline/", "/static/frontend_map/app.css", "/static/frontend_map/map.js",
         "/static/frontend_map/offline-queue.js", "/static/vendor/leaflet/leaflet.js",
         "/static/vendor/leaflet/leaflet.css"]


def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend_map/offline.html")


@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "Геопортал: обращения и проекты",
        "short_name": "Геопортал",
        "lang": "ru",
        "start_url": "/report/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#0b5cad",
        "icons": [{"src": static(f"frontend_map/icons/icon-{s}.png"), "sizes": f"{s}x{s}", "type": "image/png",
                   "purpose": "any maskable"} for s in (192, 512)],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


SERVICE_WORKER = """/* Geoportal service worker: the shell and static files work offline. */
const CACHE = "geoportal-v1";
const SHELL = %s;
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.startsWith("/static/")) {
    e.respondWith(caches.match(e.request).then((hit) => hit || fetch(e.request).then((r) => {
      const copy = r.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); return r; })));
    return;
  }
  if (e.request.mode === "navigate") {
    e.respondWith(fetch(e.request).then((r) => {
      const copy = r.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); return r;
    }).catch(() => caches.match(e.request).then((hit) => hit || caches.match("/offline/"))));
  }
});
"""


def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(SERVICE_WORKER % json.dumps(SHELL), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
