/* Public map of appeals (the projects layer is projects-layer.js): server clusters (/api/v1/clusters) up to the cluster zoom, points
   from /api/v1/appeals/?bbox=… (grouped further by leaflet.markercluster) above it where the viewport holds at most
   cfg.pointsMax appeals (denser viewports stay as clusters), filters,
   and live statistics of the viewport. Popups carry public fields only. */
(function () {
  "use strict";
  var g = window.geoportal, T = g.T, esc = g.escape, locale = g.locale;  // common.js
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var query = new URLSearchParams(window.location.search);
  var map = window.geoportal.createMap("map");
  window.geoportal.addDistricts(map);
  if (query.get("lat") && query.get("lon")) {
    map.setView([parseFloat(query.get("lat")), parseFloat(query.get("lon"))], parseInt(query.get("z") || "16", 10));
  }
  var clusters = L.layerGroup().addTo(map);
  var points = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40, chunkedLoading: true})
    .addTo(map);
  var form = document.getElementById("filters");
  var seq = 0;

  function filterParams(forAppealsApi) {
    var params = g.formParams(form);
    var days = /^(\d+)d$/.exec(params.get("period") || "");
    if (forAppealsApi && days) {  // the appeals API takes dates, not the tiles' compact period
      var since = new Date();
      since.setDate(since.getDate() - (parseInt(days[1], 10) - 1));
      since.setHours(0, 0, 0, 0);
      params.delete("period");
      params.set("received_after", since.toISOString());
    }
    return params;
  }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function bbox() {
    var b = map.getBounds();
    return [clamp(b.getWest(), -180, 179.9), clamp(b.getSouth(), -85, 84.9), clamp(b.getEast(), -179.9, 180),
            clamp(b.getNorth(), -84.9, 85)].map(function (v) { return v.toFixed(5); }).join(",");
  }
  function renderStats(data) {
    document.getElementById("stats-total").textContent = (data.total || 0).toLocaleString(locale);
    var el = g.el, list = document.getElementById("stats-list");
    var rows = Object.keys(data.totals || {}).filter(function (status) { return data.totals[status]; });
    list.replaceChildren.apply(list, rows.map(function (status) {
      return el("li", {}, [
        el("span", {}, [el("span", {"class": "dot st-" + status, style: "display:inline-block;width:10px;height:10px"}),
                        " " + (cfg.statusLabels[status] || status)]),
        el("strong", {text: data.totals[status].toLocaleString(locale)})]);
    }));
  }
  function shortCount(n) {
    return n >= 10000 ? Math.round(n / 1000) + "k" : n >= 1000 ? (n / 1000).toFixed(1) + "k" : String(n);
  }
  function renderClusters(data) {
    clusters.clearLayers();
    var features = data.features || [];
    // Grid cells are 32 px apart (8 per tile): sized by the viewport's largest cluster, an icon
    // stays within 20–32 px, so a dense viewport (every cell filled) does not pile icons up.
    var most = features.reduce(function (m, f) { return Math.max(m, f.properties.count); }, 1);
    features.forEach(function (f) {
      var n = f.properties.count, size = Math.round(20 + 12 * Math.log(n + 1) / Math.log(most + 1));
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var marker = L.marker(ll, {
        icon: L.divIcon({className: "", html: '<div class="cluster-icon" style="width:' + size + "px;height:" + size +
          'px">' + shortCount(n) + "</div>", iconSize: [size, size]}),
        keyboard: true, title: n + " " + T("обращений")
      });
      var lines = Object.keys(f.properties).filter(function (k) { return k !== "count"; }).map(function (k) {
        return esc(cfg.statusLabels[k] || k) + ": " + f.properties[k];
      });
      marker.bindTooltip(lines.join("<br>"));
      marker.on("click", function () { map.setView(ll, Math.min(map.getZoom() + 2, 18)); });
      clusters.addLayer(marker);
    });
  }
  function popupContent(p, id) {  // built with the DOM: an appeal's fields are data, never markup
    var el = g.el, received = p.received_at ? new Date(p.received_at).toLocaleDateString(locale) : "";
    var fields = [[T("Категория"), p.category_name], [T("Статус"), p.status_display], [T("Исполнитель"), p.agency || "—"],
                  [T("Поступило"), received]].concat(p.address ? [[T("Адрес"), p.address]] : []);
    return el("div", {"class": "popup"}, [
      el("strong", {}, [el("a", {href: "/appeals/" + id + "/", text: p.number})]),
      el("dl", {}, fields.reduce(function (nodes, field) {
        return nodes.concat([el("dt", {text: field[0]}), el("dd", {text: field[1]})]);
      }, []))]);
  }
  function renderPoints(data) {
    points.clearLayers();
    var markers = (data.features || []).map(function (f) {
      var p = f.properties;
      var marker = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
        icon: L.divIcon({className: "", html: '<span class="dot st-' + esc(p.status) + '" data-number="' + esc(p.number) +
          '"></span>', iconSize: [16, 16]}), title: p.number, keyboard: true});
      marker.bindPopup(popupContent(p, f.id));
      return marker;
    });
    points.addLayers(markers);
    var notice = document.getElementById("points-notice");
    if (data.count > markers.length) {
      notice.hidden = false;
      notice.textContent = T("Показаны") + " " + markers.length + " " + T("из") + " " + data.count + ". " +
        T("Приблизьте карту или уточните фильтры.");
    } else { notice.hidden = true; }
  }
  var appealsOn = true;
  function refresh() {
    var mine = ++seq, z = map.getZoom();
    if (!appealsOn) { return; }
    var params = filterParams();
    params.set("bbox", bbox());
    params.set("z", String(z));
    window.geoportal.api("/api/v1/clusters?" + params.toString()).then(function (r) {
      if (mine !== seq || r.status !== 200) { return; }
      renderStats(r.body);
      var notice = document.getElementById("points-notice");
      // Above the cluster zooms the points come from the appeals API, but only for a viewport
      // that fits one page of it: a denser one stays as clusters (an exact newest-first list of
      // 200,000 appeals costs seconds, the clusters milliseconds).
      if (z <= cfg.clusterMaxZoom || r.body.total > cfg.pointsMax) {
        renderClusters(r.body);
        points.clearLayers();
        notice.hidden = z <= cfg.clusterMaxZoom;
        notice.textContent = T("Обращений в видимой области") + ": " + r.body.total.toLocaleString(locale) + ". " +
          T("Они показаны группами.") + " " + T("Приблизьте карту или уточните фильтры.");
        document.getElementById("map").dataset.loaded = "clusters";
        return;
      }
      clusters.clearLayers();
      var pointParams = filterParams(true);
      pointParams.set("bbox", bbox());
      pointParams.set("page_size", String(cfg.pointsMax));
      window.geoportal.api("/api/v1/appeals/?" + pointParams.toString()).then(function (p) {
        if (mine !== seq || p.status !== 200) { return; }
        renderPoints(p.body);
        document.getElementById("map").dataset.loaded = "points";
      });
    });
  }
  var timer = null;
  map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(refresh, 200); });
  form.addEventListener("change", refresh);
  var toggle = document.getElementById("layer-appeals");
  if (toggle) {
    toggle.addEventListener("change", function () {
      appealsOn = toggle.checked;
      if (appealsOn) { clusters.addTo(map); points.addTo(map); refresh(); return; }
      seq++;  // answers still on their way are dropped
      map.removeLayer(clusters);
      map.removeLayer(points);
      document.getElementById("points-notice").hidden = true;
    });
  }
  window.geoportal.publicMap = {map: map, clusters: clusters, points: points, refresh: refresh};
  refresh();
})();
