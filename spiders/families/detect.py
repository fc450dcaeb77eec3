"""Name the content-system family of a list page from its URL and HTML."""

from __future__ import annotations

import re

FAMILIES = ("trs", "hanweb", "lonsun", "vsb", "shandong", "gkmlpt", "generic")


def detect_family(url: str, text: str) -> str:
    lowered = url.lower()
    if "/gkmlpt/" in lowered:
        return "gkmlpt"
    if "/gongkai/site_" in lowered or re.search(r"/gongkai/site_\w+/channel_", text):
        return "shandong"
    if "/public/column/" in lowered:
        return "lonsun"
    if "<datastore" in text or "/col/col" in lowered or "dataproxy.jsp" in text:
        return "hanweb"
    if "createPageHTML" in text or "TRS_Editor" in text or re.search(r"/t\d{8}_\d+\.html", text):
        return "trs"
    if (
        re.search(r"/info/\d+/\d+\.htm", text)
        or "_vsb_" in text.lower()
        or "vsbscreen" in text.lower()
    ):
        return "vsb"
    return "generic"
