/* War-room timeline (ความก้าวหน้ารายเดือน, issue 15): units covered per month per zone with
 * the target line, a month picker that redraws the map as of that month, and "since last
 * month" beside the indicator tiles.
 *
 * Talks to the page through DOM events only, so the page's own script stays in charge:
 *   - it reads window.geoplotsAsOf ("" = now) when it asks /api/coverage;
 *   - "geoplots:asof" (detail: YYYY-MM-DD or "") asks the page to redraw;
 *   - the page sends "geoplots:refreshed" (detail: the /api/coverage answer) after each
 *     redraw, live updates included: the timeline then reloads /api/progress.
 * Every text goes in with textContent / createTextNode (never innerHTML).
 */
(function () {
  "use strict";
  var root = document.getElementById("timeline");
  if (!root) return;
  var SVG = "http://www.w3.org/2000/svg";
  // geoplots/layers/palette.py: MET_COLOR, NOT_MET_COLOR, OUTLINE_COLOR
  var MET = "#2166ac", FELL = "#e08214", TARGET = "#555555";
  var MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];
  var picker = document.getElementById("as-of-month");
  var charts = document.getElementById("timeline-charts");
  var since = document.getElementById("since-last-month");
  window.geoplotsAsOf = "";
  var generation = 0;

  function value(id) { var el = document.getElementById(id); return el ? el.value : ""; }
  function kind() {
    var t = document.getElementById("target");
    return t && t.selectedIndex >= 0 ? t.options[t.selectedIndex].getAttribute("data-kind") || "" : "";
  }
  function iso(d) { return d.toISOString().slice(0, 10); }
  function thaiMonth(period) {  // "2021-03" -> "มี.ค. 64" (Buddhist era)
    var y = Number(period.slice(0, 4)) + 543, m = Number(period.slice(5, 7));
    return MONTHS[m - 1] + " " + String(y).slice(2);
  }
  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== "" && params[k] != null) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function load() {
    var mine = ++generation;
    // Household participation (KPI tiers) has no units-covered timeline yet: the section is hidden.
    // Nationally the gap list and the ranking need the room: the timeline shows one zone's.
    root.hidden = kind() === "households" || !value("zone");
    if (root.hidden) return;
    var today = new Date(), start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 11, 1));
    var levelSel = document.getElementById("level");
    // a rule without a level option refuses one (422): send it only when the page offers it
    var params = { level: levelSel && !levelSel.disabled ? levelSel.value : "", zone: value("zone"),
                   rule: value("target"), from: iso(start), to: iso(today) };
    if (!params.rule) params.kind = kind();
    var key = null;  // the kiosk's read key, kept by warroom.js (never in a URL)
    try { key = sessionStorage.getItem("geoplots-read-key"); } catch (e) { key = null; }
    fetch("/api/progress" + query(params), { headers: key ? { Authorization: "Bearer " + key } : {} }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (body) {
      if (mine !== generation) return;
      fillPicker(body);
      draw(body);
    }).catch(function (err) {
      root.setAttribute("data-error", String(err));
    });
  }

  function fillPicker(body) {
    if (!picker) return;
    var chosen = picker.value, ends = {};
    body.summary.forEach(function (s) { ends[s.period] = s.end; });
    while (picker.options.length > 1) picker.remove(1);
    body.periods.slice().reverse().forEach(function (p) {
      var option = document.createElement("option");
      option.value = ends[p];
      option.appendChild(document.createTextNode(thaiMonth(p) + " (" + ends[p] + ")"));
      picker.appendChild(option);
    });
    picker.value = chosen;
    if (picker.value !== chosen) picker.value = "";
  }

  function draw(body) {
    while (charts.firstChild) charts.removeChild(charts.firstChild);
    var groups = {};
    body.summary.forEach(function (s) { (groups[s.group] = groups[s.group] || []).push(s); });
    Object.keys(groups).sort(function (a, b) { return a.localeCompare(b, "th", { numeric: true }); })
      .forEach(function (g) { charts.appendChild(chart(g, groups[g])); });
    root.setAttribute("data-drawn", String(Object.keys(groups).length));
  }

  function zoneName(group) {  // as the page names zones: Bangkok by its name
    return group === "central" ? "กรุงเทพมหานคร" : "เขต " + group;
  }

  function chart(group, rows) {
    var figure = document.createElement("figure");
    figure.className = "tl-zone";
    var caption = document.createElement("figcaption");
    var last = rows[rows.length - 1];
    caption.appendChild(document.createTextNode(zoneName(group) + ": " + last.covered + " / " + last.total +
      " (+" + last.newly_covered + " −" + last.fell_back + ")"));
    figure.appendChild(caption);
    var w = 240, h = 70, pad = 4, n = rows.length, top = Math.max(1, last.total);
    rows.forEach(function (r) { top = Math.max(top, r.total, r.covered); });
    var x = function (i) { return pad + (n > 1 ? i * (w - 2 * pad) / (n - 1) : (w - 2 * pad) / 2); };
    var y = function (v) { return h - pad - v * (h - 2 * pad) / top; };
    var svg = el("svg", { viewBox: "0 0 " + w + " " + (h + 14), width: w, height: h + 14, role: "img",
                          "aria-label": "units covered per month, zone " + group });
    // the target line: every unit of the zone covered
    el("line", { x1: pad, x2: w - pad, y1: y(last.total), y2: y(last.total), stroke: TARGET,
                 "stroke-dasharray": "4 3", "stroke-width": 1, "class": "tl-target" }, svg);
    el("polyline", { points: rows.map(function (r, i) { return x(i) + "," + y(r.covered); }).join(" "),
                     fill: "none", stroke: MET, "stroke-width": 2, "class": "tl-covered" }, svg);
    rows.forEach(function (r, i) {
      var dot = el("circle", { cx: x(i), cy: y(r.covered), r: 3, fill: r.fell_back ? FELL : MET }, svg);
      var title = el("title", {}, dot);
      title.appendChild(document.createTextNode(thaiMonth(r.period) + ": " + r.covered + " / " + r.total +
        ", ใหม่ +" + r.newly_covered + ", ตกเกณฑ์ −" + r.fell_back));
      if (i === 0 || i === n - 1) {
        var label = el("text", { x: x(i), y: h + 12, "font-size": 10, "text-anchor": i === 0 ? "start" : "end" }, svg);
        label.appendChild(document.createTextNode(thaiMonth(r.period)));
      }
    });
    figure.appendChild(svg);
    return figure;
  }

  function showSince(cov) {
    if (!since || !cov || !cov.since_last_month) return;
    var covered = 0, before = 0, known = true;
    cov.since_last_month.forEach(function (s) {
      if (s.covered_last_month == null) { known = false; return; }
      covered += s.covered; before += s.covered_last_month;
    });
    var change = covered - before;
    since.textContent = known ? (change >= 0 ? "+" : "−") + Math.abs(change) + " จากเดือนก่อน / since last month" : "–";
  }

  if (picker) {
    picker.addEventListener("change", function () {
      window.geoplotsAsOf = picker.value;
      document.dispatchEvent(new CustomEvent("geoplots:asof", { detail: picker.value }));
    });
  }
  ["zone", "level", "target"].forEach(function (id) {
    var sel = document.getElementById(id);
    if (sel) sel.addEventListener("change", load);
  });
  document.addEventListener("geoplots:refreshed", function (e) { showSince(e.detail); load(); });
  load();
})();
