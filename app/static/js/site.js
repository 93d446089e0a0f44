// immoval: small improvements over pages that already work without JavaScript.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // Address suggestions as you type, through the site (POST: addresses stay out of URLs).
  function setupSuggestions(form) {
    var input = form.querySelector("#address");
    var list = document.getElementById("address-suggestions");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !list || !url || !window.fetch) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 3 || q === last) return;
        last = q;
        var body = new URLSearchParams();
        body.set("q", q);
        fetch(url, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRF-Token": csrfToken(form) }
        }).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            list.textContent = "";
            (data.suggestions || []).forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.label;
              list.appendChild(option);
            });
          }).catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  }

  // Land matters for houses: hide the field for apartments (it stays in the page without JS).
  function setupLand(form) {
    var field = form.querySelector("#field-land_area_m2");
    var radios = form.querySelectorAll("input[name=property_type]");
    if (!field || !radios.length) return;
    function update() {
      var apartment = form.querySelector("input[name=property_type][value=apartment]:checked");
      field.classList.toggle("is-hidden", !!apartment && !field.classList.contains("has-error"));
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  }

  // The map of the home and its comparables, built from the table's rows.
  function setupMap() {
    var el = document.getElementById("map");
    if (!el || !window.L) return;
    var lat = parseFloat(el.getAttribute("data-lat"));
    var lon = parseFloat(el.getAttribute("data-lon"));
    if (!isFinite(lat) || !isFinite(lon)) return;
    el.textContent = "";
    var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 16);
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "© <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap contributors</a>"
    }).addTo(map);
    var points = [[lat, lon]];
    var rows = document.querySelectorAll("#comparables-table tbody tr[data-lat]");
    rows.forEach(function (row, i) {
      var la = parseFloat(row.getAttribute("data-lat"));
      var lo = parseFloat(row.getAttribute("data-lon"));
      if (!isFinite(la) || !isFinite(lo)) return;
      points.push([la, lo]);
      var marker = L.circleMarker([la, lo], {
        radius: 7, color: "#174a95", weight: 2, fillColor: "#ffffff", fillOpacity: 0.9
      }).addTo(map);
      marker.bindTooltip(String(i + 1) + ". " + row.getAttribute("data-price") + " — " +
                         row.getAttribute("data-date"));
      marker.on("click", function () {
        rows.forEach(function (r) { r.classList.remove("is-active"); });
        row.classList.add("is-active");
        row.scrollIntoView({ block: "nearest" });
      });
    });
    L.circleMarker([lat, lon], {
      radius: 9, color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.8
    }).addTo(map).bindTooltip("Votre bien");
    if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 17 });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.estimate-form").forEach(function (form) {
      setupSuggestions(form);
      setupLand(form);
    });
    setupMap();
  });
})();
