#!/usr/bin/env bash
# Copy pinned front-end libraries from the npm registry into frontend_map/static/vendor/.
# Reruns are free: a lock stamp records what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=frontend_map/static/vendor
PKGS=(leaflet@1.9.4 leaflet.markercluster@1.5.3 leaflet.heat@0.2.0 ol@7.2.2)
WANT=$(printf '%s\n' "${PKGS[@]}" | sha256sum | cut -d' ' -f1)
if [[ -f $DEST/.stamp && "$(cat $DEST/.stamp)" == "$WANT" ]]; then
  echo "[setup] front-end libraries up to date"; exit 0
fi
echo "[setup] vendoring front-end libraries: ${PKGS[*]}"
WORK=var/npm
mkdir -p "$WORK" "$DEST"
( cd "$WORK" && [[ -f package.json ]] || echo '{"private":true}' > package.json
  npm install --no-audit --no-fund --silent "${PKGS[@]}" )
rm -rf "$DEST"/leaflet "$DEST"/markercluster "$DEST"/heat "$DEST"/ol
mkdir -p "$DEST"/leaflet "$DEST"/markercluster "$DEST"/heat "$DEST"/ol
cp -r "$WORK"/node_modules/leaflet/dist/* "$DEST"/leaflet/
cp "$WORK"/node_modules/leaflet.markercluster/dist/*.js "$WORK"/node_modules/leaflet.markercluster/dist/*.css "$DEST"/markercluster/
cp "$WORK"/node_modules/leaflet.heat/dist/leaflet-heat.js "$DEST"/heat/
# OpenLayers for the admin's map widgets (Django's GIS admin would load it from a CDN)
cp "$WORK"/node_modules/ol/dist/ol.js "$WORK"/node_modules/ol/ol.css "$DEST"/ol/
echo "$WANT" > "$DEST"/.stamp
