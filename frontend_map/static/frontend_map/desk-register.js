/* Registering a phone, e-mail or paper appeal: the point is picked on the map (optional when
   an address is given); the form itself is posted to the server (it works without this). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var cfg = JSON.parse($("map-config").textContent);
  var map = window.geoportal.createMap("register-map");
  window.geoportal.addDistricts(map);
  var marker = null;
  function put(latlng) {
    if (!marker) {
      marker = L.marker(latlng, {draggable: true, keyboard: true}).addTo(map);
      marker.on("dragend", function () { put(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    $("id_lat").value = latlng.lat.toFixed(6);
    $("id_lon").value = latlng.lng.toFixed(6);
    $("pick-status").textContent = $("id_lat").value + ", " + $("id_lon").value;
  }
  if ($("id_lat").value && $("id_lon").value) {
    var ll = L.latLng(parseFloat($("id_lat").value), parseFloat($("id_lon").value));
    map.setView(ll, 16);
    put(ll);
  } else if (cfg.fallbackCenter) {
    map.setView(cfg.fallbackCenter, 12);
  }
  map.on("click", function (e) { put(e.latlng); });
})();
