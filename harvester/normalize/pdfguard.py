"""Checks on a PDF before its pages are read: cheap, and each names the limit it enforces.

- ``check_streams``: every Flate stream other than an image is inflated in bounded steps
  (never kept) and the document refused when its streams unpack to more than the
  unpacked-size limit — pdfminer would inflate a stream whole, in memory;
- ``check_page_count``: the page tree's declared ``/Count`` against the page limit (the
  pages themselves are then enumerated lazily, never more than the limit + 1);
- ``check_graph``: the objects pdfplumber expands recursively when it opens a file
  (``/Info``, ``/PageLabels``) must stay under the object-graph limit, counted with
  repeats, so a self-multiplying graph (``[2 0 R 2 0 R]`` nested sixty times) is refused
  instead of expanded 2⁶⁰ times;
- ``check_forms``: the form XObjects a page draws, counted with repeats (a form that draws
  another twice, forty deep, is 2⁴⁰ drawings), and their nesting depth.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from harvester.normalize.budget import BUDGET, Budget
from harvester.normalize.errors import NormalizeError

MAX_GRAPH_OBJECTS = 10_000
MAX_GRAPH_DEPTH = 100
MAX_FORM_DRAWS = 10_000
MAX_FORM_DEPTH = 32
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_DO = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do(?![A-Za-z])")
_STEP = 1 << 20


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def check_streams(data: bytes, budget: Budget = BUDGET) -> int:
    """Unpacked bytes of the PDF's Flate streams (images excluded); raises over the limit."""
    limit = budget.max_unpacked_bytes
    total = 0
    for m in _STREAM.finditer(data):
        head = data[max(0, m.start() - 2048) : m.start()]
        head = head[head.rfind(b"obj") + 3 :] if b"obj" in head else head
        if b"/Fl" not in head or b"/Image" in head:
            continue  # not Flate (or abbreviated /Fl), or an image pdfminer never decodes
        d = zlib.decompressobj()
        pos = m.end()
        buf = data[pos : pos + _STEP]
        pos += _STEP
        try:
            while True:
                total += len(d.decompress(buf, _STEP))
                buf = d.unconsumed_tail
                if total > limit:
                    raise NormalizeError(
                        f"PDF streams unpack to more than {_mb(limit)} (unpacked-size limit; "
                        f"stopped in the stream at byte {m.end()}): not read"
                    )
                if d.eof or (not buf and pos >= len(data)):
                    break
                if not buf:
                    buf = data[pos : pos + _STEP]
                    pos += _STEP
        except zlib.error:
            continue  # not a zlib stream here (or encrypted): pdfminer decides
    return total


_COUNT = re.compile(rb"/Count\s+(\d{1,12})")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def check_raw_pages(data: bytes, budget: Budget = BUDGET) -> None:
    """The page counts the raw bytes declare (``/Count``) or show (``/Type /Page`` objects),
    before pdfminer parses anything: its parser takes minutes over a page tree of 10⁵ kids."""
    declared = max((int(m.group(1)) for m in _COUNT.finditer(data)), default=0)
    if declared > budget.max_pages:
        raise NormalizeError(f"PDF has {declared} pages (page limit {budget.max_pages}): not read")
    shown = sum(1 for _ in _PAGE.finditer(data))
    if shown > budget.max_pages:
        raise NormalizeError(
            f"PDF has {shown} page objects (page limit {budget.max_pages}): not read"
        )


def check_page_count(doc: Any, budget: Budget = BUDGET) -> int | None:
    """The page tree's declared page count; raises over the page limit."""
    from pdfminer.pdftypes import resolve1

    try:
        pages = resolve1(doc.catalog.get("Pages"))
        count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
    except Exception:  # noqa: BLE001 - a broken tree is found when the pages are read
        return None
    if isinstance(count, int) and count > budget.max_pages:
        raise NormalizeError(f"PDF has {count} pages (page limit {budget.max_pages}): not read")
    return count if isinstance(count, int) else None


def _expansion(root: Any, what: str) -> int:
    """Objects under ``root`` counted as a recursive resolver visits them (with repeats)."""
    from pdfminer.pdftypes import PDFObjRef

    count = 0
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        count += 1
        if count > MAX_GRAPH_OBJECTS or depth > MAX_GRAPH_DEPTH:
            raise NormalizeError(
                f"PDF object graph under {what} expands to more than {MAX_GRAPH_OBJECTS} objects "
                f"or {MAX_GRAPH_DEPTH} levels (object-graph limit): not read"
            )
        if isinstance(obj, PDFObjRef):
            try:
                obj = obj.resolve()
            except Exception:  # noqa: BLE001 - a dangling reference is no expansion
                continue
        if isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in obj.values())
        elif isinstance(obj, list):
            stack.extend((v, depth + 1) for v in obj)
    return count


def check_graph(doc: Any) -> None:
    """What pdfplumber resolves recursively on opening: /Info and /PageLabels."""
    for info in getattr(doc, "info", []):
        _expansion(info, "/Info")
    labels = doc.catalog.get("PageLabels") if isinstance(doc.catalog, dict) else None
    if labels is not None:
        _expansion(labels, "/PageLabels")


def check_forms(page: Any, number: int) -> int:
    """Form XObjects drawn by one page (pdfminer PDFPage), with repeats; raises over the
    object-graph limit or when forms nest deeper than MAX_FORM_DEPTH (or draw themselves)."""
    from pdfminer.pdftypes import PDFStream, resolve1
    from pdfminer.psparser import LIT

    form = LIT("Form")
    memo: dict[int, int] = {}
    active: set[int] = set()

    def fail(why: str) -> NormalizeError:
        return NormalizeError(
            f"PDF page {number}: form XObjects {why} (object-graph limit {MAX_FORM_DRAWS} drawings, "
            f"{MAX_FORM_DEPTH} levels): not read"
        )

    def draws(content: bytes, resources: Any, depth: int) -> int:
        total = 0
        names = _DO.findall(content)
        if not names:
            return 0
        try:
            res = resolve1(resources) if resources is not None else None
            xobjects = resolve1(res.get("XObject")) if isinstance(res, dict) else None
        except Exception:  # noqa: BLE001
            return len(names)
        for name in names:
            total += 1
            target = None
            if isinstance(xobjects, dict):
                try:
                    target = resolve1(xobjects.get(name.decode("latin-1")))
                except Exception:  # noqa: BLE001
                    target = None
            if isinstance(target, PDFStream) and resolve1(target.get("Subtype")) is form:
                total += expand(target, res, depth + 1)
            if total > MAX_FORM_DRAWS:
                raise fail(f"drawn more than {MAX_FORM_DRAWS} times")
        return total

    def expand(stream: Any, inherited: Any, depth: int) -> int:
        if depth > MAX_FORM_DEPTH:
            raise fail(f"nested more than {MAX_FORM_DEPTH} deep")
        key = getattr(stream, "objid", None) or id(stream)
        if key in memo:
            return memo[key]
        if key in active:
            raise fail("draw themselves")
        active.add(key)
        try:
            content = stream.get_data()
        except Exception:  # noqa: BLE001 - pdfminer reports a broken stream itself
            content = b""
        own = stream.get("Resources")
        memo[key] = draws(content, own if own is not None else inherited, depth)
        active.discard(key)
        return memo[key]

    total = 0
    for stream in getattr(page, "contents", []) or []:
        try:
            content = resolve1(stream).get_data()
        except Exception:  # noqa: BLE001
            continue
        total += draws(content, page.resources, 0)
        if total > MAX_FORM_DRAWS:
            raise fail(f"drawn more than {MAX_FORM_DRAWS} times")
    return total
