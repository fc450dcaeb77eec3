"""Report Documents rendered to the files portals attach: DOCX, XLSX and PNG directly,
PDF, DOC and WPS through LibreOffice (queued, then converted in batches). Every file is
cached on disk by content hash: python-docx stamps times into files, and a LibreOffice
conversion takes seconds, so the cache keeps bytes (and so ETags) stable across starts."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harvester.document import Document
from harvester.world.office_batch import convert_batch
from harvester.writers import convert, render_docx, render_xlsx

CACHE_VERSION = "world-files-2"
OFFICE_FORMATS = ("pdf", "doc", "wps")  # need a LibreOffice conversion
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def render_png(doc: Document, width: int = 1240) -> bytes:
    """Title, paragraphs and table rows drawn as text lines on a white page (PNG)."""
    from PIL import Image, ImageDraw, ImageFont

    font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default()
    for candidate in FONT_PATHS:
        if Path(candidate).exists():
            font = ImageFont.truetype(candidate, 22)
            break
    lines: list[str] = []
    for block in doc.blocks:
        if block.kind == "table" and block.table is not None:
            lines.extend(" | ".join(row) for row in block.table.texts(blank_merged=True))
        else:
            text = block.text
            lines.extend(text[i : i + 50] for i in range(0, max(len(text), 1), 50))
    lines = lines[:120]
    image = Image.new("L", (width, 40 + 30 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((40, 20 + 30 * n), line, fill=0, font=font)
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _render_ofd(doc: Document) -> bytes:
    from harvester.world.ofd import render_ofd

    return render_ofd(doc)


DIRECT: dict[str, Callable[[Document], bytes]] = {
    "png": render_png,  # the report as a scanned-looking image (published only as pictures)
    "docx": render_docx,
    "xlsx": render_xlsx,
    "ofd": _render_ofd,  # GB/T 33190, the national electronic-document format
}
ZIP_TIME = (2024, 1, 15, 9, 30, 0)  # fixed member times: the same bytes (and ETag) every start


def zip_members(doc: Document) -> list[str]:
    """Paths inside the world's ZIP of a report: its DOCX and its PDF, in a folder."""
    name = doc.title or "年报"
    return [f"{name}/{name}.docx", f"{name}/{name}.pdf"]


class Renderer:
    """Renders Documents to files; results are cached under `cache_dir`."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._pending: dict[str, tuple[Document, str]] = {}

    @staticmethod
    def doc_key(doc: Document, ext: str) -> str:
        payload = json.dumps([CACHE_VERSION, ext, doc.to_dict()], ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _path(self, key: str, ext: str) -> Path:
        return self.cache_dir / f"{key}.{ext}"

    def _cached(self, doc: Document, ext: str) -> bytes:
        """A directly rendered file, from the cache when made before."""
        path = self._path(self.doc_key(doc, ext), ext)
        if path.exists():
            return path.read_bytes()
        data = DIRECT[ext](doc)
        path.write_bytes(data)
        return data

    def docx(self, doc: Document) -> bytes:
        return self._cached(doc, "docx")

    def want(self, doc: Document, ext: str) -> Callable[[], bytes]:
        """A maker of the file; office conversions are queued for `convert_pending`."""
        if ext == "zip":  # the report as DOCX and PDF in one archive, as portals attach it
            pdf = self.want(doc, "pdf")
            return lambda: self._zip(doc, pdf)
        if ext in DIRECT:
            return lambda: self._cached(doc, ext)
        if ext in OFFICE_FORMATS:
            target = "doc" if ext == "wps" else ext
            key = self.doc_key(doc, target)
            if not self._path(key, target).exists():
                self._pending[key] = (doc, target)
            return lambda: self._converted(doc, target)
        raise ValueError(f"no renderer for .{ext}")

    def _zip(self, doc: Document, pdf: Callable[[], bytes]) -> bytes:
        path = self._path(self.doc_key(doc, "zip"), "zip")
        if path.exists():
            return path.read_bytes()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, data in zip(zip_members(doc), (self.docx(doc), pdf()), strict=True):
                archive.writestr(zipfile.ZipInfo(member, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
        path.write_bytes(buf.getvalue())
        return buf.getvalue()

    def _converted(self, doc: Document, ext: str) -> bytes:
        key = self.doc_key(doc, ext)
        path = self._path(key, ext)
        if not path.exists():
            self._convert_one(key, doc, ext)
        return path.read_bytes()

    def _convert_one(self, key: str, doc: Document, ext: str) -> None:
        data = convert(self.docx(doc), "docx", ext)
        tmp = self._path(key, ext + ".part")
        tmp.write_bytes(data)
        tmp.replace(self._path(key, ext))

    def convert_pending(self) -> None:
        """Run the queued LibreOffice conversions: one soffice run per target format (each
        run pays LibreOffice's start-up once), the formats side by side; a file the batch
        did not produce is converted on its own by harvester.writers.convert."""
        jobs = [(k, d, e) for k, (d, e) in self._pending.items() if not self._path(k, e).exists()]
        self._pending.clear()
        by_ext: dict[str, list[tuple[str, Document]]] = {}
        for key, doc, ext in jobs:
            by_ext.setdefault(ext, []).append((key, doc))
        if not by_ext:
            return
        with ThreadPoolExecutor(max_workers=len(by_ext)) as pool:
            list(pool.map(lambda item: self._batch(*item), by_ext.items()))
        for key, doc, ext in jobs:
            if not self._path(key, ext).exists():
                self._convert_one(key, doc, ext)

    def _batch(self, ext: str, docs: list[tuple[str, Document]]) -> None:
        if len(docs) < 2:
            return  # one file: converted on its own
        sources = {key: self.docx(doc) for key, doc in docs}
        convert_batch(ext, sources, {key: self._path(key, ext) for key, _doc in docs})
