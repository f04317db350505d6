/* The proposal form on a phone: tap the map to place a point, or switch to a line / an area and
   tap its vertices; the shape goes to the hidden "geometry" field as GeoJSON. Cost lines and
   group members can be added; the estimate and the co-financing split are summed live. The
   server validates everything again (the action's rules) and shows errors per field. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var S = JSON.parse($("proposal-strings").textContent);
  var bounds = JSON.parse($("heading-bounds").textContent);
  var map = window.geoportal.createMap("proposal-map");
  window.geoportal.proposalMap = map;  // tests and assistive scripts find the map here
  if (window.geoportal.addDistricts) { window.geoportal.addDistricts(map); }
  var mode = "Point", vertices = [], shape = null;
  var input = $("geometry");

  function fmt(n) { return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0") + "\u00a0₽"; }
  function num(v) { var n = parseFloat(String(v || "").replace(/\s/g, "").replace(",", ".")); return isFinite(n) ? n : 0; }

  function redraw() {
    if (shape) { map.removeLayer(shape); shape = null; }
    var status = $("shape-status"), geojson = null;
    if (mode === "Point" && vertices.length) {
      shape = L.marker(vertices[0], {draggable: true, title: S.point}).addTo(map);
      shape.on("dragend", function () { vertices = [shape.getLatLng()]; redraw(); });
      geojson = {type: "Point", coordinates: [vertices[0].lng, vertices[0].lat]};
      status.textContent = S.point + ": " + vertices[0].lat.toFixed(5) + ", " + vertices[0].lng.toFixed(5);
    } else if (mode === "LineString" && vertices.length) {
      shape = L.polyline(vertices, {color: "#0b5cad", weight: 6}).addTo(map);
      if (vertices.length >= 2) {
        geojson = {type: "LineString", coordinates: vertices.map(function (v) { return [v.lng, v.lat]; })};
        status.textContent = S.line + ": " + vertices.length + " " + S.vertices;
      } else { status.textContent = S.needLine; }
    } else if (mode === "Polygon" && vertices.length) {
      shape = L.polygon(vertices, {color: "#0b5cad", weight: 3, fillOpacity: 0.3}).addTo(map);
      if (vertices.length >= 3) {
        var ring = vertices.map(function (v) { return [v.lng, v.lat]; });
        ring.push(ring[0]);
        geojson = {type: "Polygon", coordinates: [ring]};
        status.textContent = S.polygon + ": " + vertices.length + " " + S.vertices;
      } else { status.textContent = S.needPolygon; }
    } else {
      status.textContent = "";
    }
    input.value = geojson ? JSON.stringify(geojson) : "";
  }
  map.on("click", function (e) {
    if (mode === "Point") { vertices = [e.latlng]; } else { vertices.push(e.latlng); }
    redraw();
  });
  Array.prototype.forEach.call(document.querySelectorAll(".draw-modes button"), function (button) {
    button.addEventListener("click", function () {
      mode = button.dataset.mode;
      document.querySelectorAll(".draw-modes button").forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      if (mode === "Point") { vertices = vertices.slice(0, 1); }
      redraw();
    });
  });
  $("undo-vertex").addEventListener("click", function () { vertices.pop(); redraw(); });
  $("clear-shape").addEventListener("click", function () { vertices = []; redraw(); });

  // restore a shape sent back after a server error
  if (input.value) {
    try {
      var g = JSON.parse(input.value), pts = [];
      if (g.type === "Point") { pts = [g.coordinates]; }
      else if (g.type === "LineString") { pts = g.coordinates; }
      else if (g.type === "Polygon") { pts = g.coordinates[0].slice(0, -1); }
      mode = g.type; vertices = pts.map(function (c) { return L.latLng(c[1], c[0]); });
      document.querySelectorAll(".draw-modes button").forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.mode === mode ? "true" : "false"); });
      redraw();
      if (vertices.length) { map.setView(vertices[0], 16); }
    } catch (err) { input.value = ""; }
  }
  // choosing a district shows it
  $("id_heading").addEventListener("change", function (e) {
    var b = bounds[e.target.value];
    if (b && !vertices.length) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]]); }
  });

  function addRow(listId) {
    var list = $(listId), last = list.lastElementChild, copy = last.cloneNode(true), n = list.children.length + 1;
    copy.querySelectorAll("input").forEach(function (el) {
      el.value = el.name === "cost_quantity" ? "1" : "";
      el.id = el.id.replace(/-\d+$/, "-" + n);
    });
    copy.querySelectorAll("label").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/-\d+$/, "-" + n); });
    list.appendChild(copy);
    copy.querySelector("input").focus();
  }
  $("add-cost").addEventListener("click", function () { addRow("cost-rows"); });
  $("add-member").addEventListener("click", function () { addRow("member-rows"); });

  function totals() {
    var total = 0;
    document.querySelectorAll("#cost-rows .cost-row").forEach(function (row) {
      var q = row.querySelector("[name=cost_quantity]").value, p = row.querySelector("[name=cost_price]").value;
      total += (q.trim() ? num(q) : 1) * num(p);
    });
    $("cost-total").textContent = total ? fmt(total) : "—";
    var shares = ["cofinancing_residents", "cofinancing_business", "cofinancing_local_budget", "inkind_labour"]
      .reduce(function (sum, name) { return sum + num($("id_" + name).value); }, 0);
    var summary = $("cofin-summary");
    if (!total) { summary.textContent = ""; return; }
    summary.textContent = shares > total ? S.over : S.requested + ": " + fmt(total - shares) + " (" +
      Math.round(100 * (total - shares) / total) + "%)";
    summary.classList.toggle("error", shares > total);
  }
  $("proposal").addEventListener("input", totals);
  totals();
  var summaryBox = $("error-summary");
  if (summaryBox) { summaryBox.focus(); }
  $("proposal").addEventListener("submit", function () { $("submit-proposal").disabled = true; });
})();
