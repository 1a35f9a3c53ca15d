"""QR codes for join links (printed at the till) and for cards (shown on the card page)."""

from __future__ import annotations

import io
from urllib.parse import urlencode
from uuid import UUID

import segno


def join_url(public_url: str, public_slug: str, *, store_id: UUID | None = None) -> str:
    """The public join URL of a program; with ``store_id``, the store that printed it."""
    query = f"?{urlencode({'store': str(store_id)})}" if store_id else ""
    return f"{public_url}/join/{public_slug}{query}"


def qr_svg(data: str, *, title: str | None = None) -> bytes:
    """A standalone SVG QR code, medium error correction (survives a smudged print)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=8, border=4, title=title)
    return out.getvalue()


def qr_png(data: str) -> bytes:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def inline_svg(data: str, *, title: str) -> str:
    """An SVG element to put inside a page, scaled by CSS (``width: 100%``)."""
    code = segno.make(data, error="m")
    svg: str = code.svg_inline(scale=1, border=2, title=title, omitsize=True)
    return svg
