"""The crawl boundary: the typed values a fetched document travels as, from the response to
the stored record.

- `FetchedDocument`: one stored HTTP answer (the fetch recorder makes it for every response
  the spider sees; a 304 answer carries the previous fetch's document).
- `ReportDocument`: a fetched document in its role within a report (article page or
  attachment).
- `ReportItem`: what the spider yields for a report — portal, the body and year the list
  suggested, the title, and its documents in order. The item pipeline stores it through
  `harvester.storage.repo.store_report_version`, which takes these same values.

All three are frozen: a report item grows by `with_document`, which returns a new item.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.http import Response

FETCHED_META = "harvester_fetched"  # the request/response meta key holding a FetchedDocument


@dataclass(frozen=True)
class FetchedDocument:
    """A stored HTTP answer: where it came from, how, and the content address of its bytes."""

    url: str  # as asked: the first URL of a redirect chain
    final_url: str  # where the bytes came from after redirects
    status: int
    media_type: str  # the Content-Type the server sent ("" when none)
    fetched_at: datetime
    via: str  # "http" or "browser"
    sha256: str | None = None  # None: the body was not stored in full
    bytes: int | None = None
    fetch_id: int | None = None  # the fetch row that holds its provenance
    complete: bool = False
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304: these are the previous fetch's bytes
    # A browser fetch whose rendered DOM shows more than the server's bytes: that DOM's
    # blob (a derived snapshot) and the digest of what it shows (text and links, markup
    # aside; harvester.crawl.wire.render_digest) — None when it was not rendered just now.
    rendered_sha256: str | None = None
    rendered_digest: str | None = None

    @property
    def stored(self) -> bool:
        """The body is a blob: whole bytes, usable as a report document."""
        return bool(self.complete and self.sha256)

    @property
    def validators(self) -> dict[str, str]:
        """Request headers that ask for these bytes again only if they changed."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class ReportDocument:
    """A fetched document as part of a report: the article page(s) first, then attachments.

    Role "rendered" is the DOM a browser rendered from the page `document` (its
    `rendered_sha256`), right after that page: derived, not what the server sent."""

    role: str  # one of harvester.storage.models.DOCUMENT_ROLES (page | attachment | image)
    url: str  # the URL the report links (before redirects)
    document: FetchedDocument

    @property
    def sha256(self) -> str | None:
        if self.role == "rendered":
            return self.document.rendered_sha256
        return self.document.sha256

    @property
    def content_key(self) -> str | None:
        """What decides whether a report changed: the server's bytes; for a rendered DOM,
        what it shows (so a re-render that differs only in markup is no change)."""
        if self.role == "rendered":
            return self.document.rendered_digest or self.document.rendered_sha256
        return self.document.sha256


@dataclass(frozen=True)
class ReportItem:
    """One report as the spider found it; identity (agency, year) is settled on storing."""

    portal_id: int
    portal_name: str
    title: str
    url: str
    body_hint: str | None = None  # the sub-column's body name (部门/乡镇 lists)
    year_hint: int | None = None  # the year of the list or the link text
    documents: tuple[ReportDocument, ...] = field(default_factory=tuple)
    list_entry: str | None = None  # the list entry's text that linked the report page
    complete: bool = True  # False: a document of the report could not be fetched whole

    def with_document(self, document: ReportDocument) -> ReportItem:
        return replace(self, documents=(*self.documents, document))




@dataclass(frozen=True)
class SeenReport:
    """A known report whose list entry is unchanged and whose last full fetch is recent: the
    revisit policy (harvester.crawl.revisit) counts it as seen by the run, without a request."""

    portal_id: int
    report_id: int
    url: str


def fetched(response: Response) -> FetchedDocument | None:
    """The stored document the fetch recorder put on a response (None: nothing was stored)."""
    document = response.meta.get(FETCHED_META)
    return document if isinstance(document, FetchedDocument) else None
