{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", "geoplots-legend-control");
    div.innerHTML = {{ this.html_json() }};
    return div;
};
(function () {
    var map = {{ this.layer._parent.get_name() }}, layer = {{ this.layer.get_name() }};
    if (map.hasLayer(layer)) { {{ this.get_name() }}.addTo(map); }
    map.on("overlayadd", function (e) { if (e.layer === layer) { {{ this.get_name() }}.addTo(map); } });
    map.on("overlayremove", function (e) { if (e.layer === layer) { {{ this.get_name() }}.remove(); } });
})();
{% endmacro %}
