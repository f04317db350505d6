/* Residents' initiative projects on the public map: shapes coloured by stage (points, lines,
   polygons from /api/v1/map/projects), a popup with stage, progress, cost and the latest
   monitoring photos, a layer toggle, and "projects near me" (/api/v1/map/projects/near) from
   the phone's location or, without it, from the map centre. Public fields only. */
(function () {
  "use strict";
  var pm = window.geoportal.publicMap;
  if (!pm) { return; }
  var map = pm.map;
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var text = cfg.projectText || {};
  var esc = window.geoportal.escape;
  var locale = document.documentElement.lang === "en" ? "en-GB" : "ru-RU";
  var COLORS = {submitted: "#6a5acd", feasible: "#0b7a8f", unfeasible: "#8a8f96", selected: "#7b2cbf",
                not_selected: "#b0b6be", in_progress: "#d46a00", completed: "#1e7b34", withdrawn: "#5b6472"};
  var layerById = {};
  var POPUP = {maxWidth: 260, autoPanPaddingTopLeft: L.point(10, 84)};  // below the zoom buttons
  var ANCHORS_BELOW = 15;
  var mapEl = document.getElementById("map");

  function money(value) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toLocaleString(locale, {style: "currency", currency: "RUB", maximumFractionDigits: 0});
  }
  function distance(metres) {
    if (metres < 1000) { return metres + " " + text.m; }
    return (metres / 1000).toLocaleString(locale, {maximumFractionDigits: 1}) + " " + text.km;
  }
  function progress(p) {
    var value = Math.round(p.progress_percent || 0);
    return '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="' + value +
      '" aria-label="' + esc(text.progress) + '"><span style="width:' + value + '%"></span></div>' +
      '<div class="muted" style="font-size:.85rem">' + esc(text.progress) + ": " + value + "%</div>";
  }
  function popupHtml(p) {
    var photos = (p.photos || []).map(function (ph) {
      return '<img src="' + esc(ph.thumbnail_url) + '" alt="' + esc(ph.caption || text.photo) + '" loading="lazy" ' +
        'title="' + esc(new Date(ph.taken_at).toLocaleDateString(locale)) + '">';
    }).join("");
    return '<div class="popup project-popup" data-project="' + p.id + '"><h3>' + esc(p.title) + "</h3>" +
      '<span class="stage-badge proj-' + esc(p.status) + '">' + esc(p.status_label) + "</span>" + progress(p) +
      "<dl><dt>" + esc(text.cost) + "</dt><dd>" + esc(money(p.cost)) + "</dd>" +
      (p.district ? "<dt>" + esc(text.district) + "</dt><dd>" + esc(p.district) + "</dd>" : "") + "</dl>" +
      (photos ? '<div class="muted" style="font-size:.8rem;margin-top:.3rem">' + esc(text.photos) + "</div>" +
        '<div class="thumbs">' + photos + "</div>" : "") +
      '<p style="margin:.4rem 0 0"><a href="' + esc(p.url) + '">' + esc(text.open) + " →</a></p></div>";
  }
  function style(feature) {
    var color = COLORS[feature.properties.status] || "#5b6472";
    var polygon = /Polygon/.test(feature.geometry.type);
    return {color: polygon ? color : "#fff", fillColor: color, weight: polygon ? 2 : 5, opacity: 1,
            fillOpacity: polygon ? 0.35 : 0.95, className: "project-shape proj-shape-" + feature.properties.status};
  }
  var layer = L.geoJSON(null, {
    style: function (f) {
      var s = style(f);
      if (f.geometry.type.indexOf("LineString") >= 0) { s.color = s.fillColor; }
      return s;
    },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, Object.assign(style(f), {radius: 9, weight: 2}));
    },
    onEachFeature: function (f, shape) {
      shape.bindPopup(popupHtml(f.properties), POPUP);
      shape.bindTooltip(esc(f.properties.title), {sticky: true});
      layerById[f.properties.id] = shape;
      if (f.geometry.type !== "Point") {  // a small square or path is a few pixels citywide: mark its centre
        var s = style(f);
        L.circleMarker(shape.getBounds().getCenter(), {radius: 6, color: "#fff", weight: 2, fillColor: s.fillColor,
                                                       fillOpacity: 0.95, className: "project-anchor"})
          .bindPopup(popupHtml(f.properties), POPUP).addTo(anchors);
      }
    }
  });
  var anchors = L.layerGroup();
  var group = L.featureGroup([layer]).addTo(map);
  function zoomed() {
    if (map.getZoom() < ANCHORS_BELOW) { group.addLayer(anchors); } else { group.removeLayer(anchors); }
  }
  map.on("zoomend", zoomed);
  zoomed();

  window.geoportal.api("/api/v1/map/projects").then(function (r) {
    if (r.status !== 200) { return; }
    layer.addData(r.body);
    mapEl.dataset.projects = String((r.body.features || []).length);
  });

  var toggle = document.getElementById("layer-projects");
  toggle.addEventListener("change", function () {
    if (toggle.checked) { group.addTo(map); } else { map.removeLayer(group); }
  });

  function show(id) {
    var shape = layerById[id];
    if (!shape) { return; }
    if (!toggle.checked) { toggle.checked = true; group.addTo(map); }
    if (shape.getBounds) {
      map.fitBounds(shape.getBounds(), {maxZoom: 17, padding: [30, 30]});
    } else {
      map.setView(shape.getLatLng(), Math.max(map.getZoom(), 16));
    }
    shape.openPopup();
    mapEl.scrollIntoView({block: "center"});  // the sticky header would cover its top
  }

  var list = document.getElementById("near-list");
  var origin = document.getElementById("near-origin");
  var here = null;
  function listNear(lat, lon, how) {
    origin.textContent = text.loading;
    window.geoportal.api("/api/v1/map/projects/near?lat=" + lat.toFixed(6) + "&lon=" + lon.toFixed(6) + "&limit=10")
      .then(function (r) {
        list.innerHTML = "";
        if (r.status !== 200) { origin.textContent = text.failed; return; }
        origin.textContent = how;
        if (!r.body.results.length) { origin.textContent = text.none; }
        r.body.results.forEach(function (p) {
          var li = document.createElement("li");
          li.dataset.project = p.id;
          li.innerHTML = '<button type="button">' + esc(p.title) + "</button> " +
            '<span class="stage-badge proj-' + esc(p.status) + '">' + esc(p.status_label) + "</span> " +
            '<span class="distance">' + esc(distance(p.distance_m)) + "</span>";
          li.querySelector("button").addEventListener("click", function () { show(p.id); });
          list.appendChild(li);
        });
        list.dataset.loaded = "1";
      });
  }
  function fromCentre(reason) {
    var c = map.getCenter();
    listNear(c.lat, c.lng, reason);
  }
  document.getElementById("near-me").addEventListener("click", function () {
    if (!navigator.geolocation) { fromCentre(text.fromCentre); return; }
    origin.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude, lon = pos.coords.longitude;
      if (here) { map.removeLayer(here); }
      here = L.circleMarker([lat, lon], {radius: 7, color: "#fff", weight: 3, fillColor: "#0b5cad", fillOpacity: 1,
                                         className: "you-are-here"}).bindTooltip(text.youAreHere).addTo(map);
      listNear(lat, lon, text.fromYou);
    }, function () { fromCentre(text.fromCentre); }, {timeout: 8000, maximumAge: 60000});
  });
  window.geoportal.projectsLayer = {layer: layer, show: show};
})();
