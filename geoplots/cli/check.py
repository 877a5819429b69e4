"""``geoplots check``: read a records file, report what was accepted, fixed and rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from geoplots.cli._app import app, console
from geoplots.readers import KINDS, read_records
from geoplots.writers import write_frame


def _column(role: str, what: str) -> object:
    return typer.Option(f"--{role.replace('_', '-')}", help=f"Column holding {what} (default: found by name).",
                        show_default=False)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Records file: .csv, .xlsx, .geojson, .gpkg, .kml or .kmz.")],
    kind: Annotated[str, typer.Option(help="pins, plots or households.")] = "pins",
    out: Annotated[Path | None, typer.Option("--out", help="Write accepted rows (.csv, .gpkg or .parquet).")] = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write rejected rows with reasons (.csv recommended).")
    ] = None,
    lat: Annotated[str | None, _column("lat", "latitude (or UTM northing)")] = None,
    lon: Annotated[str | None, _column("lon", "longitude (or UTM easting)")] = None,
    coords: Annotated[str | None, _column("coords", "both coordinates, e.g. a Kobo geopoint")] = None,
    zone: Annotated[str | None, _column("zone", "the UTM zone (47 or 48)")] = None,
    id: Annotated[str | None, _column("id", "the record ID")] = None,
    date: Annotated[str | None, _column("date", "the date")] = None,
    area: Annotated[str | None, _column("area", "the area in rai-ngan-wa or rai")] = None,
    subdistrict: Annotated[str | None, _column("subdistrict", "the sub-district (ตำบล/แขวง) name")] = None,
    district: Annotated[str | None, _column("district", "the district (อำเภอ/เขต) name")] = None,
    province: Annotated[str | None, _column("province", "the province (จังหวัด) name")] = None,
    address: Annotated[str | None, _column("address", "a whole address")] = None,
    address_code: Annotated[str | None, _column("address_code", "a DOPA area code")] = None,
    yes_no: Annotated[
        list[str] | None, typer.Option("--yes-no", help="A yes/no column to read as true/false (repeatable).")
    ] = None,
    max_gps_accuracy: Annotated[float | None, typer.Option(
        "--max-gps-accuracy", help="Reject GPS fixes less accurate than this many metres (Kobo/ODK accuracy "
        "column) as gps_inaccurate.", show_default=False)] = None,
    keep_review_rejected: Annotated[bool, typer.Option(
        "--keep-review-rejected", help="Keep submissions a Kobo/ODK reviewer rejected (with a warning) "
        "instead of rejecting them as review_rejected.")] = False,
    sheet: Annotated[str | None, typer.Option(help="Workbook sheet name (default: the first).")] = None,
    layer: Annotated[str | None, typer.Option(help="GeoPackage layer name (when it has several).")] = None,
) -> None:
    """Read FILE, fix what can be fixed, and say how many rows were accepted and why others were rejected."""
    if kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}", param_hint="--kind")
    options: dict[str, Any] = {
        "lat": lat, "lon": lon, "coords": coords, "zone": zone, "id": id, "date": date, "area": area,
        "subdistrict": subdistrict, "district": district, "province": province, "address": address,
        "address_code": address_code,
    }
    options = {k: v for k, v in options.items() if v is not None}
    if yes_no:
        options["yes_no"] = list(yes_no)
    if max_gps_accuracy is not None:
        options["max_gps_accuracy_m"] = max_gps_accuracy
    if keep_review_rejected:
        options["keep_review_rejected"] = True
    if sheet is not None:
        options["sheet"] = sheet
    if layer is not None:
        options["layer"] = layer
    records = read_records(file, kind=kind, **options)
    summary = records.summary()

    table = Table(title=f"{file.name} ({kind})", show_header=False)
    table.add_row("rows read", str(summary["rows_read"]))
    table.add_row("accepted", str(summary["accepted"]))
    table.add_row("rejected", str(summary["rejected"]))
    for reason, count in summary["rejected_by_reason"].items():
        table.add_row(f"  rejected: {reason}", str(count))
    for warning, count in summary["warnings_by_kind"].items():
        table.add_row(f"  warning: {warning}", str(count))
    console.print(table)
    if out is not None:
        console.print(f"accepted rows written to {write_frame(records.accepted, out)}")
    if rejects is not None:
        console.print(f"rejected rows written to {write_frame(records.rejects, rejects)}")
