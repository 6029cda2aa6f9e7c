"""Inline SVG charts as PNG pictures, drawn by the kit's headless Chromium, for outputs that cannot
show SVG (the Word exporter: Word before 2016, WPS and LibreOffice differ on SVG; every one shows PNG).

- The same browser as the PDF (:func:`nianbao.exporters.browser.shared_browser`): one per process,
  started on first use, with scripts off and every network request refused. One page, kept between
  calls, draws every chart: a document's charts cost one browser call.
- Each chart is drawn alone on a white page the size of its box (the SVG's ``width``/``height`` in px,
  else its ``viewBox``, rounded up to whole px) at :data:`SCALE` device pixels per px, so the PNG is
  exactly ``ceil(width) × SCALE`` by ``ceil(height) × SCALE`` pixels, opaque (RGB, no alpha).
- Deterministic: the same SVG gives the same pixels on the same Chromium and fonts, and
  :func:`normalise_png` keeps only the chunks that carry the picture (no text, time or physical-size
  chunk), so the same SVG gives the same bytes.
- No Chromium (or no Chinese font, or a label character no installed font has) is a
  :class:`~nianbao.errors.SetupError` (exit 6) saying what to install; only documents that contain a
  chart ever need Chromium.
"""
from __future__ import annotations

import math
import re
import struct
import zlib

from ..errors import SetupError
from . import browser as _browser

SCALE = 2  # device pixels per CSS px: 192 dpi at the chart's natural size (96 px per inch)
PURPOSE = "在 Word 文件中绘制图表"
DEFAULT_BOX = (300.0, 150.0)  # CSS's size of a replaced element that declares none
CRITICAL_CHUNKS = (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        "html,body{margin:0;padding:0;background:#fff;overflow:hidden}svg{display:block}"
        "</style></head><body>{svg}</body></html>")


def _px(value: str | None) -> float | None:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*", value or "")
    return float(m.group(1)) if m else None


def svg_box(width: str | None, height: str | None, viewbox: str | None) -> tuple[float, float]:
    """The chart's size in CSS px: its ``width``/``height`` (plain numbers or px), else its viewBox."""
    w, h = _px(width), _px(height)
    box = (viewbox or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            vw, vh = float(box[2]), float(box[3])
        except ValueError:
            vw = vh = 0.0
        if vw > 0 and vh > 0:
            if w is None and h is None:
                w, h = vw, vh
            elif w is None:
                w = h * vw / vh
            elif h is None:
                h = w * vh / vw
    return (w if w else DEFAULT_BOX[0]), (h if h else DEFAULT_BOX[1])


def pixel_size(box: tuple[float, float], scale: int = SCALE) -> tuple[int, int]:
    """The PNG's size in pixels for a chart box in CSS px."""
    return math.ceil(box[0]) * scale, math.ceil(box[1]) * scale


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def normalise_png(data: bytes) -> bytes:
    """The PNG with its critical chunks only (drops text, time, gamma, colour-profile and pHYs chunks)."""
    if data[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG")
    out = [PNG_SIGNATURE]
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if kind in CRITICAL_CHUNKS:
            chunk = data[pos + 4:pos + 8 + length]
            out.append(data[pos:pos + 4] + chunk + struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF))
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def context_options(scale: int) -> dict:
    """The chart page's context, beyond :data:`nianbao.exporters.browser.PAGE_CONTEXT` (the same
    in-process and in the batch's print service)."""
    return {"device_scale_factor": scale, "viewport": {"width": 300, "height": 150}}


# Playwright ``page.screenshot`` options of a chart (in-process and in the batch's print service).
SCREENSHOT = {"type": "png", "animations": "disabled", "caret": "hide", "scale": "device"}


def _draw_job(browser: _browser.Browser, charts: list[tuple[str, tuple[int, int]]], scale: int, timeout: float):
    def work(page):
        out = []
        for svg, (w, h) in charts:
            page.set_viewport_size({"width": w, "height": h})
            page.set_content(PAGE.replace("{svg}", svg), wait_until="load")
            out.append(page.screenshot(**SCREENSHOT))
        return out

    return browser.page_job(f"chart_page_{scale}", work, timeout, **context_options(scale))


def draw(charts, *, text: str = "", executable: str | None = None, scale: int = SCALE,
         timeout: float = 120.0) -> list[bytes]:
    """PNG bytes for each ``(svg markup, box in CSS px)`` of ``charts``, in order, with one browser call.

    The markup is parsed as HTML (inline SVG in an HTML page), as in the report page itself. ``text``:
    the charts' labels; a character no installed font has would be drawn as an empty box, so it is a
    SetupError naming it (as the PDF exporter's glyph check).
    """
    charts = list(charts)
    if not charts:
        return []
    from . import printpool

    service = printpool.client()  # in a batch: the batch's one browser draws them
    try:
        _browser.require_cjk_font(PURPOSE)
        browser = None if service is not None else _browser.shared_browser(executable, PURPOSE)
    except SetupError as exc:
        raise SetupError(f"{exc}（本报告有 {len(charts)} 幅图表；没有图表的报告导出 Word 不需要浏览器。）") from None
    missing = _browser.uncovered_chars(text)
    if missing:
        raise SetupError(
            f"图表中有字符在本机字体中没有字形，会画成空白方框：{missing}。{_browser.GLYPH_HINT}")
    sized = [(svg, (math.ceil(box[0]), math.ceil(box[1]))) for svg, box in charts]
    try:
        if service is not None:
            pngs = service.draw([(PAGE.replace("{svg}", svg), box) for svg, box in sized], context_options(scale),
                                SCREENSHOT, timeout)
        else:
            pngs = browser.call(_draw_job(browser, sized, scale, timeout), timeout=timeout + 30)
    except SetupError:
        raise
    except Exception as exc:  # Playwright: the browser died or timed out while drawing
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SetupError(f"Chromium 绘制图表失败：{first}。请确认已安装：{_browser.INSTALL_HINT}，然后重新导出。") from None
    return [normalise_png(p) for p in pngs]
