"""``geoplots map``: a records file drawn as one coverage map (HTML), online or offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.cli._rules import chosen_rule, option_help, read_options, rule_help, rule_options
from geoplots.counting import coverage as compute_coverage
from geoplots.errors import GeoplotsError
from geoplots.levels import parse_level
from geoplots.locating import locate
from geoplots.layers import save_picture
from geoplots.maps import map as build_map
from geoplots.maps import to_html
from geoplots.readers import read_records


def _check_options(out: Path, zone, province, district, min_count: int | None) -> None:
    """Fail on bad options before reading and locating (which can take a while)."""
    if sum(x is not None for x in (zone, province, district)) > 1:
        raise GeoplotsError("Give only one of --zone, --province or --district to fit the map to.")
    if out.suffix.lower() not in (".html", ".htm", ".png", ".pdf"):
        raise GeoplotsError(f"Give --out a name ending in .html (a web page), .png or .pdf (A4 landscape), "
                            f"not {out.name!r}.")
    if min_count is not None and min_count < 0:
        raise GeoplotsError(f"--min must be 0 or more, not {min_count}.")


@app.command("map")
def map_command(
    file: Annotated[Path, typer.Argument(help="Records file: .csv, .xlsx, .geojson, .gpkg or .kml.")],
    out: Annotated[Path, typer.Option("--out", help="Map to write: .html (one self-contained page), or .png / .pdf (A4 landscape, for meetings; needs Chromium).")],
    level: Annotated[str | None, typer.Option(help=option_help("level", "province, district or subdistrict (จังหวัด/อำเภอ/ตำบล)"), show_default=False)] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Show inspection zone (เขตตรวจราชการ) only, e.g. 12.")] = None,
    province: Annotated[str | None, typer.Option("--province", help="Show one province: code (40) or name.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="Show one district: code (4001) or name.")] = None,
    offline: Annotated[bool, typer.Option("--offline/--online", help="--offline (default): Leaflet and plugins written into the page, works with no internet; --online: loaded from CDNs, with an OpenStreetMap basemap unless --tiles says otherwise.")] = True,
    tiles: Annotated[str, typer.Option("--tiles", help="Basemap: 'none', a tile URL .../{z}/{x}/{y}.png, or 'auto' (OpenStreetMap online, none offline).")] = "auto",
    attribution: Annotated[str | None, typer.Option("--tiles-attribution", help="Credit line of a custom tile URL.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help=rule_help())] = None,
    min_count: Annotated[int | None, typer.Option("--min", help=option_help("min_count", "Records a unit needs to count as covered"), show_default=False)] = None,
    column: Annotated[str | None, typer.Option("--column", help=option_help("column", "Yes/no participation column"), show_default=False)] = None,
    data: DataOption = None,
) -> None:
    """Draw coverage, gaps and the records' pins on a map of a zone, province or district."""
    _check_options(out, zone, province, district, min_count)
    chosen = chosen_rule(rule)
    # Checked against the rule before reading and locating: a flag it does not take is an error.
    given = rule_options(chosen, level=None if level is None else parse_level(level), min_count=min_count,
                         column=column)
    boundaries = Boundaries.load(data)
    records = read_records(file, kind=chosen.kind if chosen else "pins", boundaries=boundaries,
                           **read_options(chosen, given))
    # Located once: the same records give the counts and the pins (with their codes in popups).
    located = locate(records, boundaries=boundaries)
    if zone is None and (province is not None or district is not None):
        # Count only the inspection zone the area lies in: quicker, and the summary is about it.
        zone = boundaries.area(province=province, district=district).zone
    if chosen is None:
        result = compute_coverage(located, zone=zone, boundaries=boundaries, **given)
    else:
        result = chosen.run(located, zone=zone, boundaries=boundaries, **given)
    fit_zone = None if (province or district) else zone  # the map fits the smallest area given
    m = build_map(result, located, zone=fit_zone, province=province, district=district, offline=offline,
                  tiles=None if tiles.strip().lower() == "none" else tiles, tiles_attribution=attribution,
                  boundaries=boundaries)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".png", ".pdf"):
        if not offline:
            raise GeoplotsError("PNG and PDF maps are drawn offline; drop --online.")
        save_picture(to_html(m), out)
    else:
        m.save(str(out))
    console.print(f"{len(located.accepted)} of {located.rows_read} rows located; "
                  f"{len(located.rejects)} rejected (list them with geoplots check).")
    for row in result.summary.itertuples():
        console.print(f"{result.by or 'all'} {row.group}: {row.covered}/{row.total} units covered ({row.percent:.1f}%)")
    console.print(f"map written to {out}")
