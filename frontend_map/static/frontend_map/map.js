/* Leaflet helper: a map with the configured base layer, centred on the served territory. */
(function () {
  "use strict";
  window.geoportal = window.geoportal || {};
  window.geoportal.createMap = function (elementId, options) {
    var cfg = window.geoportal.map;
    var map = L.map(elementId, Object.assign({zoomControl: true, tap: true}, options || {}))
      .setView(cfg.center, cfg.zoom);
    L.tileLayer(cfg.tileUrl, {attribution: cfg.attribution, maxZoom: 19}).addTo(map);
    return map;
  };
  window.geoportal.api = function (url, options) {
    options = options || {};
    options.headers = Object.assign({"Accept": "application/json", "X-CSRFToken": window.geoportal.csrf},
                                    options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return {status: r.status, body: body}; });
    });
  };
})();
