// The war-room page: coverage by unit for a zone and level, counts that follow live events.
(function () {
  "use strict";
  var zoneSel = document.getElementById("zone");
  var levelSel = document.getElementById("level");
  var targetSel = document.getElementById("target");
  var TIER_COLORS = { not_passed: "#d7191c", passed: "#fdae61", commendation: "#a6d96a", plaque: "#1a9641" };
  var map = null, unitsLayer = null, pinsLayer = null, pending = null, generation = 0;

  // Record and boundary text is shown as text, never as markup: tooltips get a text node
  // (Leaflet would read a string as HTML), other text goes through textContent or esc().
  function text(s) { return document.createTextNode(String(s)); }
  function esc(s) {
    return String(s).replace(/[&<>"'`]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }

  if (window.L) {
    map = L.map("map", { preferCanvas: true, zoomControl: true }).setView([13.0, 101.0], 6);
    map.attributionControl.addAttribution(esc(document.getElementById("map").dataset.attribution || ""));
  }

  function q(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) parts.push(k + "=" + encodeURIComponent(params[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function fmt(n) { return Number(n).toLocaleString("th-TH"); }

  function showCoverage(cov) {
    var covered = 0, total = 0;
    var tbody = document.querySelector("#by-zone tbody");
    tbody.replaceChildren();
    cov.summary.forEach(function (s) {
      covered += s.covered; total += s.total;
      var tr = document.createElement("tr");
      [s.group, s.covered, s.total, s.percent.toFixed(1)].forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    document.getElementById("count-covered").textContent = fmt(covered);
    document.getElementById("count-total").textContent = fmt(total);
    document.getElementById("count-percent").textContent = total ? (100 * covered / total).toFixed(1) + "%" : "–";
    document.getElementById("updated").textContent = new Date().toLocaleTimeString("th-TH");
  }

  function drawUnits(cov, fit) {
    if (!map) return;
    if (unitsLayer) map.removeLayer(unitsLayer);
    unitsLayer = L.geoJSON(cov.geojson, {
      style: function (f) {
        var p = f.properties;
        var fill = p.tier ? TIER_COLORS[p.tier] : (p.met ? "#1a9641" : "#d7191c");
        return { color: "#555", weight: 0.6, fillOpacity: 0.55, fillColor: fill };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var what = p.tier ? (p.participating + "/" + p.households + " (" + Math.round(100 * (p.rate || 0)) + "%)") : p.count;
        layer.bindTooltip(function () { return text(p.name_th + " / " + p.name_en + " (" + p.code + "): " + what); });
      }
    }).addTo(map);
    if (pinsLayer) pinsLayer.bringToFront();  // pins stay reachable by the pointer above the units
    if (fit && unitsLayer.getLayers().length) map.fitBounds(unitsLayer.getBounds());
  }

  function drawPins(fc) {
    if (!map) return;
    if (pinsLayer) map.removeLayer(pinsLayer);
    pinsLayer = L.geoJSON(fc, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 4, color: "#08306b", weight: 1, fillColor: "#4292c6", fillOpacity: 0.9 });
      },
      style: function () { return { color: "#08306b", weight: 1 }; },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(function () {
          return text((p.name || p.record_id || ("#" + f.id)) + " · " + (p.subdistrict_code || ""));
        });
      }
    }).addTo(map);
    pinsLayer.bringToFront();
  }

  function refresh(fit) {
    var mine = ++generation;
    var zone = zoneSel.value, level = levelSel.value, target = targetSel.value;
    // the kind of records the target counts, written into the page from the server's rule registry
    var kind = targetSel.options[targetSel.selectedIndex].getAttribute("data-kind");
    document.getElementById("legend-met").hidden = !!target;
    document.getElementById("legend-tier").hidden = !target;
    function fresh() { return mine === generation; }  // a newer refresh may have started meanwhile
    function failed(err) {
      document.getElementById("live-text").textContent = "โหลดไม่สำเร็จ / load failed: " + err;
    }
    function json(r) { if (!r.ok) throw new Error(r.status); return r.json(); }
    // Records and coverage load independently: one failing does not freeze the other.
    var pins = fetch("/collections/pins/items" + q({ zone: zone, kind: kind, limit: 5000 })).then(json).then(function (fc) {
      if (!fresh()) return;
      document.getElementById("count-records").textContent = fmt(fc.numberMatched);
      drawPins(fc);
    }).catch(failed);
    // as_of: the month picked on the timeline (timeline.js), "" for now
    var cov = fetch("/api/coverage" + q({ level: level, zone: zone, rule: target, format: "geojson",
                                          as_of: window.geoplotsAsOf || "" })).then(json).then(function (c) {
      if (!fresh()) return;
      showCoverage(c);
      drawUnits(c, fit);
      document.dispatchEvent(new CustomEvent("geoplots:refreshed", { detail: c }));
    }).catch(failed);
    return Promise.all([pins, cov]);
  }

  function later() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () { pending = null; refresh(false); }, 250);
  }

  zoneSel.addEventListener("change", function () { refresh(true); });
  document.addEventListener("geoplots:asof", function () { refresh(false); });
  levelSel.addEventListener("change", function () { refresh(false); });
  targetSel.addEventListener("change", function () { refresh(false); });

  function live(on) {
    document.getElementById("live").className = on ? "on" : "off";
    document.getElementById("live-text").textContent = on ? "สด / live" : "ขาดการเชื่อมต่อ / reconnecting";
  }
  var source = new EventSource("/api/events");
  source.addEventListener("open", function () { live(true); });
  source.addEventListener("error", function () { live(false); });
  source.addEventListener("records", later);
  // after a reconnect, events may have been missed: reload once the stream says hello again
  var greeted = false;
  source.addEventListener("hello", function () { if (greeted) later(); greeted = true; });

  refresh(true);
})();
