"""Metadata of an HTML page: <meta> names (ArticleTitle, PubDate, …), the labelled fields of
the article's info box (索引号, 发布机构, 发布日期, …), the title and publication date."""

from __future__ import annotations

import re

from lxml import etree

from harvester.document import Document
from harvester.normalize.dom import BLOCK_TAGS, SKIP_TAGS, text_of
from harvester.normalize.grid import clean_text

META_NAMES = (
    "ArticleTitle",
    "PubDate",
    "ColumnName",
    "ColumnType",
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ContentSource",
    "Keywords",
    "Description",
    "Author",
    "Url",
)
INFO_LABELS = (
    "索引号",
    "发布机构",
    "主题分类",
    "文号",
    "发文字号",
    "成文日期",
    "有效性",
    "发布日期",
    "发布时间",
    "来源",
)
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")


def read_metadata(tree: etree._Element, doc: Document) -> None:
    for meta in tree.iter("meta"):
        name = (meta.get("name") or "").strip()
        content = clean_text(meta.get("content") or "")
        for known in META_NAMES:
            if name.lower() == known.lower() and content:
                doc.metadata[known] = content
    flat = _flat_lines(tree)
    for label in INFO_LABELS:
        value = _labelled(flat, label)
        if value and label not in doc.metadata:
            doc.metadata[label] = value
    h1 = next((clean_text(text_of(h)) for h in tree.iter("h1") if text_of(h).strip()), "")
    title_tag = next((clean_text(t.text_content()) for t in tree.iter("title")), "")
    doc.title = doc.metadata.get("ArticleTitle") or h1 or title_tag or None
    for source in (
        doc.metadata.get("PubDate"),
        doc.metadata.get("发布日期"),
        doc.metadata.get("发布时间"),
    ):
        date = _iso_date(source)
        if date:
            doc.published = date
            break


def _iso_date(text: str | None) -> str | None:
    if not text:
        return None
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _flat_lines(tree: etree._Element) -> list[str]:
    body = tree.find("body")
    root = body if body is not None else tree
    lines: list[str] = []
    buf: list[str] = []
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(node.tag, str):
            continue
        tag = node.tag.lower()
        if event == "start":
            if tag in BLOCK_TAGS or tag in {"td", "th", "br", "table"}:
                lines.append(clean_text("".join(buf)))
                buf.clear()
            if node.text and tag not in SKIP_TAGS:
                buf.append(node.text)
        else:
            if tag in BLOCK_TAGS or tag in {"td", "th", "table"}:
                lines.append(clean_text("".join(buf)))
                buf.clear()
            if node.tail:
                parent = node.getparent()
                if (
                    parent is None
                    or not isinstance(parent.tag, str)
                    or parent.tag.lower() not in SKIP_TAGS
                ):
                    buf.append(node.tail)
    lines.append(clean_text("".join(buf)))
    return [ln for ln in lines if ln]


def _labelled(lines: list[str], label: str) -> str | None:
    pattern = re.compile(re.escape(label) + r"\s*[:：]\s*(.*)")
    for i, line in enumerate(lines[:400]):
        m = pattern.search(line)
        if not m:
            compact = line.replace(" ", "").rstrip(":：")
            if compact == label and i + 1 < len(lines):
                value = lines[i + 1]
            else:
                continue
        else:
            value = m.group(1)
            if not value and i + 1 < len(lines):
                value = lines[i + 1]
        # cut at the next label on the same line
        cut = re.split(r"\s{2,}|(?:" + "|".join(INFO_LABELS) + r")\s*[:：]", value, maxsplit=1)[0]
        value = clean_text(cut)
        if value and not any(value.startswith(lb) for lb in INFO_LABELS):
            return value[:200]
    return None
