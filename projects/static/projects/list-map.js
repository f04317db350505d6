/* /projects/: the filtered projects on a map (points, lines, polygons coloured by stage); a tap
   opens a popup with the title, stage and cost and a link to the project page. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("project-features").textContent);
  var map = window.geoportal.createMap("projects-map");
  var esc = window.geoportal.escape;  // frontend_map/common.js
  var COLORS = {submitted: "#6b7785", feasible: "#0b5cad", unfeasible: "#b3261e", selected: "#1e7b34",
                not_selected: "#a15c00", in_progress: "#7a3fb0", completed: "#0f5132", withdrawn: "#5b6472"};
  var layer = L.geoJSON(data, {
    style: function (f) {
      var c = COLORS[f.properties.status] || "#0b5cad";
      if (f.geometry.type === "Point") { return {radius: 9, color: "#fff", weight: 2, fillColor: c, fillOpacity: 0.95}; }
      return {color: c, weight: 5, fillColor: c, fillOpacity: 0.35};
    },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, {radius: 9, color: "#fff", weight: 2, fillColor: COLORS[f.properties.status] || "#0b5cad", fillOpacity: 0.95});
    },
    onEachFeature: function (f, l) {
      var p = f.properties;
      l.bindPopup('<div class="popup"><strong><a href="/projects/' + p.id + '/">' + esc(p.title) + "</a></strong><br>" +
                  esc(p.label) + " · " + esc(p.cost) + " ₽</div>");
    }
  }).addTo(map);
  if (data.features.length) { map.fitBounds(layer.getBounds(), {padding: [24, 24], maxZoom: 16}); }
  if (window.geoportal.addDistricts) { window.geoportal.addDistricts(map); }
})();
