"""Which module builds a portal of each kind, and the family a crawl should recognise."""

from __future__ import annotations

from collections.abc import Callable

from harvester.world import gkmlpt, hanweb, lonsun, shandong, special, trs, vsb
from harvester.world.plan import PortalPlan
from harvester.world.server import Site

Builder = Callable[[PortalPlan], Site]

BUILDERS: dict[str, Builder] = {
    "trs": trs.build,
    "hanweb": hanweb.build,
    "lonsun": lonsun.build,
    "vsb": vsb.build,
    "shandong": shandong.build,
    "gkmlpt": gkmlpt.build,
    "gbk": special.build_gbk,
    "jslist": special.build_jslist,
    "challenge": special.build_challenge,
}
# The spec's "family": what the crawl should recognise (special portals are generic).
SPEC_FAMILY = {"gbk": "generic", "jslist": "generic", "challenge": "generic"}
