"""Decoding of HTML and text bytes: declared charsets checked against the content.

gb2312/gbk are decoded as gb18030 (a superset); UTF-8 that decodes strictly wins over a
contradicting declaration; undeclared bytes are sniffed; U+FFFD damage is reported.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_MEDIA_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}
GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn", "hz-gb-2312"}


def norm_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in GB_FAMILY or name.startswith("gb"):
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(data: bytes, media_type: str | None) -> tuple[str | None, str | None]:
    """(charset of the HTTP media type, charset declared inside the bytes)."""
    http = None
    if media_type:
        m = _MEDIA_CHARSET.search(media_type)
        http = norm_charset(m.group(1)) if m else None
    head = data[:4096]
    m2 = _META_CHARSET.search(head) or _XML_DECL.search(head)
    inner = norm_charset(m2.group(1).decode("ascii", "replace")) if m2 else None
    return http, inner


def decode_text(data: bytes, media_type: str | None = None) -> tuple[str, list[str]]:
    """Text and warnings about the decoding (contradictions, guesses, damage)."""
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), warnings
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), warnings
    http, inner = declared_charsets(data, media_type)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        for label, cs in (("HTTP", http), ("page", inner)):
            if cs and cs not in {"utf-8", "ascii"} and not data.isascii():
                warnings.append(f"{label} charset {cs} contradicted by content: decoded as utf-8")
        return text, warnings
    # the page's own declaration first: servers send wrong defaults more often than
    # authors write wrong meta tags (a transcoding server is caught by the UTF-8 test)
    for label, cs in (("page", inner), ("HTTP", http)):
        if cs in SINGLE_BYTE:
            warnings.append(f"{label} charset {cs} ignored for non-ASCII Chinese content")
            continue
        if not cs or cs == "utf-8":
            if cs == "utf-8":
                warnings.append(f"{label} charset utf-8 does not decode the content")
            continue
        try:
            text = data.decode(cs)
        except (UnicodeDecodeError, LookupError):
            warnings.append(f"{label} charset {cs} does not decode the content")
            continue
        for other_label, other in (("page", inner), ("HTTP", http)):
            if other and other != cs and other_label != label:
                warnings.append(f"{other_label} charset {other} contradicted: decoded as {cs}")
        return text, warnings
    guess = _guess(data)
    if guess:
        if not (http or inner):
            warnings.append(f"no charset declared: detected {guess}")
        try:
            return data.decode(guess), warnings
        except (UnicodeDecodeError, LookupError):
            pass
    # damaged bytes: the declared (or likelier) charset with the fewest replacements
    candidates = [cs for cs in (inner, http) if cs and cs not in SINGLE_BYTE] + ["utf-8", "gb18030"]
    best_cs, best_text = "", ""
    best_bad = -1
    for cs in dict.fromkeys(candidates):
        try:
            text = data.decode(cs, "replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best_bad < 0 or bad < best_bad:
            best_cs, best_text, best_bad = cs, text, bad
    warnings.append(f"damaged text: decoded as {best_cs} with {best_bad} replacement characters")
    return best_text, warnings


def _guess(data: bytes) -> str | None:
    try:
        data.decode("gb18030")
        strict_gb = True
    except UnicodeDecodeError:
        strict_gb = False
    if strict_gb:
        return "gb18030"
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    best = from_bytes(data[:200_000]).best()
    return norm_charset(best.encoding) if best else None
