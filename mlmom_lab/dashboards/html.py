"""Small HTML pieces of the dashboards: tables and notes, escaped, in the theme's colours."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

OK, BAD, MUTED = "#2e7d32", "#c62828", "#616161"


def table(header: list[str], rows: Iterable[list[Any]], css: str = "") -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 10px'>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:2px 10px'>{cell}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table class='{css}' style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def verdict(bad: bool, yes: str = "DRIFT", no: str = "ok") -> str:
    colour = BAD if bad else OK
    return f"<b style='color:{colour}'>{yes if bad else no}</b>"


def note(text: str, css: str = "") -> str:
    return f"<p class='{css}' style='color:{MUTED};margin:4px 0'>{escape(text)}</p>"


def number(value: Any, digits: int = 4) -> str:
    return (
        "-"
        if value is None
        else f"{value:.{digits}g}"
        if isinstance(value, float)
        else escape(str(value))
    )
