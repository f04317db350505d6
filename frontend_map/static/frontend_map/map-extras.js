/* Helpers shared by the map pages: district outlines (orientation even when the base map
   cannot load, e.g. offline) and HTML escaping. */
(function () {
  "use strict";
  window.geoportal = window.geoportal || {};
  window.geoportal.addDistricts = function (map, options) {
    return window.geoportal.api("/api/v1/districts/").then(function (r) {
      if (r.status !== 200) { return null; }
      var layer = L.geoJSON(r.body, Object.assign({
        interactive: false,
        style: function () { return {color: "#0b5cad", weight: 1.5, opacity: 0.7, fillColor: "#0b5cad", fillOpacity: 0.04}; }
      }, options || {})).addTo(map);
      layer.bringToBack();
      return layer;
    });
  };
})();
