/* Draw the member towns held in #town-map's data-towns attribute on a Leaflet map (the ES module that
   datasette-leaflet ships, imported from the address in data-leaflet, so nothing loads from elsewhere).
   One marker per town, current and former told apart by colour and shape; each marker is
   keyboard-focusable, labelled (data-former-label: "former member" in the page's language), and opens a popup that links to the town's page. */
(async function () {
  var el = document.getElementById("town-map");
  if (!el) return;
  var L = await import(el.getAttribute("data-leaflet"));
  var towns = JSON.parse(el.getAttribute("data-towns"));
  var former = el.getAttribute("data-former-label") || "former member";  // in the page's language
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 18,
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
  }).addTo(map);
  var bounds = towns.map(function (t) { return [t.latitude, t.longitude]; });
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [20, 20] });
  else if (bounds.length) map.setView(bounds[0], 8);
  towns.forEach(function (t) {
    var label = t.name + ", " + t.country_name + (t.status === "former" ? " (" + former + ")" : "");
    var icon = L.divIcon({
      className: "town-marker town-marker-" + t.status + (t.this ? " town-marker-this" : ""),
      iconSize: t.this ? [22, 22] : [16, 16],
      html: ""
    });
    var marker = L.marker([t.latitude, t.longitude], { icon: icon, title: label, alt: label, keyboard: true })
      .addTo(map)
      .bindPopup('<a href="' + t.url + '">' + t.name + "</a><br>" + t.country_name +
                 (t.status === "former" ? "<br>" + former : ""));
    var m = marker.getElement();
    m.setAttribute("data-town", t.id);
    m.setAttribute("role", "button");
    m.setAttribute("aria-label", label);
  });
  el.setAttribute("data-markers", String(towns.length));
})();
