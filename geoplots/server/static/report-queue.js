/* The report queue (IndexedDB), shared by the /report page and its service worker.
 *
 * Every report is kept on the phone until the server has answered it: waiting (not sent
 * yet, or the network or server failed: tried again), sending (claimed by the page or
 * the service worker, atomically, so one report is never posted by both at once), sent
 * (the server's answer kept), refused (the server's reason kept). A report carries an id
 * made on the phone, so even a report posted twice (an answer lost on the way) is
 * stored once by the server.
 */
(function (global) {
  "use strict";
  var DB = "geoplots-report", VERSION = 1;
  var STALE_MS = 60000;  // a "sending" claim older than this was interrupted: send again

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("queue")) db.createObjectStore("queue", { keyPath: "id" });
        if (!db.objectStoreNames.contains("settings")) db.createObjectStore("settings", { keyPath: "k" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(storeName, mode);
        var out = work(t.objectStore(storeName));
        t.oncomplete = function () { db.close(); resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { db.close(); reject(t.error); };
        t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return tx("queue", "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created < b.created ? 1 : -1; });
    });
  }
  function put(item) { return tx("queue", "readwrite", function (s) { s.put(item); }); }
  function remove(id) { return tx("queue", "readwrite", function (s) { s.delete(id); }); }
  function setSetting(k, v) { return tx("settings", "readwrite", function (s) { s.put({ k: k, v: v }); }); }
  function getSetting(k) {
    return tx("settings", "readonly", function (s) { return s.get(k); }).then(function (r) { return r ? r.v : null; });
  }

  /* Claim one waiting report for sending, in one transaction: true if this caller got it. */
  function claim(id) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("queue", "readwrite"), s = t.objectStore("queue"), got = false;
        var req = s.get(id);
        req.onsuccess = function () {
          var item = req.result;
          var stale = item && item.state === "sending" && Date.now() - (item.claimed || 0) > STALE_MS;
          if (item && (item.state === "waiting" || stale)) {
            item.state = "sending"; item.claimed = Date.now(); s.put(item); got = true;
          }
        };
        t.oncomplete = function () { db.close(); resolve(got); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function update(id, change) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("queue", "readwrite"), s = t.objectStore("queue");
        var req = s.get(id);
        req.onsuccess = function () { if (req.result) s.put(Object.assign(req.result, change)); };
        t.oncomplete = function () { db.close(); resolve(); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  /* What the server's answer means for the report: sent, refused (with why) or try later. */
  function outcome(status, body) {
    var row = body && body.rows && body.rows[0];
    if (status === 201 && row && row.status === "accepted") {
      return { state: "sent", answer: row, answered: new Date().toISOString() };
    }
    if (status === 429 || status >= 500 || status === 0) return { state: "waiting", note: "retry" };
    var reason = (row && row.status === "rejected" && row.message) || (body && body.message) || ("HTTP " + status);
    return { state: "refused", reason: String(reason), error: body && body.error, answered: new Date().toISOString() };
  }

  function post(item, key) {
    var form = new FormData();
    form.append("record", JSON.stringify(item.record));
    (item.photos || []).forEach(function (blob, i) { form.append("photo", blob, "photo-" + (i + 1) + ".jpg"); });
    var url = "/api/pins?kind=" + encodeURIComponent(item.kind) + (item.yesNo ? "&yes_no=" + encodeURIComponent(item.yesNo) : "");
    return fetch(url, { method: "POST", headers: { "Authorization": "Bearer " + key }, body: form })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (body) { return outcome(res.status, body); });
      }, function () { return { state: "waiting", note: "offline" }; });
  }

  /* Send every waiting report once; resolves to how many changed state. */
  var running = null;
  function sendAll() {
    if (running) return running;
    running = Promise.all([all(), getSetting("key")]).then(function (got) {
      var items = got[0].filter(function (i) { return i.state === "waiting" || i.state === "sending"; }), key = got[1];
      if (!key || !items.length) return 0;
      var changed = 0;
      return items.reverse().reduce(function (chain, item) {
        return chain.then(function () {
          return claim(item.id).then(function (mine) {
            if (!mine) return null;
            return post(item, key).then(function (result) {
              if (result.state !== "waiting") changed += 1;
              result.claimed = 0;
              return update(item.id, result);
            });
          });
        });
      }, Promise.resolve()).then(function () { return changed; });
    }).finally(function () { running = null; });
    return running;
  }

  global.GeoplotsQueue = {
    open: open, all: all, put: put, remove: remove, update: update, sendAll: sendAll,
    setSetting: setSetting, getSetting: getSetting, outcome: outcome
  };
})(self);
