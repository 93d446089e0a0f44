// immoval: small improvements over pages that already work without JavaScript.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // Address suggestions as you type, through the site (POST: addresses stay out of URLs),
  // in an ARIA 1.2 combobox: the server's suggestions are shown exactly as it sends them
  // (a native <datalist> hides those that do not contain the typed text).
  function setupSuggestions(form) {
    var input = form.querySelector("#address");
    var list = document.getElementById("address-listbox");
    var status = document.getElementById("address-status");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !list || !url || !window.fetch) return;
    var timer = null;
    var last = "";
    var active = -1;
    var seq = 0;

    function options() { return list.querySelectorAll("[role=option]"); }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var all = options();
      if (!all.length) return;
      active = (i + all.length) % all.length;
      all.forEach(function (o, k) { o.setAttribute("aria-selected", k === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      input.value = option.getAttribute("data-value");
      last = input.value.trim();
      close();
      input.focus();
    }
    function show(suggestions) {
      list.textContent = "";
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = "address-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-value", s.label);
        li.textContent = s.label;
        // mousedown, not click: the input would lose focus (and close the list) first.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      if (status) {
        status.textContent = suggestions.length
          ? suggestions.length + (suggestions.length > 1 ? " adresses suggérées" : " adresse suggérée") +
            " : flèches haut et bas pour choisir, Entrée pour valider."
          : "Aucune adresse suggérée.";
      }
      if (suggestions.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        active = -1;
      } else {
        close();
      }
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 3) { close(); return; }
        if (q === last) return;
        last = q;
        var mine = ++seq;
        var body = new URLSearchParams();
        body.set("q", q);
        fetch(url, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRF-Token": csrfToken(form) }
        }).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            if (mine === seq) show(data.suggestions || []);  // an older answer arriving late is dropped
          }).catch(function () { /* suggestions are optional */ });
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden;
      if (e.key === "ArrowDown") {
        if (open) { e.preventDefault(); highlight(active + 1); }
      } else if (e.key === "ArrowUp") {
        if (open) { e.preventDefault(); highlight(active - 1); }
      } else if (e.key === "Enter") {
        if (open && active >= 0) { e.preventDefault(); choose(options()[active]); }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
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
    // On a touch screen one finger scrolls the page; two fingers move and zoom the map.
    var touch = !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
    var map = L.map(el, { scrollWheelZoom: false, dragging: !touch, tap: false }).setView([lat, lon], 16);
    var tiles = el.getAttribute("data-tiles-url");
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: parseInt(el.getAttribute("data-tiles-max-zoom"), 10) || 19,
        attribution: el.getAttribute("data-tiles-attribution") || ""
      }).addTo(map);
    }
    var points = [[lat, lon]];
    var rows = document.querySelectorAll("#comparables-table tbody tr[data-lat]");
    rows.forEach(function (row) {
      var la = parseFloat(row.getAttribute("data-lat"));
      var lo = parseFloat(row.getAttribute("data-lon"));
      if (!isFinite(la) || !isFinite(lo)) return;
      points.push([la, lo]);
      var number = row.getAttribute("data-number");
      var odd = row.hasAttribute("data-atypical");
      // A numbered marker, the number the table shows in its first column.
      var marker = L.marker([la, lo], {
        icon: L.divIcon({
          className: "sale-marker" + (odd ? " is-atypical" : ""),
          html: "<span>" + number + "</span>", iconSize: [24, 24], iconAnchor: [12, 12]
        }),
        title: "Vente " + number, alt: "Vente " + number, keyboard: false
      }).addTo(map);
      marker.bindTooltip("Vente " + number + " : " + row.getAttribute("data-price") + " — " +
                         row.getAttribute("data-date") + (odd ? " (prix atypique)" : ""));
      marker.on("click", function () {
        rows.forEach(function (r) { r.classList.remove("is-active"); });
        row.classList.add("is-active");
        row.scrollIntoView({ block: "nearest" });
      });
    });
    var home = el.getAttribute("data-home-label");
    if (home) {
      L.circleMarker([lat, lon], {
        radius: 9, color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.8
      }).addTo(map).bindTooltip(home);
    }
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
