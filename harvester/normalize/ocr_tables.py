"""Tables out of a picture: ruling lines → cell grid, tesseract TSV word boxes → cell text.

A scanned or rendered table has its cells drawn as lines. The horizontal lines are pixel
rows mostly dark across the picture; a vertical line is a pixel column dark over the whole
height of at least one row band (glyph strokes never are). Between two neighbouring cells
a missing stretch of line is a span (rowspan / colspan). The lines are then painted white
and tesseract (``chi_sim``, TSV output) reads the picture once; each word goes to the cell
that holds its box's centre, in reading order.

Pictures without such a grid are read as text lines (harvester.normalize.ocr).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from harvester.document import Block, Cell, Table
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import clean_text

DARK = 128
H_LINE_SHARE = 0.3  # of the grid's width: a pixel row this dark is a horizontal line
V_LINE_SHARE = 0.9  # of a row band's height: a pixel column this dark there is a line
MIN_WORD_CONF = 10.0
_CJK_GAP = re.compile(
    r"(?<=[\u3400-\u9fff，。、；：（）“”])\s+|\s+(?=[\u3400-\u9fff，。、；：（）“”])"
)


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2


def _runs(flags: list[bool]) -> list[int]:
    """Centres of consecutive runs of True."""
    out, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    return out


def _lines(dark):  # noqa: ANN001, ANN202 - numpy arrays
    """(ys, xs, thickness masks) of the grid's ruling lines."""
    height, width = dark.shape
    ys = _runs(list(dark.sum(axis=1) >= H_LINE_SHARE * width))
    if len(ys) < 2:
        return [], []
    xs_all: set[int] = set()
    for top, bottom in zip(ys, ys[1:], strict=False):
        band = dark[top + 3 : bottom - 2]
        if band.shape[0] < 8:
            continue
        xs_all.update(i for i, v in enumerate(band.mean(axis=0) >= V_LINE_SHARE) if v)
    xs = _runs([i in xs_all for i in range(width)])
    return ys, xs


def _line_present(segment) -> bool:  # noqa: ANN001 - a numpy slice along a line
    return segment.size > 0 and float(segment.mean()) >= V_LINE_SHARE


def _spans(dark, ys: list[int], xs: list[int]) -> list[list[int]]:  # noqa: ANN001
    """Group id of every grid slot: slots not parted by a line belong together."""
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    def near(axis_values, at: int, lo: int, hi: int, vertical: bool) -> bool:  # noqa: ANN001
        for d in (-1, 0, 1):
            segment = dark[lo:hi, at + d] if vertical else dark[at + d, lo:hi]
            if _line_present(segment):
                return True
        return False

    for r in range(rows):
        for c in range(cols):
            y0, y1 = ys[r] + 3, ys[r + 1] - 2
            x0, x1 = xs[c] + 3, xs[c + 1] - 2
            if c + 1 < cols and not near(dark, xs[c + 1], y0, y1, True):
                union(r * cols + c, r * cols + c + 1)
            if r + 1 < rows and not near(dark, ys[r + 1], x0, x1, False):
                union(r * cols + c, (r + 1) * cols + c)
    return [[find(r * cols + c) for c in range(cols)] for r in range(rows)]


def _erase(gray, dark, ys: list[int], xs: list[int]):  # noqa: ANN001, ANN202
    """The picture with its ruling lines painted white (tesseract reads lines as glyphs)."""
    clean = gray.copy()
    for y in ys:
        clean[max(y - 3, 0) : y + 4, :] = 255
    for x in xs:
        clean[:, max(x - 3, 0) : x + 4] = 255
    return clean


def tsv_words(png: bytes, timeout: float = 180, psm: str = "6") -> list[Word]:
    """Word boxes of a picture by tesseract (chi_sim+eng, TSV)."""
    from harvester.normalize.office import run_tool

    res = run_tool(
        ["tesseract", "stdin", "stdout", "-l", "chi_sim+eng", "--psm", psm, "tsv"], png, timeout
    )
    if res.returncode != 0:
        raise NormalizeError(f"tesseract failed: {res.stderr.decode('utf-8', 'replace')[:200]}")
    words = []
    reader = csv.DictReader(io.StringIO(res.stdout.decode("utf-8", "replace")), delimiter="\t")
    for row in reader:
        text = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
            box = [int(row[k]) for k in ("left", "top", "width", "height")]
        except (TypeError, ValueError, KeyError):
            continue
        if text and conf >= MIN_WORD_CONF:
            words.append(Word(text, *box))
    return words


