"""HTML article pages: main text, metadata, span-preserving tables; links via links.py
(``extract_attachments`` and ``continuation_urls`` are re-exported here)."""

from __future__ import annotations

import re

from lxml import etree

from harvester.document import Block, Document, Picture, Table
from harvester.normalize.budget import BUDGET, cells_over, table_skipped
from harvester.normalize.charset import decode_text
from harvester.normalize.density import best_container as _best_container
from harvester.normalize.density import is_layout_table as _is_layout_table
from harvester.normalize.dom import BLOCK_TAGS, CONTAINERS, SKIP_TAGS, parse_html, text_of
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import (
    MAX_SPAN,
    RawCell,
    TableTooLarge,
    clean_text,
    table_of,
)
from harvester.normalize.html_meta import read_metadata
from harvester.normalize.links import (
    attachments_of,
    continuation_urls,
    extract_attachments,
)
from harvester.normalize.pictures import mark_pictured_tables, placed_pictures

# ---------------------------------------------------------------- parsing


def table_from_html(table: etree._Element) -> Table | None:
    rows: list[list[RawCell]] = []
    for tr in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
        row: list[RawCell] = []
        for td in tr.xpath("./td | ./th"):
            row.append(RawCell(text_of(td), _span(td.get("rowspan")), _span(td.get("colspan"))))
        rows.append(row)
    if not rows:
        return None
    try:
        return table_of(rows)
    except TableTooLarge:  # drop_large_tables removed those it could see coming
        return None


def _span(value: str | None) -> int:
    if not value:
        return 1
    m = re.match(r"\s*(\d{1,6})", value)
    n = int(m.group(1)) if m else 1
    return max(1, min(n, MAX_SPAN))


def blocks_from_element(
    root: etree._Element, pictures: list[tuple[etree._Element, int]] | None = None
) -> list[Block]:
    """Headings, paragraphs and tables of a container, in document order; each picture
    met (`img`) goes into `pictures` with the number of blocks before it."""
    blocks: list[Block] = []
    buf: list[str] = []

    def flush() -> None:
        text = clean_text("".join(buf))
        buf.clear()
        if text:
            blocks.append(Block("paragraph", text))

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str):
            if node.tail:
                buf.append(node.tail)
            return
        tag = node.tag.lower()
        if tag in SKIP_TAGS:
            if node.tail:
                buf.append(node.tail)
            return
        if tag == "table":
            flush()
            if _is_layout_table(node):
                for child in node.iter("td", "th"):
                    if child.getparent() is not None and _owner_table(child) is node:
                        walk_children(child)
                        flush()
            else:
                t = table_from_html(node)
                if t is not None and t.n_rows:
                    if t.n_cols == 1 or (t.n_rows == 1 and t.n_cols <= 2):
                        for row in t.texts(blank_merged=True):
                            for cell in row:
                                if cell:
                                    blocks.append(Block("paragraph", cell))
                    else:
                        blocks.append(Block("table", table=t))
            if node.tail:
                buf.append(node.tail)
            return
        if tag == "img" and pictures is not None:
            flush()
            pictures.append((node, len(blocks)))
        if tag == "br":
            flush()
            if node.tail:
                buf.append(node.tail)
            return
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            flush()
            text = text_of(node)
            if text:
                blocks.append(Block("heading", text, level=int(tag[1])))
            if node.tail:
                buf.append(node.tail)
            return
        block = tag in BLOCK_TAGS
        if block:
            flush()
        walk_children(node)
        if block:
            flush()
        if node.tail:
            buf.append(node.tail)

    def walk_children(node: etree._Element) -> None:
        if node.text:
            buf.append(node.text)
        for child in node:
            walk(child)

    walk_children(root)
    flush()
    return blocks


def _owner_table(td: etree._Element) -> etree._Element | None:
    p = td.getparent()
    while p is not None and p.tag != "table":
        p = p.getparent()
    return p


# ---------------------------------------------------------------- main text


def _container(tree: etree._Element) -> etree._Element | None:
    for xp in CONTAINERS:
        found = [
            el
            for el in tree.xpath(xp)
            if len(el.text_content().strip()) >= 20 or el.xpath(".//table")
        ]
        if found:
            return max(found, key=lambda el: len(el.text_content()))
    return None


