/* The field report page (/report): sign in once, find the position, fill the form, queue,
 * send (report-queue.js), show what the server decided. No inline script, no innerHTML
 * from data: every text from the server or the officer goes in with textContent.
 */
/* global L, GeoplotsQueue */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var T = {
    th: {
      title: "รายงานภาคสนาม", signin: "เข้าสู่ระบบ", signin_help: "วางรหัส API ที่ได้รับ หรือสแกน QR code จากผู้ดูแลระบบ",
      key: "รหัส API", signin_button: "เข้าสู่ระบบ", officer: "ผู้รายงาน", zone: "เขตตรวจราชการ", signout: "ออกจากระบบ",
      all_zones: "ทุกเขต", where: "ตำแหน่ง", mode_gps: "GPS", mode_map: "แตะแผนที่", mode_address: "ที่อยู่",
      subdistrict: "ตำบล (พิมพ์ชื่อแล้วเลือก)", what: "รายละเอียด", kind: "โครงการ",
      kind_pins: "โคก หนอง นา / หมู่บ้านโมเดล", kind_households: "ครัวเรือนปลูกผักสวนครัว",
      name: "ชื่อ (แปลง / ครัวเรือน)", moo: "หมู่ที่", status: "สถานะ", status_in_progress: "กำลังดำเนินการ",
      status_done: "เสร็จแล้ว", status_problem: "มีปัญหา", has_garden: "ปลูกผักสวนครัว", yes: "มี", no: "ไม่มี",
      members: "จำนวนสมาชิกในครัวเรือน (คน)", area_rai: "พื้นที่ (ไร่)", note: "หมายเหตุ", photos: "รูปถ่าย",
      camera: "ถ่ายรูป", choose: "เลือกรูป", remove: "ลบรูป", send: "ส่งรายงาน", send_anyway: "ส่งต่อไป",
      queue: "รายงานที่ส่ง", online: "ออนไลน์", offline: "ออฟไลน์",
      gps_wait: "กำลังหาตำแหน่ง GPS…", gps_fix: "ตำแหน่ง GPS ±{m} ม.", gps_poor: "(ยังไม่แม่นยำ รอสักครู่)",
      gps_error: "ใช้ GPS ไม่ได้: {e} ใช้แผนที่หรือที่อยู่แทน", map_tap: "แตะแผนที่ที่ตำแหน่งของแปลง",
      map_set: "ตำแหน่งที่แตะ: {lat}, {lon}", need_place: "ยังไม่มีตำแหน่ง: รอ GPS แตะแผนที่ หรือเลือกตำบล",
      need_subdistrict: "เลือกตำบลจากรายการ", confirm_accuracy: "GPS แม่นยำเพียง ±{m} ม. (เกณฑ์ {t} ม.) ยืนยันส่งตำแหน่งนี้?",
      waiting: "รอส่ง", sending: "กำลังส่ง", sent: "ส่งแล้ว", refused: "ไม่รับ", located: "อยู่ใน ต.{s} อ.{d} จ.{p}",
      photo_count: "รูป {n} รูป", summary: "รอส่ง {w} · ส่งแล้ว {s} · ไม่รับ {r}", bad_key: "รหัสไม่ถูกต้อง: {e}",
      no_write: "รหัสนี้ส่งรายงานไม่ได้ (สิทธิ์อ่านอย่างเดียว)", queued: "บันทึกไว้ในเครื่องแล้ว จะส่งเมื่อมีสัญญาณ"
    },
    en: {
      title: "Field report", signin: "Sign in", signin_help: "Paste the API key you were given, or scan the administrator's QR code.",
      key: "API key", signin_button: "Sign in", officer: "Officer", zone: "Inspection zone", signout: "Sign out",
      all_zones: "all zones", where: "Position", mode_gps: "GPS", mode_map: "Tap the map", mode_address: "Address",
      subdistrict: "Sub-district (type, then choose)", what: "Details", kind: "Programme",
      kind_pins: "Khok Nong Na / model village", kind_households: "Household kitchen garden",
      name: "Name (plot / household)", moo: "Village no. (moo)", status: "Status", status_in_progress: "In progress",
      status_done: "Done", status_problem: "Problem", has_garden: "Kitchen garden", yes: "Yes", no: "No",
      members: "Household members", area_rai: "Area (rai)", note: "Note", photos: "Photos",
      camera: "Take photo", choose: "Choose photos", remove: "Remove", send: "Send report", send_anyway: "Send anyway",
      queue: "Sent reports", online: "online", offline: "offline",
      gps_wait: "Finding the GPS position…", gps_fix: "GPS position ±{m} m", gps_poor: "(not accurate yet, wait)",
      gps_error: "GPS unavailable: {e}. Use the map or the address.", map_tap: "Tap the map where the plot is",
      map_set: "Tapped position: {lat}, {lon}", need_place: "No position yet: wait for GPS, tap the map or choose a sub-district",
      need_subdistrict: "Choose a sub-district from the list", confirm_accuracy: "GPS accurate to ±{m} m only (threshold {t} m). Send this position?",
      waiting: "waiting", sending: "sending", sent: "sent", refused: "refused", located: "in {s}, {d}, {p}",
      photo_count: "{n} photo(s)", summary: "waiting {w} · sent {s} · refused {r}", bad_key: "Key not accepted: {e}",
      no_write: "This key cannot send reports (read only)", queued: "Kept on the phone; sent when there is signal"
    }
  };
  var lang = localStorage.getItem("geoplots.lang") || "th";
  var threshold = parseFloat(document.body.getAttribute("data-accuracy-m")) || 30;
  var state = { key: null, me: null, fix: null, tapped: null, photos: [], units: [], confirmed: false };
  var mapView = null, marker = null, watch = null;

  function t(name, values) {
    var text = (T[lang] && T[lang][name]) || T.th[name] || name;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(values[k])); });
    return text;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // -- language ---------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (node) { node.textContent = t(node.getAttribute("data-t")); });
    $("lang").textContent = lang === "th" ? "English" : "ไทย";
    $("lang").lang = lang === "th" ? "en" : "th";
    document.title = t("title");
    showNet(); showFix(); renderQueue(); showOfficer();
  }
  $("lang").addEventListener("click", function () {
    lang = lang === "th" ? "en" : "th";
    localStorage.setItem("geoplots.lang", lang);
    applyLanguage();
  });

  function showNet() {
    var on = navigator.onLine;
    $("net").setAttribute("data-state", on ? "online" : "offline");
    $("net").textContent = on ? t("online") : t("offline");
  }

  // -- signing in -------------------------------------------------------------
  function keyFromAddress() {
    // The QR code's link carries the key after '#': never sent to the server, removed at once.
    var match = /(?:^#|&)key=([^&]+)/.exec(location.hash || "");
    if (!match) return null;
    history.replaceState(null, "", location.pathname + location.search);
    return decodeURIComponent(match[1]);
  }
  function api(path) {
    return fetch(path, { headers: { "Authorization": "Bearer " + state.key } }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) { var e = new Error(body && body.message || ("HTTP " + res.status)); e.status = res.status; throw e; }
        return body;
      });
    });
  }
  function signIn(key) {
    state.key = key;
    return api("/api/report/me").then(function (me) {
      state.me = me;
      if (me.accuracy_m) threshold = me.accuracy_m;
      localStorage.setItem("geoplots.key", key);
      localStorage.setItem("geoplots.me", JSON.stringify(me));
      return GeoplotsQueue.setSetting("key", key).then(function () { showSignedIn(); loadUnits(); sendNow(); });
    }, function (err) {
      var kept = localStorage.getItem("geoplots.me");
      if (err.status === undefined || err.status === 503) {  // no network: the page works from what it kept
        if (kept) { state.me = JSON.parse(kept); showSignedIn(); loadUnits(); return; }
      }
      state.key = null;
      $("signin").hidden = false;
      $("signin-error").textContent = t("bad_key", { e: err.message });
    });
  }
  function showOfficer() {
    if (!state.me) return;
    $("officer-name").textContent = state.me.name || "—";
    $("officer-zone").textContent = state.me.zone || t("all_zones");
  }
  function showSignedIn() {
    $("signin").hidden = true;
    $("officer").hidden = false;
    $("queue-box").hidden = false;
    showOfficer();
    $("report").hidden = !state.me.can_write;
    if (!state.me.can_write) $("signin-error").textContent = t("no_write");
    startGps();
  }
  $("signin-button").addEventListener("click", function () {
    var key = $("key").value.trim();
    if (key) signIn(key);
  });
  $("signout").addEventListener("click", function () {
    localStorage.removeItem("geoplots.key"); localStorage.removeItem("geoplots.me");
    GeoplotsQueue.setSetting("key", null);
    state.key = null; state.me = null;
    $("officer").hidden = true; $("report").hidden = true; $("signin").hidden = false;
  });

  // -- where: GPS, a tap on the map, or an address ------------------------------
  function mode() { return document.querySelector("input[name=mode]:checked").value; }
  function showFix() {
    var box = $("gps-status");
    if (!box) return;
    if (!state.fix) { box.textContent = state.gpsError ? t("gps_error", { e: state.gpsError }) : t("gps_wait"); box.setAttribute("data-quality", "none"); return; }
    var m = Math.round(state.fix.accuracy);
    var poor = state.fix.accuracy > threshold;
    box.textContent = state.fix.lat.toFixed(6) + ", " + state.fix.lon.toFixed(6) + " · " + t("gps_fix", { m: m }) + (poor ? " " + t("gps_poor") : "");
    box.setAttribute("data-quality", poor ? "poor" : "good");
  }
  function startGps() {
    if (watch !== null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition(function (pos) {
      // the newest fix, with its accuracy shown: it improves while the phone listens
      state.fix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy };
      state.gpsError = null;
      showFix();
    }, function (err) { state.gpsError = err.message || String(err.code); showFix(); },
    { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
  }
  function showMap() {
    if (mapView || typeof L === "undefined") { if (mapView) mapView.invalidateSize(); return; }
    var start = state.fix ? [state.fix.lat, state.fix.lon] : [15.5, 101.0];
    mapView = L.map("map", { attributionControl: false }).setView(start, state.fix ? 15 : 6);
    $("map-status").textContent = t("map_tap");
    mapView.on("click", function (e) {
      state.tapped = { lat: e.latlng.lat, lon: e.latlng.lng };
      if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(mapView);
      $("map-status").textContent = t("map_set", { lat: e.latlng.lat.toFixed(6), lon: e.latlng.lng.toFixed(6) });
    });
    if (state.me && state.me.zone !== undefined) {
      api("/api/coverage?level=district&format=geojson" + (state.me.zone ? "&zone=" + encodeURIComponent(state.me.zone) : ""))
        .then(function (c) {
          if (!c.geojson) return;
          var layer = L.geoJSON(c.geojson, { style: { color: "#333333", weight: 1, fill: false }, interactive: false }).addTo(mapView);
          if (!state.fix) mapView.fitBounds(layer.getBounds());
        }).catch(function () { /* no outlines offline: the tap still works */ });
    }
  }
  document.querySelectorAll("input[name=mode]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      $("gps-box").hidden = mode() !== "gps";
      $("map-box").hidden = mode() !== "map";
      $("address-box").hidden = mode() !== "address";
      if (mode() === "map") showMap();
    });
  });
  function loadUnits() {
    return api("/api/report/units").then(function (units) {
      try { localStorage.setItem("geoplots.units", JSON.stringify(units)); } catch (e) { /* full: kept by the worker */ }
      return units;
    }, function () { return JSON.parse(localStorage.getItem("geoplots.units") || "[]"); }).then(function (units) {
      state.units = units;
      var list = $("subdistricts");
      list.textContent = "";
      units.forEach(function (u) { list.appendChild(el("option", null)).value = label(u); });
      return renderQueue();
    });
  }
  function label(u) { return u.name + " · " + u.district + " · " + u.province; }
  function unitByCode(code) { return state.units.filter(function (u) { return u.code === code; })[0]; }

  // -- photos: resized on the phone, the camera's EXIF (GPS, time) kept -------------
  function addPhotos(files) {
    Array.prototype.forEach.call(files, function (file) {
      resize(file).then(function (blob) { state.photos.push(blob); renderPreviews(); })
        .catch(function (e) { $("form-error").textContent = String(e && e.message || e); });
    });
  }
  $("camera").addEventListener("change", function (e) { addPhotos(e.target.files); e.target.value = ""; });
  $("gallery").addEventListener("change", function (e) { addPhotos(e.target.files); e.target.value = ""; });

  function resize(file) {
    return Promise.all([createImageBitmap(file, { imageOrientation: "from-image" }), file.arrayBuffer()]).then(function (got) {
      var bitmap = got[0], scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); }).then(function (blob) {
        return withExif(got[1], blob);
      });
    });
  }
  /* Put the original's EXIF (GPS position, time) into the resized JPEG, orientation set to
     1 since the canvas already turned the pixels: the server checks the photo's position. */
  function withExif(original, resized) {
    var app1 = exifSegment(new Uint8Array(original));
    if (!app1) return Promise.resolve(resized);
    return resized.arrayBuffer().then(function (buf) {
      var jpg = new Uint8Array(buf);
      return new Blob([jpg.subarray(0, 2), app1, jpg.subarray(2)], { type: "image/jpeg" });
    });
  }
  function exifSegment(b) {
    if (b[0] !== 0xFF || b[1] !== 0xD8) return null;
    var i = 2;
    while (i + 4 < b.length && b[i] === 0xFF) {
      var marker = b[i + 1], len = (b[i + 2] << 8) | b[i + 3];
      if (marker === 0xE1 && b[i + 4] === 0x45 && b[i + 5] === 0x78 && b[i + 6] === 0x69 && b[i + 7] === 0x66) {
        var seg = b.slice(i, i + 2 + len);
        uprightExif(seg);
        return seg;
      }
      if (marker === 0xDA) break;
      i += 2 + len;
    }
    return null;
  }
  function uprightExif(seg) {
    var tiff = 10, little = seg[tiff] === 0x49;
    var u16 = function (o) { return little ? seg[o] | (seg[o + 1] << 8) : (seg[o] << 8) | seg[o + 1]; };
    var u32 = function (o) { return little ? (seg[o] | (seg[o + 1] << 8) | (seg[o + 2] << 16)) + seg[o + 3] * 16777216 : seg[o] * 16777216 + ((seg[o + 1] << 16) | (seg[o + 2] << 8) | seg[o + 3]); };
    var ifd = tiff + u32(tiff + 4);
    if (ifd + 2 > seg.length) return;
    for (var n = u16(ifd), e = ifd + 2; n > 0 && e + 12 <= seg.length; n--, e += 12) {
      if (u16(e) === 0x0112) { if (little) { seg[e + 8] = 1; seg[e + 9] = 0; } else { seg[e + 8] = 0; seg[e + 9] = 1; } }
    }
  }
  function renderPreviews() {
    var list = $("previews");
    list.textContent = "";
    state.photos.forEach(function (blob, i) {
      var li = el("li"), img = el("img"), url = URL.createObjectURL(blob);
      img.src = url; img.alt = t("photos") + " " + (i + 1);
      img.addEventListener("load", function () { URL.revokeObjectURL(url); });
      var remove = el("button", "small", t("remove"));
      remove.type = "button";
      remove.addEventListener("click", function () { state.photos.splice(i, 1); renderPreviews(); });
      li.appendChild(img); li.appendChild(remove); list.appendChild(li);
    });
  }

  // -- the report -------------------------------------------------------------
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function place() {
    var m = mode();
    if (m === "gps") {
      if (!state.fix) throw new Error(t("need_place"));
      if (state.fix.accuracy > threshold && !state.confirmed) {
        $("confirm-text").textContent = t("confirm_accuracy", { m: Math.round(state.fix.accuracy), t: threshold });
        $("confirm-box").hidden = false;
        return null;
      }
      return { lat: +state.fix.lat.toFixed(7), lon: +state.fix.lon.toFixed(7), gps_accuracy_m: Math.round(state.fix.accuracy), located_by: "gps" };
    }
    if (m === "map") {
      if (!state.tapped) throw new Error(t("need_place"));
      return { lat: +state.tapped.lat.toFixed(7), lon: +state.tapped.lon.toFixed(7), located_by: "map" };
    }
    var typed = $("subdistrict").value.trim();
    var unit = state.units.filter(function (u) { return label(u) === typed || u.code === typed; })[0];
    if (!unit) throw new Error(t("need_subdistrict"));
    return { subdistrict_code: unit.code, located_by: "address" };
  }
  function buildRecord(where) {
    var record = { id: uuid(), name: $("name").value.trim(), status: $("status").value, reported_at: new Date().toISOString() };
    Object.keys(where).forEach(function (k) { record[k] = where[k]; });
    var moo = $("moo").value.trim(), members = $("members").value, area = $("area_rai").value, note = $("note").value.trim();
    var garden = document.querySelector("input[name=has_garden]:checked");
    if (moo) record.moo = moo;
    if (garden) record.has_garden = garden.value;
    if (members !== "") record.members = Number(members);
    if (area !== "") record.area_rai = Number(area);
    if (note) record.note = note;
    return record;
  }
  function submit() {
    $("form-error").textContent = "";
    var where;
    try { where = place(); } catch (e) { $("form-error").textContent = e.message; return; }
    if (!where) return;  // waiting for the officer to confirm a poor GPS fix
    $("confirm-box").hidden = true;
    state.confirmed = false;
    var kind = $("kind").value, record = buildRecord(where);
    var item = { id: record.id, created: new Date().toISOString(), kind: kind, record: record,
      yesNo: record.has_garden ? "has_garden" : null, photos: state.photos.slice(), state: "waiting" };
    GeoplotsQueue.put(item).then(function () {
      state.photos = []; renderPreviews();
      ["name", "moo", "members", "area_rai", "note"].forEach(function (id) { $(id).value = ""; });
      document.querySelectorAll("input[name=has_garden]").forEach(function (r) { r.checked = false; });
      $("queue-summary").textContent = t("queued");
      return renderQueue();
    }).then(sendNow);
  }
  $("report").addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  $("confirm-send").addEventListener("click", function () { state.confirmed = true; submit(); });

  // -- the queue: sent now when online, else by Background Sync or when the network returns
  function sendNow() {
    if (!navigator.onLine) return askSync();
    return GeoplotsQueue.sendAll().then(renderQueue, renderQueue);
  }
  function askSync() {
    if (!("serviceWorker" in navigator)) return Promise.resolve();
    return navigator.serviceWorker.ready.then(function (reg) {
      return reg.sync ? reg.sync.register("geoplots-report") : null;
    }).catch(function () { return null; });
  }
  function renderQueue() {
    return GeoplotsQueue.all().then(function (items) {
      var list = $("queue"), counts = { waiting: 0, sent: 0, refused: 0 };
      list.textContent = "";
      items.forEach(function (item) {
        var st = item.state === "sending" ? "waiting" : item.state;
        counts[st] = (counts[st] || 0) + 1;
        var li = el("li");
        li.setAttribute("data-state", item.state);
        li.setAttribute("data-id", item.id);
        li.appendChild(el("div", "state", t(item.state) + " · " + new Date(item.created).toLocaleString(lang === "th" ? "th-TH" : "en-GB")));
        li.appendChild(el("div", "what", (item.record.name || "—") + " · " + t("photo_count", { n: (item.photos || []).length })));
        if (item.state === "sent" && item.answer) {
          var a = item.answer, u = unitByCode(a.subdistrict_code);
          li.appendChild(el("div", "located", t("located", { s: u ? u.name : a.subdistrict_code, d: u ? u.district : a.district_code, p: u ? u.province : a.province_code })));
          (a.warnings || []).forEach(function (w) { li.appendChild(el("div", "warning", w.message)); });
        }
        if (item.state === "refused") li.appendChild(el("div", "reason", item.reason));
        list.appendChild(li);
      });
      $("queue-summary").textContent = t("summary", { w: counts.waiting, s: counts.sent, r: counts.refused });
    });
  }

  window.addEventListener("online", function () {
    showNet();
    if (state.key && !state.units.length) loadUnits();
    sendNow();
  });
  window.addEventListener("offline", showNet);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/report-sw.js", { scope: "/report" }).catch(function (e) { console.warn("service worker: " + e); });
    navigator.serviceWorker.addEventListener("message", function (e) { if (e.data && e.data.type === "queue") renderQueue(); });
  }

  // -- start ------------------------------------------------------------------
  applyLanguage();
  var key = keyFromAddress() || localStorage.getItem("geoplots.key");
  if (key) signIn(key); else $("signin").hidden = false;
  renderQueue();
})();
