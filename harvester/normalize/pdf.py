"""PDF: text and tables (ruled and unruled) by pdfplumber; OCR of scans by tesseract.

Page-number lines and running headers/footers are removed, wrapped lines are joined into
paragraphs and wrapped table cells into one text. A PDF without a text layer is flagged
``needs_ocr``; when tesseract with ``chi_sim`` is installed its pages are OCRed
(``ocr_used``), as text only.

Within the document budget (harvester.normalize.budget): the streams' unpacked size, the
object graph and the declared page count are checked before pdfplumber opens the file
(harvester.normalize.pdfguard); pages are enumerated lazily up to the page limit; each
page's form XObjects are counted before it is read; a page drawing more ruling lines than
a report table has is not searched for tables; OCR runs only on pages that draw something,
at most the OCR-page limit, and stops when the wall-time budget runs out.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field

from harvester.document import Block, Document, Table
from harvester.normalize.budget import BUDGET, remaining, table_skipped
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import (
    RawCell,
    TableTooLarge,
    build_table,
    clean_text,
    join_lines,
)
from harvester.normalize.ocr import normalize_image, ocr_blocks, ocr_png, tesseract_ready
from harvester.normalize.pdf_tables import (
    ENUM,
    Part,
    is_number,
    merge_split_tables,
    ruled_tables,
)
from harvester.normalize.pdfguard import (
    check_forms,
    check_graph,
    check_page_count,
    check_raw_pages,
    check_streams,
)

OCR_DPI = 200
OCR_MAX_PIXELS = 16_000_000  # a page rendered for OCR (A4 at 200 dpi is 3.9 million)
OCR_RESERVE_SECONDS = 10.0  # of the wall time, kept for what follows the last OCR page
MAX_RULINGS = 4000  # lines and rectangles on one page: more is no report table
_PAGE_NO = re.compile(
    r"^[\s\-—–_·•]*(第\s*)?[0-9０-９一二三四五六七八九十]+\s*(页)?(\s*[/／共]\s*[0-9０-９]+\s*页?)?[\s\-—–_·•]*$"
    r"|^[\s\-—–]*(page|Page|PAGE)\s*\d+(\s*(of|/)\s*\d+)?[\s\-—–]*$"
)
_SENTENCE_END = ("。", "！", "？", "：", ":", "；", "”")


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    segments: list[tuple[float, float, str]] = field(default_factory=list)
    size: float = 10.0
    chars: list[tuple[float, str]] = field(default_factory=list)  # (x0, text)


@dataclass
class PageItems:
    number: int
    lines: list[Line]
    tables: list[tuple[float, Table, Part]]  # (top, table, source part)
    width: float


# ------------------------------------------------------------------ opening


def _precheck(data: bytes) -> None:
    """Structure limits from pdfminer's view of the file, before pdfplumber opens it."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    try:
        doc = PDFDocument(PDFParser(io.BytesIO(data)), password="")
    except Exception:  # noqa: BLE001 - opening again below says what is wrong
        return
    check_page_count(doc)
    check_graph(doc)


def _bounded_pages(pdf) -> list:
    """pdfplumber pages, built lazily up to the page limit (the declared /Count can lie)."""
    from pdfminer.pdfpage import PDFPage
    from pdfplumber.page import Page

    pages: list = []
    doctop = 0.0
    try:
        for i, page in enumerate(PDFPage.create_pages(pdf.doc)):
            if i >= BUDGET.max_pages:
                raise NormalizeError(f"PDF has more than {BUDGET.max_pages} pages (page limit): not read")
            p = Page(pdf, page, page_number=i + 1, initial_doctop=doctop)
            pages.append(p)
            doctop += p.height
    except RecursionError:
        raise NormalizeError("PDF page tree nested too deeply (more than the recursion limit): not read") from None
    finally:
        pdf._pages = pages  # pdfplumber's cache, read by pdf.pages
    return pages


def _close(pdf) -> None:
    """pdf.close() without its walk of the whole page tree (it drops the cache first)."""
    import contextlib

    for page in getattr(pdf, "_pages", []):
        with contextlib.suppress(Exception):
            page.close()
    with contextlib.suppress(Exception):
        pdf.stream.close()


