{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    // Pins as columns: lat/lon and indices into small tables; a popup is built only when
    // it opens, with textContent (record text never becomes HTML).
    var d = {{ this.columns|tojson }};
    var options = {{ this.options|tojson }};
    var map = {{ this._parent.get_name() }};
    window.geoplotsPinsReady = false;
    function row(table, th, td) {
        var tr = document.createElement("tr");
        var a = document.createElement("th"); a.textContent = th;
        a.style.cssText = "text-align:left;padding-right:6px;font-weight:normal;color:#555;";
        var b = document.createElement("td"); b.textContent = td;
        tr.appendChild(a); tr.appendChild(b); table.appendChild(tr);
    }
    function popup(i) {
        var box = document.createElement("div");
        box.className = "geoplots-popup";
        box.style.cssText = "font:13px/1.45 sans-serif;min-width:200px;";
        var name = d.name[i] >= 0 ? d.names[d.name[i]] : null;
        var rid = d.rid ? d.rid[i] : null;
        var title = document.createElement("div");
        title.style.cssText = "font-weight:bold;font-size:14px;";
        title.textContent = name !== null ? name : (rid !== null ? rid : "");
        box.appendChild(title);
        if (rid !== null && rid !== title.textContent) {
            var id = document.createElement("div"); id.textContent = "รหัสรายการ / ID: " + rid; box.appendChild(id);
        }
        var table = document.createElement("table");
        table.style.borderCollapse = "collapse";
        var p = d.place[i];
        if (p >= 0) {
            var place = d.places[p];
            if (place[1]) { row(table, "ตำบล / sub-district", place[1]); }
            if (place[2]) { row(table, "อำเภอ / district", place[2]); }
            if (place[3]) { row(table, "จังหวัด / province", place[3]); }
            row(table, "รหัส / code", place[0]);
            if (place[4]) { row(table, "เขตตรวจ / zone", place[4]); }
        }
        if (d.match[i] >= 0) { row(table, "ระบุตำแหน่ง / match", d.matches[d.match[i]][0]); }
        if (d.dist && d.dist[i] !== null) { row(table, "ระยะ (ม.) / distance m", d.dist[i].toLocaleString("en-US")); }
        box.appendChild(table);
        if (d.flag[i]) {
            var warn = document.createElement("div");
            warn.style.cssText = "color:#b35806;font-weight:bold;margin-top:3px;";
            var decl = d.declared && d.declared[i] >= 0 ? ": " + d.codes[d.declared[i]] : "";
            warn.textContent = "⚠ ที่อยู่ไม่ตรงกับพิกัด / address differs from location" + decl;
            box.appendChild(warn);
        }
        if (d.photo && d.photo[i] >= 0) {
            var url = d.photos[d.photo[i]];
            var link = document.createElement("a");
            link.href = url; link.target = "_blank"; link.rel = "noopener";
            link.textContent = "ภาพถ่าย / photo";
            var img = document.createElement("img");
            img.src = url; img.alt = "photo"; img.loading = "lazy";
            img.style.cssText = "display:block;max-width:160px;max-height:120px;";
            link.appendChild(img);
            var wrap = document.createElement("div"); wrap.style.marginTop = "4px";
            wrap.appendChild(link); box.appendChild(wrap);
        }
        if (d.thumb && d.thumb[i] >= 0) {
            // a stored photo's thumbnail, linked to the photo: built with DOM methods only
            var thumb = d.thumbs[d.thumb[i]];
            var tlink = document.createElement("a");
            tlink.href = thumb.replace(/\/thumb$/, ""); tlink.target = "_blank"; tlink.rel = "noopener";
            var timg = document.createElement("img");
            timg.src = thumb; timg.alt = "ภาพถ่าย / photo"; timg.loading = "lazy";
            timg.style.cssText = "display:block;max-width:160px;max-height:120px;margin-top:4px;";
            tlink.appendChild(timg); box.appendChild(tlink);
        }
        return box;
    }
    // Four shared style objects and one popup for the layer: markers stay cheap.
    var styles = {};
    function style(color, flagged) {
        var key = color + (flagged ? "!" : "");
        if (!styles[key]) {
            styles[key] = {radius: 6, fillOpacity: 0.9, fillColor: color,
                           color: flagged ? {{ this.mismatch_color|tojson }} : "#ffffff", weight: flagged ? 3 : 1};
        }
        return styles[key];
    }
    // All pins go into one supercluster index (a k-d tree per zoom: a fraction of a second
    // for 65,000 pins); only the clusters and pins in view become Leaflet markers, rebuilt
    // when the view changes. Nothing is created for the pins off screen.
    var n = d.lat.length, points = new Array(n);
    for (var i = 0; i < n; i++) {
        points[i] = {type: "Feature", properties: {i: i}, geometry: {type: "Point", coordinates: [d.lon[i], d.lat[i]]}};
    }
    var index = new Supercluster(options).load(points);
    var group = L.featureGroup();
    function pin(i) {
        var color = d.match[i] >= 0 ? d.matches[d.match[i]][1] : {{ this.unlocated_color|tojson }};
        var m = L.circleMarker([d.lat[i], d.lon[i]], style(color, d.flag[i] === 1));
        m._geoplotsRow = i;
        return m;
    }
    function bubble(c) {
        // Leaflet.markercluster's classes, so the neutral cluster colours apply (MapTitle's styles).
        var count = c.properties.point_count;
        var size = count < 10 ? "small" : (count < 100 ? "medium" : "large");
        var icon = L.divIcon({html: "<div><span>" + count.toLocaleString("en-US") + "</span></div>",
                              className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40)});
        var m = L.marker([c.geometry.coordinates[1], c.geometry.coordinates[0]], {icon: icon});
        m._geoplotsCluster = c.properties.cluster_id;
        return m;
    }
    function update() {
        if (!group._map) { return; }
        var b = map.getBounds().pad(0.25);
        var box = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
                   Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
        var found = index.getClusters(box, Math.floor(map.getZoom()));
        var shown = new Array(found.length);
        for (var k = 0; k < found.length; k++) {
            shown[k] = found[k].properties.cluster ? bubble(found[k]) : pin(found[k].properties.i);
        }
        group.clearLayers();
        for (var j = 0; j < shown.length; j++) { group.addLayer(shown[j]); }
        window.geoplotsPinsReady = true;
    }
    group.on("add", function () { map.on("moveend", update); update(); });
    group.on("remove", function () { map.off("moveend", update); });
    group.on("click", function (e) {
        var m = e.layer;
        if (m._geoplotsCluster !== undefined) {
            var zoom = Math.min(index.getClusterExpansionZoom(m._geoplotsCluster), map.getMaxZoom());
            map.setView(m.getLatLng(), zoom);
        } else {
            group.geoplotsOpen(m._geoplotsRow);
        }
    });
    // Open the popup of pin ``i`` (row of the columns), wherever the view is.
    group.geoplotsOpen = function (i) {
        L.popup({maxWidth: 300}).setLatLng([d.lat[i], d.lon[i]]).setContent(popup(i)).openOn(map);
    };
    group.geoplotsIndex = index;
    return group;
})();
{%- if this.show %}
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{%- endif %}
{% endmacro %}
