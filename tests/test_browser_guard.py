"""Chromium reaches the crawl's portals and nothing else: a page whose scripts and images
point at another port of the same loopback host, at link-local 169.254.169.254 and at a
foreign host gets none of them fetched, while the portal's own pages are."""

from __future__ import annotations

from pathlib import Path

from local_crawl import FAST, add_portals, new_run
from portal_server import PortalServer, county_site
from sqlalchemy import select
from sqlalchemy.engine import Engine

from harvester.crawling import run_crawl
from harvester.storage.db import session_scope
from harvester.storage.models import Fetch, Report


def test_the_browser_sends_nothing_to_other_ports_or_link_local(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    bystander = PortalServer({"/": b"<html>not a portal of the crawl</html>"})
    lure = (
        f'<img src="{bystander.url}pixel.png">'
        f'<script>fetch("{bystander.url}api"); fetch("http://169.254.169.254/latest/meta-data/");'
        f'fetch("http://www.elsewhere.example.com/x")</script>'
    )
    site = county_site("诱县", (2023,))
    site["/"] = site["/"].replace(b"</body>", lure.encode() + b"</body>")
    portal = PortalServer(site)
    try:
        ids = add_portals(engine, {"诱": portal.url}, "测试省", extra={"诱": {"needs_browser": True}})
        run_id = new_run(engine, "scrape")
        assert run_crawl(database_url, tmp_path, list(ids.values()), run_id, settings=FAST) == 0
    finally:
        portal.stop()
        bystander.stop()
    assert bystander.hits == {}, bystander.hits  # no connection reached the other port
    with session_scope(engine) as session:
        fetched = list(session.scalars(select(Fetch).where(Fetch.run_id == run_id)))
        assert any(f.via == "browser" and f.url == portal.url for f in fetched)
        assert not [f.url for f in fetched if not f.url.startswith(portal.url)]
        years = set(session.scalars(select(Report.year).where(Report.portal_id == ids["诱"])))
    assert years == {2023}