def _join(words: list[Word]) -> str:
    """Words of one cell in reading order: lines by their centre, left to right."""
    ordered = sorted(words, key=lambda w: (round(w.centre[1] / 18), w.left))
    return clean_text(_CJK_GAP.sub("", " ".join(w.text for w in ordered)))


def _grid_table(groups: list[list[int]], texts: dict[int, str]) -> Table:
    origin: dict[int, tuple[int, int]] = {}
    extent: dict[int, tuple[int, int]] = {}
    for r, row in enumerate(groups):
        for c, g in enumerate(row):
            origin.setdefault(g, (r, c))
            er, ec = extent.get(g, (r, c))
            extent[g] = (max(er, r), max(ec, c))
    rows = []
    for r, row in enumerate(groups):
        cells = []
        for c, g in enumerate(row):
            o = origin[g]
            text = texts.get(g, "")
            if (r, c) == o:
                er, ec = extent[g]
                cells.append(Cell(text, rowspan=er - r + 1, colspan=ec - c + 1))
            else:
                cells.append(Cell(text, merged=True, origin=o))
        rows.append(cells)
    return Table(rows=rows)


GAP = 24  # white pixels between two cells in the mosaic


def _cell_texts(clean, groups: list[list[int]], ys: list[int], xs: list[int]) -> dict[int, str]:  # noqa: ANN001
    """Each cell's text: the cells holding ink are stacked one under another in one
    picture (a mosaic) that tesseract reads once; a word belongs to the cell whose strip
    holds its centre."""
    import numpy as np

    boxes: dict[int, tuple[int, int, int, int]] = {}
    for r, row in enumerate(groups):
        for c, g in enumerate(row):
            x0, y0, x1, y1 = boxes.get(g, (xs[c], ys[r], xs[c + 1], ys[r + 1]))
            boxes[g] = (min(x0, xs[c]), min(y0, ys[r]), max(x1, xs[c + 1]), max(y1, ys[r + 1]))
    crops = []
    for g, (x0, y0, x1, y1) in boxes.items():
        crop = clean[y0 + 4 : y1 - 3, x0 + 4 : x1 - 3]
        if crop.size and (crop < DARK).sum() >= 12:
            crops.append((g, crop))
    if not crops:
        return {}
    width = max(crop.shape[1] for _g, crop in crops) + 2 * GAP
    height = sum(crop.shape[0] + GAP for _g, crop in crops) + GAP
    mosaic = np.full((height, width), 255, dtype=np.uint8)
    strips = []
    top = GAP
    for g, crop in crops:
        mosaic[top : top + crop.shape[0], GAP : GAP + crop.shape[1]] = crop
        strips.append((g, top - GAP // 2, top + crop.shape[0] + GAP // 2))
        top += crop.shape[0] + GAP
    words: dict[int, list[Word]] = {}
    for word in tsv_words(_png(mosaic), psm="6"):
        y = word.centre[1]
        for g, lo, hi in strips:
            if lo <= y < hi:
                words.setdefault(g, []).append(word)
                break
    return {g: _join(ws) for g, ws in words.items()}


def _outside(clean, ys: list[int]) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """Text lines above and below the grid (a caption, a note)."""
    out: list[list[str]] = [[], []]
    for n, part in enumerate((clean[: max(ys[0] - 3, 0)], clean[ys[-1] + 4 :])):
        if part.shape[0] > 10 and (part < DARK).sum() >= 30:
            words = tsv_words(_png(part), psm="6")
            if words:
                out[n].append(_join(words))
    return out[0], out[1]


def _png(pixels) -> bytes:  # noqa: ANN001
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def picture_blocks(image) -> list[Block] | None:  # noqa: ANN001 - a PIL image
    """The picture's blocks (text above, the table, text below) when it holds a ruled
    table; None when it does not (read it as text lines)."""
    import numpy as np

    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    dark = gray < DARK
    ys, xs = _lines(dark)
    if len(ys) < 3 or len(xs) < 3:
        return None
    groups = _spans(dark, ys, xs)
    clean = _erase(gray, dark, ys, xs)
    texts = _cell_texts(clean, groups, ys, xs)
    above, below = _outside(clean, ys)
    blocks = [Block("paragraph", text) for text in above]
    blocks.append(Block("table", table=_grid_table(groups, texts)))
    blocks += [Block("paragraph", text) for text in below]
    return blocks