def _trafilatura_blocks(tree: etree._Element) -> tuple[list[Block], list[str]]:
    """Main text by trafilatura; its tables replaced by the raw ones (spans kept)."""
    warnings: list[str] = []
    try:
        import trafilatura
    except ImportError as exc:  # a broken install is a reason to report, not to hide
        raise NormalizeError(f"trafilatura unavailable: {exc}") from None
    raw_tables = [t for t in tree.iter("table") if not _is_layout_table(t)]
    html_text = etree.tostring(tree, encoding="unicode", method="html")
    xml = trafilatura.extract(
        html_text,
        output_format="xml",
        include_tables=True,
        include_comments=False,
        include_links=False,
        favor_recall=True,
    )
    blocks: list[Block] = []
    if not xml:
        warnings.append("no main text found by trafilatura")
        return blocks, warnings
    root = etree.fromstring(
        xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, recover=True)
    )
    used: set[int] = set()
    main = root.find(".//main")
    for el in (main if main is not None else root).iter("head", "p", "item", "table", "quote"):
        if el.tag == "table":
            cells = {clean_text("".join(c.itertext())) for c in el.iter("cell")} - {""}
            best, score = None, 0.0
            for i, raw in enumerate(raw_tables):
                if i in used:
                    continue
                raw_cells = {clean_text(text_of(td)) for td in raw.iter("td", "th")} - {""}
                if not raw_cells:
                    continue
                s = len(cells & raw_cells) / max(len(cells | raw_cells), 1)
                if s > score:
                    best, score = i, s
            if best is not None and score > 0.3:
                used.add(best)
                t = table_from_html(raw_tables[best])
                if t is not None:
                    blocks.append(Block("table", table=t))
            continue
        if el.getparent() is not None and any(
            a.tag in {"table", "cell"} for a in el.iterancestors()
        ):
            continue
        text = clean_text("".join(el.itertext()))
        if text:
            kind = "heading" if el.tag == "head" else "paragraph"
            blocks.append(Block(kind, text, level=2 if kind == "heading" else 0))
    return blocks, warnings


def _data_tables(tree: etree._Element) -> int:
    return sum(
        1
        for t in tree.iter("table")
        if not _is_layout_table(t) and len(t.xpath(".//tr")) >= 2 and len(t.xpath(".//td")) >= 4
    )


def _numbers(blocks: list[Block]) -> int:
    """How many numbers the blocks hold (paragraph text and table cells)."""
    count = 0
    for block in blocks:
        if block.kind == "table" and block.table is not None:
            count += sum(
                len(NUMBER.findall(c.text)) for row in block.table.rows for c in row if not c.merged
            )
        else:
            count += len(NUMBER.findall(block.text))
    return count


NUMBER = re.compile(r"\d+(?:\.\d+)?")
MAX_HTML_BYTES = 15 * 1024 * 1024
_CELL_TAG = re.compile(r"<t[dh][\s>/]", re.I)


def count_cells(text: str) -> int:
    """Table cells of an HTML text, counted on the text (before any tree is built)."""
    return sum(1 for _ in _CELL_TAG.finditer(text))


def drop_large_tables(tree: etree._Element, warnings: list[str]) -> None:
    """Remove every table with more cells of its own than the per-table cell limit."""
    for table in list(tree.iter("table")):
        if table.getparent() is None:
            continue
        own = table.xpath("./tr/td | ./tr/th | ./*/tr/td | ./*/tr/th")
        cells = len(own)
        if cells <= BUDGET.max_table_cells:  # the grid its spans make
            cells = sum(_span(td.get("rowspan")) * _span(td.get("colspan")) for td in own)
        if cells > BUDGET.max_table_cells:
            warnings.append(table_skipped(cells))
            parent, prev, tail = table.getparent(), table.getprevious(), table.tail
            if tail:  # the text after the table stays
                if prev is not None:
                    prev.tail = (prev.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            parent.remove(table)


def normalize_html(
    data: bytes, *, url: str | None = None, media_type: str | None = None
) -> Document:
    if len(data) > MAX_HTML_BYTES:
        raise NormalizeError(f"HTML page too large: {len(data)} bytes > {MAX_HTML_BYTES}")
    text, warnings = decode_text(data, media_type)
    cells = count_cells(text)
    if cells > BUDGET.max_cells:
        raise NormalizeError(cells_over("HTML page", cells))
    tree = parse_html(text)
    doc = Document(source_format="html")
    doc.warnings.extend(warnings)
    drop_large_tables(tree, doc.warnings)
    bad = text.count("\ufffd")
    if bad:
        doc.warnings.append(f"{bad} undecodable characters (U+FFFD) in the page")
    read_metadata(tree, doc)
    container = _container(tree)
    placed: list[tuple[etree._Element, int]] = []
    if container is not None:
        blocks = blocks_from_element(container, placed)
    else:
        blocks, more = _trafilatura_blocks(tree)
        found = sum(1 for b in blocks if b.kind == "table")
        best = _best_container(tree)
        if best is not None:
            dense = blocks_from_element(best)
            if found < _data_tables(tree) or not blocks:
                blocks = dense
                more.append("main text by density: trafilatura lost tables or text")
            elif _numbers(dense) > _numbers(blocks):
                # trafilatura drops short repeated paragraphs ("0", "0", …): the numbers of
                # a report laid out one cell per paragraph. Numbers are never given up.
                more.append(
                    f"main text by density: trafilatura kept {_numbers(blocks)} of "
                    f"{_numbers(dense)} numbers"
                )
                blocks = dense
        doc.warnings.extend(more)
    if url:
        doc.attachments = attachments_of(tree, url)
    pictures = placed_pictures(tree, container, placed, len(blocks), url)
    mark_pictured_tables(doc, pictures, blocks)
    shift = 0
    if doc.title and not any(b.kind == "heading" and b.text == doc.title for b in blocks[:3]):
        blocks.insert(0, Block("heading", doc.title, level=1))
        shift = 1
    doc.pictures = [Picture(p.url, p.position + shift) for p in pictures]
    doc.blocks = blocks
    return doc


__all__ = ["continuation_urls", "extract_attachments", "normalize_html", "parse_html"]
