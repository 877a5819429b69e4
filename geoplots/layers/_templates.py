"""Jinja templates of the layers, loaded from ``geoplots/layers/templates/``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from folium.template import Template


@cache
def template(name: str) -> Template:
    """Return the folium (Jinja) template ``templates/<name>``."""
    text = files("geoplots.layers").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)
