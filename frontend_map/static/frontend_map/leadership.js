/* Leadership view: a heat map of public appeals from /api/v1/heatmap (grid counts for the
   viewport, drawn by leaflet.heat) and a district choropleth per 1,000 residents from
   /api/v1/choropleth; category and period filters. The agency table is server-rendered. */
(function () {
  "use strict";
  var g = window.geoportal, T = g.T, esc = g.escape, locale = g.locale;  // common.js
  var form = document.getElementById("lead-filters");
  var heatMap = window.geoportal.createMap("heat-map");
  var choroMap = window.geoportal.createMap("choro-map");
  window.geoportal.addDistricts(heatMap, {style: function () { return {color: "#333", weight: 1, fill: false}; }})
    .then(function (layer) { if (layer && layer.getLayers().length) { heatMap.fitBounds(layer.getBounds()); } });
  var heat = null, districts = null, seq = 0;
  var COLOURS = ["#fff5eb", "#fdd0a2", "#fdae6b", "#f16913", "#a63603"];

  function filters() { return g.formParams(form); }
  function bbox(map) {
    var b = map.getBounds();
    return [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -85), Math.min(b.getEast(), 180),
            Math.min(b.getNorth(), 85)].map(function (v) { return v.toFixed(5); }).join(",");
  }
  function loadHeat() {
    var mine = ++seq, z = heatMap.getZoom();
    var p = filters();
    p.set("bbox", bbox(heatMap));
    p.set("z", String(z));  // every zoom reads precomputed cells (tiles.cells)
    window.geoportal.api("/api/v1/heatmap?" + p.toString()).then(function (r) {
      if (mine !== seq || r.status !== 200) { return; }
      var data = r.body, max = data.max || 1;
      var metresPerPixel = 40075016.686 / (256 * Math.pow(2, heatMap.getZoom()));
      var radius = Math.max(10, Math.min(60, 1.4 * data.cell_size_m / metresPerPixel));
      var points = data.cells.map(function (c) { return [c[0], c[1], c[2] / max]; });
      if (heat) { heatMap.removeLayer(heat); }
      // maxZoom = the current zoom: the server already counted per cell, so leaflet.heat must not
      // fade the intensities for being "zoomed out".
      heat = L.heatLayer(points, {radius: radius, blur: radius * 0.6, max: 1, minOpacity: 0.35,
                                  maxZoom: heatMap.getZoom(),
                                  gradient: {0.2: "#2c7bb6", 0.45: "#abd9e9", 0.65: "#fdae61", 0.85: "#d7191c"}})
        .addTo(heatMap);
      document.getElementById("heat-summary").textContent = T("В области карты") + ": " +
        data.total.toLocaleString(locale) + " " + T("обращений") + ", " + data.cells.length + " " + T("ячеек");
      document.getElementById("heat-map").dataset.cells = String(data.cells.length);
    });
  }
  function colour(value, breaks) {
    if (value === null || value === undefined) { return "#cccccc"; }
    for (var i = breaks.length - 1; i >= 0; i--) { if (value >= breaks[i]) { return COLOURS[i]; } }
    return COLOURS[0];
  }
  function loadChoropleth() {
    var p = filters();
    p.set("metric", "per_1000");
    window.geoportal.api("/api/v1/choropleth?" + p.toString()).then(function (r) {
      if (r.status !== 200) { return; }
      var data = r.body, lo = data.min || 0, hi = data.max || 0, step = (hi - lo) / COLOURS.length;
      var breaks = COLOURS.map(function (_c, i) { return lo + i * step; });
      if (districts) { choroMap.removeLayer(districts); }
      districts = L.geoJSON(data, {
        style: function (f) {
          return {fillColor: colour(f.properties.per_1000, breaks), fillOpacity: 0.75, color: "#444", weight: 1};
        },
        onEachFeature: function (f, layer) {
          // the name is data (an imported district file): escaped, never markup
          layer.bindTooltip("<strong>" + esc(f.properties.name) + "</strong><br>" + f.properties.count.toLocaleString(locale) +
            " " + T("обращений") + "<br>" + (f.properties.per_1000 === null ? "—" : f.properties.per_1000) + " " +
            T("на 1000 жителей"), {sticky: true});
        }
      }).addTo(choroMap);
      if (!choroMap._fitted && districts.getLayers().length) { choroMap.fitBounds(districts.getBounds()); choroMap._fitted = true; }
      document.getElementById("choro-legend").innerHTML = breaks.map(function (b, i) {
        return '<span><span class="dot" style="border-radius:2px;background:' + COLOURS[i] + '"></span>' +
          (b < 1 ? b.toFixed(3) : b.toFixed(1)).replace(".", ",") + "+</span>";
      }).join("") + '<span class="muted">' + T("обращений на 1000 жителей") + "</span>";
    });
  }
  var timer = null;
  heatMap.on("moveend", function () { clearTimeout(timer); timer = setTimeout(loadHeat, 200); });
  new URLSearchParams(window.location.search).forEach(function (value, key) {
    if (form.elements[key]) { form.elements[key].value = value; }
  });
  form.addEventListener("change", function (e) {
    if (e.target.name === "period") { form.submit(); return; }  // the agency table is rendered for a period
    loadHeat(); loadChoropleth();
  });
  window.geoportal.leadership = {heatMap: heatMap, choroMap: choroMap, heat: function () { return heat; }};
  loadHeat();
  loadChoropleth();
})();
