// Reports on a Leaflet map (Leaflet served locally; OpenStreetMap tiles only when online).
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el || !window.L) { return; }
  var points = JSON.parse(el.getAttribute("data-points") || "[]");
  var map = L.map(el);
  L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap contributors"
  }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], { radius: 8, weight: 2, color: "#163a5c", fillColor: "#d9822b", fillOpacity: 0.85 }).addTo(map);
    var box = document.createElement("div"), link = document.createElement("a");
    link.href = "/admin/reports/" + p.id; link.textContent = p.case;
    box.append(link, document.createElement("br"), p.category + " / " + p.status);
    marker.bindPopup(box);
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 }); } else { map.setView([35.68, 139.76], 11); }
})();
