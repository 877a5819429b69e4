// The war-room wall screen (ห้องสถานการณ์): coverage of a target in a zone, kept current.
//
// URL (kiosk mode, no controls on screen): /?zone=12&level=district&target=model_villages&rotate=60
//   zone, level, target: what to show; rotate=N: the next inspection zone every N seconds;
//   kiosk=1: hide the controls with nothing else set; live=sse|poll: how to stay current.
// A read key (servers with GEOPLOTS_READS_PROTECTED=true) comes in the fragment, /#key=gp_...:
// fragments are never sent to a server (so never in its logs); it is kept in sessionStorage,
// removed from the address bar and sent as an Authorization header.
// Record and boundary text is shown as text, never as markup: text nodes and textContent only.
(function () {
  "use strict";
  var CONFIG = JSON.parse(document.body.getAttribute("data-config") || "{}");
  var MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];
  var KEY_STORE = "geoplots-read-key";
  var params = new URLSearchParams(location.search);
  var key = readKey();
  var kiosk = ["zone", "level", "target", "rotate", "kiosk"].some(function (p) { return params.has(p); });
  var zoneSel = byId("zone"), levelSel = byId("level"), targetSel = byId("target");
  var map = null, unitsLayer = null, labelsLayer = null, pinsLayer = null, fitted = null;
  var generation = 0, pending = null, lastCoverage = null;
  var baselines = {};  // covered units when the screen first showed each view: "change since the screen opened"
  var PIN_ZOOM = 9;  // nationally, records appear only from this zoom (no clutter of dots)

  function byId(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(n) { return Number(n).toLocaleString("th-TH"); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Thai clock (UTC+7, no daylight saving) and Buddhist year: 23 พ.ย. 2569 14:05
  function thai(d) { return new Date(d.getTime() + 7 * 3600e3); }
  function thaiDate(d) {
    var t = thai(d);
    return t.getUTCDate() + " " + MONTHS[t.getUTCMonth()] + " " + (t.getUTCFullYear() + 543) + " " +
      pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes());
  }
  function thaiTime(d) {
    var t = thai(d), now = thai(new Date());
    var hm = pad(t.getUTCHours()) + ":" + pad(t.getUTCMinutes());
    if (t.toISOString().slice(0, 10) === now.toISOString().slice(0, 10)) return hm;
    return t.getUTCDate() + " " + MONTHS[t.getUTCMonth()] + " " + hm;
  }

  function readKey() {
    var m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (m) {
      try { sessionStorage.setItem(KEY_STORE, decodeURIComponent(m[1])); } catch (e) { /* storage off: this load only */ }
      history.replaceState(null, "", location.pathname + location.search);
      return decodeURIComponent(m[1]);
    }
    try { return sessionStorage.getItem(KEY_STORE); } catch (e) { return null; }
  }
  function get(url) {
    var headers = key ? { Authorization: "Bearer " + key } : {};
    return fetch(url, { headers: headers, cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(r.status === 401 || r.status === 403 ? r.status + " (read key?)" : String(r.status));
      return r.json();
    });
  }
  function q(p) {
    var parts = [];
    Object.keys(p).forEach(function (k) {
      if (p[k] !== "" && p[k] !== null && p[k] !== undefined) parts.push(k + "=" + encodeURIComponent(p[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  // -- colours: geoplots/layers/palette.py, written into the page by the server -------------
  var PAL = CONFIG.palette || {};
  (function applyPalette() {
    var root = document.documentElement.style;
    if (PAL.met) root.setProperty("--met", PAL.met);
    if (PAL.not_met) root.setProperty("--not-met", PAL.not_met);
    if (PAL.no_data) root.setProperty("--no-data", PAL.no_data);
    if (PAL.gap) root.setProperty("--gap", PAL.gap);
    Object.keys(PAL.tiers || {}).forEach(function (t) { root.setProperty("--tier-" + t, PAL.tiers[t]); });
  })();

  // -- the view: URL first (kiosk), then the controls ------------------------------------------
  function target() {
    var v = targetSel.value;
    return (CONFIG.targets || []).filter(function (t) { return t.value === v; })[0] || { value: "", kind: "pins", takes_level: true };
  }
  function zoneInfo(z) { return (CONFIG.zones || []).filter(function (x) { return x.value === z; })[0] || null; }
  function setSelect(sel, value) {
    if (value === null) return;
    for (var i = 0; i < sel.options.length; i++) if (sel.options[i].value === value) { sel.selectedIndex = i; return; }
  }
  if (kiosk) document.body.classList.add("kiosk");
  setSelect(zoneSel, params.get("zone"));
  setSelect(levelSel, params.get("level"));
  setSelect(targetSel, params.get("target"));

  // -- the map: fills its area, fractional zoom, outlines never take the pointer ----------------
  if (window.L) {
    map = L.map("map", { preferCanvas: true, zoomControl: !kiosk, zoomSnap: 0.1, zoomDelta: 0.5, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(escapeText(byId("map").getAttribute("data-attribution") || ""));
    map.createPane("backdrop").style.zIndex = 250;  // sea and neighbours, under the units
    map.fitBounds([[5.6, 97.3], [20.5, 105.7]]);
    map.on("zoomend", showPins);
    // the map follows its box (kiosk mode, a resized window): Leaflet measures only when told
    new ResizeObserver(function () {
      map.invalidateSize({ animate: false });
      if (fitted) map.fitBounds(fitted, { padding: [8, 8], animate: false });
    }).observe(byId("map"));
    if (CONFIG.backdrop) drawBackdrop(CONFIG.backdrop);
  }
  function escapeText(s) {  // Leaflet's attribution is HTML: give it text only
    return String(s).replace(/[&<>"'`]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  // Hook for a shipped sea/neighbours layer (a GeoJSON URL in the page's config): neutral, inert.
  function drawBackdrop(url) {
    get(url).then(function (fc) {
      L.geoJSON(fc, { pane: "backdrop", interactive: false,
        style: function () { return { color: "#c9ccc8", weight: 0.8, fillColor: "#e4e6e2", fillOpacity: 1 }; } }).addTo(map);
    }).catch(function () { /* the neutral fill stays */ });
  }

  function unitColor(p, tiers) {
    if (tiers) return !p.households ? PAL.no_data : (PAL.tiers || {})[p.tier] || PAL.no_data;
    return p.met ? PAL.met : PAL.not_met;
  }

  function drawUnits(cov, fit, tiers) {
    if (!map) return;
    if (unitsLayer) map.removeLayer(unitsLayer);
    if (labelsLayer) map.removeLayer(labelsLayer);
    var byCode = {};
    unitsLayer = L.geoJSON(cov.geojson, {
      style: function (f) {
        return { color: "#ffffff", weight: 0.7, fillOpacity: 0.82, fillColor: unitColor(f.properties, tiers) };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        byCode[p.code] = layer;
        var what = tiers ? (p.households ? fmt(p.participating) + "/" + fmt(p.households) + " ครัวเรือน (" +
          Math.round(100 * (p.rate || 0)) + "%)" : "ไม่มีข้อมูล / no data") : fmt(p.count) + " รายการ / records";
        layer.bindTooltip(function () { return document.createTextNode(p.name_th + " / " + p.name_en + ": " + what); },
          { sticky: true });
        layer.on("click", function () { map.fitBounds(layer.getBounds(), { maxZoom: 11 }); });
      }
    }).addTo(map);
    unitsLayer.byCode = byCode;
    labelsLayer = L.layerGroup();
    if (zoneSel.value) {  // at zone zoom the gap units carry their names on the map (text nodes)
      cov.geojson.features.forEach(function (f) {
        var p = f.properties;
        if (p.met) return;
        var at = p.label_lat != null ? [p.label_lat, p.label_lon] : byCode[p.code].getBounds().getCenter();
        L.tooltip({ permanent: true, direction: "center", className: "gap-label", interactive: false })
          .setLatLng(at).setContent(document.createTextNode(p.name_th)).addTo(labelsLayer);
      });
    }
    labelsLayer.addTo(map);
    if (pinsLayer && map.hasLayer(pinsLayer)) pinsLayer.bringToFront();
    if (fit && unitsLayer.getLayers().length) {
      fitted = unitsLayer.getBounds();
      map.invalidateSize({ animate: false });
      map.fitBounds(fitted, { padding: [8, 8], animate: false });
    }
  }

  function drawPins(fc, kind) {
    if (!map) return;
    if (pinsLayer) map.removeLayer(pinsLayer);
    var small = kind === "households";
    pinsLayer = L.geoJSON(fc, {
      pointToLayer: function (f, latlng) {
        // white with a dark ring: readable on both the met and the not-met fill
        return L.circleMarker(latlng, { radius: small ? 2.5 : 4.5, color: "#1d2530", weight: small ? 0.8 : 1.2,
          fillColor: "#ffffff", fillOpacity: 0.95 });
      },
      style: function () { return { color: "#4d6a8a", weight: 1, fillOpacity: 0.2 }; },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(function () {
          return document.createTextNode((p.name || p.village_name || p.record_id || ("#" + f.id)) + " · " + (p.subdistrict_code || ""));
        });
      }
    });
    showPins();
  }
  // Records show at zone zoom only: a national view of thousands of dots says nothing.
  function showPins() {
    if (!map || !pinsLayer) return;
    var visible = zoneSel.value !== "" || map.getZoom() >= PIN_ZOOM;
    if (visible && !map.hasLayer(pinsLayer)) { pinsLayer.addTo(map); pinsLayer.bringToFront(); }
    if (!visible && map.hasLayer(pinsLayer)) map.removeLayer(pinsLayer);
  }

  function zoomToUnit(code) {
    var layer = unitsLayer && unitsLayer.byCode[code];
    if (layer) { map.fitBounds(layer.getBounds(), { maxZoom: 11, padding: [40, 40] }); layer.openTooltip(); }
  }

  // -- panels -----------------------------------------------------------------------------
  function showTitles(cov) {
    byId("title-th").textContent = cov.title_th;
    byId("title-en").textContent = cov.title_en;
    byId("area-th").textContent = cov.area_th;
    var zone = zoneInfo(cov.zone || "");
    var provinces = zone ? zone.provinces.map(function (c) { return (CONFIG.provinces || {})[c]; }).filter(Boolean) : [];
    byId("area-en").textContent = cov.area_en + (provinces.length && provinces.length <= 8 ? " · " + provinces.join(" ") : "");
  }

  function showTiles(cov, tiers) {
    var covered = 0, total = 0, hh = 0, part = 0;
    cov.summary.forEach(function (s) { covered += s.covered; total += s.total; hh += s.households || 0; part += s.participating || 0; });
    var level = (CONFIG.levels || {})[cov.level] || [cov.level, cov.level];
    byId("covered-label").textContent = tiers ? "ผ่านเกณฑ์ 70% ขึ้นไป / Units passing (≥70%)" : "ถึงเป้าแล้ว / Units meeting the target";
    byId("covered-sub").textContent = "หน่วย: " + level[0] + " / unit: " + level[1];
    byId("count-covered").textContent = fmt(covered);
    byId("count-total").textContent = fmt(total);
    var pct = tiers ? (hh ? 100 * part / hh : null) : (total ? 100 * covered / total : null);
    byId("percent-label").textContent = tiers ? "ครัวเรือนเข้าร่วม / Households taking part" : "ร้อยละที่ถึงเป้า / Percent met";
    byId("count-percent").textContent = pct === null ? "–" : pct.toFixed(1) + "%";
    byId("percent-bar").style.width = (pct || 0) + "%";
    var view = [cov.zone, cov.level, cov.rule].join("|");
    if (!(view in baselines)) baselines[view] = { covered: covered, at: new Date() };
    var delta = covered - baselines[view].covered;
    var change = byId("count-change");
    change.textContent = (delta > 0 ? "+" : delta < 0 ? "−" : "±") + fmt(Math.abs(delta));
    change.className = "big" + (delta > 0 ? " up" : delta < 0 ? " down" : "");
    byId("change-sub").textContent = "หน่วย ตั้งแต่ " + thaiTime(baselines[view].at) + " / units since the screen opened";
    byId("count-today").textContent = fmt(cov.records_today || 0);
    byId("count-records").textContent = fmt(cov.records);
  }

  function provinceOf(u) { return u.province_name_th || (CONFIG.provinces || {})[u.province_code] || ""; }

  function showGaps(cov, tiers) {
    var gaps = [];
    cov.summary.forEach(function (s) { gaps = gaps.concat(s.uncovered || []); });
    gaps.sort(function (a, b) {
      return provinceOf(a).localeCompare(provinceOf(b), "th") || String(a.name_th).localeCompare(String(b.name_th), "th");
    });
    byId("gap-count").textContent = "(" + fmt(gaps.length) + ")";
    gapItems = gaps.map(function (u) {
      var li = el("li", tiers && !u.households ? "nodata" : "");
      li.tabIndex = 0;
      li.appendChild(document.createTextNode(u.name_th + " "));
      var extra = tiers ? (u.households ? " " + Math.round(100 * (u.rate || 0)) + "%" : " ไม่มีข้อมูล") : "";
      li.appendChild(el("span", "prov", "จ." + provinceOf(u) + extra));
      li.title = u.name_en + ", " + (u.province_name_en || "");
      li.addEventListener("click", function () { zoomToUnit(u.code); });
      li.addEventListener("keydown", function (e) { if (e.key === "Enter") zoomToUnit(u.code); });
      return li;
    });
    fitGaps();
    requestAnimationFrame(function () { fitGaps(); });  // once the rest of the page has its size
  }
  // Show the gap units that fit; what does not fit is counted, never silently cut.
  // Run again whenever the list's box changes size (measured with the "more" line in place).
  function fitGaps() {
    var list = byId("gap-list"), more = byId("gap-more");
    more.textContent = "และอีก / and more";
    list.replaceChildren.apply(list, gapItems);
    var limit = list.getBoundingClientRect().bottom, hidden = 0;
    gapItems.forEach(function (li) {
      if (hidden || li.getBoundingClientRect().bottom > limit + 1) { hidden++; list.removeChild(li); }
    });
    more.textContent = gapItems.length === 0 ? "ทุกหน่วยถึงเป้าแล้ว / every unit meets the target" :
      hidden ? "และอีก " + fmt(hidden) + " หน่วย / and " + fmt(hidden) + " more" : "";
  }
  var gapItems = [];
  var gapsBox = new ResizeObserver(function () { if (gapItems.length) fitGaps(); });
  gapsBox.observe(byId("gaps"));
  gapsBox.observe(byId("feed"));
  if (document.fonts) document.fonts.ready.then(function () { if (gapItems.length) fitGaps(); });

  function ranking(cov) {
    if (!cov.zone) {
      return cov.summary.map(function (s) {
        return { label: s.group === "central" ? "กรุงเทพมหานคร" : "เขต " + s.group, covered: s.covered, total: s.total,
          zone: s.group };
      });
    }
    var rows = {};
    cov.geojson.features.forEach(function (f) {
      var p = f.properties, r = rows[p.province_code] || (rows[p.province_code] = {
        label: (CONFIG.provinces || {})[p.province_code] || p.province_code, covered: 0, total: 0 });
      r.total++; if (p.met) r.covered++;
    });
    return Object.keys(rows).map(function (k) { return rows[k]; });
  }

  function showRanking(cov) {
    var rows = ranking(cov).filter(function (r) { return r.total; });
    rows.forEach(function (r) { r.pct = 100 * r.covered / r.total; });
    rows.sort(function (a, b) { return b.pct - a.pct || a.label.localeCompare(b.label, "th", { numeric: true }); });
    byId("ranking-title").textContent = cov.zone ? "จังหวัดในเขต / Provinces ranked" : "อันดับเขตตรวจราชการ / Zones ranked";
    var chart = byId("ranking-chart");
    chart.replaceChildren();
    // every zone fits: the rows share the chart's height (19 zones nationally)
    var two = rows.length > 12;  // nationally two columns, so the names stay legible
    chart.classList.toggle("two", two);
    var lines = two ? Math.ceil(rows.length / 2) : rows.length;
    var height = Math.max(14, Math.min(40, Math.floor(chart.clientHeight / Math.max(lines, 1))));
    var font = Math.min(18, Math.max(12, height - 4));
    rows.forEach(function (r) {
      var row = el("div", "rank" + (r.zone && r.zone === zoneSel.value ? " current" : ""));
      row.style.height = height + "px";
      row.style.fontSize = font + "px";
      row.appendChild(el("span", "name", r.label));
      var track = el("span", "track"), fill = el("span", "fill");
      fill.style.width = r.pct.toFixed(1) + "%";
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", "pct", Math.round(r.pct) + "%"));
      row.title = r.covered + " / " + r.total;
      if (r.zone && !kiosk) row.addEventListener("click", function () { zoneSel.value = r.zone; refresh(true); });
      chart.appendChild(row);
    });
  }

  // a photo is shown only from this server (a thumbnail path), never from a link someone typed
  function ownImage(url) { return typeof url === "string" && /^\/(?!\/)[A-Za-z0-9_\-./%]+$/.test(url) && url.indexOf("..") < 0; }

  function place(r) {
    var bkk = r.province_th === "กรุงเทพมหานคร";
    return [r.subdistrict_th && (bkk ? "แขวง" : "ต.") + r.subdistrict_th, r.district_th && (bkk ? "เขต" : "อ.") + r.district_th,
      r.province_th && (bkk ? r.province_th : "จ." + r.province_th)].filter(Boolean).join(" ");
  }

  function showFeed(cov) {
    var list = byId("feed-list");
    list.replaceChildren();
    if (!(cov.latest || []).length) { list.appendChild(el("li", "empty", "ยังไม่มีรายงาน / no records yet")); return; }
    cov.latest.slice(0, 6).forEach(function (r) {
      var li = el("li");
      if (ownImage(r.photo)) {
        var img = el("img");
        img.alt = "";
        img.src = r.photo;
        li.appendChild(img);
      } else li.appendChild(el("span", "dot"));
      var body = el("div");
      body.appendChild(el("div", "what", r.name || r.record_id || "–"));
      body.appendChild(el("div", "where", place(r)));
      li.appendChild(body);
      li.appendChild(el("span", "when", r.received_at ? thaiTime(new Date(r.received_at)) : ""));
      list.appendChild(li);
    });
  }

  function showAsOf() { byId("asof-time").textContent = thaiDate(new Date()); }

  // -- loading ------------------------------------------------------------------------------
  function refresh(fit) {
    var mine = ++generation;
    var t = target(), zone = zoneSel.value, tiers = !!t.tiers;
    levelSel.disabled = !t.takes_level;
    byId("legend-met").hidden = tiers;
    byId("legend-tier").hidden = !tiers;
    function fresh() { return mine === generation; }  // a newer refresh may have started meanwhile
    function failed(err) { byId("live-text").textContent = "โหลดไม่สำเร็จ / load failed: " + err.message; }
    var cov = get("/api/coverage" + q({ level: t.takes_level ? levelSel.value : "", zone: zone, rule: t.value, format: "geojson",
                                   as_of: window.geoplotsAsOf || "" }))
      .then(function (c) {
        if (!fresh()) return;
        lastCoverage = c;
        showTitles(c);
        showTiles(c, tiers);
        showFeed(c);  // first: the feed's height decides how much room the gaps and the ranking get
        showGaps(c, tiers);
        showRanking(c);
        drawUnits(c, fit, tiers);
        showAsOf();
        document.dispatchEvent(new CustomEvent("warroom:refresh", { detail: { zone: zone, level: c.level, target: t.value, coverage: c } }));
        document.dispatchEvent(new CustomEvent("geoplots:refreshed", { detail: c }));  // timeline.js
      }).catch(failed);
    var pins = get("/collections/" + encodeURIComponent(t.kind) + "/items" + q({ zone: zone, limit: 5000 })).then(function (fc) {
      if (fresh()) drawPins(fc, t.kind);
    }).catch(failed);
    return Promise.all([cov, pins]);
  }
  function later() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () { pending = null; refresh(false); }, 250);
  }

  [zoneSel, levelSel, targetSel].forEach(function (sel) {
    sel.addEventListener("change", function () { refresh(sel === zoneSel || sel === targetSel); });
  });
  // a month picked on the timeline (timeline.js sets window.geoplotsAsOf)
  document.addEventListener("geoplots:asof", function () { refresh(false); });

  // -- staying current ---------------------------------------------------------------------
  function live(on) {
    byId("live").className = on ? "on" : "off";
    byId("live-text").textContent = on ? "สด / live" : "ขาดการเชื่อมต่อ / reconnecting";
  }
  // An open event stream keeps a page loading for ever in the eyes of a headless browser
  // (chromium --screenshot --virtual-time-budget waits for the network to settle), and an
  // EventSource cannot send a key: those pages ask the server for its version instead.
  var headless = navigator.webdriver || /Headless/.test(navigator.userAgent);
  var mode = params.get("live") || (key || headless ? "poll" : "sse");
  var seen = null;
  function poll() {
    get("/health").then(function (h) {
      live(true);
      var now = JSON.stringify([h.version, h.records]);
      if (seen !== null && now !== seen) later();
      seen = now;
      showAsOf();
    }).catch(function () { live(false); }).then(function () {
      setTimeout(poll, 1000 * (CONFIG.poll_seconds || 10));
    });
  }
  function stream() {
    var source = new EventSource("/api/events");
    var greeted = false;
    source.addEventListener("open", function () { live(true); });
    source.addEventListener("error", function () { live(false); });
    source.addEventListener("records", later);
    // after a reconnect, events may have been missed: reload once the stream says hello again
    source.addEventListener("hello", function () { if (greeted) later(); greeted = true; });
    setInterval(function () { if (byId("live").className === "on") showAsOf(); }, 30000);
  }

  // kiosk rotation through the inspection zones, every N seconds (at least 10)
  var rotate = Number(params.get("rotate") || 0);
  if (rotate > 0) {
    setInterval(function () {
      var zones = (CONFIG.zones || []).map(function (z) { return z.value; });
      var next = zones[(zones.indexOf(zoneSel.value) + 1) % zones.length];
      setSelect(zoneSel, next);
      refresh(true);
    }, 1000 * Math.max(10, rotate));
  }

  window.geoplotsWarroom = { map: map, config: CONFIG, refresh: refresh, coverage: function () { return lastCoverage; } };
  refresh(true).then(function () {
    if (mode === "sse") stream(); else if (mode === "poll") poll();
  });
})();
