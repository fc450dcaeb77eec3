"""The local portal world: county portals in the styles of real content systems, on 127.0.0.1.

    world = start_world(cache_dir=Path(".cache/world"))
    for spec in world.portals:                 # PortalSpec (harvester.world.spec)
        spec.home_url, spec.family, spec.expected   # (ExpectedReport(agency, year), …)
    world.stop()

One portal per seed county (寿县 Lonsun, 象山县 Hanweb JCMS, 沂源县 Shandong platform,
大荔县 VSB, 舞阳县 TRS), a Guangdong gkmlpt county, a GBK portal with a wrong HTTP
charset on one page, a portal whose 年报 list only JavaScript renders and one behind a 412
JavaScript cookie challenge (both need Chromium). Each portal has home page, menus, the
four standard disclosure columns, look-alike columns, per-body (and some per-year)
sub-columns, paginated lists with non-report items, and attachments behind real download
mechanics (302 downloaders, GBK and RFC 5987 Content-Disposition names). Every answer has
an ETag and Last-Modified and honours If-None-Match / If-Modified-Since with 304.

Portals (kind → spec family, expected reports): 寿县 lonsun 23, 象山县 hanweb 24, 沂源县
shandong 23, 大荔县 vsb 23, 舞阳县 trs 23, 新丰县 gkmlpt 19, 石门县 gbk→generic 9, 德清县
jslist→generic 6, 临朐县 challenge→generic 5. Each county government list also links the
prefecture's report on http://something.invalid/ (never to be followed).

`expected` lists exactly the (agency, year) pairs a crawl must store for the portal:
the agency as the report's title names its issuing body ("寿县人民政府", "寿县教育局").

`start_world(generated=N)` adds N small portals cycling the six families (HTML reports
only, no LibreOffice) for benchmarks. Faults (5xx bursts, timeouts, resets, truncated
bodies, 429 with Retry-After, redirect loops) are described in `harvester.world.faults`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path

from harvester.world.catalog import PROFILES, Profile, generated_profiles
from harvester.world.factory import ContentFactory
from harvester.world.families import BUILDERS, SPEC_FAMILY
from harvester.world.outside import HUB, NAME, OutsideBody, build_outside
from harvester.world.plan import PortalPlan
from harvester.world.render import Renderer
from harvester.world.server import PortalServer, Resource, Sent, Site, key_of, serve_site
from harvester.world.spec import ExpectedReport, PortalSpec

DEFAULT_SEED = 20240601
CACHE_ENV = "HARVESTER_WORLD_CACHE"  # default cache_dir when none is given


def fault_key(path: str) -> str:
    """How a fault names its path: a route key, or a prefix pattern ending in `*`."""
    return path if path.endswith("*") else key_of(path)


class World:
    """Running portals: `portals` (specs), `sites`, and fault switches."""

    def __init__(self) -> None:
        self.portals: list[PortalSpec] = []
        self.sites: list[Site] = []
        self.plans: list[PortalPlan] = []
        self.servers: list[PortalServer] = []
        self.outside: OutsideBody | None = None  # a body outside the registry (not a portal)
        self._tmp: Path | None = None

    # -- lookup -----------------------------------------------------------------------------
    def index(self, portal: int | str) -> int:
        """A portal's index from its index, county name or home URL."""
        if isinstance(portal, int):
            return portal
        for i, spec in enumerate(self.portals):
            if portal in (spec.county, spec.home_url, spec.home_url.rstrip("/")):
                return i
        raise KeyError(f"no portal {portal!r} in the world")

    def url(self, portal: int | str, path: str) -> str:
        return self.portals[self.index(portal)].home_url.rstrip("/") + path

    # -- faults -------------------------------------------------------------------------------
    def set_fault(self, portal: int | str, path: str, spec: str | None) -> None:
        """Switch a fault on (`spec`, see harvester.world.faults) or off (None) for a path."""
        self.sites[self.index(portal)].faults.set(fault_key(path), spec)

    def clear_faults(self) -> None:
        for site in self.sites:
            site.faults.clear()

    def hits(self, portal: int | str, path: str) -> int:
        """How many requests a path of a portal has had."""
        return self.sites[self.index(portal)].faults.hits(key_of(path))

    # -- what was sent, and changes -------------------------------------------------------
    def sent(self, portal: int | str) -> list[Sent]:
        """Every answer the portal's server sent so far (path, status, body sha256, bytes)."""
        return list(self.sites[self.index(portal)].sent)

    def edit(self, portal: int | str, path: str, change: Callable[[bytes], bytes]) -> None:
        """Change the body a path answers (a report corrected on the portal): new bytes, a
        new ETag and Last-Modified."""
        site = self.sites[self.index(portal)]
        key = key_of(path)
        entry = site.routes.get(key)
        if not isinstance(entry, Resource):
            raise KeyError(f"{path} is not a stored page of {site.name}")
        site.routes[key] = replace(entry, body=change(entry.body), modified=time.time())

    def retitle(self, portal: int | str, old: str, new: str) -> list[str]:
        """Re-title a report everywhere the portal shows it (its list entries, its page):
        what a portal does when it republishes a corrected report. The changed routes."""
        site = self.sites[self.index(portal)]
        changed = []
        for key, entry in list(site.routes.items()):
            if not isinstance(entry, Resource):
                continue
            charset = entry.content_type.partition("charset=")[2].strip() or "utf-8"
            try:
                before, after = old.encode(charset), new.encode(charset)
            except (LookupError, UnicodeEncodeError):
                continue
            if before in entry.body:
                body = entry.body.replace(before, after)
                site.routes[key] = replace(entry, body=body, modified=time.time())
                changed.append(key)
        return changed

    # -- life ---------------------------------------------------------------------------------
    def stop(self) -> None:
        # Shut the servers down side by side: each shutdown waits for its poll loop.
        stoppers = [threading.Thread(target=server.shutdown) for server in self.servers]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in self.servers:
            server.server_close()
        self.servers.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    close = stop

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_world(
    cache_dir: Path | None = None,
    port: int = 0,
    *,
    generated: int = 0,
    generated_years: int = 0,
    faults: dict[str, str] | None = None,
    seed: int = DEFAULT_SEED,
    special: bool = True,
    base: bool = True,
    counties: Collection[str] | None = None,
    outside: bool = False,
) -> World:
    """Build and serve the world; `port` 0 picks free ports, else portals use port, port+1 …

    `base=False` leaves out the nine built portals (only `generated` ones; `generated_years`
    years of reports in each body's column, see catalog.generated_profiles), `special=False`
    the GBK, script-list and challenge portals; `counties` keeps only the built portals of
    those names (e.g. the browser portals 德清县 and 临朐县); `outside=True` also serves the
    body outside the registry (`World.outside`, harvester.world.outside). `cache_dir` keeps LibreOffice conversions between runs (when None: $HARVESTER_WORLD_CACHE,
    else a temporary directory removed by `stop`); `faults` maps paths to fault specs on every portal.
    """
    world = World()
    if cache_dir is None and os.environ.get(CACHE_ENV):
        cache_dir = Path(os.environ[CACHE_ENV])
    if cache_dir is None:
        world._tmp = Path(tempfile.mkdtemp(prefix="harvester-world-"))
        cache_dir = world._tmp
    renderer = Renderer(Path(cache_dir))
    factory = ContentFactory(renderer, seed)
    profiles: list[Profile] = [
        p
        for p in PROFILES
        if base
        and (special or p.family not in SPEC_FAMILY)
        and (counties is None or p.county in counties)
    ]
    plans = [factory.plan(p) for p in profiles]
    renderer.convert_pending()
    cheap = ContentFactory(renderer, seed + 1, html_only=True)
    gen = generated_profiles(generated, seed, generated_years)
    plans += [cheap.plan(p) for p in gen]
    try:
        for n, plan in enumerate(plans):
            site = BUILDERS[plan.family](plan)
            for path, spec in (faults or {}).items():
                site.faults.set(fault_key(path), spec)
            server = serve_site(site, port=port + n if port else 0)
            world.servers.append(server)
            world.sites.append(site)
            world.plans.append(plan)
            home_url = f"http://127.0.0.1:{server.server_address[1]}/"
            world.portals.append(
                PortalSpec.of(plan, SPEC_FAMILY.get(plan.family, plan.family), home_url)
            )
        if outside:
            site, expected, docx_path = build_outside(renderer, seed)
            server = serve_site(site)
            world.servers.append(server)  # served, but not one of `portals` (not registered)
            world.outside = OutsideBody(
                NAME,
                f"http://127.0.0.1:{server.server_address[1]}{HUB}",
                tuple(ExpectedReport(a, y) for a, y in expected),
                docx_path,
            )
    except BaseException:
        world.stop()
        raise
    return world


__all__ = ["ExpectedReport", "PortalSpec", "Sent", "World", "start_world"]
