"""The shell of the web app: PWA manifest and service worker, offline page (the home page is
the information centre's). Anyone may call these; they show no personal data."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

SHELL = ["/offline/", "/static/frontend_map/app.css", "/static/frontend_map/common.js", "/static/frontend_map/map.js",
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


SERVICE_WORKER = """/* Geoportal service worker: the shell and static files work offline.
   Static files: cache first. Pages: network first, the cached copy or the offline page without a
   network. Only public pages are kept: never personal ones (my appeals, queues, appeal pages,
   accounts, admin), never an error or a response marked no-store/private; signing out clears them. */
const VERSION = "%(version)s";
const STATIC_CACHE = "geoportal-static-" + VERSION;
const PAGE_CACHE = "geoportal-pages-" + VERSION;
const SHELL = %(shell)s;
const PRIVATE = %(private)s;
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(STATIC_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== STATIC_CACHE && k !== PAGE_CACHE)
    .map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});
function keepable(url, response) {
  const control = response.headers.get("Cache-Control") || "";
  return response.ok && response.type === "basic" && !/no-store|private/.test(control)
    && !PRIVATE.some((prefix) => url.pathname.startsWith(prefix));
}
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin) { return; }
  if (e.request.method === "POST" && url.pathname === "/accounts/logout/") {
    caches.delete(PAGE_CACHE);
    return;
  }
  if (e.request.method !== "GET") { return; }
  if (url.pathname.startsWith("/static/")) {
    e.respondWith(caches.match(e.request).then((hit) => hit || fetch(e.request).then((r) => {
      if (r.ok) { const copy = r.clone(); caches.open(STATIC_CACHE).then((c) => c.put(e.request, copy)); }
      return r;
    })));
    return;
  }
  if (e.request.mode === "navigate") {
    e.respondWith(fetch(e.request).then((r) => {
      if (keepable(url, r)) { const copy = r.clone(); caches.open(PAGE_CACHE).then((c) => c.put(e.request, copy)); }
      return r;
    }).catch(() => caches.match(e.request).then((hit) => hit || caches.match("/offline/"))));
  }
});
"""
# /photos/: an appeal photo must stop showing once the appeal is hidden, also offline
PRIVATE_PREFIXES = ["/my/", "/queue/", "/desk/", "/moderation/", "/leadership/", "/appeals/", "/accounts/",
                    "/admin/", "/notifications/", "/photos/"]


@lru_cache(maxsize=1)
def static_version() -> str:
    """A digest of the app's own static files and the vendored file list: a deploy that changes
    any of them changes sw.js, so browsers install the new worker and drop the old caches."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent / "static"
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes() if "vendor" not in path.parts else str(path.stat().st_size).encode())
    return digest.hexdigest()[:12]


def service_worker(request: HttpRequest) -> HttpResponse:
    body = SERVICE_WORKER % {"version": static_version(), "shell": json.dumps(SHELL),
                             "private": json.dumps(PRIVATE_PREFIXES)}
    response = HttpResponse(body, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
