"""Numbered SQL migrations shipped with the package, shared by every store.

Each backend keeps its schema as files ``migrations/<folder>/NNNN_name.sql``: applied in
order, each once, and recorded by the store that applies them. A file that has shipped
is never edited; a change of schema is a new file with the next number.
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

__all__ = ["packaged", "split_sql"]

_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


def packaged(folder: str) -> list[tuple[int, str, str]]:
    """Return the migrations in ``migrations/<folder>`` as (number, name, sql), in order.

    Examples
    --------
    >>> [n for n, _, _ in packaged("sqlite")][:2]
    [1, 2]
    """
    root = resources.files("geoplots.server.store") / "migrations" / folder
    found = []
    for entry in root.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers) or (numbers and numbers[0] != 1):
        # A duplicate number would apply two schema steps as one; the first must be 0001.
        raise RuntimeError(f"migrations/{folder} must be numbered from 0001, each number once: {numbers}")
    # A gap is allowed: numbers are reserved per feature (photos took sqlite 0005 while
    # record versions, 0004, were still being written), and a number applied later is
    # still applied, since stores apply every packaged number they have not recorded.
    return found


def split_sql(script: str) -> list[str]:
    """Split a SQL script into complete statements (semicolons inside strings and
    trigger bodies kept).

    ``sqlite3.executescript`` would COMMIT the migration's transaction, so SQLite
    statements are run one by one instead.

    Examples
    --------
    >>> split_sql("CREATE TABLE a (x TEXT DEFAULT ';');\\nINSERT INTO a VALUES ('b');")
    ["CREATE TABLE a (x TEXT DEFAULT ';');", "INSERT INTO a VALUES ('b');"]
    """
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf)
            buf = ""
    if buf.strip():
        out.append(buf)
    return [s.strip() for s in out if s.strip() and not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())