def _open(data: bytes):
    import pdfplumber

    if b"%%EOF" not in data[-4096:]:
        raise NormalizeError("truncated PDF: no %%EOF marker at the end")
    check_raw_pages(data)
    check_streams(data)
    _precheck(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types
        raise _open_error(exc, data) from None
    try:
        _bounded_pages(pdf)  # forces the page tree (and decryption) now
    except NormalizeError:
        _close(pdf)
        raise
    except Exception as exc:  # noqa: BLE001
        _close(pdf)
        raise _open_error(exc, data) from None
    return pdf


def _open_error(exc: Exception, data: bytes) -> NormalizeError:
    chain = [exc, *[a for a in exc.args if isinstance(a, BaseException)]]
    if exc.__cause__ is not None:
        chain.append(exc.__cause__)
    names = " ".join(type(e).__name__ for e in chain)
    name = type(chain[-1]).__name__
    if "Password" in names or "Encrypt" in names or (b"/Encrypt" in data[-65536:] or b"/Encrypt" in data[:65536]):
        return NormalizeError("encrypted PDF: a password is required to read it")
    if "RecursionError" in names:
        return NormalizeError("PDF object graph nested too deeply (more than the recursion limit): not read")
    return NormalizeError(f"corrupt PDF ({name}: {str(exc)[:120]})")


# ------------------------------------------------------------------ lines


def _lines(page, exclude: list[tuple[float, float, float, float]]) -> list[Line]:
    def outside(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx = (obj["x0"] + obj["x1"]) / 2
        cy = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in exclude)

    view = page.filter(outside) if exclude else page
    out: list[Line] = []
    for ln in view.extract_text_lines(return_chars=True, strip=True):
        chars = [c for c in ln.get("chars", []) if c.get("text", "").strip()]
        if not chars:
            continue
        chars.sort(key=lambda c: c["x0"])
        size = Counter(round(c.get("size", 10.0), 1) for c in chars).most_common(1)[0][0] or 10.0
        segments: list[tuple[float, float, str]] = []
        cur = [chars[0]]
        for prev, ch in zip(chars, chars[1:], strict=False):
            if ch["x0"] - prev["x1"] > 1.5 * size:
                segments.append(_segment(cur))
                cur = []
            cur.append(ch)
        segments.append(_segment(cur))
        text = clean_text(ln["text"])
        if text:
            out.append(
                Line(
                    text, ln["top"], ln["bottom"], ln["x0"], ln["x1"], segments, size,
                    [(c["x0"], c["text"]) for c in chars],
                )
            )
    return out


def _segment(chars: list[dict]) -> tuple[float, float, str]:
    text = "".join(c["text"] for c in chars)
    return (chars[0]["x0"], chars[-1]["x1"], clean_text(text))


def _numeric_line(line: Line) -> bool:
    numeric = sum(1 for s in line.segments if is_number(s[2]))
    return len(line.segments) >= 2 and numeric >= 1


_SECTION_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+、.{8,}情况")


def _unruled_tables(
    lines: list[Line], rejected: list[str]
) -> list[tuple[int, int, Table]]:
    """Runs of lines with numbers laid out in columns → tables: (first, last + 1, table).

    Conservative: a run starts and ends with a numeric line; lines without numbers inside
    it (wrapped labels) are kept only when a numeric line follows within three lines and
    they are not a section heading. Header lines above the run stay paragraphs.
    """
    found: list[tuple[int, int, Table]] = []
    i = 0
    while i < len(lines):
        if not _numeric_line(lines[i]):
            i += 1
            continue
        last = i
        j = i + 1
        while j < len(lines):
            if _numeric_line(lines[j]):
                last = j
                j += 1
                continue
            if _SECTION_HEADING.match(lines[j].text) or not any(
                _numeric_line(x) for x in lines[j + 1 : j + 4]
            ):
                break
            j += 1
        if sum(1 for k in range(i, last + 1) if _numeric_line(lines[k])) >= 2:
            try:
                table = _columns_table(lines[i : last + 1])
            except TableTooLarge as exc:
                rejected.append(table_skipped(exc.cells, f"columns at '{lines[i].text[:30]}'"))
                i = last + 1
                continue
            if _clean_columns(table):
                found.append((i, last + 1, table))
            else:
                rejected.append(lines[i].text[:30])
        i = last + 1
    return found


_GLUED = re.compile(r"[\u3400-\u9fff][0-9]|[0-9][\u3400-\u9fff]{2}")


def _clean_columns(table: Table) -> bool:
    """Trust a table rebuilt from positions only when every numeric row has the same
    number of numeric cells and no number is glued into a label."""
    counts = []
    for row in table.texts():
        n = sum(1 for c in row if c and is_number(c))
        if n:
            counts.append(n)
        if any(_GLUED.search(c) and not is_number(c) for c in row if c):
            return False
    return bool(counts) and len(set(counts)) == 1


def _columns_table(lines: list[Line]) -> Table:
    """Lines → rows, characters → columns by x anchors; lines without numbers continue the
    row above (wrapped labels) unless they start a new enumerated label."""
    size = max(1.0, sum(ln.size for ln in lines) / len(lines))
    edges = sorted(s[0] for ln in lines if len(ln.segments) > 1 for s in ln.segments)
    anchors: list[float] = []
    for x in edges:
        if anchors and x - anchors[-1] < 1.2 * size:
            continue
        anchors.append(x)
    anchors = anchors or [0.0]
    rows: list[list[str]] = []
    for ln in lines:
        cells = [""] * len(anchors)
        for x0, ch in ln.chars:
            col = max((k for k, a in enumerate(anchors) if a <= x0 + 0.5 * size), default=0)
            cells[col] += ch
        cells = [clean_text(c) for c in cells]
        has_number = any(is_number(c) for c in cells if c)
        enumerated = any(ENUM.match(c) for c in cells if c)
        if rows and not has_number and not enumerated and _has_number_row(rows):
            rows[-1] = [join_lines([a, b]) for a, b in zip(rows[-1], cells, strict=True)]
            continue
        rows.append(cells)
    return build_table([[RawCell(t) for t in r] for r in rows])


def _has_number_row(rows: list[list[str]]) -> bool:
    return any(is_number(c) for c in rows[-1] if c)


# ------------------------------------------------------------------ pages


def _page_items(page, number: int, warnings: list[str]) -> PageItems:
    check_forms(page.page_obj, number)
    rulings = len(page.lines) + len(page.rects)
    if rulings > MAX_RULINGS:
        warnings.append(
            f"page {number}: {rulings} ruling lines and boxes, more than a report table has "
            f"({MAX_RULINGS}; cell limit): no ruled tables looked for"
        )
        parts: list[Part] = []
    else:
        parts = ruled_tables(page, number, warnings)
    lines = _lines(page, [p.bbox for p in parts])
    tables = []
    for p in parts:
        t = p.table()
        if t is not None:
            tables.append((p.bbox[1], t, p))
    return PageItems(number, lines, tables, float(page.width))


def _drawn(page) -> bool:
    """Does the page draw anything (text, images, lines, curves)? Blank pages need no OCR."""
    return any(page.objects.get(kind) for kind in ("char", "image", "curve", "line", "rect"))


def _strip_furniture(pages: list[PageItems]) -> int:
    """Remove page numbers and running headers/footers; return how many lines went."""
    removed = 0
    for p in pages:
        keep = []
        for k, ln in enumerate(p.lines):
            edge = k < 2 or k >= len(p.lines) - 2
            if edge and _PAGE_NO.match(ln.text):
                removed += 1
                continue
            keep.append(ln)
        p.lines = keep
    if len(pages) >= 2:
        def key(ln: Line) -> str:
            return re.sub(r"\d+", "#", ln.text)

        counts: Counter[str] = Counter()
        for p in pages:
            edges = {key(ln) for ln in p.lines[:2] + p.lines[-2:]}
            counts.update(edges)
        threshold = max(2, (len(pages) + 1) // 2)
        running = {k for k, n in counts.items() if n >= threshold}
        if running:
            for p in pages:
                n_before = len(p.lines)
                edge_ids = {id(ln) for ln in p.lines[:2] + p.lines[-2:]}
                p.lines = [ln for ln in p.lines if not (id(ln) in edge_ids and key(ln) in running)]
                removed += n_before - len(p.lines)
    return removed


def _paragraphs(lines: list[Line], page_no: int, right: float) -> list[Block]:
    blocks: list[Block] = []
    cur: list[str] = []
    prev: Line | None = None
    left = min((ln.x0 for ln in lines), default=0.0)
    for ln in lines:
        starts_new = (
            prev is None
            or ENUM.match(ln.text) is not None
            or prev.text.endswith(_SENTENCE_END)
            or prev.x1 < right - 2.5 * prev.size
            or ln.x0 > left + 1.5 * ln.size
            or ln.top - prev.bottom > 1.2 * ln.size
        )
        if starts_new and cur:
            blocks.append(Block("paragraph", join_lines(cur), page=page_no))
            cur = []
        cur.append(ln.text)
        prev = ln
    if cur:
        blocks.append(Block("paragraph", join_lines(cur), page=page_no))
    return blocks


def _page_blocks(p: PageItems, parts: dict[int, Part], warnings: list[str]) -> list[Block]:
    lines = p.lines
    rejected: list[str] = []
    unruled = _unruled_tables(lines, rejected)
    for head in rejected:
        if "cell limit" in head:
            warnings.append(f"page {p.number}: {head}")
        else:
            warnings.append(f"page {p.number}: columns at '{head}' not aligned: left as text lines")
    items: list[tuple[float, int, list[Block]]] = []
    right = max((ln.x1 for ln in lines), default=p.width)
    taken: set[int] = set()
    for start, end, table in unruled:
        taken.update(range(start, end))
        items.append((lines[start].top, 1, [Block("table", table=table, page=p.number)]))
    for top, table, part in p.tables:
        block = Block("table", table=table, page=p.number)
        parts[id(block)] = part
        items.append((top, 1, [block]))
    # text runs between tables
    run: list[Line] = []
    for k, ln in enumerate(lines):
        if k in taken:
            if run:
                items.append((run[0].top, 0, _paragraphs(run, p.number, right)))
                run = []
            continue
        boundary = any(run and run[-1].top < top <= ln.top for top, _t, _p in p.tables)
        if boundary:
            items.append((run[0].top, 0, _paragraphs(run, p.number, right)))
            run = []
        run.append(ln)
    if run:
        items.append((run[0].top, 0, _paragraphs(run, p.number, right)))
    items.sort(key=lambda it: (it[0], it[1]))
    return [b for _top, _k, blocks in items for b in blocks]


def _ocr_pdf(pages: list, doc: Document) -> None:
    if not tesseract_ready():
        doc.warnings.append("no text layer: needs OCR, but tesseract with chi_sim is not installed")
        return
    drawn = [(number, page) for number, page in enumerate(pages, start=1) if _drawn(page)]
    if not drawn:
        doc.warnings.append(f"no text layer and nothing drawn on its {len(pages)} pages: no OCR")
        return
    limit = BUDGET.max_ocr_pages
    blocks: list[Block] = []
    for done, (number, page) in enumerate(drawn[:limit]):
        if remaining(float("inf")) < OCR_RESERVE_SECONDS:
            doc.warnings.append(f"OCR stopped after {done} of {len(drawn)} pages (wall-time limit)")
            break
        img = page.to_image(resolution=_ocr_resolution(page)).original
        buf = io.BytesIO()
        img.convert("L").save(buf, format="PNG")
        del img
        blocks.extend(ocr_blocks(ocr_png(buf.getvalue()), number))
    if len(drawn) > limit:
        doc.warnings.append(f"OCR limited to the first {limit} of {len(drawn)} pages (OCR-page limit)")
    doc.blocks = blocks
    doc.ocr_used = True
    doc.warnings.append("text from OCR: tables flattened to lines, digits may be misread")


def _ocr_resolution(page) -> float:
    """OCR_DPI, lowered for an oversized page so its bitmap stays under OCR_MAX_PIXELS."""
    area = max(float(page.width) * float(page.height), 1.0) / (72.0 * 72.0)  # square inches
    return max(1.0, min(float(OCR_DPI), (OCR_MAX_PIXELS / area) ** 0.5))


# ------------------------------------------------------------------ entry


def normalize_pdf(data: bytes, *, ocr: bool = True) -> Document:
    pdf = _open(data)
    try:
        all_pages = pdf.pages  # bounded by the page limit (_bounded_pages)
        if not all_pages:
            raise NormalizeError("PDF has no pages")
        doc = Document(source_format="pdf")
        pages = [_page_items(page, i, doc.warnings) for i, page in enumerate(all_pages, start=1)]
        chars = sum(len(ln.text) for p in pages for ln in p.lines) + sum(
            len(c.text) for p in pages for _top, t, _p in p.tables for row in t.rows for c in row
        )
        cid = sum(ln.text.count("(cid:") for p in pages for ln in p.lines)
        if cid * 6 > max(chars, 1) / 3:  # fonts without a Unicode map: the text is junk
            doc.warnings.append(f"{cid} glyphs without Unicode mapping: text layer unusable")
            chars = 0
        if chars < 20 * len(pages):
            doc.needs_ocr = True
            if ocr:
                _ocr_pdf(all_pages, doc)
            else:
                doc.warnings.append("no text layer: needs OCR")
            return doc
        removed = _strip_furniture(pages)
        if removed:
            doc.warnings.append(f"removed {removed} page-number/header/footer lines")
        parts: dict[int, Part] = {}
        for p in pages:
            doc.blocks.extend(_page_blocks(p, parts, doc.warnings))
    finally:
        _close(pdf)
    merge_split_tables(doc, parts)
    first = next((b for b in doc.blocks if b.kind == "paragraph"), None)
    doc.title = first.text if first and len(first.text) <= 80 else None
    return doc


__all__ = ["normalize_image", "normalize_pdf", "tesseract_ready"]
