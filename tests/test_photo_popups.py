"""Map popups show a record's stored photo (``photo_ids``, from the report page) as a
thumbnail; an id the server did not make never becomes an address."""

from __future__ import annotations

from pathlib import Path

from geoplots.layers.pins import CompactPins, pins, popup_html
from geoplots.synthetic import sample_points

GOOD = "0123456789abcdef0123456789abcdef"


def test_compact_pins_send_thumbnails_of_well_formed_photo_ids_only(tiny_boundaries):
    pts = sample_points(2500, codes=["40"], seed=7, boundaries=tiny_boundaries)
    pts["match"] = "inside"
    hostile = ['["javascript:alert(1)"]', ["../../keys"], [GOOD.upper()], "not json", None]
    pts["photo_ids"] = [[GOOD] if i % 2 == 0 else f'["{GOOD}"]' if i % 3 == 0 else hostile[i % 5]
                        for i in range(len(pts))]
    layer = pins(pts)
    assert isinstance(layer, CompactPins)
    cols = layer.columns
    assert cols["thumbs"] == [f"/photos/{GOOD}/thumb"]
    expected = [0 if (i % 2 == 0 or i % 3 == 0) else -1 for i in range(len(pts))]
    assert cols["thumb"] == expected
    # the popup is built in the browser with DOM methods: no record text becomes HTML
    script = (Path(__file__).resolve().parents[1] / "geoplots/layers/templates/compact_pins.js").read_text()
    assert "innerHTML" not in script and "d.thumbs[d.thumb[i]]" in script


def test_small_popups_show_the_thumbnail():
    row = {"name": "แปลงนายสมชาย", "lat": 16.4, "lon": 102.8, "photo_ids": [GOOD]}
    assert f'<img src="/photos/{GOOD}/thumb"' in popup_html(row)
    row["photo_ids"] = ['"><script>alert(1)</script>']
    html = popup_html(row)
    assert "<img" not in html and "<script>" not in html
