function (row) {
    // row: [lat, lon, popup HTML (escaped by popup_html), fill colour, address mismatch]
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 6, fillColor: row[3], fillOpacity: 0.9,
        color: row[4] ? {{ mismatch_color|tojson }} : "#ffffff", weight: row[4] ? 3 : 1
    });
    marker.bindPopup(row[2], {maxWidth: 300});
    return marker;
}
