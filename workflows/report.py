"""Rendering a report body (Markdown) to sanitised HTML or to PDF, with charts embedded."""

from __future__ import annotations

import base64
from html import escape
import io
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Sequence

import markdown
import matplotlib
import nh3

_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "table", "thead", "tbody", "tr", "th",
         "td", "code", "pre", "blockquote", "br", "hr", "a", "img", "figure", "figcaption", "section"}
_FIXED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#1d2330}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.3rem .6rem;text-align:right}"
          "th:first-child,td:first-child{text-align:left}img{max-width:100%}")


def body_html(text: str) -> str:
    """Markdown to HTML with only harmless tags: CRM text in a report cannot inject scripts."""
    raw = markdown.markdown(text, extensions=["tables"])
    return nh3.clean(raw, tags=_TAGS, attributes={"a": {"href"}, "img": {"src", "alt"}},
                     url_schemes={"http", "https", "data"})


def html_document(title: str, text: str, charts: Sequence[tuple[str, bytes]]) -> str:
    figures = "".join(
        f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"></figure>'
        for caption, png in charts)
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body_html(text)}{figures}</body></html>")


def pdf_document(title: str, text: str, charts: Sequence[tuple[str, bytes]]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creation_date(_FIXED_DATE)  # same report, same bytes
    # DejaVu ships with matplotlib and covers far more than the core fonts' Latin-1 (dashes,
    # accented names, currency signs), so CRM names come out as written.
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("dejavu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.add_font("dejavu", "BI", str(fonts / "DejaVuSans-BoldOblique.ttf"))
    pdf.add_page()
    pdf.set_font("dejavu", size=10)
    pdf.write_html(body_html(text), font_family="dejavu")
    for _caption, png in charts:
        pdf.ln(4)
        pdf.image(io.BytesIO(png), w=170)
    return bytes(pdf.output())
