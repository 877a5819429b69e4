{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var opts = {{ this.options_json() }};
    function unpack(packed) {
        // Integer deltas back to coordinates (see geoplots.layers._geojson.pack_polygons).
        var s = packed.scale, cols = Object.keys(packed.props);
        return {type: "FeatureCollection", features: packed.geoms.map(function (polys, i) {
            var props = {};
            cols.forEach(function (c) { props[c] = packed.props[c][i]; });
            var coordinates = polys.map(function (rings) {
                return rings.map(function (r) {
                    var out = [], x = 0, y = 0;
                    for (var k = 0; k < r.length; k += 2) { x += r[k]; y += r[k + 1]; out.push([x / s, y / s]); }
                    return out;
                });
            });
            return {type: "Feature", properties: props, geometry: {type: "MultiPolygon", coordinates: coordinates}};
        })};
    }
    function style(feature) {
        var key = opts.key ? feature.properties[opts.key] : null;
        return (key !== null && key !== undefined && opts.styles[String(key)]) || opts.styles._default || {};
    }
    function tooltip(layer) {
        // Built with DOM nodes, so names with < or & are shown as typed, never as markup.
        var p = layer.feature.properties, table = document.createElement("table");
        table.className = "geoplots-tooltip";
        opts.tooltip.forEach(function (row) {
            var value = p[row[0]];
            if (row[2] && value !== null && value !== undefined && row[2][String(value)]) { value = row[2][String(value)]; }
            if (value === null || value === undefined || value === "") { return; }
            var tr = table.insertRow();
            var th = document.createElement("th");
            th.textContent = row[1];
            tr.appendChild(th);
            tr.insertCell().textContent = value;
        });
        return table;
    }
    var group = L.geoJson(unpack({{ this.data_json() }}), {style: style, interactive: opts.interactive !== false});
    if (opts.labels) {
        // Permanent labels (e.g. the names of gap units at zone zoom), set as text.
        group.eachLayer(function (layer) {
            var text = layer.feature.properties[opts.labels];
            if (text !== null && text !== undefined && text !== "") {
                // A string tooltip is inserted as HTML by Leaflet: pass an element holding a text node.
                var label = document.createElement("span");
                label.textContent = String(text);
                layer.bindTooltip(label, {permanent: true, direction: "center", className: "geoplots-label",
                                                 interactive: false});
            }
        });
    }
    // On the group only: as a geoJson option every polygon would add it again, and each
    // addition redraws the attribution control (seconds with thousands of units).
    if (opts.attribution) { group.options.attribution = opts.attribution; }
    // One tooltip and one pair of hover handlers on the group, not one per feature:
    // events from a feature reach the group, which matters with thousands of units.
    if (opts.tooltip.length && opts.interactive !== false) { group.bindTooltip(tooltip, {sticky: true}); }
    if (opts.highlight && opts.interactive !== false) {
        group.on({
            mouseover: function (e) { e.layer.setStyle(opts.highlight); },
            mouseout: function (e) { group.resetStyle(e.layer); }
        });
    }
    return group;
})();
{%- if this.show %}
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{%- endif %}
{% endmacro %}
