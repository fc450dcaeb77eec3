"""The crawl's handle on the database and the blob store, shared by spider and pipelines."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from harvester.storage.blobs import BlobStore
from harvester.storage.db import make_engine, session_scope
from harvester.storage.models import Portal
from harvester.storage.repo import last_complete_fetch


@dataclass
class PortalInfo:
    """What the spider needs of a registry row (read once, at the start of the crawl)."""

    id: int
    name: str
    home_url: str
    family: str | None = None
    column_urls: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)
    selectors: dict[str, Any] = field(default_factory=dict)
    needs_browser: bool = False
    encoding: str | None = None


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return [str(v) for v in value]


class CrawlStore:
    """Engine, sessions and blobs for one crawl process."""

    def __init__(self, db_url: str, data_dir: str | Path) -> None:
        self.engine = make_engine(db_url)
        # The parent command passes the blob store the database records (harvester.crawling).
        root = os.environ.get("HARVESTER_BLOB_STORE") or Path(data_dir) / "blobs"
        self.blobs = BlobStore(root)

    def session(self):  # noqa: ANN201 - a context manager from harvester.storage.db
        return session_scope(self.engine)

    def load_portals(self, portal_ids: list[int]) -> list[PortalInfo]:
        with self.session() as session:
            rows = session.scalars(
                select(Portal).where(Portal.id.in_(portal_ids)).order_by(Portal.id)
            )
            return [
                PortalInfo(
                    id=p.id,
                    name=p.county,
                    home_url=p.home_url or "",
                    family=getattr(p, "family", None) or None,
                    column_urls=_as_list(getattr(p, "column_urls", None)),
                    allowed_hosts=_as_list(getattr(p, "allowed_hosts", None)),
                    selectors=dict(getattr(p, "selectors", None) or {}),
                    needs_browser=bool(getattr(p, "needs_browser", False)),
                    encoding=getattr(p, "encoding", None) or None,
                )
                for p in rows
            ]

    def last_fetch(self, url: str) -> dict[str, Any] | None:
        """The last complete 200 fetch of a URL: validators and blob for a conditional request."""
        with self.session() as session:
            fetch = last_complete_fetch(session, url)
            if fetch is None or fetch.status != 200 or not fetch.sha256:
                return None
            headers = {k.lower(): v for k, v in (fetch.response_headers or {}).items()}
            return {
                "fetch_id": fetch.id,
                "sha256": fetch.sha256,
                "bytes": fetch.bytes,
                "final_url": fetch.final_url or url,
                "media_type": headers.get("content-type", ""),
                "fetched_at": fetch.fetched_at,
                "etag": headers.get("etag"),
                "last_modified": headers.get("last-modified"),
            }


def utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
