"""OCR by tesseract (chi_sim) for scanned pages and pictures: a ruled table in a picture
becomes a table (harvester.normalize.ocr_tables), anything else text lines."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

from harvester.document import Block, Document
from harvester.normalize.errors import NormalizeError
from harvester.normalize.grid import clean_text


def tesseract_ready() -> bool:
    if not shutil.which("tesseract"):
        return False
    try:
        res = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=20, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return False
    return b"chi_sim" in res.stdout


def ocr_png(png: bytes, timeout: float = 120) -> str:
    from harvester.normalize.office import run_tool

    res = run_tool(["tesseract", "stdin", "stdout", "-l", "chi_sim+eng", "--psm", "6"], png, timeout)
    if res.returncode != 0:
        raise NormalizeError(f"tesseract failed: {res.stderr.decode('utf-8', 'replace')[:200]}")
    return res.stdout.decode("utf-8", "replace")


def ocr_blocks(text: str, page_no: int | None) -> list[Block]:
    blocks = []
    for raw in text.splitlines():
        line = clean_text(raw)
        # tesseract puts spaces between CJK characters: drop them
        line = re.sub(r"(?<=[\u3400-\u9fff，。、；：（）])\s+(?=[\u3400-\u9fff，。、；：（）])", "", line)
        if line:
            blocks.append(Block("paragraph", line, page=page_no))
    return blocks


def normalize_image(data: bytes) -> Document:
    doc = Document(source_format="image", needs_ocr=True)
    if not tesseract_ready():
        doc.warnings.append("image needs OCR but tesseract with chi_sim is not installed")
        return doc
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            buf = io.BytesIO()
            rgb = img.convert("RGB")
            rgb.save(buf, format="PNG")
    except Exception as exc:  # noqa: BLE001 - PIL raises many types on bad images
        raise NormalizeError(f"unreadable image ({type(exc).__name__}: {exc})") from None
    from harvester.normalize.ocr_tables import picture_blocks

    tables = picture_blocks(rgb)
    doc.blocks = tables if tables is not None else ocr_blocks(ocr_png(buf.getvalue()), None)
    doc.ocr_used = True
    doc.warnings.append(
        "OCR: read by tesseract from a picture"
        + (" (its table from the ruling lines and word boxes)" if tables is not None else "")
    )
    return doc


