// The live map on /map/: Leaflet without tiles, our own boundaries, and points the server
// aggregates to a grid for the area and zoom in view (/api/v1/map/points/). Without this
// script the page shows the server-rendered SVG of the same boundaries and points.
(function () {
  "use strict";
  var el = document.getElementById("map-live");
  if (!el || !window.L || !L.markerClusterGroup) return;

  var colours = { military: "#9b2a1e", diplomacy: "#1d4f80", both: "#5a2f5e" };
  var fallback = document.getElementById("map-fallback");
  el.hidden = false;
  if (fallback) fallback.querySelector("svg").classList.add("map-svg-hidden");

  var map = L.map(el, { zoomSnap: 0.5, minZoom: 3, maxZoom: 12 }).setView([48.8, 31.5], 5.5);
  map.attributionControl.addAttribution("Boundaries: Natural Earth, visionscarto");

  function outline(url, style) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { L.geoJSON(data, { style: style, interactive: false }).addTo(map); });
  }
  outline(el.dataset.countries, { color: "#837d73", weight: 1, fillColor: "#eeebe3", fillOpacity: 1 })
    .then(function () {
      return outline(el.dataset.oblasts, { color: "#8c867a", weight: 0.6, fillColor: "#f7f4ec", fillOpacity: 1 });
    })
    .then(load);

  function sum(markers, field) {
    return markers.reduce(function (total, m) { return total + m.options.point[field]; }, 0);
  }

  var layer = L.markerClusterGroup({
    showCoverageOnHover: false,
    iconCreateFunction: function (cluster) {
      var markers = cluster.getAllChildMarkers();
      var military = sum(markers, "military"), diplomacy = sum(markers, "diplomacy");
      return icon(military + diplomacy, military && diplomacy ? "both" : military ? "military" : "diplomacy");
    },
  }).addTo(map);

  function icon(n, track) {
    var size = Math.round(22 + 10 * Math.log10(Math.max(n, 1)));
    return L.divIcon({
      html: "<span>" + n + "</span>",
      className: "map-cluster map-cluster-" + track,
      iconSize: [size, size],
    });
  }

  function popup(point) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = point.place + (point.places > 1 ? " and nearby" : "");
    var counts = document.createElement("p");
    counts.textContent = point.military + " military, " + point.diplomacy + " diplomacy";
    var link = document.createElement("a");
    link.href = point.href;
    link.className = "map-popup-link";
    link.textContent = "See these entries on the timeline";
    box.append(title, counts, link);
    return box;
  }

  var pending;
  function load() {
    if (pending) pending.abort();
    pending = new AbortController();
    var b = map.getBounds();
    var query = new URLSearchParams(el.dataset.query);
    query.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(3);
    }).join(","));
    query.set("zoom", Math.round(map.getZoom()));
    fetch(el.dataset.points + "?" + query.toString(), { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        layer.clearLayers();
        layer.addLayers(data.points.map(function (point) {
          var marker = L.marker([point.lat, point.lon], {
            icon: icon(point.n, point.track),
            point: point,
            title: point.n + " entries at " + point.place,
            alt: point.place,
          });
          marker.bindPopup(popup(point));
          return marker;
        }));
        el.dataset.loaded = String(data.points.length);
      })
      .catch(function () {});
  }
  map.on("moveend", load);
})();
