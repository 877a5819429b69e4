"""``geoplots serve``, ``geoplots demo`` and ``geoplots keys create|list|revoke``."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.errors import GeoplotsError, NoBoundariesError

keys_app = typer.Typer(help="Create, list and revoke API keys of the war-room server.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store: a SQLite/GeoPackage file path or a postgresql:// URL "
                 "(default: $GEOPLOTS_DB, else data/geoplots.gpkg).", show_default=False),
]

#: Zones the demonstration data covers (northeast: Khon Kaen, Udon Thani, Ubon, Nakhon Ratchasima areas).
DEMO_ZONES = ("11", "12", "13", "14")


def _settings(db: str | None, data: Path | None, **more):
    from geoplots.server.settings import Settings

    given = {k: v for k, v in {"db": db, "data": data, **more}.items() if v is not None}
    return Settings(**given)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    data: DataOption = None,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Server processes sharing the port (a PostGIS store only: the SQLite store is "
        "single-process).")] = 1,
) -> None:
    """Run the war-room map server (the store is created on first start)."""
    import uvicorn

    from geoplots.server.app import create_app

    settings = _settings(db, data)
    _check_workers(settings.db, workers)
    shown = f" with {workers} workers" if workers > 1 else ""
    console.print(f"geoplots war room on [bold]http://{host}:{port}/[/]{shown} (store: {_shown(settings.db)})")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    _migrate_once(settings.db)
    # Each worker builds its own app from GEOPLOTS_* variables: this process becomes uvicorn's
    # supervisor with the options in its environment (this process's own is left as it is).
    env = {**os.environ, "GEOPLOTS_DB": settings.db}
    if settings.data is not None:
        env["GEOPLOTS_DATA"] = str(settings.data)
    argv = [sys.executable, "-m", "uvicorn", "geoplots.server.app:create_app", "--factory", "--host", host,
            "--port", str(port), "--workers", str(workers), "--log-level", "info",
            # an open event stream would otherwise hold the shutdown until it ends
            "--timeout-graceful-shutdown", "5"]
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)


#: Why the embedded store refuses several worker processes.
SINGLE_PROCESS = (
    "The SQLite store is single-process: --workers {workers} needs a PostGIS store (--db postgresql://...). "
    "SQLite has one writer at a time, and the live events a batch sends to open war-room pages go "
    "through memory inside one process, so the pages connected to other workers would never hear of it. "
    "Run with --workers 1, or move the records to PostGIS."
)


def _check_workers(db: str, workers: int) -> None:
    """Refuse several workers on a store that only one process may serve."""
    from geoplots.server.store import store_url

    scheme = store_url(db).split("://", 1)[0].lower()
    if workers > 1 and scheme not in ("postgresql", "postgres", "postgis"):
        raise GeoplotsError(SINGLE_PROCESS.format(workers=workers))


def _migrate_once(db: str) -> None:
    """Create or upgrade the schema before the workers start (they would queue on the
    migration lock otherwise), and fail here, once, if the database cannot be reached.
    """
    from geoplots.server.store import open_store

    open_store(db).close()


def _shown(db: str) -> str:
    # never print a database password
    if "://" in db and "@" in db:
        scheme, rest = db.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return db


def _ensure_boundaries(data: Path | None) -> Boundaries:
    """The boundaries in ``data``; the shared COD-AB boundaries are imported there first
    when nothing is imported yet and they are at hand.
    """
    from geoplots.config import data_dir

    root = data_dir(data)
    try:
        return Boundaries.load(root)
    except NoBoundariesError:
        pass
    candidates = [Path.cwd().parent / "shared" / "boundaries" / "cod-ab-tha",
                  Path(__file__).resolve().parents[3] / "shared" / "boundaries" / "cod-ab-tha"]
    for folder in candidates:
        zips = sorted(folder.glob("*.zip"))
        if zips:
            from geoplots import import_boundaries

            console.print(f"Importing boundaries from {folder} into {root} ...")
            import_boundaries(zips, dest=root)
            return Boundaries.load(root)
    raise GeoplotsError(
        f"No boundaries are imported in {root}. Import them first:\n"
        f"  geoplots boundaries import PATH/TO/cod-ab-tha/*.zip --dest {root}"
    )


def build_demo(store, *, zones=DEMO_ZONES, seed: int = 7, boundaries: Boundaries | None = None) -> dict[str, int]:
    """Fill ``store`` with demonstration records on the real boundaries.

    Model-village pins (โก่งธนูโมเดล) in most but not all districts of ``zones``,
    kitchen-garden households (ปลูกผักสวนครัว) of zone 12 with participation spread over
    the KPI tiers, and demonstration plots (โคก หนอง นา) as polygons. Everything goes
    through :func:`geoplots.locate`, as records sent to the server do. Re-running
    replaces the same records (same ids) instead of adding copies.

    Parameters
    ----------
    store : geoplots.server.store.Store
        Where the records go.
    zones : sequence of str
        Inspection zones (เขตตรวจราชการ) that get model-village pins.
    seed : int
        Same seed, same records.
    boundaries : geoplots.Boundaries, optional
        The snapshot the records are drawn in and located on (default: the default import).

    Returns
    -------
    dict
        Records stored per kind.
    """
    from geoplots import synthetic
    from geoplots.boundaries import resolve_boundaries
    from geoplots.locating import locate
    from geoplots.server.store import with_names

    boundaries = resolve_boundaries(boundaries)
    truth = ["subdistrict_code", "district_code", "province_code"]

    def store_kind(frame, kind: str) -> int:
        frame = frame.drop(columns=[c for c in truth if c in frame.columns])
        located = locate(frame, boundaries=boundaries)
        if len(located.accepted):
            store.add_records(with_names(located.accepted), kind=kind)
        return len(located.accepted)

    zone12 = boundaries.zones.codes_in("12")
    counts = {
        "pins": store_kind(synthetic.model_villages(list(zones), share=0.85, seed=seed, boundaries=boundaries),
                           "pins"),
        "households": store_kind(
            synthetic.households(["12"], per_unit=(15, 40), seed=seed, boundaries=boundaries), "households"
        ),
        "plots": store_kind(synthetic.plots(80, codes=zone12, seed=seed, boundaries=boundaries), "plots"),
    }
    return counts


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    db: Annotated[str, typer.Option("--db", help="Store for the demonstration data.")] = "data/demo.gpkg",
    data: DataOption = None,
) -> None:
    """Build a demonstration data set on the real boundaries and serve it."""
    import uvicorn

    from geoplots.server.app import create_app
    from geoplots.server.store import open_store

    boundaries = _ensure_boundaries(data)
    settings = _settings(db, data)
    with open_store(settings.db) as store:
        counts = build_demo(store, boundaries=boundaries)
    console.print("Demonstration data: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    url = f"http://{host}:{port}/"
    console.print(f"War room on [bold]{url}[/]  (coverage map: {url}maps/coverage?zone=12)")
    if not no_browser:
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(settings, boundaries=boundaries), host=host, port=port, log_level="info")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="editor (sends records), inspector (reads) or admin.")],
    zone: Annotated[str | None, typer.Option(help="Limit the key to one inspection zone (เขตตรวจราชการ).")] = None,
    name: Annotated[str, typer.Option(help="Who holds the key, e.g. the office name.")] = "",
    db: DbOption = None,
    qr: Annotated[bool, typer.Option("--qr", help="Also print a QR code of the report page's sign-in link "
                                     "(<url>/report#key=...), for a phone to scan.")] = False,
    url: Annotated[str | None, typer.Option(help="The server's address for the QR link (default: "
                                            "$GEOPLOTS_PUBLIC_URL, else http://127.0.0.1:8000).")] = None,
    qr_png: Annotated[Path | None, typer.Option("--qr-png", help="Write the QR code to this PNG file too "
                                                "(made readable by its owner only: it holds the key).")] = None,
) -> None:
    """Create an API key and print it once (only its hash is stored); ``--qr`` prints the
    field report page's sign-in link as a QR code (the key after ``#``: it never reaches
    the server's logs).
    """
    from geoplots.server.routers.keys import check_zone_name
    from geoplots.server.store import open_store

    settings = _settings(db, None)
    with open_store(settings.db) as store:
        key, secret = store.create_key(role, zone=check_zone_name(zone), name=name)  # type: ignore[arg-type]
    scope = f"zone {key.zone}" if key.zone else "all zones"
    console.print(f"Created key {key.id} ({key.role}, {scope}). Keep it safe; it is not shown again:")
    if key.role == "admin" and key.zone:
        console.print(f"An admin key for zone {key.zone} manages only the editor and inspector keys of "
                      f"zone {key.zone} (it cannot make admin keys or reach other zones' keys).")
    print(secret)
    if qr or qr_png is not None:
        _sign_in_qr(secret, url or settings.public_url or "http://127.0.0.1:8000", qr_png)


def _sign_in_qr(secret: str, base: str, png: Path | None) -> None:
    """Print (and optionally save) the QR code of ``<base>/report#key=<secret>``."""
    import os

    import qrcode

    link = f"{base.rstrip('/')}/report#key={secret}"
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(link)
    code.make(fit=True)
    console.print("Scan with the officer's phone to sign in to the report page (รายงานภาคสนาม):")
    code.print_ascii(invert=True)
    if png is not None:
        with open(os.open(png, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            code.make_image().save(fh)
        console.print(f"QR code written to {png} (it holds the key: hand it over, then delete it).")


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """List API keys (never their secrets)."""
    from geoplots.server.store import open_store

    with open_store(_settings(db, None).db) as store:
        keys = store.list_keys()
    table = Table("id", "role", "zone", "name", "prefix", "created", "revoked")
    for k in keys:
        table.add_row(str(k.id), k.role, k.zone or "all", k.name, k.prefix + "…", k.created_at, "yes" if k.revoked else "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="Key id (see geoplots keys list).")], db: DbOption = None) -> None:
    """Revoke an API key."""
    from geoplots.server.store import open_store

    with open_store(_settings(db, None).db) as store:
        if not store.revoke_key(key_id):
            raise GeoplotsError(f"No key {key_id}. See 'geoplots keys list'.")
    console.print(f"Key {key_id} revoked.")
