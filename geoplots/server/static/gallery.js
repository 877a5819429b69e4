/* A unit's photo gallery (/gallery?unit=CODE): asks /api/photos with the key the report
 * page saved on this device (if any); thumbnails come as blobs when a key is needed, so
 * protected reads work. Every text goes in with textContent. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var key = localStorage.getItem("geoplots.key");
  var headers = key ? { "Authorization": "Bearer " + key } : {};

  function image(img, url) {
    if (!key) { img.src = url; return; }
    fetch(url, { headers: headers }).then(function (r) { return r.ok ? r.blob() : null; }).then(function (b) {
      if (b) img.src = URL.createObjectURL(b);
    });
  }
  function show(unit) {
    var list = $("gallery");
    list.textContent = "";
    $("gallery-status").textContent = "…";
    fetch("/api/photos?unit=" + encodeURIComponent(unit), { headers: headers }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.message || r.status); return body; });
    }).then(function (photos) {
      $("gallery-status").textContent = photos.length + " รูป / photos";
      photos.forEach(function (p) {
        var li = document.createElement("li"), fig = document.createElement("figure"), img = document.createElement("img");
        var cap = document.createElement("figcaption"), link = document.createElement("a");
        img.alt = p.name || p.id;
        image(img, p.thumb);
        link.href = p.url; link.appendChild(img);
        cap.textContent = (p.name || "—") + (p.taken_at ? " · " + p.taken_at : "") +
          (p.distance_m !== null && p.distance_m !== undefined ? " · " + Math.round(p.distance_m) + " m" : "");
        fig.appendChild(link); fig.appendChild(cap); li.appendChild(fig); list.appendChild(li);
      });
    }).catch(function (e) { $("gallery-status").textContent = String(e.message || e); });
  }
  $("unit-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var unit = $("unit").value.trim();
    history.replaceState(null, "", "/gallery?unit=" + encodeURIComponent(unit));
    show(unit);
  });
  if ($("unit").value) show($("unit").value);
})();
