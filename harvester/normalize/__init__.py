"""Normalisation: raw document bytes (HTML, DOCX, DOC, WPS, PDF, XLS, XLSX, …) → Document.

- ``normalize_bytes(data, *, filename=None, url=None, media_type=None)`` in this process;
- ``normalize_isolated(same, timeout=None, memory_mb=None)`` in a limited child process;
- ``continuation_urls(html_bytes, url)`` for TRS articles split over t…_1.html pages;
- ``harvester.normalize.html.extract_attachments(html, url)``.
Every failure is a ``NormalizeError`` whose ``reason`` says why. The real type comes from
the content (harvester.normalize.sniff), never from the extension.
"""

from __future__ import annotations

from harvester.normalize.core import normalize_bytes
from harvester.normalize.errors import NormalizeError
from harvester.normalize.html import continuation_urls
from harvester.normalize.isolate import normalize_isolated

NORMALIZER_VERSION = "1.0.0"

__all__ = [
    "NORMALIZER_VERSION",
    "NormalizeError",
    "continuation_urls",
    "normalize_bytes",
    "normalize_isolated",
]
