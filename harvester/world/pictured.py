"""Reports whose tables are published as pictures: each table of the report drawn as a
ruled PNG scan (cells, spans and text as the table has them), the article page keeping its
headings and prose as text with an ``<img>`` where each table stood (TRS ``W0…png``).

`table_png` draws a table; `pictured_article` makes the article's HTML body and the PNG
files it links. Used by the world's image-table portal and by tests.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from pathlib import Path

from harvester.document import Document, Table
from harvester.normalize.grid import span_layout

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
FONT_SIZE = 26
ROW_HEIGHT = 46
CHAR_WIDTH = 28  # a CJK character at FONT_SIZE, with room
MARGIN = 24


def _font():  # noqa: ANN202 - PIL's font classes
    from PIL import ImageFont

    for candidate in FONT_PATHS:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, FONT_SIZE)
    return ImageFont.load_default()


def _column_widths(layout: list[tuple[int, int, str, int, int]], n_cols: int) -> list[int]:
    widths = [3 * CHAR_WIDTH] * n_cols
    for _r, c, text, _rs, cs in layout:
        if cs == 1:
            widths[c] = max(widths[c], min(len(text), 14) * CHAR_WIDTH + 20)
    return widths


def _wrap(text: str, chars: int) -> list[str]:
    chars = max(chars, 1)
    return [text[i : i + chars] for i in range(0, len(text), chars)] or [""]


def table_png(table: Table) -> bytes:
    """A table as a ruled, black-on-white scan (PNG): every origin cell boxed over its
    span, its text centred (long labels wrapped)."""
    from PIL import Image, ImageDraw

    layout = span_layout(table)
    n_cols = table.n_cols
    widths = _column_widths(layout, n_cols)
    lines_in_row = [1] * table.n_rows
    for r, c, text, rs, cs in layout:
        if rs == 1:
            width = sum(widths[c : c + cs])
            lines_in_row[r] = max(lines_in_row[r], len(_wrap(text, (width - 16) // CHAR_WIDTH)))
    heights = [ROW_HEIGHT + (n - 1) * (ROW_HEIGHT - 12) for n in lines_in_row]
    xs = [MARGIN]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [MARGIN]
    for h in heights:
        ys.append(ys[-1] + h)
    image = Image.new("L", (xs[-1] + MARGIN, ys[-1] + MARGIN), 255)
    draw = ImageDraw.Draw(image)
    font = _font()
    for r, c, text, rs, cs in layout:
        x0, x1, y0, y1 = xs[c], xs[c + cs], ys[r], ys[r + rs]
        draw.rectangle((x0, y0, x1, y1), outline=0, width=2)
        parts = _wrap(text, (x1 - x0 - 16) // CHAR_WIDTH)
        top = (y0 + y1) / 2 - len(parts) * (ROW_HEIGHT - 12) / 2
        for n, part in enumerate(parts):
            length = draw.textlength(part, font=font)
            draw.text(
                ((x0 + x1 - length) / 2, top + n * (ROW_HEIGHT - 12) + 4), part, fill=0, font=font
            )
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


@dataclass(frozen=True)
class PicturedArticle:
    body: str  # the article body's HTML: headings and prose as text, tables as <img>
    pictures: dict[str, bytes]  # file name → PNG, in the order the body shows them


def pictured_article(doc: Document, stem: str) -> PicturedArticle:
    """A report's body with each table replaced by a picture of it named ``<stem>_<n>.png``
    (relative to the article page)."""
    parts: list[str] = []
    pictures: dict[str, bytes] = {}
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            name = f"{stem}_{len(pictures) + 1}.png"
            pictures[name] = table_png(block.table)
            parts.append(
                f'<p style="text-align:center"><img src="./{name}" alt="" '
                f'style="max-width:100%" oldsrc="{name}"></p>'
            )
        elif block.kind == "heading" and block.level == 1:
            continue
        else:
            parts.append(f"<p>{html.escape(block.text)}</p>")
    return PicturedArticle("\n".join(parts), pictures)
