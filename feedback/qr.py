"""QR codes of links, for print: dark modules on white, with the quiet zone a scanner needs.

A table card gets coffee rings and a counter flyer gets taped over, so the codes use error
correction level Q (a quarter of the code may be unreadable), raised further when the link fits
at the same size anyway.
"""

from __future__ import annotations

import io

import segno

# Level Q recovers ~25 % of damaged modules; segno raises it to H when the code stays as small.
ERROR_CORRECTION = "q"
# Four modules of white on every side, as the QR standard (ISO/IEC 18004) requires.
QUIET_ZONE = 4
DARK, LIGHT = "#000000", "#ffffff"
# PNG pixels per module: about 350 px for a link, sharp enough for a screen or a print shop.
PNG_SCALE = 10


def qr_code(url: str) -> segno.QRCode:
    """The QR code of `url` (never a Micro QR code: not every phone's camera reads those)."""
    return segno.make_qr(url, error=ERROR_CORRECTION)


def qr_svg(url: str, *, inline: bool = False) -> str:
    """The code as SVG markup. `inline` for an HTML page: no XML declaration and no fixed size (the
    page's stylesheet sizes it); otherwise a file to download, 1 mm a module."""
    buffer = io.BytesIO()
    qr_code(url).save(
        buffer,
        kind="svg",
        border=QUIET_ZONE,
        dark=DARK,
        light=LIGHT,
        title=f"QR code of {url}",
        xmldecl=not inline,
        omitsize=inline,
        unit="" if inline else "mm",
        svgclass="qr-code",
        lineclass=None,
    )
    return buffer.getvalue().decode()


def qr_png(url: str, *, scale: int = PNG_SCALE) -> bytes:
    """The code as a PNG image, `scale` pixels a module."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=QUIET_ZONE, dark=DARK, light=LIGHT)
    return buffer.getvalue()
