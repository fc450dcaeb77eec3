"""List walkers per content-system family: given a list page, its links and further pages.

Each walker is a pure function from a fetched page (URL and text) to a `Walk`; the spider
decides which links are reports. `detect_family` names the family from the page itself;
a registry row's `family` overrides it.
"""

from __future__ import annotations

from collections.abc import Callable

from spiders.families.base import PageRequest, Walk, generic_pages, walk_generic
from spiders.families.detect import FAMILIES, detect_family
from spiders.families.gkmlpt import walk_gkmlpt, walk_gkmlpt_json
from spiders.families.hanweb import walk_hanweb, walk_hanweb_xml
from spiders.families.lonsun import walk_lonsun
from spiders.families.shandong import walk_shandong
from spiders.families.trs import walk_trs
from spiders.families.vsb import walk_vsb

WALKERS: dict[str, Callable[[str, str], Walk]] = {
    "trs": walk_trs,
    "hanweb": walk_hanweb,
    "lonsun": walk_lonsun,
    "vsb": walk_vsb,
    "shandong": walk_shandong,
    "gkmlpt": walk_gkmlpt,
    "generic": walk_generic,
}
# Non-HTML answers of family APIs.
API_WALKERS: dict[str, Callable[[str, str], Walk]] = {
    "hanweb_xml": walk_hanweb_xml,
    "gkmlpt_json": walk_gkmlpt_json,
}


def walk(family: str, url: str, text: str) -> Walk:
    """The family's walk of a list page, plus generic next-page links it may have missed."""
    result = WALKERS.get(family, walk_generic)(url, text)
    if family != "generic":
        known = {p.url for p in result.pages}
        result.pages.extend(p for p in generic_pages(url, text) if p.url not in known)
    return result


__all__ = ["API_WALKERS", "FAMILIES", "PageRequest", "WALKERS", "Walk", "detect_family", "walk"]
